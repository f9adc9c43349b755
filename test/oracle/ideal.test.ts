import { describe, expect, it } from 'vitest';
import { parseTraceCsv } from '../../src/io/csv-trace.js';
import { IDEAL_VERSION, IdealPolicy, idealGolden } from '../../src/oracle/ideal.js';
import { expectedLine, signalToken, type GoldenRow } from '../../src/oracle/golden.js';
import { csv } from '../helpers.js';

type Row = Record<string, string | number | boolean>;

/** Feed rows (one host unless they say otherwise) through one policy: expectation and rule per event. */
function run(rows: Row[]): { row: GoldenRow; rule: string; sigs: string[] }[] {
  const p = new IdealPolicy();
  return parseTraceCsv(csv(rows), 'test.csv').map((e) => {
    const row = p.expect(e);
    return { row, rule: p.lastRule, sigs: row.signals.map(signalToken) };
  });
}

function one(r: Row) {
  return run([r])[0]!;
}

/** The outcome part of a row: panic, reboot_loop, vmcore. */
function fate(row: GoldenRow): [boolean, boolean, string] {
  return [row.panic, row.rebootLoop, row.vmcore];
}

const SURVIVE: [boolean, boolean, string] = [false, false, 'none'];
const PANIC_DUMP: [boolean, boolean, string] = [true, false, 'complete'];

const X86 = { arch: 'x86_64' };
const MCE_SYNC = { ...X86, notify: 'mce', severity: 'recoverable', sync: true };
const SCRUB = { ...X86, notify: 'mce', severity: 'recoverable', sync: false, context: 'none' };
const SEA = { arch: 'arm64', notify: 'sea', severity: 'recoverable', sync: true };
const PA = '0x200000400';

describe('ideal policy: one test per rule of docs/ideal-policy.md', () => {
  it('corrected: nothing, whatever the mappers or sysctls', () => {
    const r = one({ ...X86, notify: 'cmci', severity: 'corrected', sync: false, pa: PA, page: 'anon', mappers: '10:early', recovery: 0 });
    expect(r.rule).toBe('corrected');
    expect(fate(r.row)).toEqual(SURVIVE);
    expect(r.sigs).toEqual([]);
    expect([r.row.line, r.row.mfType, r.row.mfResult]).toEqual([0, '*', '*']);
  });

  it('fatal / unknown: panic, vmcore complete with kdump (default loaded), none without', () => {
    const f = one({ ...MCE_SYNC, severity: 'fatal', pa: PA, page: 'anon', context: 'user', pid: 10 });
    expect(f.rule).toBe('fatal');
    expect(fate(f.row)).toEqual(PANIC_DUMP);
    expect(f.sigs).toEqual([]);
    const u = one({ arch: 'arm64', notify: 'sea', severity: 'unknown', sync: true, pa: PA, context: 'user', pid: 10, kdump: false });
    expect(u.rule).toBe('fatal');
    expect(fate(u.row)).toEqual([true, false, 'none']);
  });

  it('recovery-disabled: vm.memory_failure_recovery=0 is honoured for any uncorrected error', () => {
    const r = one({ ...SCRUB, pa: PA, page: 'anon', mappers: '10:early', recovery: 0 });
    expect(r.rule).toBe('recovery-disabled');
    expect(fate(r.row)).toEqual(PANIC_DUMP);
    expect(r.sigs).toEqual([]);
  });

  it('kernel-no-restart: x86 RIPV=0 in a kernel context panics, even with a fixup', () => {
    const r = one({ ...MCE_SYNC, ripv: false, pa: PA, page: 'anon', context: 'kernel_copyin', pid: 10 });
    expect(r.rule).toBe('kernel-no-restart');
    expect(fate(r.row)).toEqual(PANIC_DUMP);
    // RIPV=0 in user mode does not panic: only the task is affected.
    const u = one({ ...MCE_SYNC, ripv: false, pa: PA, page: 'anon', context: 'user', pid: 10, tid: 11 });
    expect(u.rule).toBe('user-consumed');
    expect(u.sigs).toEqual(['10/11:7:4:12']);
  });

  it('kernel-no-fixup: kernel_other panics whatever panic_on_oops says', () => {
    const r = one({ ...MCE_SYNC, pa: PA, page: 'slab', context: 'kernel_other', panic_on_oops: 0, mappers: '10:early' });
    expect(r.rule).toBe('kernel-no-fixup');
    expect(fate(r.row)).toEqual(PANIC_DUMP);
    expect(r.sigs).toEqual([]);
    const nodump = one({ ...SEA, pa: PA, page: 'pagetable', context: 'kernel_other', kdump: false });
    expect(fate(nodump.row)).toEqual([true, false, 'none']);
  });

  it('no-address-consumed: a consumer with no usable address gets SIGBUS SI_KERNEL, no AO', () => {
    const r = one({ ...SEA, page: 'anon', context: 'user', pid: 10, tid: 12, vaddr: '0xffff0000', mappers: '20:early' });
    expect(r.rule).toBe('no-address-consumed');
    expect(fate(r.row)).toEqual(SURVIVE);
    expect(r.sigs).toEqual(['10/12:7:128:-']);
    const none = one({ ...MCE_SYNC, pa: PA, mem: 'none', context: 'guest', pid: 30, tid: 31 });
    expect(none.rule).toBe('no-address-consumed');
    expect(none.sigs).toEqual(['30/31:7:128:-']);
  });

  it('no-address: async or kernel-copy errors without an address change nothing', () => {
    const r = one({ ...SCRUB, page: 'anon', mappers: '10:early' });
    expect(r.rule).toBe('no-address');
    expect(fate(r.row)).toEqual(SURVIVE);
    expect(r.sigs).toEqual([]);
    const c = one({ ...MCE_SYNC, mem: 'none', pa: PA, context: 'kernel_copyout', pid: 10 });
    expect(c.rule).toBe('no-address');
    expect(c.sigs).toEqual([]);
  });

  it('clean-copy: an intact copy on storage is re-read, nobody is signalled, a later touch sees good data', () => {
    const [a, b, c] = run([
      { ...MCE_SYNC, pa: PA, page: 'file_clean', context: 'user', pid: 10, mappers: '20:early' },
      { ...SCRUB, pa: '0x300000000', page: 'swapcache_clean', mappers: '20:early' },
      { ...X86, kind: 'access', pa: PA, pid: 20 },
    ]);
    expect([a!.rule, b!.rule, c!.rule]).toEqual(['clean-copy', 'clean-copy', 'access-clean']);
    for (const x of [a!, b!, c!]) {
      expect(fate(x.row)).toEqual(SURVIVE);
      expect(x.sigs).toEqual([]);
    }
    // Pinned: the copy cannot be swapped in, so the data is lost.
    const p = one({ ...MCE_SYNC, pa: PA, page: 'file_text', pinned: true, context: 'user', pid: 10 });
    expect(p.rule).toBe('user-consumed');
    expect(p.sigs).toEqual(['10/10:7:4:12']);
  });

  it('async: early-kill mappers get AO (lsb page_shift, no tid), late mappers nothing', () => {
    const r = one({ ...SCRUB, pa: PA, page: 'anon', mappers: '30:default;10:early;20:late;10:early' });
    expect(r.rule).toBe('async');
    expect(fate(r.row)).toEqual(SURVIVE);
    expect(r.sigs).toEqual(['10:7:5:12']);
    // default follows the host's early_kill.
    const ek = one({ ...SCRUB, notify: 'cmci', severity: 'deferred', pa: PA, page: 'shmem', mappers: '30:default;20:late', early_kill: 1 });
    expect(ek.sigs).toEqual(['30:7:5:12']);
  });

  it('async on free, kernel and device memory: poisoned, no panic; registered or not, device = RAM', () => {
    expect(one({ ...SCRUB, pa: PA, page: 'free' }).sigs).toEqual([]);
    const k = one({ ...SCRUB, pa: PA, page: 'slab' });
    expect([k.rule, ...fate(k.row)]).toEqual(['async', ...SURVIVE]);
    for (const mem of ['device', 'device_unregistered']) {
      const d = one({ ...SCRUB, pa: PA, mem, page: 'pfnmap', mappers: '10:early;20:late' });
      expect(d.sigs).toEqual(['10:7:5:12']);
    }
  });

  it('async on guest RAM: the VMM is a mapper with its own policy', () => {
    const listed = one({ ...SCRUB, pa: PA, page: 'anon', context: 'guest', pid: 40, mappers: '40:early' });
    expect(listed.sigs).toEqual(['40:7:5:12']);
    const dflt = one({ ...SCRUB, pa: PA, page: 'anon', context: 'guest', pid: 40, early_kill: 1 });
    expect(dflt.sigs).toEqual(['40:7:5:12']);
    const late = one({ ...SCRUB, pa: PA, page: 'anon', context: 'guest', pid: 40 });
    expect(late.sigs).toEqual([]);
  });

  it('user-consumed: consumer AR on its thread, other early mappers AO, consumer once', () => {
    const r = one({ ...SEA, pa: PA, page: 'anon', context: 'user', pid: 10, tid: 11, mappers: '10:early;5:early;20:late' });
    expect(r.rule).toBe('user-consumed');
    expect(fate(r.row)).toEqual(SURVIVE);
    expect(r.sigs).toEqual(['5:7:5:12', '10/11:7:4:12']);
  });

  it('user-consumed on hugetlb: lsb from page_shift (21 and 30)', () => {
    const h = one({ ...MCE_SYNC, pa: PA, page: 'hugetlb', page_shift: 21, context: 'user', pid: 10, mappers: '20:early' });
    expect(h.sigs).toEqual(['10/10:7:4:21', '20:7:5:21']);
    const g = one({ ...MCE_SYNC, pa: PA, page: 'hugetlb', page_shift: 30, context: 'user', pid: 10 });
    expect(g.sigs).toEqual(['10/10:7:4:30']);
  });

  it('user-consumed on registered and unregistered device memory: same as RAM', () => {
    for (const mem of ['device', 'device_unregistered']) {
      const d = one({ ...SEA, pa: PA, mem, page: 'pfnmap', context: 'user', pid: 10, mappers: '20:early;30:late' });
      expect(d.sigs).toEqual(['10/10:7:4:12', '20:7:5:12']);
    }
  });

  it('guest-consumed: the VMM vCPU thread gets AR, with or without guest RAS', () => {
    for (const guest_ras of [true, false]) {
      const r = one({ ...SEA, pa: PA, page: 'anon', context: 'guest', pid: 40, tid: 42, guest_ras, mappers: '40:early' });
      expect(r.rule).toBe('guest-consumed');
      expect(fate(r.row)).toEqual(SURVIVE);
      expect(r.sigs).toEqual(['40/42:7:4:12']);
    }
  });

  it('copyin-consumed: the task whose syscall read its own poisoned memory gets AR', () => {
    const r = one({ ...SEA, pa: PA, page: 'anon', context: 'kernel_copyin', pid: 10, tid: 13, mappers: '20:early' });
    expect(r.rule).toBe('copyin-consumed');
    expect(fate(r.row)).toEqual(SURVIVE);
    expect(r.sigs).toEqual(['10/13:7:4:12', '20:7:5:12']);
  });

  it('cow-consumed: the faulting task gets AR, the sharing early parent AO', () => {
    const r = one({ ...MCE_SYNC, pa: PA, page: 'anon', context: 'kernel_cow', pid: 10, mappers: '9:early;10:default' });
    expect(r.rule).toBe('cow-consumed');
    expect(r.sigs).toEqual(['9:7:5:12', '10/10:7:4:12']);
  });

  it('copyout-consumed: read() fails with an error, no SIGBUS to the reader; early mappers AO', () => {
    const r = one({ ...SEA, pa: PA, page: 'file_dirty', context: 'kernel_copyout', pid: 10, mappers: '20:early;30:late' });
    expect(r.rule).toBe('copyout-consumed');
    expect(fate(r.row)).toEqual(SURVIVE);
    expect(r.sigs).toEqual(['20:7:5:12']);
    // A reader that also maps the page early is told as a mapper.
    const m = one({ ...SEA, pa: PA, page: 'file_dirty', context: 'kernel_copyout', pid: 10, mappers: '10:early' });
    expect(m.sigs).toEqual(['10:7:5:12']);
  });

  it('coredump-consumed: the dumping task is not signalled, other early mappers AO', () => {
    const r = one({ ...MCE_SYNC, pa: PA, page: 'anon', context: 'kernel_copy_mc', pid: 10, mappers: '10:early;20:early' });
    expect(r.rule).toBe('coredump-consumed');
    expect(fate(r.row)).toEqual(SURVIVE);
    expect(r.sigs).toEqual(['20:7:5:12']);
  });

  it('kthread-consumed: no signal to the kthread, early mappers AO, no panic', () => {
    const r = one({ ...SEA, pa: PA, page: 'anon_thp', context: 'kthread_copy_mc', pid: 77, mappers: '20:early;30:late' });
    expect(r.rule).toBe('kthread-consumed');
    expect(fate(r.row)).toEqual(SURVIVE);
    expect(r.sigs).toEqual(['20:7:5:12']);
  });

  it('already-poisoned: a repeat tells nobody again; a consumer still gets AR', () => {
    const [a, b, c, d] = run([
      { ...SCRUB, pa: PA, page: 'anon', mappers: '20:early' },
      { ...SCRUB, pa: PA, page: 'anon', mappers: '20:early' },
      { ...MCE_SYNC, pa: PA, page: 'anon', context: 'user', pid: 30, tid: 31, mappers: '20:early' },
      { ...MCE_SYNC, pa: '0x400000000', poisoned_before: true, page: 'anon', context: 'kernel_copyout', pid: 30, mappers: '20:early' },
    ]);
    expect(a!.sigs).toEqual(['20:7:5:12']);
    expect([b!.rule, ...b!.sigs]).toEqual(['already-poisoned']);
    expect([c!.rule, ...c!.sigs]).toEqual(['already-poisoned', '30/31:7:4:12']);
    expect([d!.rule, ...d!.sigs]).toEqual(['already-poisoned']);
    for (const x of [a!, b!, c!, d!]) expect(fate(x.row)).toEqual(SURVIVE);
  });

  it('access-poisoned: a later touch of lost data gets AR (lsb of the poisoned unit size), no AO', () => {
    const [, b, c, d] = run([
      { ...SCRUB, pa: '0x40000000', page: 'hugetlb', page_shift: 21, mappers: '20:late' },
      { ...X86, kind: 'access', pa: '0x40012000', page_shift: 21, pid: 20, tid: 21, mappers: '50:early' },
      { ...X86, kind: 'access', pa: '0x40012000', page_shift: 21, context: 'guest', pid: 40, tid: 41 },
      { ...X86, kind: 'access', pa: '0x40012000', page_shift: 21, context: 'kernel_copyout', pid: 20 },
    ]);
    expect([b!.rule, ...b!.sigs]).toEqual(['access-poisoned', '20/21:7:4:21']);
    expect([c!.rule, ...c!.sigs]).toEqual(['access-poisoned', '40/41:7:4:21']);
    expect([d!.rule, ...d!.sigs]).toEqual(['access-poisoned']);
    const before = one({ ...X86, kind: 'access', pa: '0x7000', poisoned_before: true, page: 'anon', context: 'kernel_copyin', pid: 20 });
    expect([before.rule, ...before.sigs]).toEqual(['access-poisoned', '20/20:7:4:12']);
  });

  it('access-healthy: a touch of a page not known poisoned does nothing', () => {
    const [, b] = run([
      { ...SCRUB, pa: '0x1000', page: 'anon' },
      { ...X86, kind: 'access', pa: '0x2000', pid: 20 },
    ]);
    expect(b!.rule).toBe('access-healthy');
    expect(fate(b!.row)).toEqual(SURVIVE);
    expect(b!.sigs).toEqual([]);
  });

  it('never a reboot loop, and recovery=0 does not turn an access into a panic', () => {
    const rows = run([
      { ...SEA, pa: PA, page: 'ksm', context: 'user', pid: 10 },
      { ...X86, kind: 'access', pa: PA, pid: 10, recovery: 0 },
    ]);
    expect(rows.map((r) => r.row.rebootLoop)).toEqual([false, false]);
    expect(rows[1]!.row.panic).toBe(false);
    expect(rows[1]!.sigs).toEqual(['10/10:7:4:12']);
  });
});

describe('ideal policy: state and order', () => {
  it('state is per host: poison on one host is not seen on another', () => {
    const rows = run([
      { host: 'a', ...SCRUB, pa: PA, page: 'anon' },
      { host: 'b', ...X86, kind: 'access', pa: PA, pid: 10 },
      { host: 'a', ...X86, kind: 'access', pa: PA, pid: 10 },
    ]);
    expect(rows.map((r) => r.rule)).toEqual(['async', 'access-healthy', 'access-poisoned']);
  });

  it('a panic reboots the host: its poison state is forgotten', () => {
    const rows = run([
      { ...SCRUB, pa: PA, page: 'anon' },
      { ...MCE_SYNC, pa: '0x9000', page: 'slab', context: 'kernel_other' },
      { ...X86, kind: 'access', pa: PA, pid: 10 },
    ]);
    expect(rows.map((r) => r.rule)).toEqual(['async', 'kernel-no-fixup', 'access-healthy']);
  });

  it('idealGolden: deterministic, replays per host in (t_ns, event_id) order, rows sorted by event_id', () => {
    const rows: Row[] = [
      { event_id: 7, host: 'b', t_ns: 5, ...SCRUB, pa: PA, page: 'anon', mappers: '1:early' },
      { event_id: 3, host: 'a', t_ns: 9, ...X86, kind: 'access', pa: PA, pid: 2, tid: 4 },
      { event_id: 5, host: 'a', t_ns: 2, ...SCRUB, pa: PA, page: 'anon' },
      { event_id: 1, host: 'b', t_ns: 9, ...X86, kind: 'access', pa: PA, pid: 3 },
    ];
    const events = parseTraceCsv(csv(rows), 'order.csv', { sort: true });
    const lines = idealGolden(events).map(expectedLine);
    expect(lines).toEqual([
      '1\tfalse\tfalse\tnone\t*\t*\t3/3:7:4:12',
      '3\tfalse\tfalse\tnone\t*\t*\t2/4:7:4:12',
      '5\tfalse\tfalse\tnone\t*\t*\t-',
      '7\tfalse\tfalse\tnone\t*\t*\t1:7:5:12',
    ]);
    // Input order does not matter; the same trace gives the same rows.
    expect(idealGolden([...events].reverse()).map(expectedLine)).toEqual(lines);
    expect(idealGolden(events).map(expectedLine)).toEqual(lines);
    expect(IDEAL_VERSION).toMatch(/^ideal v[0-9]+$/);
  });
});
