// Cross-column rules of a trace event: combinations no machine produces are rejected up front,
// so the model never guesses. Returns the offending column and what was expected, or null.
import { Arch, Context, Kind, Mem, Notify, Page, Severity, Vendor } from './enums.js';
import type { EventRecord } from './record.js';

export interface Violation {
  column: string;
  expected: string;
}

const X86_NATIVE = [Notify.mce, Notify.cmci, Notify.poll];
const X86_GHES = [Notify.nmi, Notify.sci, Notify.polled, Notify.gsiv, Notify.gpio];
const ARM64_GHES_ASYNC = [Notify.sdei, Notify.gsiv, Notify.gpio, Notify.sci, Notify.polled];
const CONSUMER_CONTEXTS = [Context.user, Context.kernel_copyin, Context.kernel_cow, Context.kernel_copy_mc, Context.guest];

export function validateEvent(ev: EventRecord): Violation | null {
  if (ev.page === Page.file_lbs) {
    // The mapping's minimum folio size (block size > PAGE_SIZE): what the folio is split to.
    if (ev.pageShift < 13 || ev.pageShift > 21) return { column: 'page_shift', expected: '13 to 21 for file_lbs (the minimum folio size of the mapping, above 4 KiB)' };
  } else if (![12, 21, 30].includes(ev.pageShift)) return { column: 'page_shift', expected: '12, 21 or 30' };
  if (ev.kind === Kind.access) {
    if (ev.notify !== Notify.none) return { column: 'notify', expected: 'none (or empty) for an access event' };
    if (![Context.user, Context.guest, Context.kernel_copyin, Context.kernel_copyout].includes(ev.context)) {
      return { column: 'context', expected: 'user, guest, kernel_copyin or kernel_copyout for an access event' };
    }
    if (ev.pa < 0) return { column: 'pa', expected: 'the physical address the access touches' };
    if (ev.pid === 0) return { column: 'pid', expected: 'the accessing process (non-zero)' };
    return null;
  }
  const x86 = ev.arch === Arch.x86_64;
  if (!x86 && ev.vendor !== Vendor.intel) return { column: 'vendor', expected: 'empty (or intel) on arm64: the vendor selects the x86 severity table' };
  if (ev.notify === Notify.none) return { column: 'notify', expected: 'a notification type for an error event' };
  if (ev.notify === Notify.madvise || ev.notify === Notify.madvise_soft_offline) return validateMadvise(ev);
  if (x86) {
    if (X86_NATIVE.includes(ev.notify)) {
      if (ev.firmwareFirst) return { column: 'firmware_first', expected: 'false: mce, cmci and poll are native x86 MCA' };
      if (ev.severity === Severity.unknown) return { column: 'severity', expected: 'corrected, deferred, recoverable or fatal for native x86 MCA' };
      // fatal with cmci/poll: a record machine_check_poll logged (poll timer, CMCI, or at boot from
      // the banks of the previous boot), replayed as logged only (mce.ts polledFatal).
    } else if (X86_GHES.includes(ev.notify)) {
      if (!ev.firmwareFirst) return { column: 'firmware_first', expected: 'true: nmi, sci, polled, gsiv and gpio are APEI GHES notifications' };
    } else {
      return { column: 'notify', expected: 'mce, cmci, poll, nmi, sci, polled, gsiv or gpio on x86_64' };
    }
  } else {
    if (ev.notify === Notify.sea) {
      // A synchronous external abort is taken by an executing access (do_sea, is_hest_sync_notify).
      if (!ev.sync) return { column: 'sync', expected: 'true for notify sea: a synchronous external abort is a consumed error' };
    } else if (ev.notify === Notify.sei) {
      if (ev.firmwareFirst) return { column: 'firmware_first', expected: 'false for sei: ghes_probe rejects SEI error sources ("Unknown notification type"), so only kernel-first SError reaches the OS' };
    } else if (ARM64_GHES_ASYNC.includes(ev.notify)) {
      if (!ev.firmwareFirst) return { column: 'firmware_first', expected: 'true: sdei, gsiv, gpio, sci and polled are APEI GHES notifications' };
    } else {
      return { column: 'notify', expected: 'sea, sei, sdei, gsiv, gpio, sci or polled on arm64' };
    }
  }
  const ghes = ev.firmwareFirst;
  if (ghes && ev.severity === Severity.deferred) {
    return { column: 'severity', expected: 'recoverable, fatal, corrected or unknown for a GHES (CPER) record' };
  }
  if (ev.sync) {
    if (!(x86 ? ev.notify === Notify.mce : ev.notify === Notify.sea)) {
      return { column: 'notify', expected: x86 ? 'mce for a synchronous (consumed) error on x86_64' : 'sea for a synchronous (consumed) error on arm64' };
    }
    if (ev.severity === Severity.corrected || ev.severity === Severity.deferred) {
      return { column: 'severity', expected: 'recoverable, fatal or unknown for a synchronous error' };
    }
    if (ev.context === Context.none) return { column: 'context', expected: 'who consumed the data (required for a synchronous error)' };
    if (CONSUMER_CONTEXTS.includes(ev.context) && ev.pid === 0) {
      return { column: 'pid', expected: 'the consuming process (non-zero) for this context' };
    }
  } else if (ev.context !== Context.none && ev.context !== Context.guest) {
    return { column: 'context', expected: 'none (or guest: the page is guest RAM of VMM pid) for an asynchronous error' };
  } else if (ev.context === Context.guest && ev.pid === 0) {
    return { column: 'pid', expected: 'the VMM process owning the guest RAM' };
  }
  return null;
}

/**
 * madvise(MADV_HWPOISON) and madvise(MADV_SOFT_OFFLINE), either arch: the task (pid, context user)
 * names a page it maps; memory_failure() handles it as an uncorrected error (notify madvise), or
 * soft_offline_page() migrates it as a page with corrected errors would be (notify
 * madvise_soft_offline). firmware_first is not read (no firmware record; its arm64 default stays
 * accepted).
 */
function validateMadvise(ev: EventRecord): Violation | null {
  const n = ev.notify === Notify.madvise ? 'madvise' : 'madvise_soft_offline';
  if (ev.notify === Notify.madvise) {
    if (ev.severity !== Severity.recoverable) return { column: 'severity', expected: 'recoverable for notify madvise: memory_failure() handles the injected page as an uncorrected error' };
  } else if (ev.severity !== Severity.corrected) {
    return { column: 'severity', expected: 'corrected for notify madvise_soft_offline: soft offline is for a page that still works (no uncorrected error)' };
  }
  if (ev.sync) return { column: 'sync', expected: ev.notify === Notify.madvise ? 'false for notify madvise: nothing consumed the data (whether the injector gets BUS_MCEERR_AR is the kernel\'s choice: profile switch madvise_action_required)' : 'false for notify madvise_soft_offline: nothing consumed the data' };
  if (ev.context !== Context.user) return { column: 'context', expected: `user for notify ${n}: the calling task, in its madvise() call` };
  if (ev.pid === 0) return { column: 'pid', expected: `the calling process (non-zero) for notify ${n}` };
  if (ev.pa < 0) return { column: 'pa', expected: `the physical address of the page for notify ${n}` };
  if (ev.mem === Mem.none) return { column: 'mem', expected: `ram, device or device_unregistered for notify ${n}: the task maps the page` };
  return null;
}
