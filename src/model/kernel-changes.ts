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
 * The table. Versions as read (docs/profiles.md gives each one's evidence: commit, release mail
 * subject and date). A stable backport is listed only with a verified first point release; a
 * backport reported but not placed is left out and named in docs/profiles.md.
 */
export const KERNEL_CHANGES: readonly KernelChange[] = Object.freeze<KernelChange[]>([
  { switch: 'kill_accessing_mm_check', title: 'kill_accessing_process returns -EFAULT without an mm', commit: '77677cdbc2aa', mainline: '6.1', stable: {}, evidence: 'absent v6.0, present v6.1 (source read)' },
  { switch: 'ksm_memory_failure', title: 'KSM pages handled by memory_failure (collect_procs_ksm)', commit: null, mainline: '6.4', stable: {}, evidence: 'docs/source-check.md §2' },
  {
    switch: 'ghes_sync_ar', title: 'seed 000 patch 1: ACPI: APEI: set memory failure flags as MF_ACTION_REQUIRED on synchronous events', commit: 'a70297d22132', mainline: '6.8',
    stable: { '5.10': '5.10.210', '5.15': '5.15.149', '6.1': '6.1.77' },
    evidence: 'present v6.8, absent v6.6.9 (source read); "Linux 5.10.210" (23 Feb 2024), "Linux 5.15.149" (23 Feb 2024), "Linux 6.1.77" (5 Feb 2024) shortlogs; 6.6.y not placed',
  },
  {
    switch: 'mce_panic_hwpoison', title: 'seed 002: x86/mce: Mark fatal MCE\'s page as poison to avoid panic in the kdump kernel', commit: '1d11b153d23b', mainline: '6.8',
    stable: { '5.10': '5.10.210', '5.15': '5.15.149', '6.1': '6.1.77', '6.6': '6.6.16' },
    evidence: 'ras/core pull for v6.8; "Linux 5.10.210", "Linux 5.15.149", "Linux 6.1.77" shortlogs; "[PATCH 6.6 012/322]" in the 6.6.16-rc1 review (2 Feb 2024)',
  },
  { switch: 'thp_split_fail_kill', title: 'unsplit THP: kill_procs_now and "unsplit thp: Failed"', commit: null, mainline: '6.11', stable: {}, evidence: 'absent v6.9, present v6.11.11' },
  { switch: 'unmap_fail_sigbus', title: 'mm/memory-failure: try to send SIGBUS even if unmap failed', commit: null, mainline: '6.11', stable: {}, evidence: 'series merge timing (docs/source-check.md §1, §5; inferred)' },
  { switch: 'mf_result_messages', title: 'mm/memory-failure: improve memory failure action_result messages', commit: null, mainline: '6.11', stable: {}, evidence: 'series merge timing (docs/source-check.md §1, §5; inferred)' },
  { switch: 'copy_mc_mf_queue', title: 'mm: move memory_failure_queue() into copy_mc_[user]_highpage()', commit: null, mainline: '6.11', stable: {}, evidence: 'linux-next with the v6.11 mTHP shmem series (inferred)' },
  {
    switch: 'kill_accessing_not_found_ok', title: 'mm/hwpoison: do not send SIGBUS to processes with recovered clean pages', commit: 'aaf99ac2ceb7', mainline: '6.15',
    stable: { '6.6': '6.6.88', '6.12': '6.12.24', '6.14': '6.14.3' },
    evidence: 'absent v6.14; "[PATCH 6.6 195/393]" (6.6.88-rc1, 23 Apr 2025), "[PATCH 6.12 310/393]" (6.12.24-rc1, 17 Apr 2025), "[PATCH 6.14 364/449]" (6.14.3-rc1, 17 Apr 2025)',
  },
  {
    switch: 'already_poisoned_fix', title: 'mm/memory-failure: fix redundant updates for already poisoned pages', commit: '3be306cccdcc', mainline: '6.17',
    stable: { '6.12': '6.12.48', '6.16': '6.16.8' },
    evidence: '"Linux 6.17-rc6" release mail (Kyle Meyer); "[PATCH 6.12 064/140]" (6.12.48-rc1, 17 Sep 2025), "[PATCH 6.16 080/189]" (6.16.8-rc1, 17 Sep 2025)',
  },
  { switch: 'ghes_task_work', title: 'seed 000 patch 2: memory_failure_cb task work; queue kick removed', commit: 'c1f1fda14137', mainline: '6.17', stable: {}, evidence: 'absent v6.14, present v6.17 tree (docs/source-check.md §6); no backport found' },
  { switch: 'ghes_sync_force_kill', title: 'seed 000: force kill on abnormal synchronous errors', commit: '79a5ae3c4c5e', mainline: '6.17', stable: {}, evidence: 'as ghes_task_work' },
  { switch: 'mf_pfn_no_struct_page', title: 'seed 003: memory_failure for PFNs without struct page (memory_failure_pfn)', commit: '2ec41967189c', mainline: '6.19', stable: {}, evidence: 'absent v6.18.2, present v6.19' },
  { switch: 'arm64_copy_mc', title: 'seed 004 patches 1-5: arm64 ARCH_HAS_COPY_MC', commit: null, mainline: null, stable: {}, evidence: 'posted series, not merged (v15 of 18 Jun 2026 still "new")' },
  { switch: 'arm64_sea_objerr', title: 'seed 004 patch 6: BUS_OBJERR to current after a claimed SEA', commit: null, mainline: null, stable: {}, evidence: 'posted series, not merged' },
  { switch: 'pfnmap_walk_fix', title: 'mm/memory-failure: fix infinite UCE for VM_PFNMAP pfn', commit: '2e6053fea379', mainline: '6.17', stable: {}, evidence: 'torvalds push revlist with the v6.17-rc mm-hotfixes (Aug 2025); 6.1.y/6.6.y/6.12.y/6.16.y backports listed in Aug 2025 stable review mails, point releases not placed' },
  { switch: 'lbs_split_kill', title: 'mm/memory-failure: improve large block size folio handling', commit: '689b8986776c', mainline: '6.19', stable: {}, evidence: 'torvalds push of merge 7203ca412fc8 (mm-stable-2025-12-03) for v6.19-rc1' },
  { switch: 'enable_soft_offline_sysctl', title: 'mm/memory-failure: userspace controls soft-offlining pages', commit: '56374430c5df', mainline: '6.11', stable: {}, evidence: 'series "Userspace controls soft-offline pages" (Jiaqi Yan) in "[GIT PULL] MM updates for 6.11-rc1" (mm-stable-2024-07-21-14-50); commit id as cited in Kyle Meyer\'s "Support disabling soft offline for HugeTLB pages" (Sep 2025); a feature, no Cc stable' },
  { switch: 'madvise_action_required', title: 'mm/madvise: add MF_ACTION_REQUIRED to madvise(MADV_HWPOISON)', commit: '66802526298e', mainline: '6.11', stable: {}, evidence: 'akpm mm-stable push of 2024-07-13; merge fbc90c042cd1 of mm-stable-2024-07-21-14-50 (v6.11 merge window); no Fixes or Cc stable tag, no backport found' },
  { switch: 'mf_kernel_page_unrecoverable', title: 'mm/memory-failure: report MF_MSG_KERNEL for unrecoverable kernel pages; add panic option for unrecoverable pages', commit: '737a97548c4a', mainline: '7.3', stable: {}, evidence: 'v7.3 mm merge ed3b875bea55 (push record); patch v9 of 9 Jun 2026 read (8a276c0086cf, 3e0659f93bae in the same merge)' },
]);

/** A mainline release the table knows, from the oldest to the newest. */
export interface MainlineRelease {
  version: string;
  /** True for the long-term stable lines. */
  lts: boolean;
}

function range(major: number, from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `${major}.${from + i}`);
}

const LTS = new Set(['5.10', '5.15', '6.1', '6.6', '6.12', '6.18']);

/**
 * Every mainline release from v5.10 to v7.3 (docs/profiles.md "Releases"). v7.3 is the newest: a
 * version after it is refused, as the table cannot know its changes.
 */
export const MAINLINE_RELEASES: readonly MainlineRelease[] = Object.freeze(
  [...range(5, 10, 19), ...range(6, 0, 19), ...range(7, 0, 3)].map((version) => Object.freeze({ version, lts: LTS.has(version) })),
);

/** A stable line whose newest point release the table knows: `linux-X.Y.y` resolves to it. */
export interface StableLine {
  line: string;
  lts: boolean;
  /** The newest point release known to the table. */
  latest: string;
  evidence: string;
}

/**
 * The newest point release of each tracked stable line: all seven were in review together on
 * 16 Jun 2026 ("[PATCH X.Y 000/N] X.Y.Z-rc1 review" mails of that day). A point release of a tracked
 * line after `latest` is refused (its backports are unknown); other lines take any point release
 * with no backport known.
 */
export const STABLE_LINES: readonly StableLine[] = Object.freeze([
  { line: '5.10', lts: true, latest: '5.10.259', evidence: '[PATCH 5.10 000/342] 5.10.259-rc1 review, 16 Jun 2026' },
  { line: '5.15', lts: true, latest: '5.15.210', evidence: '[PATCH 5.15 000/411] 5.15.210-rc1 review, 16 Jun 2026' },
  { line: '6.1', lts: true, latest: '6.1.176', evidence: '[PATCH 6.1 000/522] 6.1.176-rc1 review, 16 Jun 2026' },
  { line: '6.6', lts: true, latest: '6.6.143', evidence: '[PATCH 6.6 000/452] 6.6.143-rc1 review, 16 Jun 2026' },
  { line: '6.12', lts: true, latest: '6.12.94', evidence: '[PATCH 6.12 000/261] 6.12.94-rc1 review, 16 Jun 2026' },
  { line: '6.18', lts: true, latest: '6.18.36', evidence: '[PATCH 6.18 000/325] 6.18.36-rc1 review, 16 Jun 2026' },
  { line: '7.0', lts: false, latest: '7.0.13', evidence: '[PATCH 7.0 000/378] 7.0.13-rc1 review, 16 Jun 2026' },
].map((l) => Object.freeze(l)));

export class KernelVersionError extends Error {}

const RELEASE_SET = new Set(MAINLINE_RELEASES.map((r) => r.version));

/** What a kernel version may be, for error messages. */
export function acceptedVersions(): string {
  const first = MAINLINE_RELEASES[0]!.version;
  const last = MAINLINE_RELEASES[MAINLINE_RELEASES.length - 1]!.version;
  return `a release from ${first} to ${last} (X.Y or X.Y.Z; the point release of a tracked stable line at most its newest known: ${STABLE_LINES.map((l) => l.latest).join(', ')})`;
}

/**
 * A kernel version by name, checked against the table: `X.Y` (the X.Y.0 release), `X.Y.Z`, or
 * `X.Y.y` (the newest point release of a tracked line). Throws KernelVersionError naming what is
 * accepted.
 */
export function resolveKernelVersion(s: string): KernelVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+|y))?$/.exec(s);
  if (!m) throw new KernelVersionError(`kernel version ${JSON.stringify(s)}: expected ${acceptedVersions()}`);
  const line = `${Number(m[1])}.${Number(m[2])}`;
  if (!RELEASE_SET.has(line)) {
    throw new KernelVersionError(`kernel version ${JSON.stringify(s)}: ${line} is not a release the table knows: expected ${acceptedVersions()}`);
  }
  const tracked = STABLE_LINES.find((l) => l.line === line);
  if (m[3] === 'y') {
    if (!tracked) {
      throw new KernelVersionError(`kernel version ${JSON.stringify(s)}: no point release of ${line}.y is known to the table: lines with a known newest point release are ${STABLE_LINES.map((l) => `${l.line}.y`).join(', ')}`);
    }
    return v(tracked.latest);
  }
  const ver: KernelVersion = [Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3])];
  if (tracked && compareVersions(ver, v(tracked.latest)) > 0) {
    throw new KernelVersionError(`kernel version ${JSON.stringify(s)}: newer than the newest ${line}.y point release the table knows (${tracked.latest}: ${tracked.evidence}); its backports are unknown: use ${line}.y or a profile file`);
  }
  return ver;
}

/** What `uname -r` printed, taken apart: the version and whether a build suffix followed it. */
export interface UnameRelease {
  version: KernelVersion;
  /** "X.Y.Z" as read (X.Y.0 when uname printed X.Y). */
  base: string;
  /** Anything after the version ("-200.fc41.x86_64", "-45-generic"), or '' for a plain release. */
  suffix: string;
}

/**
 * `uname -r` as printed on mainline, stable and distribution builds: "6.6.47", "6.8.0-45-generic",
 * "6.12.9-200.fc41.x86_64", "5.14.0-427.el9.x86_64". The version before the first '-' or '+' is
 * checked against the table (resolveKernelVersion).
 */
export function parseUnameRelease(s: string): UnameRelease {
  const m = /^(\d+\.\d+(?:\.\d+)?)([-+_.~][A-Za-z0-9._+~-]*)?$/.exec(s.trim());
  if (!m || (m[2] !== undefined && m[2].startsWith('.') && /^\.\d/.test(m[2]))) {
    throw new KernelVersionError(`--kernel ${JSON.stringify(s)}: expected what uname -r prints, X.Y.Z with an optional build suffix (6.6.47, 6.12.9-200.fc41.x86_64), where X.Y.Z is ${acceptedVersions()}`);
  }
  const version = resolveKernelVersion(m[1]!);
  return { version, base: version.join('.'), suffix: m[2] ?? '' };
}

/** The profile name of a kernel version: "linux-6.6.47"; an X.Y.0 release is "linux-6.6". */
export function versionName(ver: KernelVersion): string {
  return ver[2] === 0 ? `linux-${ver[0]}.${ver[1]}` : `linux-${ver.join('.')}`;
}

/** One switch that differs between two switch sets, with the table's entry for it. */
export interface SwitchDifference {
  switch: keyof Switches;
  a: boolean;
  b: boolean;
  change: KernelChange;
}

/** The switches whose values differ between `a` and `b`, in table order. */
export function switchDifferences(a: Switches, b: Switches): SwitchDifference[] {
  return KERNEL_CHANGES.filter((c) => a[c.switch] !== b[c.switch]).map((c) => ({ switch: c.switch, a: a[c.switch], b: b[c.switch], change: c }));
}

/** The table entry of one switch, as one line: "commit a70297d22132, mainline v6.8, stable 5.10.210, 6.1.77". */
export function changeSummary(c: KernelChange): string {
  const stable = Object.values(c.stable);
  return [
    c.commit ? `commit ${c.commit}` : 'commit not placed',
    c.mainline ? `mainline v${c.mainline}` : 'not in mainline',
    stable.length ? `stable ${stable.join(', ')}` : 'no stable backport known',
  ].join(', ');
}

/** Switch values of kernel `ver`, each with the reason for its value. */
export function kernelSwitches(ver: KernelVersion): { switches: Switches; sources: SwitchSource[] } {
  const sources = KERNEL_CHANGES.map((c) => changePresent(c, ver));
  const switches = Object.fromEntries(sources.map((s) => [s.switch, s.value])) as unknown as Switches;
  return { switches, sources };
}
