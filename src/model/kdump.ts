// kdump after a panic (seed 002; kernel-model §7; conventions C22). makedumpfile learns PG_hwpoison
// from VMCOREINFO and excludes marked pages; otherwise the capture kernel reads the poisoned page in
// __copy_oldmem_page, takes a fatal machine check, and the vmcore is incomplete.
import { Ctx } from './ctx.js';
import { Mem, Vmcore } from './enums.js';
import { PageState } from './state.js';

export function vmcoreAfterPanic(c: Ctx): void {
  const out = c.out;
  if (!out.panic || !c.kdump) {
    out.vmcore = Vmcore.none;
    return;
  }
  const ev = c.ev;
  if (ev.pa >= 0 && ev.mem !== Mem.ram) {
    out.vmcore = Vmcore.complete; // not System RAM: not part of the dump
    return;
  }
  const marked = ev.pa >= 0 && (ev.poisonedBefore || c.hs.pageState(c.spfn) !== PageState.HEALTHY);
  out.vmcore = marked ? Vmcore.complete : Vmcore.incomplete;
  c.step(marked ? 'kdump: the page is PG_hwpoison, makedumpfile skips it: vmcore complete'
    : 'kdump: the capture kernel reads the unmarked poisoned page: vmcore incomplete');
}
