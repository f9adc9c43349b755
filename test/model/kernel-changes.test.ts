// The table of kernel behaviour changes (src/model/kernel-changes.ts): every switch at the versions
// on both sides of each boundary (its mainline release and each stable backport's point release),
// first as a value, then as behaviour per arch. Behaviour expectations are the curated golden rows
// (written from the kernel source) or, for crafted rows, what the commit's own message says.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  KERNEL_CHANGES, MAINLINE_RELEASES, STABLE_LINES, compareVersions, kernelSwitches, parseUnameRelease, resolveKernelVersion, switchDifferences,
  type KernelVersion,
} from '../../src/model/kernel-changes.js';
import { BUILTIN_PROFILES, RELEASE_NAMES, STABLE_NAMES, builtinProfile, sameSwitchNames, type Switches } from '../../src/model/profiles.js';
import { readTraceCsv } from '../../src/io/csv-trace.js';
import { replayEvents, type OutcomeRow } from '../../src/engine/replay-events.js';
import { profile, replay, ROOT, sigs } from '../helpers.js';

const ver = (s: string): KernelVersion => resolveKernelVersion(s);
/** The point release before `s` ("6.6.16" -> "6.6.15"; "6.8" -> the last release before, "6.7"). */
function before(s: string): string {
  const [a, b, c] = ver(s);
  if (c > 0) return `${a}.${b}.${c - 1}`;
  const i = MAINLINE_RELEASES.findIndex((r) => r.version === `${a}.${b}`);
  return MAINLINE_RELEASES[i - 1]!.version;
}
/** Every boundary of a change: its mainline release and each stable point release. */
function boundaries(sw: keyof Switches): string[] {
  const c = KERNEL_CHANGES.find((k) => k.switch === sw)!;
  return [...(c.mainline ? [c.mainline] : []), ...Object.values(c.stable)];
}

describe('the table', () => {
  it('has exactly one entry per switch', () => {
    const keys = Object.keys(builtinProfile('pre').switches).sort();
    expect(KERNEL_CHANGES.map((c) => c.switch).sort()).toEqual(keys);
  });

  it('reproduces the switch sets of the v6.1, v6.6, v6.12 and v6.19 profiles as docs/profiles.md documented them before the table', () => {
    // The built-in table of docs/profiles.md (commit d3980e7): the switches on in each release. Switches
    // added to the table after that document (merge 65d5c1a: enable_soft_offline_sysctl v6.11,
    // pfnmap_walk_fix v6.17, lbs_split_kill v6.19, mf_kernel_page_unrecoverable v7.3; later
    // madvise_action_required v6.11) were not in it.
    const later = new Set<string>(['enable_soft_offline_sysctl', 'pfnmap_walk_fix', 'lbs_split_kill', 'mf_kernel_page_unrecoverable', 'madvise_action_required']);
    const on = (v: string) => KERNEL_CHANGES.filter((c) => !later.has(c.switch) && kernelSwitches(ver(v)).switches[c.switch]).map((c) => c.switch).sort();
    expect(on('6.1')).toEqual(['kill_accessing_mm_check']);
    expect(on('6.6')).toEqual(['kill_accessing_mm_check', 'ksm_memory_failure']);
    expect(on('6.12')).toEqual(['copy_mc_mf_queue', 'ghes_sync_ar', 'kill_accessing_mm_check', 'ksm_memory_failure', 'mce_panic_hwpoison', 'mf_result_messages', 'thp_split_fail_kill', 'unmap_fail_sigbus']);
    expect(on('6.19')).toEqual(['already_poisoned_fix', 'copy_mc_mf_queue', 'ghes_sync_ar', 'ghes_sync_force_kill', 'ghes_task_work', 'kill_accessing_mm_check', 'kill_accessing_not_found_ok', 'ksm_memory_failure', 'mce_panic_hwpoison', 'mf_pfn_no_struct_page', 'mf_result_messages', 'thp_split_fail_kill', 'unmap_fail_sigbus']);
  });

  it('every stable backport is a later point release of a line older than the mainline release', () => {
    for (const c of KERNEL_CHANGES) {
      for (const [line, pr] of Object.entries(c.stable)) {
        expect(pr.startsWith(`${line}.`), `${c.switch} ${pr}`).toBe(true);
        expect(c.mainline && compareVersions(ver(line), ver(c.mainline)) < 0, `${c.switch} ${line}`).toBe(true);
        const tracked = STABLE_LINES.find((l) => l.line === line);
        if (tracked) expect(compareVersions(ver(pr), ver(tracked.latest)) <= 0).toBe(true);
      }
    }
  });

  for (const c of KERNEL_CHANGES) {
    it(`${c.switch}: off before and on from each boundary (${boundaries(c.switch).join(', ') || 'never: not in mainline'})`, () => {
      for (const b of boundaries(c.switch)) {
        expect(kernelSwitches(ver(before(b))).switches[c.switch], `${before(b)}`).toBe(false);
        const at = kernelSwitches(ver(b));
        expect(at.switches[c.switch], b).toBe(true);
        const reason = at.sources.find((s) => s.switch === c.switch)!.reason;
        expect(reason).toBe(b.split('.').length === 3 ? `backported to ${b.split('.').slice(0, 2).join('.')}.y in ${b}` : `in mainline since v${b}${c.commit ? ` (${c.commit})` : ''}`);
      }
      if (!c.mainline) for (const r of MAINLINE_RELEASES) expect(kernelSwitches(ver(r.version)).switches[c.switch]).toBe(false);
    });
  }
});

describe('version names', () => {
  it('accepts what uname -r prints, with the suffix kept apart', () => {
    expect(parseUnameRelease('6.6.47')).toEqual({ version: [6, 6, 47], base: '6.6.47', suffix: '' });
    expect(parseUnameRelease('6.12.9-200.fc41.x86_64')).toEqual({ version: [6, 12, 9], base: '6.12.9', suffix: '-200.fc41.x86_64' });
    expect(parseUnameRelease('6.8.0-45-generic').version).toEqual([6, 8, 0]);
    expect(parseUnameRelease('5.14.0-427.el9.x86_64').version).toEqual([5, 14, 0]);
  });

  it('refuses versions before 5.10, after 7.3, after a tracked line\'s newest point release, and garbage, naming what it accepts', () => {
    for (const bad of ['4.19.0', '5.9', '7.4', '6.6.144', 'garbage', '6', '6.6.47.1']) {
      expect(() => parseUnameRelease(bad), bad).toThrow(/expected|newer than the newest/);
    }
    expect(() => builtinProfile('linux-6.7.y')).toThrow(/no point release of 6.7.y is known/);
  });

  it('linux-X.Y.y is the newest point release known for the line', () => {
    expect(builtinProfile('linux-6.6.y').switches).toEqual(kernelSwitches([6, 6, 143]).switches);
    expect(builtinProfile('linux-6.12.y').switches).toEqual(kernelSwitches([6, 12, 94]).switches);
    expect(RELEASE_NAMES[0]).toBe('linux-5.10');
    expect(RELEASE_NAMES[RELEASE_NAMES.length - 1]).toBe('linux-7.3');
    expect(STABLE_NAMES).toEqual(['linux-5.10.y', 'linux-5.15.y', 'linux-6.1.y', 'linux-6.6.y', 'linux-6.12.y', 'linux-6.18.y', 'linux-7.0.y']);
  });

  it('the suite profiles are pre, post and one per distinct release switch set, and every release name has the switches of one of them', () => {
    const names = BUILTIN_PROFILES.map((p) => p.name);
    expect(names.slice(0, 2)).toEqual(['pre', 'post']);
    const keys = BUILTIN_PROFILES.slice(2).map((p) => JSON.stringify(p.switches));
    expect(new Set(keys).size).toBe(keys.length);
    for (const n of [...RELEASE_NAMES, ...STABLE_NAMES]) {
      expect(sameSwitchNames(n).some((m) => names.slice(2).includes(m)), n).toBe(true);
    }
    expect(switchDifferences(builtinProfile('pre').switches, builtinProfile('linux-6.6').switches)).toEqual([]);
  });
});

// Behaviour at each boundary, per arch, on the curated suites' events (the expected rows are the
// golden rows of the profiles on either side, written from the kernel source) or crafted rows.
const SUITE = { x86: readTraceCsv(join(ROOT, 'traces', 'x86.csv')), arm64: readTraceCsv(join(ROOT, 'traces', 'arm64.csv')) };
function suiteEvent(suite: 'x86' | 'arm64', id: number, name: string): OutcomeRow {
  return replayEvents(SUITE[suite], [builtinProfile(name)]).find((o) => o.event_id === BigInt(id))!;
}
const row = (o: OutcomeRow) => `${o.panic}|${o.reboot_loop}|${o.vmcore}|${o.mf_type ?? '-'}|${o.mf_result ?? '-'}|${sigs(o).join(' ') || '-'}`;

interface Case {
  switch: keyof Switches;
  arch: 'x86' | 'arm64';
  event: number;
  off: string;
  on: string;
  why: string;
}

const CASES: Case[] = [
  // ghes_sync_ar: golden/arm64 linux-6.6 vs linux-6.8 row 2000 (seed 000 reproducer: AO before, AR after).
  { switch: 'ghes_sync_ar', arch: 'arm64', event: 2000, off: 'false|false|none|dirty LRU page|Recovered|3000/3000:7:5:12', on: 'false|false|none|dirty LRU page|Recovered|3000/3000:7:4:12', why: 'seed 000 patch 1: SEA passes MF_ACTION_REQUIRED' },
  // x86 GHES is never synchronous (is_hest_sync_notify is SEA only): golden/x86 row 1108 in every profile.
  { switch: 'ghes_sync_ar', arch: 'x86', event: 1108, off: 'false|false|none|dirty LRU page|Recovered|3200/3200:7:5:12', on: 'false|false|none|dirty LRU page|Recovered|3200/3200:7:5:12', why: 'x86 GHES NMI: flags 0 either side' },
  // mce_panic_hwpoison: golden/x86 linux-6.6 vs linux-6.8 row 1006 (seed 002: vmcore complete).
  { switch: 'mce_panic_hwpoison', arch: 'x86', event: 1006, off: 'true|false|incomplete|-|-|-', on: 'true|false|complete|-|-|-', why: 'seed 002: SetPageHWPoison before mce_panic' },
  // arm64 has no mce_panic: golden/arm64 row 2045 (kernel-mode SEA in khugepaged, pre-004 die) in every mainline profile.
  { switch: 'mce_panic_hwpoison', arch: 'arm64', event: 2045, off: 'true|false|incomplete|-|-|-', on: 'true|false|incomplete|-|-|-', why: 'x86 only' },
  // ksm_memory_failure: golden linux-6.1 vs linux-6.6 rows x86 1045, arm64 2015.
  { switch: 'ksm_memory_failure', arch: 'x86', event: 1045, off: 'false|false|none|unmapping failed page|Ignored|-', on: 'false|false|none|dirty LRU page|Recovered|2420/2420:7:5:12', why: 'collect_procs_ksm (v6.4)' },
  { switch: 'ksm_memory_failure', arch: 'arm64', event: 2015, off: 'false|true|none|unmapping failed page|Ignored|-', on: 'false|false|none|dirty LRU page|Recovered|3150/3150:7:4:12', why: 'collect_procs_ksm (v6.4)' },
  // The v6.11 series: golden linux-6.6/linux-6.8 vs linux-6.12 rows.
  { switch: 'thp_split_fail_kill', arch: 'x86', event: 1036, off: 'false|false|none|unsplit thp|Ignored|-', on: 'false|false|none|unsplit thp|Failed|2330/2330:7:5:21', why: 'kill_procs_now on a failed THP split' },
  { switch: 'thp_split_fail_kill', arch: 'arm64', event: 2071, off: 'false|false|none|unsplit thp|Ignored|-', on: 'false|false|none|unsplit thp|Failed|3710/3710:7:5:21', why: 'kill_procs_now on a failed THP split' },
  { switch: 'unmap_fail_sigbus', arch: 'x86', event: 1057, off: 'false|false|none|unmapping failed page|Ignored|2530/2530:9:128:-', on: 'false|false|none|unmapping failed page|Failed|2530/2530:7:5:12', why: 'SIGBUS instead of SIGKILL when unmap fails' },
  { switch: 'unmap_fail_sigbus', arch: 'arm64', event: 2093, off: 'false|false|none|unmapping failed page|Ignored|3931/3931:9:128:-', on: 'false|false|none|unmapping failed page|Failed|3931/3931:7:5:12', why: 'SIGBUS instead of SIGKILL when unmap fails' },
  { switch: 'mf_result_messages', arch: 'x86', event: 1051, off: 'false|false|none|unknown page|Ignored|-', on: 'false|false|none|get hwpoison page|Ignored|-', why: '"get hwpoison page" for a get_hwpoison_page() failure' },
  { switch: 'mf_result_messages', arch: 'arm64', event: 2057, off: 'false|false|none|unknown page|Ignored|-', on: 'false|false|none|get hwpoison page|Ignored|-', why: '"get hwpoison page" for a get_hwpoison_page() failure' },
  { switch: 'copy_mc_mf_queue', arch: 'x86', event: 1020, off: 'false|false|none|-|-|-', on: 'false|false|none|dirty LRU page|Recovered|2250/2250:7:5:12', why: 'khugepaged copy_mc failure queues memory_failure' },
  // already_poisoned_fix: golden/x86 linux-6.12 vs linux-6.18 row 1063 (hugetlb, flags 0: a result line only after the fix).
  { switch: 'already_poisoned_fix', arch: 'x86', event: 1063, off: 'false|false|none|-|-|-', on: 'false|false|none|already poisoned page|Failed|-', why: 'Kyle Meyer fix: result line for hugetlb without MF_AR' },
  { switch: 'already_poisoned_fix', arch: 'arm64', event: 2017, off: 'false|false|none|already poisoned|Failed|3170/3170:7:4:12', on: 'false|false|none|already poisoned page|Failed|3170/3170:7:4:12', why: 'the type string becomes "already poisoned page"' },
  // seed 000 patch 2 and the force kill (v6.17): golden/arm64 linux-6.12 vs linux-6.18 rows 2013 and 2018.
  { switch: 'ghes_sync_force_kill', arch: 'arm64', event: 2018, off: 'false|true|none|-|-|-', on: 'false|false|none|-|-|3180/3180:7:128:-', why: 'sync && !queued -> force_sig(SIGBUS)' },
  // memory_failure_cb instead of the kick: the seed 000 reproducer gets the same AR (golden/arm64 linux-6.12 and linux-6.18 row 2000).
  { switch: 'ghes_task_work', arch: 'arm64', event: 2000, off: 'false|false|none|dirty LRU page|Recovered|3000/3000:7:4:12', on: 'false|false|none|dirty LRU page|Recovered|3000/3000:7:4:12', why: 'task work, same AR' },
  // x86 GHES NMI is not synchronous: row 1108 is the same in every profile.
  { switch: 'ghes_sync_force_kill', arch: 'x86', event: 1108, off: 'false|false|none|dirty LRU page|Recovered|3200/3200:7:5:12', on: 'false|false|none|dirty LRU page|Recovered|3200/3200:7:5:12', why: 'x86 GHES: not sync' },
  // seed 003 (v6.19): golden/x86 linux-6.18 vs linux-6.19 row 1074, golden/arm64 row 2068.
  { switch: 'mf_pfn_no_struct_page', arch: 'x86', event: 1074, off: 'false|false|none|-|-|-', on: 'false|false|none|non struct page pfn|Recovered|2820/2820:7:5:12', why: 'memory_failure_pfn' },
  { switch: 'mf_pfn_no_struct_page', arch: 'arm64', event: 2068, off: 'false|false|none|-|-|-', on: 'false|false|none|non struct page pfn|Recovered|3680/3680:7:5:12', why: 'memory_failure_pfn' },
];

/** The switches whose boundaries a case checks: every boundary of the switch, profile on each side. */
describe('each switch changes its scenario at every boundary, per arch', () => {
  for (const k of CASES) {
    for (const b of boundaries(k.switch)) {
      const lo = `linux-${before(b)}`;
      const hi = `linux-${b}`;
      it(`${k.switch} ${k.arch} event ${k.event}: ${lo} → ${hi} (${k.why})`, () => {
        // Only the profiles on either side of this boundary: other switches of the same release
        // (the v6.11 series, seed 000's two v6.17 parts) change together, so the case's rows are
        // those of the golden files on either side.
        expect(row(suiteEvent(k.arch, k.event, lo))).toBe(k.off);
        expect(row(suiteEvent(k.arch, k.event, hi))).toBe(k.on);
      });
    }
  }
});

describe('crafted boundaries no curated event reaches', () => {
  // aaf99ac2ceb7 (v6.15; 6.6.88, 6.12.24, 6.14.3), its commit message: the CMCI (UCNA) wins the race
  // and memory_failure drops the clean page; the SRAR then finds it already poisoned,
  // kill_accessing_process finds no hwpoison PTE and returned -EFAULT, "causing kill_me_maybe() to
  // send a SIGBUS" (SI_KERNEL: force_sig); after the fix it returns 0 and no SIGBUS is sent.
  const race: Record<string, string | number | boolean>[] = [
    { event_id: 1, host: 'h', t_ns: 1_000_000_000, arch: 'x86_64', kind: 'error', notify: 'cmci', severity: 'deferred', sync: false, pa: '0x2024001c0', page: 'file_clean', context: 'none', mappers: '500:late' },
    { event_id: 2, host: 'h', t_ns: 1_000_100_000, arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'recoverable', sync: true, ripv: true, pa: '0x2024001c0', page: 'file_clean', context: 'user', pid: 500, tid: 500, vaddr: '0x7f3a024001c0', mappers: '500:late' },
  ];
  for (const b of boundaries('kill_accessing_not_found_ok')) {
    it(`kill_accessing_not_found_ok x86: linux-${before(b)} → linux-${b}: the clean-page race sends SI_KERNEL before, nothing after`, () => {
      const lo = replay(race, `linux-${before(b)}`)[1]!;
      const hi = replay(race, `linux-${b}`)[1]!;
      expect(sigs(lo)).toEqual(['500/500:7:128:-']);
      expect(sigs(hi)).toEqual([]);
    });
  }
  it('kill_accessing_not_found_ok arm64: v6.14 → v6.15 changes nothing, as the queue kick ignores memory_failure\'s return (golden/arm64 linux-6.12 covers linux-6.15)', () => {
    expect(row(suiteEvent('arm64', 2017, 'linux-6.14'))).toBe(row(suiteEvent('arm64', 2017, 'linux-6.15')));
  });

  // 77677cdbc2aa (v6.1): before it kill_accessing_process dereferenced current->mm, NULL in the
  // kworker that drains the memory_failure queue: an oops, a panic with panic_on_oops=1. It is
  // reachable only with MF_ACTION_REQUIRED from GHES (seed 000 patch 1, v6.8 or a backport) drained
  // in a kworker; the profiles on both sides get that backport from a profile file, as a
  // distribution kernel would carry it.
  it('kill_accessing_mm_check arm64: linux-6.0 → linux-6.1 with seed 000 patch 1 and the kick in a kworker: oops-panic before, -EFAULT after', () => {
    const ev = [{ event_id: 1, host: 'h', arch: 'arm64', kind: 'error', notify: 'sea', severity: 'recoverable', sync: true, pa: '0x4092d55b400', page: 'anon', poisoned_before: true, context: 'user', pid: 100, vaddr: '0xffffb0d75400' }];
    const over = { switches: { ghes_sync_ar: true }, host: { ghes_kick_in_kworker: true } };
    const lo = replay(ev, profile('linux-6.0', over))[0]!;
    const hi = replay(ev, profile('linux-6.1', over))[0]!;
    expect(lo.panic).toBe(true);
    expect(hi.panic).toBe(false);
  });
});
