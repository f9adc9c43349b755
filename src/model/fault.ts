// What a synchronous user-mode consumer does next (docs/conventions.md C8): unless it received a
// signal in this event it re-executes the faulting instruction, which hits the page-table state
// memory_failure() left behind.
import { Ctx } from './ctx.js';
import { Arch, BUS_MCEERR_AR, Context, SI_KERNEL, SIGBUS } from './enums.js';
import { accessingWalkFinds } from './memory-failure.js';
import { PanicMsg } from './record.js';
import { PageState } from './state.js';

/** The SEA re-entry loop (conventions C9): firmware resets, or escalates to a fatal error. */
export function rebootLoop(c: Ctx): void {
  c.out.rebootLoop = true;
  c.step('the instruction re-faults on the still-mapped poisoned page: SEA re-entry loop');
  if (c.profile.host.fw_sea_limit > 0) {
    if (c.x) c.step(`firmware escalates after ${c.profile.host.fw_sea_limit} repeated SEAs: fatal error to the OS`);
    c.log('{1}[Hardware Error]: event severity: fatal');
    c.panic(PanicMsg.GHES_FATAL);
  }
  // With fw_sea_limit 0 the firmware resets the machine; signals already delivered to tasks on
  // other CPUs (AO to early sharers) were observed before that.
}

/**
 * The fault taken on a hwpoison entry (do_page_fault / do_user_addr_fault with VM_FAULT_HWPOISON:
 * force_sig_mceerr(BUS_MCEERR_AR, exact address, lsb)); for a guest, KVM's stage-2/EPT fault on
 * the unmapped page (kvm_send_hwpoison_signal: send_sig_mceerr(BUS_MCEERR_AR, hva, lsb, current)):
 * x86 lsb is always PAGE_SHIFT, arm64 lsb is the VMA shift (hugetlb: the huge page size).
 */
export function hwpoisonFault(c: Ctx): void {
  const ev = c.ev;
  if (ev.context === Context.guest) {
    const lsb = ev.arch === Arch.x86_64 ? 12 : c.faultLsb();
    c.step('guest touches the unmapped poisoned page: KVM_PFN_ERR_HWPOISON -> kvm_send_hwpoison_signal');
    c.deliver(ev.pid, ev.tid, SIGBUS, BUS_MCEERR_AR, c.pageAddr(), lsb);
  } else {
    c.step('page fault on a hwpoison entry: VM_FAULT_HWPOISON -> SIGBUS BUS_MCEERR_AR at the fault address');
    c.deliver(ev.pid, ev.tid, SIGBUS, BUS_MCEERR_AR, c.exactAddr(), c.faultLsb());
  }
}

export function userRefault(c: Ctx): void {
  const ev = c.ev;
  if (c.out.panic || c.consumerStopped()) return;
  switch (c.pageStateNow()) {
    case PageState.POISONED_UNMAPPED:
      hwpoisonFault(c);
      return;
    case PageState.POISONED_DROPPED:
      c.step('the page was dropped: the re-executed access reads good data');
      return;
    default:
      if (ev.arch === Arch.arm64) {
        rebootLoop(c);
      } else {
        // x86: the re-executed load takes a new machine check; kill_me_maybe then finds the page
        // already poisoned and kill_accessing_process walks current's page tables.
        c.step('re-executed load takes another machine check: already poisoned -> kill_accessing_process');
        c.setCurrentConsumer();
        if (accessingWalkFinds(c)) {
          c.deliver(ev.pid, ev.tid, SIGBUS, BUS_MCEERR_AR, c.pageAddr(), c.faultLsb());
        } else if (c.profile.switches.kill_accessing_not_found_ok) {
          // v6.15-v6.16 with a VM_PFNMAP mapping: the walk skips the VMA, returns 0, kill_me_maybe
          // sends nothing, and the load is re-executed again ("infinite UCE", fixed by 2e6053fea379).
          c.out.rebootLoop = true;
          c.step('kill_accessing_process finds nothing and returns 0: the load machine-checks forever (conventions C9)');
        } else {
          c.step('kill_accessing_process finds nothing: -EFAULT -> kill_me_now');
          c.deliver(ev.pid, ev.tid, SIGBUS, SI_KERNEL, -1, -1);
        }
      }
  }
}
