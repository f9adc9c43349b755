// Replay state in dense typed arrays (model/state.ts FleetState, HostState a view): keys, hosts,
// resets and bounded growth, each expectation reasoned by hand from the kernel rule it models or
// from the table's documented sizing rule (a rehash into the smallest power of two ≥ 16 slots that
// the live entries fill to at most 3/8 and at most half, triggered when more than half the slots
// are not empty).
import { describe, expect, it } from 'vitest';
import { CEC_MAX_ELEMS, FleetState, HostState, MF_FIFO_SIZE, PageState } from '../../src/model/state.js';
import { replay } from '../helpers.js';

const { HEALTHY, POISONED_UNMAPPED: UNMAPPED, POISONED_DROPPED: DROPPED, POISONED_MAPPED: MAPPED } = PageState;
const EHWPOISON = -133;

/** A deferred (UCNA-like) CMCI on an anon page: memory_failure(pfn, 0), no MF_ACTION_REQUIRED. */
const AO = { arch: 'x86_64', notify: 'cmci', severity: 'deferred', sync: false, page: 'anon' };

describe('replay state through the model', () => {
  it('the same pfn twice on one host: the second finds PG_hwpoison set; another host is independent', () => {
    // mm/memory-failure.c memory_failure(): if (TestSetPageHWPoison(p)) { res = -EHWPOISON; ... }
    // (no MF_ACTION_REQUIRED, so no kill_accessing_process). The flag is per struct page of one
    // machine, so host b's first error on the same pfn is a first error.
    const [a1, a2, b1, b2] = replay([
      { ...AO, host: 'a', pa: '0x1234000' },
      { ...AO, host: 'a', pa: '0x1234000' },
      { ...AO, host: 'b', pa: '0x1234000' },
      { ...AO, host: 'b', pa: '0x1234000' },
    ], 'post');
    for (const first of [a1!, b1!]) {
      expect(first.mf_ret).not.toBeNull(); // memory_failure() ran
      expect(first.mf_ret).not.toBe(EHWPOISON);
    }
    expect([a2!.mf_ret, b2!.mf_ret]).toEqual([EHWPOISON, EHWPOISON]);
  });

  it('a host that panics comes back with fresh state; the other host keeps its poisoned page', () => {
    // vm.memory_failure_recovery=0 panics in memory_failure(); the host reboots, so its replay
    // state is reset (conventions C10): PG_hwpoison of the earlier page is gone on that host only.
    const [a1, b1, crash, a2, b2] = replay([
      { ...AO, host: 'a', pa: '0x1234000' },
      { ...AO, host: 'b', pa: '0x1234000' },
      { ...AO, host: 'a', pa: '0x5678000', recovery: 0 },
      { ...AO, host: 'a', pa: '0x1234000' },
      { ...AO, host: 'b', pa: '0x1234000' },
    ], 'post');
    expect(b1!.mf_ret).not.toBe(EHWPOISON);
    expect(crash!.panic).toBe(true);
    expect(a2!.mf_ret).toBe(a1!.mf_ret); // the same first error again
    expect(b2!.mf_ret).toBe(EHWPOISON);
  });
});

describe('FleetState keys', () => {
  it('pfns that share their low 32 bits are distinct (the key is stored as two words)', () => {
    const hs = new HostState();
    const pfns = [1, 2 ** 32 + 1, 2 ** 40 + 1, 2 ** 52 + 1];
    hs.setPageState(1, UNMAPPED);
    for (const p of pfns.slice(1)) expect(hs.pageState(p)).toBe(HEALTHY);
    hs.setPageState(2 ** 40 + 1, DROPPED);
    hs.setPageState(2 ** 52 + 1, MAPPED);
    expect(pfns.map((p) => hs.pageState(p))).toEqual([UNMAPPED, HEALTHY, DROPPED, MAPPED]);
    expect(hs.countCorrected(1)).toBe(1);
    expect(hs.countCorrected(2 ** 40 + 1)).toBe(1);
    expect(hs.countCorrected(1)).toBe(2);
    expect(hs.countCorrected(2 ** 32 + 1)).toBe(1);
  });

  it('a negative key is not the unsigned key with the same low word', () => {
    // Not produced by the model (pfns and u32 tids are ≥ 0), but the table documents |key| ≤ 2^53.
    const hs = new HostState();
    hs.setPageState(2 ** 32 - 1, UNMAPPED);
    expect(hs.pageState(-1)).toBe(HEALTHY);
    hs.setPageState(-1, DROPPED);
    expect(hs.pageState(2 ** 32 - 1)).toBe(UNMAPPED);
    expect(hs.pageState(-1)).toBe(DROPPED);
  });

  it('the same pfn and tid on hosts 1, 2^16 + 1 and 2^20 + 1 are independent', () => {
    const f = new FleetState();
    const ids = [1, 2 ** 16 + 1, 2 ** 20 + 1];
    f.host(ids[0]!).setPageState(7, UNMAPPED);
    expect(f.host(ids[1]!).pageState(7)).toBe(HEALTHY);
    expect(f.host(ids[2]!).pageState(7)).toBe(HEALTHY);
    f.host(ids[2]!).setPageState(7, MAPPED);
    expect(ids.map((h) => f.host(h).pageState(7))).toEqual([UNMAPPED, HEALTHY, MAPPED]);
    expect(ids.map((h) => f.host(h).cecAdd(7))).toEqual([1, 1, 1]);
    expect(f.host(ids[1]!).cecAdd(7)).toBe(2);
    expect(f.host(ids[0]!).mceEnter(9, 100, 0, 1e9).count).toBe(1);
    expect(f.host(ids[1]!).mceEnter(9, 200, 0, 1e9).count).toBe(1);
    const e = f.host(ids[0]!).mceEnter(9, 300, 10, 1e9);
    expect([e.count, e.pfn]).toEqual([2, 100]); // the first machine check's pfn (conventions C18)
    expect(f.capacity().hosts).toBe(2 ** 21); // doubled from 1024 to cover id 2^20 + 1
  });
});

describe('FleetState reset', () => {
  function fill(f: FleetState, h: number): void {
    const hs = f.host(h);
    hs.setPageState(10, UNMAPPED);
    hs.countCorrected(20);
    hs.cecAdd(30);
    hs.mceEnter(5, 40, 0, 1e9);
    hs.estatusCachedOrAdd(0x5000, 1, 0);
    for (let i = 0; i < MF_FIFO_SIZE; i++) expect(hs.mfQueue(i, 1e9)).toBe(true);
  }

  it('clears every kind of state of that host only', () => {
    const f = new FleetState();
    fill(f, 3);
    fill(f, 4);
    f.reset(3);
    const a = f.host(3);
    expect(a.isEmpty()).toBe(true);
    expect(a.pageState(10)).toBe(HEALTHY);
    expect(a.countCorrected(20)).toBe(1);
    expect(a.cecAdd(30)).toBe(1);
    const ea = a.mceEnter(5, 41, 1, 1e9);
    expect([ea.count, ea.pfn]).toEqual([1, 41]);
    expect(a.estatusCachedOrAdd(0x5000, 1, 1)).toBe(false); // ghes_estatus_cached: nothing cached
    expect(a.mfQueue(MF_FIFO_SIZE, 1e9)).toBe(true); // an empty kfifo
    const b = f.host(4);
    expect(b.isEmpty()).toBe(false);
    expect(b.pageState(10)).toBe(UNMAPPED);
    expect(b.countCorrected(20)).toBe(2);
    expect(b.cecAdd(30)).toBe(2);
    const eb = b.mceEnter(5, 41, 1, 1e9);
    expect([eb.count, eb.pfn]).toEqual([2, 40]);
    expect(b.estatusCachedOrAdd(0x5000, 1, 1)).toBe(true); // same pa and severity, 1 ns later (< 10 s)
    expect(b.mfQueue(MF_FIFO_SIZE, 1e9)).toBe(false); // 16 entries younger than the delay: full
  });

  it('a host reset, then seen again, reuses its stale entry for the same pfn', () => {
    const hs = new FleetState().host(5);
    hs.setPageState(10, UNMAPPED);
    hs.reset();
    expect(hs.pageState(10)).toBe(HEALTHY);
    hs.setPageState(10, DROPPED);
    expect(hs.pageState(10)).toBe(DROPPED);
    hs.reset();
    expect(hs.pageState(10)).toBe(HEALTHY);
    expect(hs.isEmpty()).toBe(true);
  });

  it('a reset of a host with nothing recorded changes nothing', () => {
    const f = new FleetState();
    const hs = f.host(2);
    hs.setPageState(10, HEALTHY); // writes nothing
    hs.mfDrain();
    hs.cecDelete(3);
    expect(hs.isEmpty()).toBe(true);
    hs.reset();
    expect(f.epoch[2]).toBe(0);
    f.reset(10 ** 6); // a host id never seen
    expect(f.capacity().hosts).toBe(1024);
  });

  it('a host id written without host() first is grown to, so its reset still clears it', () => {
    const f = new FleetState();
    f.setPageState(5000, 1, UNMAPPED); // beyond the first 1024 host ids
    expect(f.isEmpty(5000)).toBe(false);
    f.reset(5000);
    expect(f.pageState(5000, 1)).toBe(HEALTHY);
    expect(f.isEmpty(5000)).toBe(true);
  });

  it('the epoch wrapping around after 2^32 resets does not revive entries made 2^32 resets ago', () => {
    const f = new FleetState();
    const hs = f.host(6);
    hs.setPageState(1, UNMAPPED); // made at epoch 0
    hs.countCorrected(1);
    // As if 2^32 - 1 resets had gone by with no rehash dropping the epoch-0 entries.
    f.epoch[6] = 0xffffffff;
    expect(hs.pageState(1)).toBe(HEALTHY);
    hs.setPageState(2, MAPPED);
    hs.reset(); // epoch 0xffffffff + 1 wraps to 0
    expect(f.epoch[6]).toBe(0);
    expect(hs.pageState(1)).toBe(HEALTHY);
    expect(hs.pageState(2)).toBe(HEALTHY);
    expect(hs.countCorrected(1)).toBe(1);
  });
});

describe('FleetState RAS_CEC', () => {
  it('refuses a new pfn at CEC_MAX_ELEMS per host, accepts one after a delete or a reset', () => {
    // drivers/ras/cec.c cec_add_elem(): the array holds MAX_ELEMS (PAGE_SIZE / sizeof(u64) = 512)
    // pfns; the model reports a full array as -1 (eviction not modelled).
    const f = new FleetState();
    const a = f.host(0);
    expect(Array.from({ length: CEC_MAX_ELEMS }, (_, p) => a.cecAdd(p)).every((n) => n === 1)).toBe(true);
    expect(a.cecAdd(CEC_MAX_ELEMS)).toBe(-1);
    expect(a.cecAdd(0)).toBe(2);
    expect(f.host(1).cecAdd(CEC_MAX_ELEMS)).toBe(1); // the limit is per host
    const again = f.host(0);
    again.cecDelete(0);
    again.cecDelete(0); // already gone: the count of live elements does not drop twice
    expect(again.cecAdd(CEC_MAX_ELEMS)).toBe(1);
    expect(again.cecAdd(CEC_MAX_ELEMS + 1)).toBe(-1);
    again.reset();
    expect(Array.from({ length: CEC_MAX_ELEMS }, (_, p) => again.cecAdd(1000 + p)).every((n) => n === 1)).toBe(true);
    expect(again.cecAdd(0)).toBe(-1);
  });
});

describe('FleetState growth', () => {
  it('poison-and-heal churn on one host stays in the minimum table (deleted slots are dropped)', () => {
    // At every rehash at most one entry is live, so the table is rebuilt at its floor (256 slots)
    // each time.
    const f = new FleetState();
    const hs = f.host(0);
    for (let p = 0; p < 100_000; p++) {
      hs.setPageState(p, UNMAPPED);
      hs.setPageState(p, HEALTHY);
    }
    expect(f.capacity().pages).toBe(256);
    expect(hs.pageState(99_999)).toBe(HEALTHY);
    hs.setPageState(5, MAPPED);
    expect(hs.pageState(5)).toBe(MAPPED);
  });

  it('a host-ordered run (each host reset when done) stays in the minimum tables and pools', () => {
    const f = new FleetState();
    let wrong = 0;
    for (let h = 0; h < 100_000; h++) {
      const hs = f.host(h);
      if (hs.pageState(h % 7) !== HEALTHY) wrong++;
      hs.setPageState(h % 7, UNMAPPED);
      if (hs.countCorrected(2 ** 40 + h) !== 1) wrong++;
      if (hs.estatusCachedOrAdd(h, 1, h)) wrong++;
      if (!hs.mfQueue(h, 1)) wrong++;
      f.reset(h);
    }
    expect(wrong).toBe(0);
    // Stale entries are dropped by the next rehash (live ≤ 1: the tables stay at their 256-slot
    // floor); a freed pool slot is taken again.
    expect(f.capacity()).toEqual({ hosts: 131_072, pages: 256, ce: 256, cec: 0, mce: 0, estatus: 16, fifo: 16 });
  });

  it('1e5 interleaved hosts × 2 pages: grows by doubling and every entry reads back', () => {
    const f = new FleetState();
    const H = 100_000;
    const pfn = (h: number, r: number) => (r === 0 ? 42 : 2 ** 33 + h);
    const st = (h: number, r: number) => 1 + ((h + r) % 3);
    for (let r = 0; r < 2; r++) for (let h = 0; h < H; h++) f.host(h).setPageState(pfn(h, r), st(h, r));
    let wrong = 0;
    for (let h = 0; h < H; h++) {
      const hs = f.host(h);
      if (hs.pageState(42) !== st(h, 0)) wrong++;
      if (hs.pageState(2 ** 33 + h) !== st(h, 1)) wrong++;
      if (hs.pageState(2 ** 33 + h + 1) !== HEALTHY) wrong++;
    }
    expect(wrong).toBe(0);
    // 2e5 live entries fill at most half the slots (≥ 2^19); the last rehash saw at most 2e5, so
    // the smallest power of two holding them at 3/8 is at most 2^20.
    const cap = f.capacity().pages;
    expect(cap).toBeGreaterThanOrEqual(2 ** 19);
    expect(cap).toBeLessThanOrEqual(2 ** 20);
    for (let h = 0; h < H; h += 2) f.reset(h);
    for (let h = 0; h < H; h++) {
      const hs = f.host(h);
      if (hs.pageState(42) !== (h % 2 === 0 ? HEALTHY : st(h, 0))) wrong++;
      if (hs.pageState(2 ** 33 + h) !== (h % 2 === 0 ? HEALTHY : st(h, 1))) wrong++;
    }
    expect(wrong).toBe(0);
  });
});
