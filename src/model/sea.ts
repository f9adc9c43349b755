// arm64 synchronous external abort and SError (arch/arm64/mm/fault.c do_sea, arch/arm64/kernel/
// acpi.c apei_claim_sea, arch/arm64/kernel/traps.c do_serror; kernel-model §3, §4).
import { Ctx, NotModelledError } from './ctx.js';
import { BUS_OBJERR, Context, Notify, Severity, SI_KERNEL, SIGBUS, SIGSEGV } from './enums.js';
import { GhesWork, ghesDoProc, ghesEntry, ghesRunWork, mfQueue } from './ghes.js';
import { kvmGuestSea } from './kvm.js';
import { definePath, PanicMsg } from './record.js';
import { rebootLoop, userRefault } from './fault.js';

const P = {
  kernelFirstUser: definePath('arm64.sea.kernel_first.user'),
  kernelFirstKernel: definePath('arm64.sea.kernel_first.kernel.die'),
  kernelDie: definePath('arm64.sea.kernel.die'),
  kernelNoFixupDie: definePath('arm64.sea.kernel.no_mc_fixup.die'),
  serrorPanic: definePath('arm64.serror.panic'),
  serrorIgnored: definePath('arm64.serror.recoverable'),
};

export function arm64Error(c: Ctx): void {
  switch (c.ev.notify) {
    case Notify.sea:
      arm64Sea(c);
      return;
    case Notify.sei:
      arm64Serror(c);
      return;
    default:
      ghesAsync(c);
  }
}

/** Asynchronous GHES sources (SDEI, GSIV, GPIO, SCI, polled; NMI on x86): flags 0, kworker. */
export function ghesAsync(c: Ctx): void {
  if (!ghesEntry(c)) return;
  const work = ghesDoProc(c, false);
  ghesRunWork(c, work);
}

/**
 * die(): "Internal error: synchronous external abort"; panics with panic_on_oops (or in an
 * interrupt), else the task is killed as an oops (conventions C6).
 */
export function arm64Die(c: Ctx): void {
  const ev = c.ev;
  c.log('Internal error: synchronous external abort: 0000000096000410 [#1] SMP');
  if (c.panicOnOops === 1) {
    c.panic(PanicMsg.SEA_FATAL);
    return;
  }
  c.step('panic_on_oops=0: the oops kills the task (make_task_dead(SIGSEGV))');
  c.deliver(ev.pid, ev.tid, SIGSEGV, SI_KERNEL, -1, -1);
}

function arm64Sea(c: Ctx): void {
  const ev = c.ev;
  const sw = c.profile.switches;
  const out = c.out;
  if (ev.context === Context.guest) {
    kvmGuestSea(c);
    return;
  }
  const user = ev.context === Context.user;
  // A coredumping process takes only SIGKILL, whichever path signals it (prepare_signal).
  if (ev.context === Context.kernel_copy_mc) c.coredumpPid = ev.pid;
  if (!ev.firmwareFirst) {
    // apei_claim_sea() finds no GHES: arm64_notify_die(SIGBUS, BUS_OBJERR, far) -> user: forced
    // SIGBUS BUS_OBJERR at the fault address; kernel: die(). Nothing isolates the page.
    if (user) {
      c.step('kernel-first SEA in user mode: SIGBUS BUS_OBJERR (arm64_notify_die)');
      out.path = P.kernelFirstUser;
      c.deliver(ev.pid, ev.tid, SIGBUS, BUS_OBJERR, c.exactAddr(), -1);
    } else {
      out.path = P.kernelFirstKernel;
      arm64Die(c);
    }
    return;
  }
  if (!user && !sw.arm64_copy_mc) {
    // do_sea: `if (user_mode(regs) && apei_claim_sea(regs) == 0) return 0;` — a kernel-mode SEA
    // is never offered to APEI: die().
    c.step('kernel-mode SEA without arm64 copy_mc (seed 004): not offered to APEI, die()');
    out.path = P.kernelDie;
    arm64Die(c);
    return;
  }
  // apei_claim_sea -> ghes_notify_sea (user mode; with seed 004 also kernel mode).
  const processed = ghesEntry(c);
  if (out.panic) return;
  const work = processed ? ghesDoProc(c, true) : GhesWork.NONE;
  if (sw.arm64_sea_objerr && c.curHasMm) {
    // Seed 004 patch 6: after a successful claim, arm64_force_sig_fault(SIGBUS, BUS_OBJERR, far).
    c.step('seed 004 patch 6: SIGBUS BUS_OBJERR to current after the claim');
    c.log('Uncorrected memory error on access to poison memory');
    c.deliver(ev.pid, ev.tid, SIGBUS, BUS_OBJERR, c.exactAddr(), -1);
  }
  if (user) {
    if (!processed) {
      if (!c.consumerStopped()) rebootLoop(c);
      return;
    }
    ghesRunWork(c, work);
    userRefault(c);
    return;
  }
  // Seed 004 do_apei_claim_sea: kernel mode recovers only through an MC-safe fixup.
  switch (ev.context) {
    case Context.kernel_other:
      c.step('no machine-check-safe fixup for this kernel access: die()');
      out.path = P.kernelNoFixupDie;
      arm64Die(c);
      if (!out.panic) {
        // The dying task runs its pending task work at exit, without an mm.
        c.curHasMm = false;
        ghesRunWork(c, work === GhesWork.TASK_WORK || work === GhesWork.KICK ? GhesWork.KWORKER : work);
      }
      return;
    case Context.kernel_cow:
      // copy_mc_user_highpage fails: memory_failure_queue(pfn, 0) and VM_FAULT_HWPOISON, which
      // do_page_fault turns into SIGBUS BUS_MCEERR_AR at the fault address.
      c.step('COW copy_mc fails: VM_FAULT_HWPOISON -> SIGBUS BUS_MCEERR_AR');
      c.deliver(ev.pid, ev.tid, SIGBUS, 4, c.exactAddr(), c.faultLsb());
      ghesRunWork(c, work);
      mfQueue(c, 0);
      return;
    case Context.kthread_copy_mc:
      c.step('kernel thread copy_mc fails: collapse aborted');
      ghesRunWork(c, work);
      if (c.profile.switches.copy_mc_mf_queue) mfQueue(c, 0);
      return;
    case Context.kernel_copy_mc:
      c.step('coredump copy_mc fails: the dump stops; the dumping task takes only SIGKILL');
      ghesRunWork(c, work);
      return;
    case Context.kernel_copyin:
    case Context.kernel_copyout:
      c.step('uaccess copy fails: the syscall returns a short count or -EFAULT');
      ghesRunWork(c, work);
      return;
    default:
      throw new NotModelledError(`an arm64 SEA with context ${ev.context}`);
  }
}

/**
 * SError, kernel-first (firmware-first SEI sources are rejected by ghes_probe, so validation refuses
 * them). do_serror(): arm64_is_fatal_ras_serror() lets CE and UEO (restartable, not yet consumed:
 * `deferred`) continue; UER (`recoverable`: "the CPU can't make progress"), UEU and UC panic with
 * "Asynchronous SError Interrupt". No memory_failure either way (docs/source-check.md §7).
 */
function arm64Serror(c: Ctx): void {
  const ev = c.ev;
  if (ev.severity !== Severity.corrected && ev.severity !== Severity.deferred) {
    c.out.path = P.serrorPanic;
    c.log('SError Interrupt on CPU0, code 0x00000000bf000002 -- SError');
    c.panic(PanicMsg.SERROR);
    return;
  }
  c.step('corrected or restartable (UEO) RAS SError: not fatal (arm64_is_fatal_ras_serror), continue');
  c.out.path = P.serrorIgnored;
}
