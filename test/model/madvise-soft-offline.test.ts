// madvise(MADV_SOFT_OFFLINE) (trace notify `madvise_soft_offline`). Expectations from the kernel
// source, not from the model:
//  - mm/madvise.c madvise_inject_error(): get_user_pages_fast(start, 1, 0, &page) (fails for a
//    VM_PFNMAP/VM_IO mapping and for a pte that is a hwpoison entry), then
//    pr_info("Soft offlining pfn %#lx at process virtual address %#lx\n", pfn, start) and
//    soft_offline_page(pfn, MF_COUNT_INCREASED) in the calling task; no signal on any path.
//  - mm/memory-failure.c soft_offline_page(): pfn_valid() (-ENXIO), pfn_to_online_page() (-EIO for
//    ZONE_DEVICE), "if (!sysctl_enable_soft_offline) … return -EOPNOTSUPP" (56374430c5df, v6.11),
//    "if (PageHWPoison(page)) { pr_info("%#lx: page already poisoned\n") … return 0; }",
//    get_hwpoison_page() (-EIO "unhandlable page" for kernel pages), then soft_offline_in_use_page():
//    a THP is split first ("%#lx: thp split failed", -EBUSY), the page is migrated
//    ("%#lx: %s migration failed %ld" / "%s isolation failed", -EBUSY) and on success
//    page_handle_poison() sets PG_hwpoison on the old page (the task now maps the new one).
//  - pr_fmt "Soft offline: " for those lines since "mm/memory-failure: refactor log format in soft
//    offline code" (same series, v6.11).
import { describe, expect, it } from 'vitest';
import { profile, replay, sigs } from '../helpers.js';
import { explainEvent } from '../../src/engine/replay-events.js';
import { parseTraceCsv } from '../../src/io/csv-trace.js';
import { csv } from '../helpers.js';

/** pid 500 asks to soft-offline its own anonymous page at 0x7f0000003000. */
const SO = { notify: 'madvise_soft_offline', severity: 'corrected', sync: false, context: 'user', pid: 500, vaddr: '0x7f0000003000', pa: '0x1234000', page: 'anon' };
const PROFILES = ['linux-5.10', 'linux-6.6', 'linux-6.12', 'linux-6.19', 'linux-7.3', 'pre', 'post'];

describe('madvise(MADV_SOFT_OFFLINE): soft_offline_page() in the calling task', () => {
  for (const arch of ['x86_64', 'arm64']) {
    for (const p of PROFILES) {
      it(`${arch} ${p}: an in-use anonymous page is migrated and the old pfn poisoned; nobody is signalled`, () => {
        const [r] = replay([{ ...SO, arch }], p);
        expect(r!.path).toBe('sw.madvise.soft_offline');
        expect(r!.poisoned).toBe(true);
        expect(sigs(r!)).toEqual([]);
        expect([r!.mf_type, r!.mf_result]).toEqual([null, null]);
        expect(r!.panic).toBe(false);
      });
    }
  }

  it('vm.enable_soft_offline=0 refuses it from v6.11 on (-EOPNOTSUPP); before v6.11 there is no such sysctl', () => {
    const off = { enable_soft_offline: 0 };
    const r612 = replay([{ ...SO, arch: 'x86_64' }], profile('linux-6.12', { host: off }))[0]!;
    expect(r612.path).toBe('sw.madvise.soft_offline_refused');
    expect(r612.poisoned).toBe(false);
    const r66 = replay([{ ...SO, arch: 'x86_64' }], profile('linux-6.6', { host: off }))[0]!;
    expect(r66.path).toBe('sw.madvise.soft_offline');
    expect(r66.poisoned).toBe(true);
  });

  it('enable_soft_offline 3 (the newer bitmask: enabled, HugeTLB excluded) is an explicit profile error, not a silent 1', () => {
    expect(() => profile('linux-6.19', { host: { enable_soft_offline: 3 } })).toThrow(/host enable_soft_offline = 3: expected 0 or 1 \(bit 1 .* is not modelled\)/);
  });

  it('a page that cannot be migrated (pinned) keeps working and is not poisoned (-EBUSY)', () => {
    for (const page of ['anon', 'hugetlb', 'anon_thp']) {
      const [r] = replay([{ ...SO, arch: 'x86_64', page, page_shift: page === 'anon' ? 12 : 21, pinned: true }], 'linux-6.12');
      expect(r!.path, page).toBe('sw.madvise.soft_offline_refused');
      expect(r!.poisoned, page).toBe(false);
      expect(sigs(r!)).toEqual([]);
    }
  });

  it('a page already poisoned by an earlier memory_failure() is left as it is ("page already poisoned", return 0)', () => {
    // poisoned_before: PG_hwpoison was set before the trace starts (the task still maps the page).
    const [r] = replay([{ ...SO, arch: 'x86_64', poisoned_before: true }], 'linux-6.12');
    expect(r!.path).toBe('sw.madvise.soft_offline_refused');
    expect(sigs(r!)).toEqual([]);
  });

  it('device memory: ZONE_DEVICE is not an online page (-EIO); a VM_PFNMAP mapping fails in get_user_pages_fast', () => {
    const dax = replay([{ ...SO, arch: 'x86_64', mem: 'device', page: 'dax' }], 'linux-6.12')[0]!;
    expect(dax.path).toBe('sw.madvise.soft_offline_refused');
    expect(dax.poisoned).toBe(false);
    const pfnmap = replay([{ ...SO, arch: 'x86_64', page: 'pfnmap' }], 'linux-6.12')[0]!;
    expect(pfnmap.path).toBe('sw.madvise.gup_failed');
    expect(pfnmap.poisoned).toBe(false);
  });

  it('after a MADV_HWPOISON unmapped the page, the task\'s pte is a hwpoison entry: get_user_pages_fast fails', () => {
    const inj = { ...SO, notify: 'madvise', severity: 'recoverable', arch: 'x86_64', t_ns: 1 };
    const [r1, r2] = replay([inj, { ...SO, arch: 'x86_64', t_ns: 2 }], 'linux-6.12');
    expect(r1!.path).toBe('sw.madvise.memory_failure');
    expect(r2!.path).toBe('sw.madvise.gup_failed');
    expect(sigs(r2!)).toEqual([]);
  });

  it('a second request for a page already soft-offlined is the explicit not-modelled error (gup faults in the new page)', () => {
    expect(() => replay([{ ...SO, arch: 'x86_64', t_ns: 1 }, { ...SO, arch: 'x86_64', t_ns: 2 }], 'linux-6.12'))
      .toThrow(/not modelled: madvise\(MADV_SOFT_OFFLINE\) on a page whose poisoned copy was dropped/);
  });

  it('a later MADV_HWPOISON by address reaches the new page, so the old pfn is not hit again: the same pfn twice is not modelled', () => {
    expect(() => replay([{ ...SO, arch: 'x86_64', t_ns: 1 }, { ...SO, notify: 'madvise', severity: 'recoverable', arch: 'x86_64', t_ns: 2 }], 'linux-6.12'))
      .toThrow(/not modelled: madvise\(MADV_HWPOISON\)/);
  });

  it('the trace contract: severity corrected, sync false, context user, a pid, a pa', () => {
    const bad: [Record<string, string | number | boolean>, RegExp][] = [
      [{ severity: 'recoverable' }, /severity.*corrected for notify madvise_soft_offline/],
      [{ sync: true }, /sync/],
      [{ context: 'none' }, /context/],
      [{ pid: 0 }, /pid/],
      [{ mem: 'none' }, /mem/],
    ];
    for (const [over, re] of bad) expect(() => replay([{ ...SO, arch: 'x86_64', ...over }], 'post'), JSON.stringify(over)).toThrow(re);
    expect(replay([{ ...SO, arch: 'arm64', firmware_first: true }], 'post')[0]!.path).toBe('sw.madvise.soft_offline');
  });

  it('explain prints the kernel\'s lines: the request, then why it failed', () => {
    const lines = (row: Record<string, string | number | boolean>, p: string): string[] =>
      explainEvent(parseTraceCsv(csv([{ ...SO, arch: 'x86_64', ...row }]), 't.csv'), 1n, profile(p))!.lines.filter((l) => l.startsWith('  | '));
    expect(lines({ page: 'hugetlb', page_shift: 21, pinned: true }, 'linux-6.12')).toEqual([
      '  | Soft offlining pfn 0x1234 at process virtual address 0x7f0000003000',
      '  | Soft offline: 0x1234: hugepage migration failed',
    ]);
    expect(lines({ page: 'anon_thp', page_shift: 21, pinned: true }, 'linux-6.12')[1]).toBe('  | Soft offline: 0x1234: thp split failed');
    expect(lines({}, 'linux-6.12')).toEqual(['  | Soft offlining pfn 0x1234 at process virtual address 0x7f0000003000']);
  });
});
