// Software injection: madvise(MADV_HWPOISON) (mm/madvise.c madvise_inject_error). The injecting
// task names one of its own pages by virtual address; the kernel looks the page up with
// get_user_pages_fast() and runs memory_failure() on its pfn in the injecting task itself (current
// has the task's mm), so the injector is `current` of memory_failure() exactly as the consumer of an
// action-required machine check is in kill_me_maybe. No hardware record, no handler, no panic of
// its own; the return value goes back to the caller of madvise() (no kill_me_now).
// madvise(MADV_SOFT_OFFLINE) takes the same path to soft_offline_page() instead.
import { Ctx, MF_ACTION_REQUIRED, NotModelledError } from './ctx.js';
import { Mem, Page } from './enums.js';
import { flagNames, memoryFailure, softOfflinePage } from './memory-failure.js';
import { definePath } from './record.js';
import { PageState } from './state.js';

const P = {
  memoryFailure: definePath('sw.madvise.memory_failure'),
  gupFailed: definePath('sw.madvise.gup_failed'),
  softOffline: definePath('sw.madvise.soft_offline'),
  softOfflineRefused: definePath('sw.madvise.soft_offline_refused'),
};

/**
 * get_user_pages_fast() on the task's own page, as madvise_inject_error() does for both advices.
 * Returns false when the lookup fails (madvise returns the error; nothing else runs).
 */
function gupOwnPage(c: Ctx, advice: string): boolean {
  const ev = c.ev;
  // get_user_pages_fast() refuses VM_PFNMAP / VM_IO mappings (device memory a driver maps without
  // a struct page): madvise() fails with EFAULT before anything else.
  if (ev.page === Page.pfnmap || ev.mem === Mem.device_unregistered) {
    c.step(`get_user_pages_fast: the page is in a VM_PFNMAP/VM_IO mapping: madvise fails (EFAULT), no ${advice}`);
    c.out.path = P.gupFailed;
    return false;
  }
  const st = c.pageStateNow();
  if (st === PageState.POISONED_UNMAPPED) {
    // The task's pte is a hwpoison entry since the page was unmapped: the gup fault on it fails.
    c.step(`get_user_pages_fast: the task's pte is a hwpoison entry (the page was unmapped): madvise fails, no ${advice}`);
    c.out.path = P.gupFailed;
    c.out.poisoned = true;
    return false;
  }
  if (st === PageState.POISONED_DROPPED) {
    throw new NotModelledError(`madvise(${advice === 'memory_failure' ? 'MADV_HWPOISON' : 'MADV_SOFT_OFFLINE'}) on a page whose poisoned copy was dropped (get_user_pages_fast faults in a new page at another pfn)`);
  }
  return true;
}

/**
 * madvise_inject_error() for one page. Flags by kernel (profile switch madvise_action_required):
 * v6.11+ memory_failure(pfn, MF_ACTION_REQUIRED | MF_COUNT_INCREASED | MF_SW_SIMULATED); before,
 * the same without MF_ACTION_REQUIRED. MF_COUNT_INCREASED (the gup reference is the one
 * memory_failure() would take) and MF_SW_SIMULATED (unpoison stays allowed) change no outcome the
 * model records.
 */
export function madviseInject(c: Ctx): void {
  const ev = c.ev;
  if (!gupOwnPage(c, 'memory_failure')) return;
  const flags = c.profile.switches.madvise_action_required ? MF_ACTION_REQUIRED : 0;
  if (c.x) c.log(`Injecting memory failure for pfn ${c.hex(c.pfn)} at process virtual address ${ev.vaddr >= 0 ? c.hex(ev.vaddr) : '(vaddr not in the trace)'}`);
  if (c.x) c.step(`madvise_inject_error in task ${ev.pid}/${ev.tid}: memory_failure with ${flagNames(flags)}${flags ? '' : ' (no MF_ACTION_REQUIRED before v6.11)'}`);
  c.setCurrentConsumer();
  c.out.path = P.memoryFailure;
  memoryFailure(c, flags);
}

/**
 * madvise(MADV_SOFT_OFFLINE): madvise_inject_error() prints "Soft offlining pfn %#lx at process
 * virtual address %#lx" and calls soft_offline_page(pfn, MF_COUNT_INCREASED) in the task. Soft
 * offline never signals anyone: the task's mapping is migrated to a new page (or the call fails),
 * and the old pfn keeps PG_hwpoison. Same lookup as MADV_HWPOISON (gupOwnPage).
 */
export function madviseSoftOffline(c: Ctx): void {
  const ev = c.ev;
  if (!gupOwnPage(c, 'soft_offline_page')) return;
  if (c.x) c.log(`Soft offlining pfn ${c.hex(c.pfn)} at process virtual address ${ev.vaddr >= 0 ? c.hex(ev.vaddr) : '(vaddr not in the trace)'}`);
  if (c.x) c.step(`madvise_inject_error in task ${ev.pid}/${ev.tid}: soft_offline_page with MF_COUNT_INCREASED`);
  c.setCurrentConsumer();
  c.out.path = softOfflinePage(c) ? P.softOffline : P.softOfflineRefused;
}
