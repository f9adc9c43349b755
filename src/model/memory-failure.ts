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
    page === Page.swapcache_dirty || page === Page.mlocked || page === Page.ksm || page === Page.hugetlb;
}

/** A clean page with a writeback-capable mapping: folio_mapping() && mapping_can_writeback(). */
function cleanWritebackMapping(page: number): boolean {
  return page === Page.file_clean || page === Page.file_text;
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
    // me_huge_page: anonymous hugetlb is dissolved, file hugetlb truncated: Recovered.
    c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
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
    case Page.pfnmap:
      // !HWPoisonHandlable: get_any_page gives up; PG_hwpoison stays set. Reported as "unknown
      // page" before v6.11 ("improve memory failure action_result messages").
      if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: unhandlable page.`);
      c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
      return finish(c, actionResult(c, sw.mf_result_messages ? MfType.GET_HWPOISON : MfType.UNKNOWN, MfResult.Ignored));
    case Page.unknown:
      // identify_page_state finds no match: me_unknown (MF_FAILED before v6.11, MF_IGNORED since).
      if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: Unknown page state`);
      c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
      return finish(c, actionResult(c, MfType.UNKNOWN, sw.mf_result_messages ? MfResult.Ignored : MfResult.Failed));
    default:
      break;
  }

  // #12: a THP is split first; split failure (pinned, conventions C16).
  if (ev.page === Page.anon_thp && ev.pinned) {
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

  // #15: identify_page_state on the saved flags (error_states order).
  const mustKill = (flags & MF_MUST_KILL) !== 0;
  switch (ev.page) {
    case Page.swapcache_dirty:
      // me_swapcache_dirty: kept in the swap cache so that a later fault kills its owner
      // (do_swap_page: "hwpoisoned dirty swapcache pages are kept for killing owner processes").
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return finish(c, actionResult(c, MfType.DIRTY_SWAPCACHE, MfResult.Delayed));
    case Page.swapcache_clean:
      // me_swapcache_clean: deleted from the swap cache; the next fault reads the swap slot.
      c.hs.setPageState(c.spfn, PageState.POISONED_DROPPED);
      return finish(c, actionResult(c, MfType.CLEAN_SWAPCACHE, MfResult.Recovered));
    case Page.mlocked:
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return finish(c, actionResult(c, MfType.DIRTY_MLOCKED_LRU, MfResult.Recovered));
    case Page.file_clean:
    case Page.file_text:
      // me_pagecache_clean -> truncate_error_folio; the PTEs were unmapped without hwpoison
      // entries (unless MF_MUST_KILL), so a later fault reads the file again.
      c.hs.setPageState(c.spfn, mustKill ? PageState.POISONED_UNMAPPED : PageState.POISONED_DROPPED);
      return finish(c, actionResult(c, MfType.CLEAN_LRU, MfResult.Recovered));
    case Page.anon_clean:
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return finish(c, actionResult(c, MfType.CLEAN_LRU, MfResult.Recovered));
    case Page.anon:
    case Page.anon_thp:
    case Page.file_dirty:
    case Page.shmem:
    case Page.ksm:
      // me_pagecache_dirty -> me_pagecache_clean: anon Recovered; file truncated; shmem kept in
      // the page cache (shmem_error_remove_folio), later faults get VM_FAULT_HWPOISON.
      c.hs.setPageState(c.spfn, PageState.POISONED_UNMAPPED);
      return finish(c, actionResult(c, MfType.DIRTY_LRU, MfResult.Recovered));
    default:
      throw new Error(`memory_failure: page type ${ev.page} fell through`);
  }
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
  const state = c.pageStateNow();
  // The walk finds a present PTE or a hwpoison swap entry for this pfn in current's mm.
  const found = c.maps(c.curPid) && (state === PageState.POISONED_MAPPED || state === PageState.POISONED_UNMAPPED);
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
 * soft_offline_page(pfn) for a CPER corrected error over its threshold (MF_SOFT_OFFLINE through
 * memory_failure_queue). In-use user pages are migrated and free pages taken off the buddy
 * allocator; the old page keeps PG_hwpoison. Kernel pages cannot be offlined.
 */
export function softOfflinePage(c: Ctx): boolean {
  const ev = c.ev;
  if (c.pagePoisoned()) {
    if (c.x) c.log(`Soft offline: ${c.hex(c.pfn)}: page already poisoned`);
    return false;
  }
  if (ev.mem !== Mem.ram) return false;
  switch (ev.page) {
    case Page.slab:
    case Page.pagetable:
    case Page.kernel:
    case Page.pfnmap:
    case Page.unknown:
    case Page.dax:
      if (c.x) c.log(`Soft offline: ${c.hex(c.pfn)}: unknown page type`);
      return false;
    default:
      if (ev.pinned) {
        if (c.x) c.log(`Soft offline: ${c.hex(c.pfn)}: migration failed`);
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
