// memory_failure(pfn, flags) of mm/memory-failure.c: the classification order of kernel-model §1
// (verified v6.19, with the switches for older releases), hwpoison_user_mappings (§1a),
// kill_accessing_process (§1d), memory_failure_pfn (seed 003, §1f), and soft_offline_page.
import { Ctx, MF_ACTION_REQUIRED, MF_MUST_KILL } from './ctx.js';
import {
  EBUSY, EFAULT, EHWPOISON, ENXIO, Mem, MfResult, MfType, MF_RESULT, MF_TYPE, Page,
} from './enums.js';
import { collectProcs, commOf, killProcs, killProcsSigkill, KillList } from './kill.js';
import { PanicMsg } from './record.js';
import { PageState } from './state.js';

const tokill = new KillList();

/**
 * action_result(pfn, type, result): logs "%#lx: recovery action for %s: %s" and returns 0 for
 * Recovered or Delayed, -EBUSY otherwise.
 */
function actionResult(c: Ctx, type: number, result: number): number {
  // An event can run memory_failure twice (task work, then a queued one): the outcome reports the
  // first call's result line and return value.
  if (!c.out.mfRan && c.out.mfType < 0) {
    c.out.mfType = type;
    c.out.mfResult = result;
  }
  if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: recovery action for ${MF_TYPE[type]}: ${MF_RESULT[result]}`);
  return result === MfResult.Recovered || result === MfResult.Delayed ? 0 : EBUSY;
}

function finish(c: Ctx, ret: number): number {
  if (!c.out.mfRan) {
    c.out.mfRan = true;
    c.out.mfRet = ret;
  }
  return ret;
}

/** Pages whose PG_dirty is set once the PTE dirty bits are propagated (hwpoison_user_mappings). */
function isDirty(page: number): boolean {
  return page === Page.anon || page === Page.anon_thp || page === Page.file_dirty || page === Page.shmem ||
    page === Page.swapcache_dirty || page === Page.mlocked || page === Page.ksm || page === Page.hugetlb ||
    page === Page.shmem_thp || page === Page.unevictable_dirty;
}

/**
 * A clean page with a writeback-capable mapping: folio_mapping() && mapping_can_writeback().
 * `unevictable_clean` is a clean page of an unevictable shmem/ramfs mapping (SHM_LOCK): no
 * writeback, so it is kept in the page cache like shmem (conventions C23).
 */
function cleanWritebackMapping(page: number): boolean {
  return page === Page.file_clean || page === Page.file_text || page === Page.file_thp || page === Page.file_lbs ||
    page === Page.mlocked_clean;
}

/** Large folios memory_failure tries to split (folio_test_large; hugetlb and dax are handled before). */
function isThp(page: number): boolean {
  return page === Page.anon_thp || page === Page.file_thp || page === Page.shmem_thp || page === Page.file_lbs;
}

/**
 * memory_failure(pfn, flags), called with c's `current` already set by the caller. Returns the
 * kernel's return value; the outcome, page state and signals are recorded in c. May panic.
 */
export function memoryFailure(c: Ctx, flags: number): number {
  const ev = c.ev;
  const out = c.out;
  const sw = c.profile.switches;
  if (c.x) c.step(`memory_failure(${c.hex(c.pfn)}, ${flagNames(flags)}) in ${c.curHasMm ? `task ${c.curPid}/${c.curTid}` : 'a kworker (no mm)'}`);

  // #1: vm.memory_failure_recovery=0 panics before anything else, so no PG_hwpoison.
  if (c.recovery === 0) {
    // It never returns: mf_type, mf_result and mf_ret stay null.
    c.step('sysctl vm.memory_failure_recovery=0: panic');
    c.panic(PanicMsg.MF_RECOVERY_OFF, c.pfn);
    return 0;
  }

  // #2-#5: no online struct page.
  if (ev.mem !== Mem.ram) return finish(c, noStructPage(c, flags));

  // #4: ZONE_DEVICE with a dev_pagemap (fsdax/devdax): memory_failure_dev_pagemap ->
  // mf_generic_kill_procs: flags |= MF_ACTION_REQUIRED|MF_MUST_KILL, collect with force_early,
  // SetPageHWPoison, unmap_and_kill.
  if (ev.page === Page.dax) {
    const f = flags | MF_ACTION_REQUIRED | MF_MUST_KILL;
    out.poisoned = true;
    collectProcs(c, tokill, true);
    killProcs(c, tokill, true, f, ev.pageShift);
    out.unmapped = c.mapCount > 0;
    c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
    return finish(c, actionResult(c, MfType.DAX, MfResult.Recovered));
  }

  // #6: hugetlb (try_memory_failure_hugetlb), and #7: TestSetPageHWPoison already set.
  if (c.pagePoisoned()) return finish(c, alreadyPoisoned(c, flags));
  out.poisoned = true;

  if (ev.page === Page.hugetlb_free) {
    c.hs.setPageState(c.spfn, PageState.POISONED_DROPPED);
    return finish(c, actionResult(c, MfType.FREE_HUGE, MfResult.Recovered));
  }
  if (ev.page === Page.hugetlb) {
    if (!hwpoisonUserMappings(c, flags)) {
      // get_huge_page_for_hwpoison set the hwpoison flag before the unmap was tried.
      c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
      return finish(c, unmapFailed(c));
    }
    // me_huge_page: anonymous hugetlb is dissolved, file hugetlb truncated: Recovered; Failed when
    // __page_handle_poison cannot dissolve it or has_extra_refcount finds another user (extra_refs).
    c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
    if (ev.extraRefs) {
      if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: huge page still referenced by 1 users`);
      return finish(c, actionResult(c, MfType.HUGE, MfResult.Failed));
    }
    return finish(c, actionResult(c, MfType.HUGE, MfResult.Recovered));
  }

  // #8-#10: get_hwpoison_page().
  switch (ev.page) {
    case Page.free:
      // take_page_off_buddy: the page never reaches an allocator again.
      c.hs.setPageState(c.spfn, PageState.POISONED_DROPPED);
      return finish(c, actionResult(c, MfType.BUDDY, MfResult.Recovered));
    case Page.slab:
    case Page.pagetable:
    case Page.kernel:
      if (sw.mf_kernel_page_unrecoverable) {
        const ret = unrecoverableKernelPage(c);
        return c.out.panic ? ret : finish(c, ret); // panic() never returns: no mf_ret
      }
      if (c.panicOnUnrecoverable === 1) c.step('vm.panic_on_unrecoverable_memory_failure does not exist before v7.3: no effect');
      return finish(c, unhandlable(c));
    case Page.pfnmap:
      // A RAM page behind a VM_PFNMAP mapping is driver-allocated (not PG_reserved, slab or a page
      // table), so v7.3's kernel-owned check does not take it: still "get hwpoison page".
      return finish(c, unhandlable(c));
    case Page.unknown:
      // identify_page_state finds no match: me_unknown (MF_FAILED before v6.11, MF_IGNORED since).
      if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: Unknown page state`);
      c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
      return finish(c, actionResult(c, MfType.UNKNOWN, sw.mf_result_messages ? MfResult.Ignored : MfResult.Failed));
    default:
      break;
  }

  // #12: a THP is split first; split failure (pinned, conventions C16). An LBS file folio
  // (min_order_for_split() > 0) is split to its minimum order: since 689b8986776c (v6.19) that
  // still counts as "cannot split to order 0" and kills; before, the min-order split returned
  // success and the (still large) folio went on as a clean file page.
  if (ev.page === Page.file_lbs && !ev.pinned && sw.lbs_split_kill) {
    c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
    c.step('LBS folio split to its minimum order, not to order 0: kill_procs_now (689b8986776c)');
    collectProcs(c, tokill, (flags & MF_ACTION_REQUIRED) !== 0);
    killProcs(c, tokill, true, flags, ev.pageShift);
    actionResult(c, MfType.UNSPLIT_THP, MfResult.Failed);
    return finish(c, EHWPOISON);
  }
  if (isThp(ev.page) && ev.pinned) {
    c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
    if (sw.thp_split_fail_kill) {
      // v6.11+: kill_procs_now(): collect with force_early = MF_AR, forcekill, lsb = folio shift.
      c.step('THP split failed: kill_procs_now');
      collectProcs(c, tokill, (flags & MF_ACTION_REQUIRED) !== 0);
      killProcs(c, tokill, true, flags, ev.pageShift);
      actionResult(c, MfType.UNSPLIT_THP, MfResult.Failed);
      return finish(c, EHWPOISON);
    }
    c.step('THP split failed: no kill before v6.11');
    return finish(c, actionResult(c, MfType.UNSPLIT_THP, MfResult.Ignored));
  }
  // KSM before v6.4: hwpoison_user_mappings refuses before collecting anyone (verified v6.1:
  // "unmapping failed page: Ignored").
  if (ev.page === Page.ksm && !sw.ksm_memory_failure) {
    if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: can't handle KSM pages.`);
    c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
    return finish(c, unmapFailed(c));
  }

  // #13: LRU page: take care of user mappings first.
  if (!hwpoisonUserMappings(c, flags)) {
    c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
    return finish(c, unmapFailed(c));
  }

  // #15: identify_page_state on the saved flags (error_states order). Every page-state action
  // ends in has_extra_refcount(): an extra reference makes it MF_FAILED (conventions C24).
  const r = identifyPageState(c, flags);
  if (!ev.extraRefs) return finish(c, actionResult(c, r.type, r.result));
  if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: ${MF_TYPE[r.type]} still referenced by 1 users`);
  return finish(c, actionResult(c, r.type, MfResult.Failed));
}

const pageResult = { type: 0, result: 0 };

function res(type: number, result: number): { type: number; result: number } {
  pageResult.type = type;
  pageResult.result = result;
  return pageResult;
}

/** identify_page_state -> page_action: the page-state row and its action's result. */
function identifyPageState(c: Ctx, flags: number): { type: number; result: number } {
  const ev = c.ev;
  const mustKill = (flags & MF_MUST_KILL) !== 0;
  switch (ev.page) {
    case Page.swapcache_dirty:
      // me_swapcache_dirty: kept in the swap cache so that a later fault kills its owner
      // (do_swap_page: "hwpoisoned dirty swapcache pages are kept for killing owner processes").
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return res(MfType.DIRTY_SWAPCACHE, MfResult.Delayed);
    case Page.swapcache_clean:
      // me_swapcache_clean: deleted from the swap cache; the next fault reads the swap slot.
      c.hs.setPageState(c.spfn, PageState.POISONED_DROPPED);
      return res(MfType.CLEAN_SWAPCACHE, MfResult.Recovered);
    case Page.mlocked:
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return res(MfType.DIRTY_MLOCKED_LRU, MfResult.Recovered);
    case Page.mlocked_clean:
      // { mlock|dirty, mlock } -> me_pagecache_clean: a clean mlocked file page is truncated like
      // any clean page-cache page (the mlock row only changes the label).
      c.hs.setPageState(c.spfn, mustKill ? PageState.POISONED_UNMAPPED : PageState.POISONED_DROPPED);
      return res(MfType.CLEAN_MLOCKED_LRU, MfResult.Recovered);
    case Page.unevictable_dirty:
      // { unevict|dirty, unevict|dirty } -> me_pagecache_dirty: an SHM_LOCKed shmem page stays in
      // the page cache; later faults get VM_FAULT_HWPOISON.
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return res(MfType.DIRTY_UNEVICTABLE_LRU, MfResult.Recovered);
    case Page.unevictable_clean:
      // { unevict|dirty, unevict } -> me_pagecache_clean -> shmem_error_remove_folio: kept in the
      // page cache (no backing copy to re-read), so a later access faults with AR.
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return res(MfType.CLEAN_UNEVICTABLE_LRU, MfResult.Recovered);
    case Page.file_clean:
    case Page.file_text:
    case Page.file_thp:
    case Page.file_lbs:
      // me_pagecache_clean -> truncate_error_folio; the PTEs were unmapped without hwpoison
      // entries (unless MF_MUST_KILL), so a later fault reads the file again.
      c.hs.setPageState(c.spfn, mustKill ? PageState.POISONED_UNMAPPED : PageState.POISONED_DROPPED);
      return res(MfType.CLEAN_LRU, MfResult.Recovered);
    case Page.anon_clean:
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return res(MfType.CLEAN_LRU, MfResult.Recovered);
    case Page.anon:
    case Page.anon_thp:
    case Page.file_dirty:
    case Page.shmem:
    case Page.shmem_thp:
    case Page.ksm:
      // me_pagecache_dirty -> me_pagecache_clean: anon Recovered; file truncated; shmem kept in
      // the page cache (shmem_error_remove_folio), later faults get VM_FAULT_HWPOISON.
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return res(MfType.DIRTY_LRU, MfResult.Recovered);
    default:
      throw new Error(`memory_failure: page type ${ev.page} fell through`);
  }
}

/**
 * !HWPoisonHandlable: get_any_page gives up; PG_hwpoison stays set. Reported as "unknown page"
 * before v6.11 ("improve memory failure action_result messages"), "get hwpoison page" since.
 */
function unhandlable(c: Ctx): number {
  if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: unhandlable page.`);
  c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
  return actionResult(c, c.profile.switches.mf_result_messages ? MfType.GET_HWPOISON : MfType.UNKNOWN, MfResult.Ignored);
}

/**
 * v7.3: get_any_page() returns -ENOTRECOVERABLE for a kernel-owned page (PG_reserved, slab, page
 * table); memory_failure reports MF_MSG_KERNEL "reserved kernel page: Ignored" (-EBUSY). With
 * vm.panic_on_unrecoverable_memory_failure=1, action_result() then panics "Memory failure: %#lx:
 * unrecoverable page" (panic_on_unrecoverable_mf: MF_MSG_KERNEL && MF_IGNORED). PG_hwpoison was
 * set before get_hwpoison_page(), so a capture kernel skips the page.
 */
function unrecoverableKernelPage(c: Ctx): number {
  if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: unhandlable page.`);
  c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
  const ret = actionResult(c, MfType.KERNEL, MfResult.Ignored);
  if (c.panicOnUnrecoverable === 1) {
    c.step('vm.panic_on_unrecoverable_memory_failure=1: panic in action_result');
    c.panic(PanicMsg.MF_UNRECOVERABLE, c.pfn);
  }
  return ret;
}

/**
 * Does kill_accessing_process's page walk of current's mm find the pfn? It needs a present PTE or
 * a hwpoison entry; before 2e6053fea379 (v6.17) walk_page_test() skipped VM_PFNMAP VMAs.
 */
export function accessingWalkFinds(c: Ctx): boolean {
  const state = c.pageStateNow();
  if (!c.maps(c.curPid) || (state !== PageState.POISONED_MAPPED && state !== PageState.POISONED_UNMAPPED)) return false;
  return c.ev.page !== Page.pfnmap || c.profile.switches.pfnmap_walk_fix;
}

/** "unmapping failed page": Ignored before v6.11, Failed since (both -EBUSY). */
function unmapFailed(c: Ctx): number {
  return actionResult(c, MfType.UNMAP_FAILED, c.profile.switches.mf_result_messages ? MfResult.Failed : MfResult.Ignored);
}

/**
 * hwpoison_user_mappings(folio, p, pfn, flags): collect before unmapping, unmap, then kill only if
 * the page was dirty, MF_MUST_KILL is set or unmapping failed. Returns unmap success.
 */
function hwpoisonUserMappings(c: Ctx, flags: number): boolean {
  const ev = c.ev;
  if (c.mapCount === 0) {
    // !folio_mapped(): nothing to unmap, nobody to kill ("swap cache pages are always late kills").
    c.step('page not mapped by any process: no one to collect');
    return true;
  }
  const mustKill = (flags & MF_MUST_KILL) !== 0;
  const swapcache = ev.page === Page.swapcache_clean || ev.page === Page.swapcache_dirty;
  if (swapcache && c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: keeping poisoned page in swap cache`);
  if (!mustKill && !isDirty(ev.page) && cleanWritebackMapping(ev.page) && c.x) {
    c.log(`Memory failure: ${c.hex(c.pfn)}: corrupted page was clean: dropped without side effects`);
  }
  collectProcs(c, tokill, (flags & MF_ACTION_REQUIRED) !== 0);
  const unmapSuccess = !ev.pinned;
  if (!unmapSuccess && c.x) {
    c.log(`Memory failure: ${c.hex(c.pfn)}: failed to unmap page (folio mapcount=${c.mapCount})`);
  }
  const forcekill = isDirty(ev.page) || mustKill || !unmapSuccess;
  const lsb = c.faultLsb(); // tk->size_shift: the hugetlb folio size, else PAGE_SHIFT
  if (!unmapSuccess && !c.profile.switches.unmap_fail_sigbus) {
    // Before v6.11: kill_procs(&tokill, forcekill, fail = !unmap_success, ...) sends SIGKILL.
    killProcsSigkill(c, tokill);
  } else {
    killProcs(c, tokill, forcekill, flags, lsb);
  }
  c.out.unmapped = unmapSuccess;
  return unmapSuccess;
}

/**
 * #7 (and the hugetlb equivalent): TestSetPageHWPoison found PG_hwpoison already set. With
 * MF_ACTION_REQUIRED, kill_accessing_process(current) walks current's page tables.
 */
function alreadyPoisoned(c: Ctx, flags: number): number {
  const sw = c.profile.switches;
  c.out.poisoned = true;
  if (!sw.already_poisoned_fix && c.x) {
    c.log(`Memory failure: ${c.hex(c.pfn)}: already hardware poisoned`);
  }
  let ret = EHWPOISON;
  const ar = (flags & MF_ACTION_REQUIRED) !== 0;
  if (ar) ret = killAccessingProcess(c, flags);
  if (c.out.panic) return ret;
  // v6.11 added the result line; for hugetlb only with MF_ACTION_REQUIRED until the 2025 fix.
  if (sw.mf_result_messages && (ar || !c.isHugetlb() || sw.already_poisoned_fix)) {
    actionResult(c, sw.already_poisoned_fix ? MfType.ALREADY_POISONED : MfType.ALREADY_POISONED_OLD, MfResult.Failed);
  }
  return ret;
}

/** kill_accessing_process(current, pfn, flags) (kernel-model §1d). */
function killAccessingProcess(c: Ctx, flags: number): number {
  if (!c.curHasMm) {
    if (c.profile.switches.kill_accessing_mm_check) {
      c.step('kill_accessing_process: current has no mm: -EFAULT (commit 77677cdbc2aa)');
      return EFAULT;
    }
    // Before 77677cdbc2aa the kworker's NULL mm was dereferenced: an oops in a kworker.
    c.step('kill_accessing_process: current->mm is NULL and is dereferenced (before 77677cdbc2aa): oops');
    if (c.x) c.log(`Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000`);
    if (c.panicOnOops === 1) c.panic(PanicMsg.NULL_DEREF);
    return EFAULT;
  }
  // The walk finds a present PTE or a hwpoison swap entry for this pfn in current's mm.
  const found = accessingWalkFinds(c);
  if (!found && c.ev.page === Page.pfnmap && c.maps(c.curPid) && c.x) {
    c.step('kill_accessing_process: walk_page_test skips the VM_PFNMAP VMA (before 2e6053fea379)');
  }
  if (!found) {
    if (c.profile.switches.kill_accessing_not_found_ok) {
      c.step('kill_accessing_process: no mapping of the pfn in current (clean page dropped): 0');
      return 0;
    }
    c.step('kill_accessing_process: no mapping of the pfn in current: -EFAULT (before v6.15)');
    return EFAULT;
  }
  // hwpoison walk: a hugetlb entry gives the huge shift, a PTE or THP PMD gives PAGE_SHIFT.
  if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: Sending SIGBUS to ${commOf(c, c.curPid)}:${c.curPid} due to hardware memory corruption`);
  c.deliver(c.curPid, c.curTid, 7, (flags & MF_ACTION_REQUIRED) !== 0 ? 4 : 5, c.pageAddr(), c.faultLsb());
  return EHWPOISON;
}

/** #2-#5 and seed 003: the pfn has no online struct page (device memory, or no memory at all). */
function noStructPage(c: Ctx, flags: number): number {
  const ev = c.ev;
  if (!c.profile.switches.mf_pfn_no_struct_page) {
    if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: memory outside kernel control`);
    return ENXIO;
  }
  if (ev.mem !== Mem.device) {
    // memory_failure_pfn: no registered range matches.
    return actionResult(c, MfType.PFN_MAP, MfResult.Ignored);
  }
  // memory_failure_pfn, a registered range: collect_procs_pfn (force_early), MF_AR|MF_MUST_KILL,
  // kill_procs(forcekill), lsb PAGE_SHIFT. The PFN is not unmapped.
  c.out.poisoned = true;
  collectProcs(c, tokill, true);
  killProcs(c, tokill, true, flags | MF_ACTION_REQUIRED | MF_MUST_KILL, 12);
  c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
  return actionResult(c, MfType.PFN_MAP, MfResult.Recovered);
}

/**
 * soft_offline_page(pfn) (mm/memory-failure.c), for a CPER corrected error over its threshold or a
 * RAS_CEC count (MF_SOFT_OFFLINE through memory_failure_queue) and for madvise(MADV_SOFT_OFFLINE).
 * In-use user pages are migrated and free pages taken off the buddy allocator; the old page keeps
 * PG_hwpoison. Kernel pages cannot be offlined. The kernel's order: pfn_valid (-ENXIO: no struct
 * page), pfn_to_online_page (-EIO: ZONE_DEVICE), vm.enable_soft_offline (v6.11, -EOPNOTSUPP),
 * PageHWPoison ("page already poisoned", 0), get_hwpoison_page (-EIO "unhandlable page" for
 * kernel pages), then soft_offline_in_use_page (a THP is split first: "thp split failed" -EBUSY;
 * migration or isolation failure -EBUSY). Returns true when the page was offlined.
 */
export function softOfflinePage(c: Ctx): boolean {
  const ev = c.ev;
  if (ev.mem !== Mem.ram) {
    c.step(ev.mem === Mem.device ? 'soft_offline_page: ZONE_DEVICE memory is not an online page (-EIO)' : 'soft_offline_page: no struct page (-ENXIO)');
    return false;
  }
  if (c.profile.switches.enable_soft_offline_sysctl && c.profile.host.enable_soft_offline === 0) {
    // soft_offline_page(): -EOPNOTSUPP (v6.11), printed once per boot (pr_info_once).
    if (c.x) c.log('Soft offline: disabled by /proc/sys/vm/enable_soft_offline');
    return false;
  }
  if (c.pagePoisoned()) {
    if (c.x) c.log(`Soft offline: ${c.hex(c.pfn)}: page already poisoned`);
    return false;
  }
  switch (ev.page) {
    case Page.slab:
    case Page.pagetable:
    case Page.kernel:
    case Page.pfnmap:
    case Page.unknown:
    case Page.dax:
      // get_any_page(): not HWPoisonHandlable -> -EIO.
      if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: unhandlable page.`);
      return false;
    default:
      if (ev.pinned) {
        if (c.x) {
          if (ev.page === Page.anon_thp || ev.page === Page.file_thp || ev.page === Page.shmem_thp) c.log(`Soft offline: ${c.hex(c.pfn)}: thp split failed`);
          else c.log(`Soft offline: ${c.hex(c.pfn)}: ${ev.page === Page.hugetlb ? 'hugepage' : 'page'} migration failed`);
        }
        return false;
      }
      c.out.poisoned = true;
      c.hs.setPageState(c.spfn, PageState.POISONED_DROPPED);
      return true;
  }
}

export function flagNames(flags: number): string {
  const f: string[] = [];
  if (flags & MF_ACTION_REQUIRED) f.push('MF_ACTION_REQUIRED');
  if (flags & MF_MUST_KILL) f.push('MF_MUST_KILL');
  return f.length ? f.join('|') : '0';
}
