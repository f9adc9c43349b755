// Individual rules of docs/kernel-model.md, each with its expectation from the cited section.
import { describe, expect, it } from 'vitest';
import { profile, replay, sigs } from '../helpers.js';

const X86_AR = { arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: true, pa: '0x1234000', page: 'anon', context: 'user', pid: 200, tid: 201, vaddr: '0x7f0000001234' };

describe('memory_failure and the kill policy (§1, §1a-§1c)', () => {
  it('AR to the consuming thread, AO to the early sharer, nothing to the late one', () => {
    const [r] = replay([{ ...X86_AR, mappers: '200:late;300:early;400:late;500:default' }], 'pre');
    expect(sigs(r!).sort()).toEqual(['200/201:7:4:12', '300/300:7:5:12']);
    expect(r!.mf_type).toBe('dirty LRU page');
    expect(r!.mf_ret).toBe(0);
  });

  it('the early_kill sysctl makes "default" mappers early', () => {
    const [r] = replay([{ ...X86_AR, mappers: '500:default', early_kill: 1 }], 'pre');
    expect(sigs(r!).sort()).toEqual(['200/201:7:4:12', '500/500:7:5:12']);
  });

  it('a clean page-cache page is dropped without a kill; the refault reads the file again', () => {
    const [r] = replay([{ ...X86_AR, page: 'file_clean', mappers: '300:early' }], 'pre');
    expect(r!.signals).toEqual([]);
    expect(r!.mf_type).toBe('clean LRU page');
    expect(r!.mf_result).toBe('Recovered');
  });

  it('!RIPV adds MF_MUST_KILL: even a clean page kills', () => {
    const [r] = replay([{ ...X86_AR, page: 'file_clean', ripv: false }], 'pre');
    expect(sigs(r!)).toEqual(['200/201:7:4:12']);
  });

  it('a clean anonymous page: no kill, but the PTE is a hwpoison entry, so the refault gets AR at the exact address', () => {
    const [r] = replay([{ ...X86_AR, page: 'anon_clean' }], 'pre');
    expect(sigs(r!)).toEqual(['200/201:7:4:12']);
    expect(r!.signals[0]!.addr).toBe(0x7f0000001234);
  });

  it('hugetlb reports the huge page size in addr_lsb', () => {
    expect(sigs(replay([{ ...X86_AR, page: 'hugetlb', page_shift: 30 }], 'pre')[0]!)).toEqual(['200/201:7:4:30']);
  });

  it('free, slab and unknown pages', () => {
    const ao = { arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: false, pa: '0x1234000' };
    expect(replay([{ ...ao, page: 'free' }], 'pre')[0]!.mf_type).toBe('free buddy page');
    // get_hwpoison_page() < 0: MF_MSG_UNKNOWN before v6.11, MF_MSG_GET_HWPOISON since (the
    // "improve memory failure action_result messages" diff changes exactly this line).
    const slab = replay([{ ...ao, page: 'slab' }], 'pre')[0]!;
    expect([slab.mf_type, slab.mf_result, slab.mf_ret, slab.poisoned]).toEqual(['unknown page', 'Ignored', -16, true]);
    expect(replay([{ ...ao, page: 'slab' }], 'linux-6.12')[0]!.mf_type).toBe('get hwpoison page');
    expect(replay([{ ...ao, page: 'unknown' }], 'pre')[0]!.mf_type).toBe('unknown page');
  });

  it('vm.memory_failure_recovery=0 panics before marking the page', () => {
    const [r] = replay([{ ...X86_AR, recovery: 0 }], 'post');
    expect(r!.panic_msg).toBe('Memory failure on page 1234');
    expect(r!.poisoned).toBe(false);
    expect(r!.signals).toEqual([]);
  });

  it('THP split failure: no kill before v6.11 (kill_me_now SI_KERNEL), kill_procs_now after', () => {
    const ev = [{ ...X86_AR, page: 'anon_thp', page_shift: 21, pinned: true }];
    const [pre] = replay(ev, 'pre');
    expect([pre!.mf_type, pre!.mf_result, pre!.mf_ret]).toEqual(['unsplit thp', 'Ignored', -16]);
    expect(sigs(pre!)).toEqual(['200/201:7:128:-']);
    const [v612] = replay(ev, 'linux-6.12');
    expect([v612!.mf_type, v612!.mf_result, v612!.mf_ret]).toEqual(['unsplit thp', 'Failed', -133]);
    expect(sigs(v612!)).toEqual(['200/201:7:4:21']);
  });

  it('unmap failure: SIGKILL and "Ignored" before v6.11; SIGBUS and "Failed" after', () => {
    const ev = [{ ...X86_AR, pinned: true, mappers: '300:early' }];
    const [pre] = replay(ev, 'pre');
    expect(sigs(pre!).sort()).toEqual(['200/201:9:128:-', '300/300:9:128:-']);
    expect(pre!.mf_result).toBe('Ignored');
    const [v612] = replay(ev, 'linux-6.12');
    expect(sigs(v612!).sort()).toEqual(['200/201:7:4:12', '300/300:7:5:12']);
    expect(v612!.mf_result).toBe('Failed');
  });

  it('SIGBUS coalescing: the consumer keeps the first siginfo', () => {
    // kill_me_maybe AR from kill_procs, then -EBUSY -> kill_me_now SI_KERNEL is discarded.
    const [r] = replay([{ ...X86_AR, pinned: true }], 'linux-6.12');
    expect(sigs(r!)).toEqual(['200/201:7:4:12']);
  });
});

describe('x86 machine check (§2)', () => {
  it('copyin: kill_me_never runs memory_failure(pfn, 0); an early consumer gets AO, a late one nothing', () => {
    const ev = { ...X86_AR, context: 'kernel_copyin' };
    expect(sigs(replay([{ ...ev, mappers: '200:early' }], 'pre')[0]!)).toEqual(['200/200:7:5:12']);
    expect(replay([ev], 'pre')[0]!.signals).toEqual([]);
  });

  it('copyout and kernel code are fatal', () => {
    for (const context of ['kernel_copyout', 'kernel_other']) {
      const [r] = replay([{ ...X86_AR, context }], 'post');
      expect(r!.panic_msg).toBe('Fatal machine check');
    }
    expect(replay([{ ...X86_AR, context: 'kernel_other' }], profile('pre', { host: { lmce: true } }))[0]!.panic_msg).toBe('Fatal local machine check');
  });

  it('consecutive machine checks before task work: same page is absorbed, a different page panics', () => {
    const a = { ...X86_AR, t_ns: 1000 };
    const same = { ...X86_AR, t_ns: 2000 };
    const other = { ...X86_AR, t_ns: 3000, pa: '0x5678000' };
    const [, r2, r3] = replay([a, same, other], 'pre');
    expect(r2!.path).toBe('x86.mce.ar.consecutive_same_page');
    expect(r2!.signals).toEqual([]);
    expect(r3!.panic_msg).toBe('Consecutive machine checks to different user pages');
  });

  it('more than ten machine checks before task work panic', () => {
    const evs = Array.from({ length: 11 }, (_, i) => ({ ...X86_AR, t_ns: 1000 + i }));
    const rows = replay(evs, 'pre');
    expect(rows[9]!.panic).toBe(false);
    expect(rows[10]!.panic_msg).toBe('Too many consecutive machine checks while accessing user data');
  });

  it('SRAR without an address is "Action required: unknown MCACOD": panic', () => {
    expect(replay([{ ...X86_AR, pa: '' }], 'pre')[0]!.panic).toBe(true);
  });

  it('an AO scrub error reaches early mappers only; a later access by a late mapper faults with AR', () => {
    const ao = { arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: false, pa: '0x1234000', page: 'anon', mappers: '300:early;400:late', t_ns: 1 };
    const touch = { arch: 'x86_64', kind: 'access', pa: '0x1234000', page: 'anon', context: 'user', pid: 400, vaddr: '0x7f0000001008', t_ns: 2 };
    const [r1, r2] = replay([ao, touch], 'pre');
    expect(sigs(r1!)).toEqual(['300/300:7:5:12']);
    expect(sigs(r2!)).toEqual(['400/400:7:4:12']);
    expect(r2!.signals[0]!.addr).toBe(0x7f0000001008);
  });
});

describe('arm64 and GHES (§3, §4)', () => {
  const sea = { arch: 'arm64', notify: 'sea', severity: 'recoverable', sync: true, pa: '0x4000000', page: 'anon', context: 'user', pid: 100, vaddr: '0xffff00001000' };

  it('kernel-first SEA: BUS_OBJERR to the user, die() in the kernel', () => {
    expect(sigs(replay([{ ...sea, firmware_first: false }], 'post')[0]!)).toEqual(['100/100:7:3:-']);
    const [k] = replay([{ ...sea, firmware_first: false, context: 'kernel_other', panic_on_oops: 0 }], 'post');
    expect(k!.panic).toBe(false);
    expect(sigs(k!)).toEqual(['100/100:11:128:-']);
  });

  it('fatal and unknown CPER severities panic in GHES', () => {
    for (const severity of ['fatal', 'unknown']) {
      const [r] = replay([{ ...sea, severity }], 'post');
      expect(r!.panic_msg).toBe('GHES: Fatal hardware error');
      expect(r!.vmcore).toBe('incomplete');
    }
  });

  it('fw_sea_limit turns the SEA loop into a firmware-escalated fatal error', () => {
    const [r] = replay([{ ...sea, pa: '' }], profile('pre', { host: { fw_sea_limit: 3 } }));
    expect(r!.reboot_loop).toBe(true);
    expect(r!.panic_msg).toBe('GHES: Fatal hardware error');
  });

  it('the intermediate state (patch 1 only): AR through the kick, but the loop cases remain', () => {
    expect(sigs(replay([{ ...sea, early_kill: 1 }], 'linux-6.12')[0]!)).toEqual(['100/100:7:4:12']);
    expect(replay([{ ...sea, pa: '' }], 'linux-6.12')[0]!.reboot_loop).toBe(true);
    // The kworker wins the kick race: force_early matches nobody; kill_accessing_process -EFAULT.
    const kw = profile('linux-6.12', { host: { ghes_kick_in_kworker: true } });
    expect(sigs(replay([{ ...sea, early_kill: 1 }], kw)[0]!)).toEqual(['100/100:7:5:12']);
    expect(replay([{ ...sea, poisoned_before: true }], kw)[0]!.mf_ret).toBe(-14);
  });

  it('without commit 77677cdbc2aa the kworker dereferences a NULL mm', () => {
    const kw = profile('linux-6.12', { switches: { kill_accessing_mm_check: false }, host: { ghes_kick_in_kworker: true } });
    expect(replay([{ ...sea, poisoned_before: true }], kw)[0]!.panic).toBe(true);
  });

  it('the GHES estatus cache drops an identical record within 10 s', () => {
    const a = { ...sea, pinned: true, t_ns: 1_000_000_000, mappers: '100:late;200:late' };
    const b = { ...sea, pinned: true, t_ns: 3_000_000_000, pid: 200, mappers: '100:late;200:late' };
    const [, r2] = replay([a, b], 'post');
    expect(r2!.path).toBe('ghes.estatus_cached');
    expect(r2!.reboot_loop).toBe(true);
  });

  it('the memory_failure kfifo holds 16 entries', () => {
    const evs = Array.from({ length: 17 }, (_, i) => ({ arch: 'arm64', notify: 'sdei', severity: 'recoverable', sync: false, pa: `0x${(0x4000000 + i * 0x1000).toString(16)}`, page: 'anon', t_ns: 1000 + i }));
    const rows = replay(evs, 'pre');
    expect(rows[15]!.mf_type).toBe('dirty LRU page');
    expect(rows[16]!.mf_type).toBe(null);
    expect(rows[16]!.poisoned).toBe(false);
  });

  it('SError: recoverable (UER) panics, restartable (UEO) continues; firmware-first SEI is refused', () => {
    const sei = { arch: 'arm64', notify: 'sei', firmware_first: false, sync: false, pa: '0x4000000' };
    expect(replay([{ ...sei, severity: 'recoverable' }], 'pre')[0]!.panic_msg).toBe('Asynchronous SError Interrupt');
    expect(replay([{ ...sei, severity: 'deferred' }], 'pre')[0]!.panic).toBe(false);
    expect(() => replay([{ ...sei, firmware_first: true, severity: 'recoverable' }], 'pre')).toThrow(/column firmware_first.*ghes_probe/);
  });

  it('CPER corrected-error threshold soft-offlines the page', () => {
    const ce = { arch: 'arm64', notify: 'gsiv', severity: 'corrected', sync: false, pa: '0x4000000', page: 'anon' };
    const p = profile('pre', { host: { fw_ce_threshold: 2 } });
    const [r1, r2] = replay([{ ...ce, t_ns: 1 }, { ...ce, t_ns: 2 }], p);
    expect(r1!.poisoned).toBe(false);
    expect(r2!.poisoned).toBe(true);
    expect(r2!.path).toBe('ghes.corrected.soft_offline');
    expect(r2!.mf_type).toBe(null);
  });

  it('a panic or reboot loop resets the host', () => {
    const [, r2] = replay([{ ...sea, pa: '' }, { ...sea, poisoned_before: false, t_ns: 20_000_000_000 }], 'pre');
    expect(r2!.mf_ret).toBe(0); // the page is not "already poisoned" after the reboot
  });
});

describe('profiles', () => {
  it('an unknown switch, a wrong type and an unknown base are errors', () => {
    expect(() => profile('post', { switches: { no_such_switch: true } })).toThrow(/unknown switch "no_such_switch"/);
    expect(() => profile('post', { switches: { ghes_sync_ar: 'yes' } })).toThrow(/expected true or false/);
    expect(() => profile('nope', {})).toThrow(/unknown profile "nope"/);
    expect(() => profile('post', { host: { early_kill: 2 } })).toThrow(/expected 0 or 1/);
  });
});
