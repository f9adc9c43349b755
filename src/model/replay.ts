// The entry point of the model: replay one event of one host under one profile.
// Pure: state lives in the HostState the caller passes; no I/O, no clock.
import { Ctx, NotModelledError } from './ctx.js';
import { Arch, Context, Kind, Notify, Severity } from './enums.js';
import { guestAction } from './kvm.js';
import { vmcoreAfterPanic } from './kdump.js';
import { x86Error } from './mce.js';
import type { Profile } from './profiles.js';
import { definePath, EventRecord, Explain, Outcome } from './record.js';
import { arm64Error, ghesAsync } from './sea.js';
import { hwpoisonFault } from './fault.js';
import { madviseInject, madviseSoftOffline } from './inject.js';
import { HostState, PageState } from './state.js';

const P = {
  accessFault: definePath('access.hwpoison_fault'),
  accessKvm: definePath('access.kvm.hwpoison'),
  accessKernel: definePath('access.kernel.efault'),
  accessClean: definePath('access.no_poison'),
  accessDropped: definePath('access.dropped_page'),
};

export class Replayer {
  private readonly c = new Ctx();

  /**
   * Replay `ev` under `profile` against host state `hs`, writing `out` (reset first). `x` receives
   * the decision steps and kernel log lines, or null. Throws NotModelledError for a combination the
   * model does not cover.
   */
  replay(ev: EventRecord, profile: Profile, hs: HostState, out: Outcome, x: Explain | null = null): void {
    const c = this.c;
    c.begin(ev, profile, hs, out, x);
    if (ev.kind === Kind.access) {
      access(c);
    } else if (ev.notify === Notify.madvise) {
      madviseInject(c);
    } else if (ev.notify === Notify.madvise_soft_offline) {
      madviseSoftOffline(c);
    } else if (ev.arch === Arch.x86_64) {
      if (ev.notify === Notify.mce || ev.notify === Notify.cmci || ev.notify === Notify.poll) x86Error(c);
      else ghesAsync(c); // x86 firmware-first sources are all asynchronous (is_hest_sync_notify)
    } else {
      arm64Error(c);
    }
    guestAction(c);
    vmcoreAfterPanic(c);
    if (out.panic || out.rebootLoop) {
      c.step('the host reboots: its replay state is reset (conventions C10)');
      hs.reset();
    }
  }
}

/**
 * Events whose outcome depends only on (arch, notify, firmware_first, severity, pa present) and the
 * profile, and which neither read nor write host state: corrected errors, except those that GHES
 * puts through the estatus cache (NMI-like sources) or counts toward the CPER threshold. Returns a
 * small key for memoizing their outcome, or -1. Kept next to the rules it summarises: mce.ts
 * (corrected: KEEP, no action), ghes.ts (ghesEntry cache for sea/sdei/nmi; countCorrected when
 * fw_ce_threshold > 0), mce.ts (RAS_CEC when cec_threshold > 0), sea.ts (SError corrected: continue);
 * a soft offline request (notify madvise_soft_offline, severity corrected) is never state-free.
 */
export function statelessKey(arch: number, kind: number, notify: number, firmwareFirst: boolean, severity: number, hasPa: boolean, profile: Profile): number {
  if (kind !== Kind.error || severity !== Severity.corrected) return -1;
  // madvise(MADV_SOFT_OFFLINE) reads and writes the page's state (inject.ts madviseSoftOffline).
  if (notify === Notify.madvise_soft_offline) return -1;
  // x86 RAS_CEC counts native corrected errors with an address (mce.ts rasCec).
  if (!firmwareFirst && arch === Arch.x86_64 && hasPa && profile.host.cec_threshold > 0) return -1;
  if (firmwareFirst) {
    if (notify === Notify.sea || notify === Notify.sdei || notify === Notify.nmi) return -1;
    if (hasPa && profile.host.fw_ce_threshold > 0) return -1;
  }
  return ((arch * 16 + notify) * 2 + (firmwareFirst ? 1 : 0)) * 2 + (hasPa ? 1 : 0);
}

/**
 * `kind = access` (conventions C14): a task touches the page again with no new hardware report.
 */
function access(c: Ctx): void {
  const ev = c.ev;
  switch (c.pageStateNow()) {
    case PageState.HEALTHY:
      c.step('the page is not poisoned: nothing happens');
      c.out.path = P.accessClean;
      return;
    case PageState.POISONED_DROPPED:
      c.step('the poisoned copy was dropped: the access reads good data');
      c.out.path = P.accessDropped;
      c.out.poisoned = true;
      return;
    case PageState.POISONED_UNMAPPED:
      c.out.poisoned = true;
      if (ev.context === Context.user || ev.context === Context.guest) {
        c.out.path = ev.context === Context.guest ? P.accessKvm : P.accessFault;
        hwpoisonFault(c);
      } else if (ev.context === Context.kernel_copyin || ev.context === Context.kernel_copyout) {
        c.step('uaccess faults on the hwpoison entry: the fixup returns -EFAULT, no signal');
        c.out.path = P.accessKernel;
      } else {
        throw new NotModelledError(`an access with context ${ev.context} (expected user, guest, kernel_copyin or kernel_copyout)`);
      }
      return;
    default:
      // Still mapped: the access consumes the poison again, a new synchronous error.
      c.step('the page is still mapped: the access consumes the poison again (a new synchronous error)');
      ev.sync = true;
      ev.severity = Severity.recoverable;
      if (ev.arch === Arch.x86_64) {
        ev.notify = Notify.mce;
        ev.firmwareFirst = false;
        x86Error(c);
      } else {
        ev.notify = Notify.sea;
        arm64Error(c);
      }
  }
}
