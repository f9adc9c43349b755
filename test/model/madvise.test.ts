// Software injection by madvise(MADV_HWPOISON) (trace notify `madvise`). Expectations from the
// kernel source, not from the model:
//  - mm/madvise.c madvise_inject_error(): get_user_pages_fast(start, 1, 0, &page) (fails for a
//    VM_PFNMAP/VM_IO mapping and for a pte that is a hwpoison entry), then in the calling task
//    memory_failure(pfn, MF_ACTION_REQUIRED | MF_COUNT_INCREASED | MF_SW_SIMULATED) since
//    66802526298e (v6.11); before, MF_COUNT_INCREASED | MF_SW_SIMULATED (v5.19), MF_COUNT_INCREASED.
//    The return value goes to the madvise() caller: no kill_me_now, no panic of its own.
//  - mm/memory-failure.c: hwpoison_user_mappings() -> collect_procs(folio, p, &tokill,
//    flags & MF_ACTION_REQUIRED); task_early_kill(): "if (force_early && tsk->mm == current->mm)
//    return current;" else find_early_kill_thread() (PF_MCE_EARLY / vm.memory_failure_early_kill);
//    kill_proc(): "if ((flags & MF_ACTION_REQUIRED) && (t == current)) force_sig_mceerr(BUS_MCEERR_AR …)
//    else send_sig_mceerr(BUS_MCEERR_AO …)"; forcekill = folio_test_dirty(folio) ||
//    (flags & MF_MUST_KILL) || !unmap_success, so a clean page signals nobody.
//  - an already poisoned page: "if (flags & MF_ACTION_REQUIRED) res = kill_accessing_process(current, …)".
//  - memory_failure_dev_pagemap() (fsdax/device-dax) forces MF_ACTION_REQUIRED | MF_MUST_KILL.
// Signal tokens are "pid/tid:signo:si_code:lsb": SIGBUS 7, BUS_MCEERR_AR 4, BUS_MCEERR_AO 5.
import { describe, expect, it } from 'vitest';
import { replay, sigs } from '../helpers.js';

/** pid 500 injects on its own dirty anonymous page at 0x7f0000003000. */
const INJ = { notify: 'madvise', severity: 'recoverable', sync: false, context: 'user', pid: 500, comm: 'inj', vaddr: '0x7f0000003000', pa: '0x1234000', page: 'anon' };
const AFTER = ['linux-6.11', 'linux-6.12', 'linux-6.19', 'linux-7.3'];
const BEFORE = ['linux-5.10', 'linux-6.1', 'linux-6.6', 'linux-6.10', 'pre', 'post'];

describe('madvise(MADV_HWPOISON): memory_failure() in the injecting task', () => {
  for (const arch of ['x86_64', 'arm64']) {
    for (const p of AFTER) {
      it(`${arch} ${p}: MF_ACTION_REQUIRED, so the injector is collected (force_early) and gets BUS_MCEERR_AR`, () => {
        const [r] = replay([{ ...INJ, arch }], p);
        expect(r!.path).toBe('sw.madvise.memory_failure');
        expect([r!.mf_type, r!.mf_result]).toEqual(['dirty LRU page', 'Recovered']);
        expect(sigs(r!)).toEqual(['500/500:7:4:12']);
        expect(r!.signals[0]!.addr).toBe(0x7f0000003000);
        expect(r!.panic).toBe(false);
      });
    }
    for (const p of BEFORE) {
      it(`${arch} ${p}: no MF_ACTION_REQUIRED: the injector follows the kill policy (late by default: no signal)`, () => {
        const [r] = replay([{ ...INJ, arch }], p);
        expect(r!.path).toBe('sw.madvise.memory_failure');
        expect([r!.mf_type, r!.mf_result]).toEqual(['dirty LRU page', 'Recovered']);
        expect(sigs(r!)).toEqual([]);
      });
    }
  }

  it('before v6.11 with early_kill=1 the injector gets BUS_MCEERR_AO (send_sig_mceerr), after it BUS_MCEERR_AR', () => {
    expect(sigs(replay([{ ...INJ, arch: 'x86_64', early_kill: 1 }], 'linux-6.6')[0]!)).toEqual(['500/500:7:5:12']);
    expect(sigs(replay([{ ...INJ, arch: 'x86_64', early_kill: 1 }], 'linux-6.12')[0]!)).toEqual(['500/500:7:4:12']);
  });

  it('other mappers are not forced early: an early mapper gets AO, a late one nothing (v6.11+)', () => {
    const early = replay([{ ...INJ, arch: 'x86_64', mappers: '600:early' }], 'linux-6.12')[0]!;
    expect(sigs(early).sort()).toEqual(['500/500:7:4:12', '600/600:7:5:12']);
    const late = replay([{ ...INJ, arch: 'x86_64', mappers: '600:late' }], 'linux-6.12')[0]!;
    expect(sigs(late)).toEqual(['500/500:7:4:12']);
  });

  it('a clean page-cache page is dropped and nobody is signalled (forcekill is false), also with MF_ACTION_REQUIRED', () => {
    const [r] = replay([{ ...INJ, arch: 'x86_64', page: 'file_clean' }], 'linux-6.12');
    expect([r!.mf_type, r!.mf_result]).toEqual(['clean LRU page', 'Recovered']);
    expect(sigs(r!)).toEqual([]);
  });

  it('an unsplittable THP (corpus log 34, v6.16): "unsplit thp: Failed" and kill_procs_now sends the injector AR', () => {
    const [r] = replay([{ ...INJ, arch: 'x86_64', page: 'anon_thp', page_shift: 21, pinned: true }], 'linux-6.16');
    expect([r!.mf_type, r!.mf_result]).toEqual(['unsplit thp', 'Failed']);
    expect(sigs(r!)).toEqual(['500/500:7:4:21']);
  });

  it('a dax page (corpus log 15): memory_failure_dev_pagemap forces MF_ACTION_REQUIRED, so AR also before v6.11', () => {
    const [r] = replay([{ ...INJ, arch: 'x86_64', page: 'dax' }], 'linux-5.10');
    expect([r!.mf_type, r!.mf_result]).toEqual(['dax page', 'Recovered']);
    expect(sigs(r!)).toEqual(['500/500:7:4:12']);
  });

  it('a page poisoned before the window and still mapped: "already poisoned", kill_accessing_process sends AR (v6.11+)', () => {
    const [r] = replay([{ ...INJ, arch: 'x86_64', poisoned_before: true }], 'linux-6.12');
    expect(r!.mf_result).toBe('Failed');
    expect(sigs(r!)).toEqual(['500/500:7:4:12']);
    // Without MF_ACTION_REQUIRED memory_failure only returns -EHWPOISON: no signal.
    expect(sigs(replay([{ ...INJ, arch: 'x86_64', poisoned_before: true }], 'linux-6.6')[0]!)).toEqual([]);
  });

  it('a second injection on the unmapped page fails in get_user_pages_fast: no memory_failure', () => {
    const [, r2] = replay([{ ...INJ, arch: 'x86_64', t_ns: 1 }, { ...INJ, arch: 'x86_64', t_ns: 2 }], 'linux-6.12');
    expect(r2!.path).toBe('sw.madvise.gup_failed');
    expect(r2!.mf_result).toBeNull();
    expect(sigs(r2!)).toEqual([]);
  });

  it('a second injection after a clean page-cache page was dropped is not modelled (gup faults in a new page at another pfn)', () => {
    // me_pagecache_clean truncates the clean page: the injector's next get_user_pages_fast() reads
    // the file into a new page, so the trace's pa no longer names the page memory_failure() gets.
    const clean = { ...INJ, arch: 'x86_64', page: 'file_clean' };
    expect(() => replay([{ ...clean, t_ns: 1 }, { ...clean, t_ns: 2 }], 'linux-6.12')).toThrow(/not modelled: madvise\(MADV_HWPOISON\) on a page whose poisoned copy was dropped/);
  });

  it('a VM_PFNMAP mapping: get_user_pages_fast fails, nothing is poisoned', () => {
    const [r] = replay([{ ...INJ, arch: 'x86_64', page: 'pfnmap' }], 'linux-6.12');
    expect(r!.path).toBe('sw.madvise.gup_failed');
    expect(r!.poisoned).toBe(false);
  });

  it('before v6.11 the injector learns of the poison at its next touch: the fault path sends AR', () => {
    const touch = { arch: 'x86_64', kind: 'access', pa: '0x1234000', page: 'anon', context: 'user', pid: 500, vaddr: '0x7f0000003000', t_ns: 2 };
    const [r1, r2] = replay([{ ...INJ, arch: 'x86_64', t_ns: 1 }, touch], 'linux-6.6');
    expect(sigs(r1!)).toEqual([]);
    expect(r2!.path).toBe('access.hwpoison_fault');
    expect(sigs(r2!)).toEqual(['500/500:7:4:12']);
  });

  it('the trace contract: sync false, context user, an injecting pid, severity recoverable, a pa', () => {
    const bad: [Record<string, string | number | boolean>, RegExp][] = [
      [{ sync: true }, /sync/],
      [{ context: 'none' }, /context/],
      [{ pid: 0 }, /pid/],
      [{ severity: 'corrected' }, /severity/],
      [{ mem: 'none' }, /mem/],
    ];
    for (const [over, re] of bad) expect(() => replay([{ ...INJ, arch: 'x86_64', ...over }], 'post'), JSON.stringify(over)).toThrow(re);
    // firmware_first is not read: arm64's default (true) is accepted.
    expect(replay([{ ...INJ, arch: 'arm64', firmware_first: true }], 'post')[0]!.path).toBe('sw.madvise.memory_failure');
  });
});
