// The table of kernel behaviour changes: one entry per switch, with the mainline release that first
// carries it and the stable point releases it was backported to. Every `linux-*` profile is derived
// from this table (kernelSwitches), never kept by hand. Evidence for each version is in
// docs/profiles.md; `evidence` here names it in one line.
import type { Switches } from './profiles.js';

/** A kernel version as [major, minor, patch]; patch 0 for an x.y.0 release. */
export type KernelVersion = readonly [number, number, number];

export interface KernelChange {
  switch: keyof Switches;
  /** One line: what changes, in the kernel's words. */
  title: string;
  /** Mainline commit id (12 hex digits), or null when not merged (a posted series). */
  commit: string | null;
  /** First mainline release carrying it ("6.8"), or null when not in mainline. */
  mainline: string | null;
  /** Stable line ("6.6") -> first point release of that line carrying the backport ("6.6.47"). */
  stable: Readonly<Record<string, string>>;
  /** Where the versions come from (source read at a tag, release mail, push record). */
  evidence: string;
}

export function parseVersion(s: string): KernelVersion | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3])];
}

export function compareVersions(a: KernelVersion, b: KernelVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function v(s: string): KernelVersion {
  const p = parseVersion(s);
  if (!p) throw new Error(`kernel-changes: bad version "${s}"`);
  return p;
}

/** Why a switch has its value in one kernel version. */
export interface SwitchSource {
  switch: keyof Switches;
  value: boolean;
  reason: string;
}

/**
 * Whether `change` is present in kernel `ver`: in mainline from its release on, or in a stable line
 * from the backport's point release on. A change with no mainline release is never present.
 */
export function changePresent(change: KernelChange, ver: KernelVersion): SwitchSource {
  const line = `${ver[0]}.${ver[1]}`;
  const sw = change.switch;
  if (change.mainline !== null && compareVersions(ver, v(change.mainline)) >= 0) {
    return { switch: sw, value: true, reason: `in mainline since v${change.mainline}${change.commit ? ` (${change.commit})` : ''}` };
  }
  const back = change.stable[line];
  if (back !== undefined) {
    const present = compareVersions(ver, v(back)) >= 0;
    return {
      switch: sw,
      value: present,
      reason: present ? `backported to ${line}.y in ${back}` : `backported to ${line}.y only from ${back}`,
    };
  }
  return {
    switch: sw,
    value: false,
    reason: change.mainline === null ? 'not in mainline' : `mainline from v${change.mainline}; no ${line}.y backport known`,
  };
}

/**
 * The table. Versions as read so far (docs/profiles.md, docs/source-check.md); stable backports
 * are added only with a verified point release.
 */
export const KERNEL_CHANGES: readonly KernelChange[] = Object.freeze([
  { switch: 'kill_accessing_mm_check', title: 'kill_accessing_process returns -EFAULT without an mm', commit: '77677cdbc2aa', mainline: '6.1', stable: {}, evidence: 'absent v6.0, present v6.1 (source read)' },
  { switch: 'ksm_memory_failure', title: 'KSM pages handled by memory_failure (collect_procs_ksm)', commit: null, mainline: '6.4', stable: {}, evidence: 'docs/source-check.md §2' },
  { switch: 'ghes_sync_ar', title: 'seed 000 patch 1: ACPI: APEI: set memory failure flags as MF_ACTION_REQUIRED on synchronous events', commit: 'a70297d22132', mainline: '6.8', stable: {}, evidence: 'present v6.8, absent v6.6.9 (source read)' },
  { switch: 'mce_panic_hwpoison', title: 'seed 002: x86/mce: set PG_hwpoison page flag to avoid the capture kernel panic', commit: '1d11b153d23b', mainline: '6.8', stable: {}, evidence: 'ras/core pull for v6.8 (docs/source-check.md §3)' },
  { switch: 'thp_split_fail_kill', title: 'unsplit THP: kill_procs_now and "unsplit thp: Failed"', commit: null, mainline: '6.11', stable: {}, evidence: 'absent v6.9, present v6.11.11' },
  { switch: 'unmap_fail_sigbus', title: 'mm/memory-failure: try to send SIGBUS even if unmap failed', commit: null, mainline: '6.11', stable: {}, evidence: 'series merge timing (docs/source-check.md §1, §5)' },
  { switch: 'mf_result_messages', title: 'mm/memory-failure: improve memory failure action_result messages', commit: null, mainline: '6.11', stable: {}, evidence: 'series merge timing (docs/source-check.md §1, §5)' },
  { switch: 'copy_mc_mf_queue', title: 'mm: move memory_failure_queue() into copy_mc_[user]_highpage()', commit: null, mainline: '6.11', stable: {}, evidence: 'linux-next with the v6.11 mTHP shmem series (inferred)' },
  { switch: 'kill_accessing_not_found_ok', title: 'mm/hwpoison: do not send SIGBUS to processes with recovered clean pages', commit: null, mainline: '6.15', stable: {}, evidence: 'absent v6.14' },
  { switch: 'already_poisoned_fix', title: 'mm/memory-failure: fix redundant updates for already poisoned pages', commit: '3be306cccdcc', mainline: '6.17', stable: {}, evidence: '"Linux 6.17-rc6" release mail (Kyle Meyer)' },
  { switch: 'ghes_task_work', title: 'seed 000 patch 2: memory_failure_cb task work; queue kick removed', commit: 'c1f1fda14137', mainline: '6.17', stable: {}, evidence: 'absent v6.14, present v6.17 tree (docs/source-check.md §6)' },
  { switch: 'ghes_sync_force_kill', title: 'seed 000: force kill on abnormal synchronous errors', commit: '79a5ae3c4c5e', mainline: '6.17', stable: {}, evidence: 'as ghes_task_work' },
  { switch: 'mf_pfn_no_struct_page', title: 'seed 003: memory_failure for PFNs without struct page (memory_failure_pfn)', commit: '2ec41967189c', mainline: '6.19', stable: {}, evidence: 'absent v6.18.2, present v6.19' },
  { switch: 'arm64_copy_mc', title: 'seed 004 patches 1-5: arm64 ARCH_HAS_COPY_MC', commit: null, mainline: null, stable: {}, evidence: 'posted series, not merged' },
  { switch: 'arm64_sea_objerr', title: 'seed 004 patch 6: BUS_OBJERR to current after a claimed SEA', commit: null, mainline: null, stable: {}, evidence: 'posted series, not merged' },
  { switch: 'pfnmap_walk_fix', title: 'mm/memory-failure: fix infinite UCE for VM_PFNMAP pfn', commit: '2e6053fea379', mainline: '6.17', stable: {}, evidence: 'torvalds push revlist with the v6.17-rc mm-hotfixes (Aug 2025); 6.1.y/6.6.y/6.12.y/6.16.y backports listed in Aug 2025 stable review mails, point releases not placed' },
  { switch: 'lbs_split_kill', title: 'mm/memory-failure: improve large block size folio handling', commit: '689b8986776c', mainline: '6.19', stable: {}, evidence: 'torvalds push of merge 7203ca412fc8 (mm-stable-2025-12-03) for v6.19-rc1' },
  { switch: 'enable_soft_offline_sysctl', title: 'mm/memory-failure: userspace controls soft-offlining pages', commit: null, mainline: '6.11', stable: {}, evidence: 'Jiaqi Yan series, mm merge for v6.11 (inferred from merge timing)' },
  { switch: 'mf_kernel_page_unrecoverable', title: 'mm/memory-failure: report MF_MSG_KERNEL for unrecoverable kernel pages; add panic option for unrecoverable pages', commit: '737a97548c4a', mainline: '7.3', stable: {}, evidence: 'v7.3 mm merge ed3b875bea55 (push record); patch v9 of 9 Jun 2026 read (8a276c0086cf, 3e0659f93bae in the same merge)' },
] satisfies KernelChange[]);

/** Switch values of kernel `ver`, each with the reason for its value. */
export function kernelSwitches(ver: KernelVersion): { switches: Switches; sources: SwitchSource[] } {
  const sources = KERNEL_CHANGES.map((c) => changePresent(c, ver));
  const switches = Object.fromEntries(sources.map((s) => [s.switch, s.value])) as unknown as Switches;
  return { switches, sources };
}
