// KVM guests (seed 001; kernel-model §5) and what the VMM does with the signals it receives
// (QEMU target/arm/kvm.c and target/i386/kvm/kvm.c kvm_arch_on_sigbus_vcpu; conventions C12).
import { Ctx } from './ctx.js';
import { Arch, BUS_MCEERR_AO, BUS_MCEERR_AR, Context, GuestAction, SIGBUS } from './enums.js';
import { ghesDoProc, ghesEntry, ghesRunWork } from './ghes.js';
import { definePath } from './record.js';
import { rebootLoop, userRefault } from './fault.js';

const P = {
  unclaimed: definePath('arm64.kvm.sea.unclaimed.vserror'),
};

/**
 * A guest SEA: kvm_handle_guest_abort -> kvm_handle_guest_sea -> apei_claim_sea(NULL) in the vCPU
 * thread. Claimed: GHES handles it and KVM re-enters the guest, after the task work and unless a
 * signal is pending. Not claimed (no firmware-first): a virtual SError is injected
 * (kvm_inject_vabt / kvm_inject_serror); the host does nothing to the page.
 */
export function kvmGuestSea(c: Ctx): void {
  const ev = c.ev;
  if (!ev.firmwareFirst) {
    c.step('guest SEA not claimed by APEI: KVM injects a virtual SError into the guest');
    c.out.path = P.unclaimed;
    return;
  }
  const processed = ghesEntry(c);
  if (c.out.panic) return;
  if (!processed) {
    if (!c.consumerStopped()) rebootLoop(c);
    return;
  }
  const work = ghesDoProc(c, true);
  ghesRunWork(c, work);
  // No signal pending on the vCPU thread: KVM re-enters the guest, which re-executes the access.
  userRefault(c);
}

/** guest_action for the VMM `ev.pid` (conventions C12): the last observed signal decides. */
export function guestAction(c: Ctx): void {
  const ev = c.ev;
  if (ev.context !== Context.guest) return;
  const s = c.out.signals;
  let action: number = GuestAction.none;
  for (let i = 0; i < s.count; i++) {
    if (s.pid[i] !== ev.pid) continue;
    const code = s.siCode[i];
    if (s.signo[i] === SIGBUS && code === BUS_MCEERR_AR) {
      action = ev.guestRas ? (ev.arch === Arch.arm64 ? GuestAction.vsea : GuestAction.vmce) : GuestAction.vmm_exit;
    } else if (s.signo[i] === SIGBUS && code === BUS_MCEERR_AO) {
      action = ev.arch === Arch.x86_64 && ev.guestRas ? GuestAction.vmce : GuestAction.ignored;
    } else {
      action = GuestAction.vmm_exit;
    }
  }
  c.out.guestAction = action;
}
