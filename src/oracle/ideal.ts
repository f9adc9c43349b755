// The reference policy `ideal`: what a correct RAS stack does with each trace event, stated
// independently of the kernel model (src/model, src/engine) that it is used to judge. It reads
// only the trace row and the poison state this policy itself keeps per host. The rules and the
// reason for each are in docs/ideal-policy.md; the table below is the same table, in the same
// order (the first rule that matches decides).
//
//   error, severity corrected                         -> nothing                         corrected
//   error, severity fatal or unknown                  -> panic                           fatal
//   error, recovery = 0 (deferred/recoverable)        -> panic (admin's choice)          recovery-disabled
//   sync, kernel context, x86 RIPV = 0                -> panic                           kernel-no-restart
//   sync, kernel_other                                -> panic                           kernel-no-fixup
//   no usable address (pa null or mem none):
//     sync, consumer context (user, copyin, cow, guest) -> consumer SIGBUS SI_KERNEL     no-address-consumed
//     otherwise                                       -> nothing                         no-address
//   intact copy on storage (clean, not pinned)        -> nothing, page retired           clean-copy
//   page already poisoned (earlier event, poisoned_before):
//     consumer context                                -> consumer AR                     already-poisoned
//     otherwise                                       -> nothing                         already-poisoned
//   async                                             -> AO to early mappers             async
//   sync user | guest | kernel_copyin | kernel_cow    -> consumer AR, AO to early others user-consumed …
//   sync kernel_copyout                               -> AO to early mappers             copyout-consumed
//   sync kernel_copy_mc (coredump)                    -> AO to early others              coredump-consumed
//   sync kthread_copy_mc                              -> AO to early mappers             kthread-consumed
//   access, page poisoned, data lost                  -> consumer AR (as a consumption)  access-poisoned
//     (kernel_other, which validation never lets through) -> panic                 access-kernel-no-fixup
//   access, page poisoned, clean copy re-read         -> nothing                         access-clean
//   access, healthy page                              -> nothing                         access-healthy
//
// Never a reboot loop. vmcore: `complete` after a panic with a crash kernel loaded, else `none`.
// After a panic the host reboots: its poison state is forgotten.
import { Arch, BUS_MCEERR_AO, BUS_MCEERR_AR, Context, Kind, Mem, Page, Policy, SI_KERNEL, SIGBUS, Severity } from '../model/enums.js';
import { NO_ADDR, PROFILE_DEFAULT } from '../model/record.js';
import type { TraceEvent } from '../io/trace.js';
import type { GoldenRow, GoldenSignal } from './golden.js';

/** Bump when a rule changes: golden files created from ideal record it. */
export const IDEAL_VERSION = 'ideal v1';

/**
 * What ideal assumes for a host setting the trace leaves to the profile (PROFILE_DEFAULT): the
 * built-in profiles' host defaults, i.e. a stock distribution kernel with a crash kernel loaded.
 */
export const IDEAL_HOST_DEFAULTS = { earlyKill: 0, recovery: 1, panicOnOops: 1, kdump: 1 } as const;

/** Page state kept per host, per poisoned unit (4 KiB frame, or the huge page for 21/30). */
const LOST = 1; // the data is gone: a later touch must be told (AR)
const DROPPED = 2; // an intact copy was re-read from storage: a later touch sees good data

interface HostState {
  pages: Map<number, number>;
  /** The distinct page_shift values poisoned on this host, so a lookup checks each unit size. */
  shifts: number[];
}

/** 2^s for the page shifts the contract allows (12, 21, 30); others computed on demand. */
const POW2: number[] = [];
for (let s = 0; s < 64; s++) POW2.push(2 ** s);

/** Page types whose content has an intact copy on storage that the kernel can re-read. */
const CLEAN_COPY = new Uint8Array(32);
CLEAN_COPY[Page.file_clean] = 1;
CLEAN_COPY[Page.file_text] = 1;
CLEAN_COPY[Page.swapcache_clean] = 1;
CLEAN_COPY[Page.file_thp] = 1;
CLEAN_COPY[Page.file_lbs] = 1;
CLEAN_COPY[Page.mlocked_clean] = 1;

/** Contexts in which a user task (pid) consumed its own mapping and can be told so with AR. */
const CONSUMER_AR = new Uint8Array(16);
CONSUMER_AR[Context.user] = 1;
CONSUMER_AR[Context.guest] = 1;
CONSUMER_AR[Context.kernel_copyin] = 1;
CONSUMER_AR[Context.kernel_cow] = 1;

/** Contexts whose consumer is not also sent an AO as a mapper (it got its AR, or it is dumping core). */
const CONSUMER_EXCLUDED = new Uint8Array(16);
CONSUMER_EXCLUDED[Context.user] = 1;
CONSUMER_EXCLUDED[Context.guest] = 1;
CONSUMER_EXCLUDED[Context.kernel_copyin] = 1;
CONSUMER_EXCLUDED[Context.kernel_cow] = 1;
CONSUMER_EXCLUDED[Context.kernel_copy_mc] = 1;

const RULE_FOR_CONTEXT: string[] = [];
RULE_FOR_CONTEXT[Context.user] = 'user-consumed';
RULE_FOR_CONTEXT[Context.guest] = 'guest-consumed';
RULE_FOR_CONTEXT[Context.kernel_copyin] = 'copyin-consumed';
RULE_FOR_CONTEXT[Context.kernel_cow] = 'cow-consumed';
RULE_FOR_CONTEXT[Context.kernel_copyout] = 'copyout-consumed';
RULE_FOR_CONTEXT[Context.kernel_copy_mc] = 'coredump-consumed';
RULE_FOR_CONTEXT[Context.kthread_copy_mc] = 'kthread-consumed';

function pick(v: number, dflt: number): number {
  return v === PROFILE_DEFAULT ? dflt : v;
}

export class IdealPolicy {
  /** Which rule decided the last expectation (a stable name, see docs/ideal-policy.md). */
  lastRule = '';
  private readonly hosts = new Map<string, HostState>();
  // One-entry cache: a host's events usually come in runs.
  private lastHost: string | null = null;
  private lastState: HostState | null = null;

  /**
   * The expectation for one event. Events must be fed per host in (t_ns, event_id) order (the
   * trace's replay order); the poison state of each host is carried across calls.
   */
  expect(e: TraceEvent): GoldenRow {
    const st = this.host(e.host);
    const signals: GoldenSignal[] = [];
    const panic = e.kind === Kind.access ? this.access(e, st, signals) : this.error(e, st, signals);
    if (panic) this.reboot(e.host, st);
    if (signals.length > 1) signals.sort(bySignalOrder);
    return {
      eventId: e.eventId,
      line: 0,
      panic,
      rebootLoop: false,
      vmcore: panic && pick(e.kdump, IDEAL_HOST_DEFAULTS.kdump) === 1 ? 'complete' : 'none',
      mfType: '*',
      mfResult: '*',
      signals,
    };
  }

  /** A hardware error report. Returns whether the kernel must panic; fills `out` with signals. */
  private error(e: TraceEvent, st: HostState, out: GoldenSignal[]): boolean {
    const sev = e.severity;
    if (sev === Severity.corrected) return this.rule('corrected', false);
    if (sev === Severity.fatal || sev === Severity.unknown) return this.rule('fatal', true);
    if (pick(e.recovery, IDEAL_HOST_DEFAULTS.recovery) === 0) return this.rule('recovery-disabled', true);

    const ctx = e.sync ? e.context : Context.none;
    const kernelCtx = ctx !== Context.none && ctx !== Context.user && ctx !== Context.guest;
    if (kernelCtx && e.arch === Arch.x86_64 && !e.ripv) return this.rule('kernel-no-restart', true);
    if (ctx === Context.kernel_other) return this.rule('kernel-no-fixup', true);

    if (e.pa === NO_ADDR || e.mem === Mem.none) {
      if (CONSUMER_AR[ctx] === 1 && e.pid !== 0) {
        out.push({ pid: e.pid, tid: e.tid, signo: SIGBUS, siCode: SI_KERNEL, lsb: null });
        return this.rule('no-address-consumed', false);
      }
      return this.rule('no-address', false);
    }

    const clean = CLEAN_COPY[e.page] === 1 && !e.pinned;
    const before = e.poisonedBefore ? (clean ? DROPPED : LOST) : 0;
    const known = this.lookup(st, e.pa) || before;
    if (known === 0) this.mark(st, e.pa, e.pageShift, clean ? DROPPED : LOST);
    if (clean) return this.rule('clean-copy', false);

    const consumer = CONSUMER_AR[ctx] === 1 && e.pid !== 0;
    if (consumer) out.push({ pid: e.pid, tid: e.tid, signo: SIGBUS, siCode: BUS_MCEERR_AR, lsb: e.pageShift });
    if (known !== 0) return this.rule('already-poisoned', false);

    // Newly poisoned, data lost: every early-kill process mapping the page is told (AO), except
    // a consumer that got its AR or is dumping core. An async error on guest RAM (C11 of
    // docs/conventions.md) names the VMM, which maps that RAM with its own policy (default if
    // not listed).
    const exclude = e.pid !== 0 && (CONSUMER_EXCLUDED[ctx] === 1) ? e.pid : 0;
    const vmm = !e.sync && e.context === Context.guest ? e.pid : 0;
    this.earlyMappers(e, exclude, vmm, out);
    return this.rule(e.sync ? RULE_FOR_CONTEXT[ctx]! : 'async', false);
  }

  /** A later touch of vaddr/pa, with no new hardware report. */
  private access(e: TraceEvent, st: HostState, out: GoldenSignal[]): boolean {
    let state = e.pa === NO_ADDR ? 0 : this.lookup(st, e.pa);
    if (state === 0 && e.poisonedBefore) {
      state = CLEAN_COPY[e.page] === 1 && !e.pinned ? DROPPED : LOST;
      if (e.pa !== NO_ADDR) this.mark(st, e.pa, e.pageShift, state);
    }
    if (state === 0) return this.rule('access-healthy', false);
    if (state === DROPPED) return this.rule('access-clean', false);
    // A touch of lost data is a consumption in that context (no AO: mappers were told when the
    // page was poisoned).
    if (e.context === Context.kernel_other) return this.rule('access-kernel-no-fixup', true);
    if (CONSUMER_AR[e.context] === 1 && e.pid !== 0) {
      out.push({ pid: e.pid, tid: e.tid, signo: SIGBUS, siCode: BUS_MCEERR_AR, lsb: e.pageShift });
    }
    return this.rule('access-poisoned', false);
  }

  /** AO (tid null, lsb page_shift) to each distinct early-kill mapper other than `exclude`. */
  private earlyMappers(e: TraceEvent, exclude: number, vmm: number, out: GoldenSignal[]): void {
    const m = e.mappers;
    const hostEarly = pick(e.earlyKill, IDEAL_HOST_DEFAULTS.earlyKill) === 1;
    let vmmListed = false;
    for (let i = 0; i < m.length; i += 2) {
      const pid = m[i]!;
      if (pid === vmm) vmmListed = true;
      const pol = m[i + 1]!;
      const early = pol === Policy.early || (pol === Policy.default && hostEarly);
      if (!early || pid === exclude || hasPid(out, pid)) continue;
      out.push({ pid, tid: null, signo: SIGBUS, siCode: BUS_MCEERR_AO, lsb: e.pageShift });
    }
    if (vmm !== 0 && !vmmListed && hostEarly && vmm !== exclude) {
      out.push({ pid: vmm, tid: null, signo: SIGBUS, siCode: BUS_MCEERR_AO, lsb: e.pageShift });
    }
  }

  private rule(name: string, panic: boolean): boolean {
    this.lastRule = name;
    return panic;
  }

  private host(h: string): HostState {
    if (h === this.lastHost && this.lastState) return this.lastState;
    let st = this.hosts.get(h);
    if (!st) {
      st = { pages: new Map(), shifts: [] };
      this.hosts.set(h, st);
    }
    this.lastHost = h;
    this.lastState = st;
    return st;
  }

  /** A panic reboots the host: a freshly booted kernel knows of no poisoned page. */
  private reboot(h: string, st: HostState): void {
    if (st.pages.size === 0) return;
    const fresh: HostState = { pages: new Map(), shifts: [] };
    this.hosts.set(h, fresh);
    if (this.lastHost === h) this.lastState = fresh;
  }

  /** LOST, DROPPED, or 0 when no poisoned unit (of any size used on this host) contains pa. */
  private lookup(st: HostState, pa: number): number {
    const sh = st.shifts;
    for (let i = 0; i < sh.length; i++) {
      const s = sh[i]!;
      const v = st.pages.get(Math.floor(pa / POW2[s]!) * 64 + s);
      if (v !== undefined) return v;
    }
    return 0;
  }

  private mark(st: HostState, pa: number, shift: number, state: number): void {
    if (!st.shifts.includes(shift)) st.shifts.push(shift);
    // Unit number (< 2^41 for pa < 2^53) times 64 plus the shift: an exact double.
    st.pages.set(Math.floor(pa / POW2[shift]!) * 64 + shift, state);
  }
}

function hasPid(out: GoldenSignal[], pid: number): boolean {
  for (let i = 0; i < out.length; i++) if (out[i]!.pid === pid) return true;
  return false;
}

/** Golden order: pid, then tid (none first), then signo, si_code. */
function bySignalOrder(a: GoldenSignal, b: GoldenSignal): number {
  return a.pid - b.pid || (a.tid ?? -1) - (b.tid ?? -1) || a.signo - b.signo || a.siCode - b.siCode;
}

/**
 * Ideal expectations for a whole trace, sorted by event_id. Events are replayed per host in
 * (t_ns, event_id) order whatever order they are given in.
 */
export function idealGolden(events: readonly TraceEvent[]): GoldenRow[] {
  const ordered = inReplayOrder(events) ? events : [...events].sort(byReplayOrder);
  const p = new IdealPolicy();
  const rows: GoldenRow[] = new Array<GoldenRow>(ordered.length);
  let sorted = true;
  for (let i = 0; i < ordered.length; i++) {
    rows[i] = p.expect(ordered[i]!);
    if (i > 0 && rows[i - 1]!.eventId > rows[i]!.eventId) sorted = false;
  }
  if (!sorted) rows.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  return rows;
}

/** Whether each host's events already come in (t_ns, event_id) order. */
function inReplayOrder(events: readonly TraceEvent[]): boolean {
  const last = new Map<string, TraceEvent>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const p = last.get(e.host);
    if (p && byReplayOrder(p, e) > 0) return false;
    last.set(e.host, e);
  }
  return true;
}

function byReplayOrder(a: TraceEvent, b: TraceEvent): number {
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  if (a.tNs !== b.tNs) return a.tNs < b.tNs ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}
