// The kernel behaviour changes of issue 10 part 3, each replayed on both sides of its boundary on
// both arches, under profiles derived from the change table (kernelSwitches). Expectations are read
// from the kernel source and patch mails named in each test, not from the model's output.
import { describe, expect, it } from 'vitest';
import { parseTraceCsv } from '../../src/io/csv-trace.js';
import { OutcomeRow, replayEvents } from '../../src/engine/replay-events.js';
import { kernelSwitches, parseVersion } from '../../src/model/kernel-changes.js';
import { DEFAULT_HOST, HostDefaults, Profile } from '../../src/model/profiles.js';
import { sigs } from '../helpers.js';

function kernel(v: string, host: Partial<HostDefaults> = {}): Profile {
  const ver = parseVersion(v);
  if (!ver) throw new Error(v);
  return { name: `linux-${v}`, description: v, switches: kernelSwitches(ver).switches, host: { ...DEFAULT_HOST, ...host } };
}

type Row = Record<string, string | number | boolean>;

/** Rows to CSV with the union of their keys as header; event_id, host and t_ns filled in. */
function run(rows: Row[], p: Profile): OutcomeRow[] {
  const full = rows.map((r, i) => ({ event_id: i + 1, host: 'h', t_ns: (i + 1) * 1_000_000_000, ...r }));
  const cols = [...new Set(full.flatMap((r) => Object.keys(r)))];
  const text = [cols.join(','), ...full.map((r) => cols.map((c) => String((r as Row)[c] ?? '')).join(','))].join('\n');
  return replayEvents(parseTraceCsv(text, 'test.csv'), [p]);
}

/** An asynchronous error found by scrubbing: x86 SRAO (memory_failure(pfn, 0) from the mce work),
 * arm64 an SDEI GHES record (memory_failure_queue, flags 0). */
function scrub(arch: 'x86_64' | 'arm64', page: string, extra: Row = {}): Row {
  return arch === 'x86_64'
    ? { arch, notify: 'mce', severity: 'recoverable', sync: false, pa: '0x200400000', page, context: 'none', ...extra }
    : { arch, notify: 'sdei', firmware_first: true, severity: 'recoverable', sync: false, pa: '0x8a1040000', page, context: 'none', ...extra };
}

/** A consumed error in user mode: x86 SRAR, arm64 a firmware-first SEA. */
function consume(arch: 'x86_64' | 'arm64', page: string, extra: Row = {}): Row {
  return {
    arch, notify: arch === 'x86_64' ? 'mce' : 'sea', firmware_first: arch === 'arm64', severity: 'recoverable', sync: true,
    pa: arch === 'x86_64' ? '0x200400040' : '0x8a1040040', page, context: 'user', pid: 500, tid: 501, vaddr: '0x7f0000400040', ...extra,
  };
}

const ARCHES = ['x86_64', 'arm64'] as const;

describe('v7.3 unhandlable kernel pages (mf_kernel_page_unrecoverable)', () => {
  // Breno Leitao, "mm/memory-failure: add panic option for unrecoverable pages" v9 (9 Jun 2026):
  // get_any_page() -> -ENOTRECOVERABLE for reserved/slab/page-table pages, memory_failure reports
  // MF_MSG_KERNEL ("reserved kernel page") with MF_IGNORED; panic_on_unrecoverable_mf() is
  // `sysctl && result == MF_IGNORED && type == MF_MSG_KERNEL`, then
  // panic("Memory failure: %#lx: unrecoverable page", pfn) right after the result line.
  for (const arch of ARCHES) {
    for (const page of ['slab', 'pagetable', 'kernel']) {
      it(`${arch} ${page}: "get hwpoison page" in v7.2, "reserved kernel page" in v7.3`, () => {
        const [o72] = run([scrub(arch, page)], kernel('7.2'));
        expect([o72!.mf_type, o72!.mf_result, o72!.panic]).toEqual(['get hwpoison page', 'Ignored', false]);
        const [o73] = run([scrub(arch, page)], kernel('7.3'));
        expect([o73!.mf_type, o73!.mf_result, o73!.panic]).toEqual(['reserved kernel page', 'Ignored', false]);
      });
    }
    it(`${arch}: panic_on_unrecoverable=1 panics in v7.3 only, after the result line, with a complete vmcore`, () => {
      const pfn = arch === 'x86_64' ? '0x200400' : '0x8a1040';
      const [o73] = run([scrub(arch, 'slab', { panic_on_unrecoverable: 1 })], kernel('7.3'));
      expect([o73!.panic, o73!.panic_msg, o73!.mf_type, o73!.mf_result]).toEqual([
        true, `Memory failure: ${pfn}: unrecoverable page`, 'reserved kernel page', 'Ignored']);
      // PG_hwpoison is set before get_hwpoison_page(): makedumpfile skips the page (conventions C22).
      expect(o73!.vmcore).toBe('complete');
      expect(o73!.mf_ret).toBeNull(); // panic() does not return
      // The host setting is the default the column overrides.
      const [h] = run([scrub(arch, 'kernel')], kernel('7.3', { panic_on_unrecoverable: 1 }));
      expect(h!.panic).toBe(true);
      const [off] = run([scrub(arch, 'kernel', { panic_on_unrecoverable: 0 })], kernel('7.3', { panic_on_unrecoverable: 1 }));
      expect(off!.panic).toBe(false);
      // No such sysctl before v7.3.
      const [o72] = run([scrub(arch, 'slab', { panic_on_unrecoverable: 1 })], kernel('7.2'));
      expect(o72!.panic).toBe(false);
      // MF_MSG_GET_HWPOISON (a VM_PFNMAP RAM page) and MF_MSG_UNKNOWN never panic.
      for (const page of ['pfnmap', 'unknown']) {
        const [o] = run([scrub(arch, page, { panic_on_unrecoverable: 1 })], kernel('7.3'));
        expect(o!.panic).toBe(false);
      }
    });
  }
});

describe('v6.19 large-block-size file folios (lbs_split_kill, 689b8986776c)', () => {
  // memory_failure() since 689b8986776c: new_order = min_order_for_split(folio);
  // `if (try_to_split_thp_page(p, new_order, false) || new_order)` -> kill_procs_now (collect with
  // force_early = MF_AR, forcekill) + action_result(MF_MSG_UNSPLIT_THP, MF_FAILED), -EHWPOISON.
  // Before, split_huge_page() split to the min order and returned 0: a clean file folio, truncated.
  for (const arch of ARCHES) {
    it(`${arch}: consumed LBS folio: clean LRU page in v6.18, unsplit thp + AR (lsb = block size) in v6.19`, () => {
      const row = consume(arch, 'file_lbs', { page_shift: 14, mappers: '600:early;601:late' });
      const [o618] = run([row], kernel('6.18'));
      expect([o618!.mf_type, o618!.mf_result]).toEqual(['clean LRU page', 'Recovered']);
      expect(sigs(o618!)).toEqual([]); // clean: dropped without side effects, re-read from the file
      const [o619] = run([row], kernel('6.19'));
      expect([o619!.mf_type, o619!.mf_result]).toEqual(['unsplit thp', 'Failed']);
      // collect_procs(force_early = MF_AR): current gets AR; 600 early AO; 601 late not collected.
      expect(sigs(o619!).sort()).toEqual(['500/501:7:4:14', '600/600:7:5:14'].sort());
    });
    it(`${arch}: file and shmem THPs split to order 0 and are handled as order-0 pages`, () => {
      const [f] = run([scrub(arch, 'file_thp', { page_shift: 21 })], kernel('6.19'));
      expect([f!.mf_type, f!.mf_result]).toEqual(['clean LRU page', 'Recovered']);
      const [s] = run([scrub(arch, 'shmem_thp', { page_shift: 21, mappers: '700:early' })], kernel('6.19'));
      expect([s!.mf_type, s!.mf_result]).toEqual(['dirty LRU page', 'Recovered']);
      expect(sigs(s!)).toEqual(['700/700:7:5:12']); // split first: tk->size_shift of an order-0 page
    });
    it(`${arch}: a pinned file/shmem THP is an unsplit THP: Ignored before v6.11, kill since`, () => {
      for (const page of ['file_thp', 'shmem_thp']) {
        const [o610] = run([scrub(arch, page, { page_shift: 21, pinned: true, mappers: '700:early' })], kernel('6.10'));
        expect([o610!.mf_type, o610!.mf_result, sigs(o610!)]).toEqual(['unsplit thp', 'Ignored', []]);
        const [o611] = run([scrub(arch, page, { page_shift: 21, pinned: true, mappers: '700:early' })], kernel('6.11'));
        expect([o611!.mf_type, o611!.mf_result, sigs(o611!)]).toEqual(['unsplit thp', 'Failed', ['700/700:7:5:21']]);
      }
    });
  }
  it('file_lbs needs a page_shift above 4 KiB', () => {
    expect(() => run([scrub('x86_64', 'file_lbs')], kernel('6.19'))).toThrow(/page_shift.*13 to 21 for file_lbs/);
  });
});

describe('VM_PFNMAP re-consumption (pfnmap_walk_fix, 2e6053fea379)', () => {
  // "mm/memory-failure: fix infinite UCE for VM_PFNMAP pfn": walk_page_range() skipped VM_PFNMAP
  // VMAs, so kill_accessing_process found nothing for an already poisoned pfn: -EFAULT before
  // aaf99ac2ceb7 (v6.15, kill_me_now SI_KERNEL), 0 after it (no signal: the task re-faults forever);
  // the fix walks the VMA and sends BUS_MCEERR_AR.
  const first = (arch: 'x86_64' | 'arm64') => consume(arch, 'pfnmap', { pid: 800, tid: 800, vaddr: '0x7f0000500040' });
  const again = (arch: 'x86_64' | 'arm64') => ({ arch, kind: 'access', pa: arch === 'x86_64' ? '0x200400040' : '0x8a1040040', page: 'pfnmap', context: 'user', pid: 800, vaddr: '0x7f0000500040' });
  it('x86_64: re-consumption: SI_KERNEL before v6.15, a re-fault loop in v6.15-v6.16, AR from v6.17', () => {
    const [f614, o614] = run([first('x86_64'), again('x86_64')], kernel('6.14'));
    // The first consumption: !HWPoisonHandlable -> "get hwpoison page: Ignored" -EBUSY -> kill_me_now.
    expect([f614!.mf_type, sigs(f614!)]).toEqual(['get hwpoison page', ['800/800:7:128:-']]);
    expect(o614!.reboot_loop).toBe(false);
    expect(sigs(o614!)).toEqual(['800/800:7:128:-']);
    const [, o616] = run([first('x86_64'), again('x86_64')], kernel('6.16'));
    expect(o616!.reboot_loop).toBe(true);
    expect(sigs(o616!)).toEqual([]);
    const [, o617] = run([first('x86_64'), again('x86_64')], kernel('6.17'));
    expect(o617!.reboot_loop).toBe(false);
    expect(sigs(o617!)).toEqual(['800/800:7:4:12']);
  });
  it('arm64: an already poisoned pfn re-consumed: SEA loop until v6.17, AR from v6.17', () => {
    // Before v6.17 GHES runs memory_failure from the queue (memory_failure_work_func ignores its
    // return), so the consumer re-executes into the SEA loop whatever kill_accessing_process
    // returned; from v6.17 memory_failure_cb gets -EHWPOISON after the fixed walk sent AR.
    const row = { ...first('arm64'), poisoned_before: true };
    for (const v of ['6.14', '6.16']) {
      const [o] = run([row], kernel(v));
      expect([v, o!.reboot_loop, sigs(o!)]).toEqual([v, true, []]);
    }
    const [o617] = run([row], kernel('6.17'));
    expect([o617!.reboot_loop, sigs(o617!)]).toEqual([false, ['800/800:7:4:12']]);
    // Without the fix (a v6.17 profile with pfnmap_walk_fix off) the walk finds nothing, returns 0,
    // and memory_failure_cb sends nothing either: the SEA loop.
    const nofix = kernel('6.17');
    const [o] = run([row], { ...nofix, switches: { ...nofix.switches, pfnmap_walk_fix: false } });
    expect([o!.reboot_loop, sigs(o!)]).toEqual([true, []]);
  });
});

describe('hugetlb in use and page-state extra references (extra_refs)', () => {
  // me_huge_page: __page_handle_poison() <= 0 (dissolve failed) -> MF_FAILED; has_extra_refcount()
  // -> MF_FAILED ("%#lx: %s still referenced by %d users"). The same check ends me_pagecache_clean,
  // me_swapcache_dirty and me_swapcache_clean. The unmap (and its SIGBUS) happened before.
  for (const arch of ARCHES) {
    it(`${arch}: huge page: Failed with extra references; the consumer still gets its signal`, () => {
      const row = consume(arch, 'hugetlb', { page_shift: 21, pa: arch === 'x86_64' ? '0x200400040' : '0x8a1040040' });
      const [ok] = run([row], kernel('6.19'));
      expect([ok!.mf_type, ok!.mf_result]).toEqual(['huge page', 'Recovered']);
      const [busy] = run([{ ...row, extra_refs: true }], kernel('6.19'));
      expect([busy!.mf_type, busy!.mf_result]).toEqual(['huge page', 'Failed']);
      expect(sigs(busy!).some((s) => s.startsWith('500/501:7:4:'))).toBe(true);
      const [dirty] = run([scrub(arch, 'swapcache_dirty', { extra_refs: true })], kernel('6.6'));
      expect([dirty!.mf_type, dirty!.mf_result]).toEqual(['dirty swapcache page', 'Failed']);
    });
  }
});

describe('mlocked and unevictable pages: clean vs dirty rows of error_states[]', () => {
  // error_states[]: { mlock|dirty, mlock|dirty, "dirty mlocked LRU page", me_pagecache_dirty },
  // { mlock|dirty, mlock, "clean mlocked LRU page", me_pagecache_clean }, and the same pair for
  // unevict. hwpoison_user_mappings kills (forcekill) only dirty pages or with MF_MUST_KILL.
  for (const arch of ARCHES) {
    it(`${arch}: clean mlocked page is dropped without a kill; dirty mlocked page kills`, () => {
      for (const v of ['6.1', '6.19']) {
        const [clean] = run([scrub(arch, 'mlocked_clean', { mappers: '900:early' })], kernel(v));
        expect([clean!.mf_type, clean!.mf_result, sigs(clean!)]).toEqual(['clean mlocked LRU page', 'Recovered', []]);
        const [dirty] = run([scrub(arch, 'mlocked', { mappers: '900:early' })], kernel(v));
        expect([dirty!.mf_type, dirty!.mf_result, sigs(dirty!)]).toEqual(['dirty mlocked LRU page', 'Recovered', ['900/900:7:5:12']]);
        const [uc] = run([scrub(arch, 'unevictable_clean', { mappers: '900:early' })], kernel(v));
        expect([uc!.mf_type, uc!.mf_result, sigs(uc!)]).toEqual(['clean unevictable LRU page', 'Recovered', []]);
        const [ud] = run([scrub(arch, 'unevictable_dirty', { mappers: '900:early' })], kernel(v));
        expect([ud!.mf_type, ud!.mf_result, sigs(ud!)]).toEqual(['dirty unevictable LRU page', 'Recovered', ['900/900:7:5:12']]);
      }
    });
    it(`${arch}: a consumed clean mlocked page is re-read; a clean unevictable (shmem) page faults`, () => {
      const [m] = run([consume(arch, 'mlocked_clean')], kernel('6.19'));
      expect(sigs(m!)).toEqual([]);
      const [u] = run([consume(arch, 'unevictable_clean')], kernel('6.19'));
      // Kept in the page cache with PG_hwpoison: the re-executed access faults (conventions C8).
      expect(sigs(u!)).toEqual(['500/501:7:4:12']);
    });
  }
});

describe('x86 RAS_CEC (cec_threshold) and vm.enable_soft_offline (enable_soft_offline_sysctl)', () => {
  // drivers/ras/cec.c cec_add_elem(): `ca->array[to]++; count = COUNT(...); if (count >=
  // action_threshold)` -> "Soft-offlining pfn" + memory_failure_queue(pfn, MF_SOFT_OFFLINE) and
  // del_elem(); MAX_ELEMS = PAGE_SIZE / sizeof(u64) = 512, full array -> del_lru_elem_unlocked().
  const ce = (extra: Row = {}): Row => ({ arch: 'x86_64', notify: 'cmci', severity: 'corrected', sync: false, pa: '0x200500040', page: 'anon', context: 'none', mappers: '950:early', ...extra });
  const ao: Row = { arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: false, pa: '0x200500040', page: 'anon', context: 'none', mappers: '950:early' };

  it('x86_64: the threshold-th corrected error soft-offlines the page; a later UE finds it already poisoned', () => {
    const out = run([ce(), ce(), ce(), ao], kernel('6.19', { cec_threshold: 3 }));
    expect(out.slice(0, 2).map((o) => [o.path, o.poisoned])).toEqual([['x86.mca.corrected.cec', false], ['x86.mca.corrected.cec', false]]);
    expect([out[2]!.path, out[2]!.poisoned, sigs(out[2]!)]).toEqual(['x86.mca.corrected.cec.soft_offline', true, []]);
    // memory_failure: TestSetPageHWPoison finds the flag: -EHWPOISON, flags 0 so no
    // kill_accessing_process; v6.17+ "already poisoned page: Failed". The data was migrated.
    expect([out[3]!.mf_type, out[3]!.mf_result, out[3]!.mf_ret, sigs(out[3]!)]).toEqual(['already poisoned page', 'Failed', -133, []]);
    // Without RAS_CEC (0) the same UE is a fresh dirty anon page: AO to the early mapper.
    const off = run([ce(), ce(), ce(), ao], kernel('6.19'));
    expect(off.slice(0, 3).map((o) => o.path)).toEqual(['x86.mca.corrected', 'x86.mca.corrected', 'x86.mca.corrected']);
    expect([off[3]!.mf_type, sigs(off[3]!)]).toEqual(['dirty LRU page', ['950/950:7:5:12']]);
  });
  it('x86_64: del_elem restarts the count; thresholds above COUNT_MASK (1023) are clamped', () => {
    const out = run([ce(), ce(), ce(), ce()], kernel('6.19', { cec_threshold: 2 }));
    expect(out.map((o) => o.path)).toEqual(['x86.mca.corrected.cec', 'x86.mca.corrected.cec.soft_offline', 'x86.mca.corrected.cec', 'x86.mca.corrected.cec']);
    const rows = Array.from({ length: 1023 }, () => ce());
    const big = run(rows, kernel('6.19', { cec_threshold: 5000 }));
    expect(big[1021]!.path).toBe('x86.mca.corrected.cec');
    expect(big[1022]!.path).toBe('x86.mca.corrected.cec.soft_offline');
  });
  it('x86_64: vm.enable_soft_offline=0 refuses the soft offline from v6.11 on', () => {
    const p611 = kernel('6.11', { cec_threshold: 1, enable_soft_offline: 0 });
    const [a] = run([ce()], p611);
    expect([a!.path, a!.poisoned]).toEqual(['x86.mca.corrected.cec', false]);
    const [b] = run([ce()], kernel('6.10', { cec_threshold: 1, enable_soft_offline: 0 }));
    expect([b!.path, b!.poisoned]).toEqual(['x86.mca.corrected.cec.soft_offline', true]);
  });
  it('x86_64: a 513th distinct pfn is an explicit "not modelled" (LRU eviction by decay)', () => {
    const rows = Array.from({ length: 513 }, (_, i) => ce({ pa: `0x${(0x200500040 + i * 4096).toString(16)}` }));
    expect(() => run(rows, kernel('6.19', { cec_threshold: 10 }))).toThrow(/not modelled: RAS_CEC with more than 512 distinct pfns/);
  });
  it('arm64: vm.enable_soft_offline=0 stops the CPER-threshold soft offline from v6.11 on', () => {
    const row: Row = { arch: 'arm64', notify: 'polled', firmware_first: true, severity: 'corrected', sync: false, pa: '0x8a1050000', page: 'anon', context: 'none' };
    const [on] = run([row], kernel('6.10', { fw_ce_threshold: 1, enable_soft_offline: 0 }));
    expect([on!.path, on!.poisoned]).toEqual(['ghes.corrected.soft_offline', true]);
    const [off] = run([row], kernel('6.11', { fw_ce_threshold: 1, enable_soft_offline: 0 }));
    expect([off!.path, off!.poisoned]).toEqual(['ghes.corrected', false]);
  });
});

describe('vendor: AMD MCA grading is an explicit "not modelled"', () => {
  // arch/x86/kernel/cpu/mce/severity.c mce_severity(): AMD/Hygon -> mce_severity_amd, which has
  // its own rules for deferred errors, SMCA and PHYSADDRV; UC=0 (not deferred) is KEEP there too.
  it('x86_64: an uncorrected AMD machine check is refused with the rule named', () => {
    expect(() => run([consume('x86_64', 'anon', { vendor: 'amd' })], kernel('6.19'))).toThrow(/not modelled: AMD MCA grading/);
    expect(() => run([scrub('x86_64', 'anon', { vendor: 'amd', notify: 'cmci', severity: 'deferred' })], kernel('6.19'))).toThrow(/not modelled: AMD MCA grading/);
    const [ce] = run([{ arch: 'x86_64', notify: 'cmci', severity: 'corrected', sync: false, pa: '0x200600040', page: 'anon', vendor: 'amd' }], kernel('6.19', { cec_threshold: 1 }));
    expect([ce!.path, ce!.poisoned]).toEqual(['x86.mca.corrected.cec.soft_offline', true]);
    // Firmware-first records do not go through mce_severity.
    const [g] = run([{ arch: 'x86_64', notify: 'nmi', firmware_first: true, severity: 'recoverable', sync: false, pa: '0x200600040', page: 'anon', vendor: 'amd' }], kernel('6.19'));
    expect(g!.mf_type).toBe('dirty LRU page');
  });
  it('arm64: vendor must stay intel (empty)', () => {
    expect(() => run([scrub('arm64', 'anon', { vendor: 'amd' })], kernel('6.19'))).toThrow(/column vendor: value "amd": expected empty \(or intel\) on arm64/);
  });
});
