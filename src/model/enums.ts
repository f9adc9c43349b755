// Code tables for every enum-like column of the trace and outcome contract (docs/trace-format.md).
// Codes are small integers so the replay loop can work on typed arrays; the label arrays are the
// single source of the spelling, and their order is the DuckDB ENUM member order.

export const ARCH = ['x86_64', 'arm64'] as const;
export const KIND = ['error', 'access'] as const;
export const NOTIFY = [
  'mce', 'cmci', 'poll', 'nmi', 'sea', 'sei', 'sdei', 'gsiv', 'gpio', 'sci', 'polled', 'none',
  // Appended (the codes above are unchanged): software injection by madvise(MADV_HWPOISON), and
  // the soft offline a task asks for by madvise(MADV_SOFT_OFFLINE).
  'madvise', 'madvise_soft_offline',
] as const;
export const SEVERITY = ['corrected', 'deferred', 'recoverable', 'fatal', 'unknown'] as const;
export const MEM = ['ram', 'device', 'device_unregistered', 'none'] as const;
export const PAGE = [
  'free', 'anon', 'anon_clean', 'anon_thp', 'file_clean', 'file_dirty', 'file_text', 'shmem',
  'swapcache_clean', 'swapcache_dirty', 'mlocked', 'ksm', 'hugetlb', 'hugetlb_free', 'slab',
  'pagetable', 'kernel', 'dax', 'pfnmap', 'unknown',
  // Appended (codes of the labels above are unchanged): large page-cache folios and the
  // mlocked / unevictable clean-dirty split of error_states[] (docs/conventions.md C16, C23).
  'file_thp', 'shmem_thp', 'file_lbs', 'mlocked_clean', 'unevictable_clean', 'unevictable_dirty',
] as const;
export const CONTEXT = [
  'user', 'kernel_copyin', 'kernel_copyout', 'kernel_cow', 'kernel_copy_mc', 'kthread_copy_mc',
  'kernel_other', 'guest', 'none',
] as const;
export const POLICY = ['early', 'late', 'default'] as const;
export const VMCORE = ['none', 'complete', 'incomplete'] as const;
export const GUEST_ACTION = ['none', 'vsea', 'vmce', 'vmm_exit', 'ignored'] as const;
export const MF_RESULT = ['Ignored', 'Failed', 'Delayed', 'Recovered'] as const;
/** x86 CPU vendor: selects mce_severity_intel or mce_severity_amd (AMD and Hygon). */
export const VENDOR = ['intel', 'amd'] as const;

export type Label<T extends readonly string[]> = T[number];

function codes<T extends readonly string[]>(labels: T): { [K in T[number]]: number } {
  const o: Record<string, number> = {};
  labels.forEach((l, i) => { o[l] = i; });
  return o as { [K in T[number]]: number };
}

export const Arch = codes(ARCH);
export const Kind = codes(KIND);
export const Notify = codes(NOTIFY);
export const Severity = codes(SEVERITY);
export const Mem = codes(MEM);
export const Page = codes(PAGE);
export const Context = codes(CONTEXT);
export const Policy = codes(POLICY);
export const Vmcore = codes(VMCORE);
export const GuestAction = codes(GUEST_ACTION);
export const MfResult = codes(MF_RESULT);
export const Vendor = codes(VENDOR);

// action_page_types[] of mm/memory-failure.c (v6.19), plus the seed 003 entry. The index is our
// code, not the kernel's enum value.
export const MF_TYPE = [
  'reserved kernel page', 'high-order kernel page', 'huge page', 'free huge page',
  'get hwpoison page', 'unmapping failed page', 'dirty swapcache page', 'clean swapcache page',
  'dirty mlocked LRU page', 'clean mlocked LRU page', 'dirty unevictable LRU page',
  'clean unevictable LRU page', 'dirty LRU page', 'clean LRU page', 'already truncated LRU page',
  'free buddy page', 'dax page', 'unsplit thp', 'already poisoned page', 'non struct page pfn',
  'unknown page', 'already poisoned',
] as const;
export const MfType = {
  KERNEL: 0, KERNEL_HIGH_ORDER: 1, HUGE: 2, FREE_HUGE: 3, GET_HWPOISON: 4, UNMAP_FAILED: 5,
  DIRTY_SWAPCACHE: 6, CLEAN_SWAPCACHE: 7, DIRTY_MLOCKED_LRU: 8, CLEAN_MLOCKED_LRU: 9,
  DIRTY_UNEVICTABLE_LRU: 10, CLEAN_UNEVICTABLE_LRU: 11, DIRTY_LRU: 12, CLEAN_LRU: 13,
  TRUNCATED_LRU: 14, BUDDY: 15, DAX: 16, UNSPLIT_THP: 17, ALREADY_POISONED: 18, PFN_MAP: 19,
  UNKNOWN: 20,
  /** The v6.11-v6.17 spelling of ALREADY_POISONED. */
  ALREADY_POISONED_OLD: 21,
} as const;

// Signals (include/uapi/asm-generic/siginfo.h, verified v6.19).
export const SIGBUS = 7;
export const SIGKILL = 9;
export const SIGSEGV = 11; // conventions C6: task killed by an oops (make_task_dead)
export const BUS_OBJERR = 3;
export const BUS_MCEERR_AR = 4;
export const BUS_MCEERR_AO = 5;
export const SI_KERNEL = 128;

// errno values as memory_failure() returns them.
export const EBUSY = -16;
export const EHWPOISON = -133;
export const ENXIO = -6;
export const EOPNOTSUPP = -95;
export const EFAULT = -14;
