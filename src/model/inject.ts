// Software injection: madvise(MADV_HWPOISON) (mm/madvise.c madvise_inject_error). The injecting
// task names one of its own pages by virtual address; the kernel looks the page up with
// get_user_pages_fast() and runs memory_failure() on its pfn in the injecting task itself (current
// has the task's mm), so the injector is `current` of memory_failure() exactly as the consumer of an
// action-required machine check is in kill_me_maybe. No hardware record, no handler, no panic of
// its own; the return value goes back to the caller of madvise() (no kill_me_now).
import { Ctx, MF_ACTION_REQUIRED, NotModelledError } from './ctx.js';
import { Mem, Page } from './enums.js';
import { flagNames, memoryFailure } from './memory-failure.js';
import { definePath } from './record.js';
import { PageState } from './state.js';

const P = {
  memoryFailure: definePath('sw.madvise.memory_failure'),
  gupFailed: definePath('sw.madvise.gup_failed'),
};

/**
 * madvise_inject_error() for one page. Flags by kernel (profile switch madvise_action_required):
 * v6.11+ memory_failure(pfn, MF_ACTION_REQUIRED | MF_COUNT_INCREASED | MF_SW_SIMULATED); before,
 * the same without MF_ACTION_REQUIRED. MF_COUNT_INCREASED (the gup reference is the one
 * memory_failure() would take) and MF_SW_SIMULATED (unpoison stays allowed) change no outcome the
 * model records.
 */
export function madviseInject(c: Ctx): void {
  const ev = c.ev;
  const out = c.out;
  // get_user_pages_fast() refuses VM_PFNMAP / VM_IO mappings (device memory a driver maps without
  // a struct page): madvise() fails with EFAULT before any memory_failure().
  if (ev.page === Page.pfnmap || ev.mem === Mem.device_unregistered) {
    c.step('get_user_pages_fast: the page is in a VM_PFNMAP/VM_IO mapping: madvise fails (EFAULT), no memory_failure');
    out.path = P.gupFailed;
    return;
  }
  const st = c.pageStateNow();
  if (st === PageState.POISONED_UNMAPPED) {
    // The injector's pte is a hwpoison entry since the page was unmapped: the gup fault on it fails.
    c.step("get_user_pages_fast: the injector's pte is a hwpoison entry (the page was unmapped): madvise fails, no memory_failure");
    out.path = P.gupFailed;
    out.poisoned = true;
    return;
  }
  if (st === PageState.POISONED_DROPPED) {
    throw new NotModelledError('madvise(MADV_HWPOISON) on a page whose poisoned copy was dropped (get_user_pages_fast faults in a new page at another pfn)');
  }
  const flags = c.profile.switches.madvise_action_required ? MF_ACTION_REQUIRED : 0;
  if (c.x) c.log(`Injecting memory failure for pfn ${c.hex(c.pfn)} at process virtual address ${ev.vaddr >= 0 ? c.hex(ev.vaddr) : '(vaddr not in the trace)'}`);
  if (c.x) c.step(`madvise_inject_error in task ${ev.pid}/${ev.tid}: memory_failure with ${flagNames(flags)}${flags ? '' : ' (no MF_ACTION_REQUIRED before v6.11)'}`);
  c.setCurrentConsumer();
  out.path = P.memoryFailure;
  memoryFailure(c, flags);
}
