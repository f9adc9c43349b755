// Replay of a trace held in memory (scenario size): per profile, per host in (t_ns, event_id)
// order, through the one model. Outcomes come back in (profile, event_id) order.
import { NotModelledError } from '../model/ctx.js';
import { GUEST_ACTION, MF_RESULT, MF_TYPE, VMCORE } from '../model/enums.js';
import type { Profile } from '../model/profiles.js';
import { EventRecord, Explain, NO_ADDR, Outcome, panicText, PATH_NAMES } from '../model/record.js';
import { Replayer } from '../model/replay.js';
import { FleetState } from '../model/state.js';
import { InputError } from '../io/errors.js';
import { fillRecord, TraceEvent } from '../io/trace.js';

export interface SignalRow {
  seq: number;
  pid: number;
  tid: number;
  signo: number;
  si_code: number;
  addr: number | null;
  addr_lsb: number | null;
}

export interface OutcomeRow {
  event_id: bigint;
  host: string;
  profile: string;
  panic: boolean;
  panic_msg: string | null;
  reboot_loop: boolean;
  vmcore: string;
  mf_type: string | null;
  mf_result: string | null;
  mf_ret: number | null;
  poisoned: boolean;
  unmapped: boolean;
  guest_action: string;
  path: string;
  signals: SignalRow[];
}

export function outcomeRow(e: TraceEvent, profile: string, o: Outcome): OutcomeRow {
  const s = o.signals;
  const signals: SignalRow[] = [];
  for (let i = 0; i < s.count; i++) {
    signals.push({
      seq: i,
      pid: s.pid[i]!,
      tid: s.tid[i]!,
      signo: s.signo[i]!,
      si_code: s.siCode[i]!,
      addr: s.addr[i] === NO_ADDR ? null : s.addr[i]!,
      addr_lsb: s.lsb[i]! < 0 ? null : s.lsb[i]!,
    });
  }
  return {
    event_id: e.eventId,
    host: e.host,
    profile,
    panic: o.panic,
    panic_msg: panicText(o),
    reboot_loop: o.rebootLoop,
    vmcore: VMCORE[o.vmcore]!,
    mf_type: o.mfType < 0 ? null : MF_TYPE[o.mfType]!,
    mf_result: o.mfResult < 0 ? null : MF_RESULT[o.mfResult]!,
    mf_ret: o.mfRan ? o.mfRet : null,
    poisoned: o.poisoned,
    unmapped: o.unmapped,
    guest_action: GUEST_ACTION[o.guestAction]!,
    path: PATH_NAMES[o.path]!,
    signals,
  };
}

export interface ReplayOptions {
  /** Explain this event (its steps and log lines go to `explain`). */
  explainEvent?: bigint;
  explain?: Explain;
}

export function replayEvents(events: TraceEvent[], profiles: Profile[], opts: ReplayOptions = {}): OutcomeRow[] {
  const rows: OutcomeRow[] = [];
  const rec = new EventRecord();
  const out = new Outcome();
  const replayer = new Replayer();
  for (const profile of profiles) {
    const hosts = new Map<string, number>();
    const states = new FleetState();
    const perProfile: OutcomeRow[] = [];
    for (const e of events) {
      let h = hosts.get(e.host);
      if (h === undefined) {
        h = hosts.size;
        hosts.set(e.host, h);
      }
      const hs = states.host(h);
      fillRecord(rec, e, 0);
      const x = opts.explain && opts.explainEvent === e.eventId ? opts.explain : null;
      try {
        replayer.replay(rec, profile, hs, out, x);
      } catch (err) {
        if (err instanceof NotModelledError) {
          throw new InputError(`${e.where}: event_id ${e.eventId} under profile ${profile.name}: ${err.message}`, undefined, undefined, undefined, { cause: err });
        }
        throw err;
      }
      perProfile.push(outcomeRow(e, profile.name, out));
    }
    perProfile.sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
    rows.push(...perProfile);
  }
  return rows;
}

/** One JSON object per line, as docs/trace-format.md §3 describes (`run --jsonl`). 64-bit ids stay exact. */
export function outcomeJson(r: OutcomeRow): string {
  const { event_id, signals, ...rest } = r;
  const body = JSON.stringify({ ...rest, signals });
  return `{"event_id":${event_id.toString()},${body.slice(1)}`;
}

/**
 * One event's outcome with its decision steps (`  - …`) and kernel log lines (`  | …`). The host's
 * earlier events are replayed too: the outcome depends on the host's state.
 */
export function explainEvent(events: readonly TraceEvent[], id: bigint, profile: Profile): { event: TraceEvent; row: OutcomeRow; lines: string[] } | null {
  const target = events.find((e) => e.eventId === id);
  if (!target) return null;
  const lines: string[] = [];
  const x: Explain = { step: (t) => lines.push(`  - ${t}`), log: (l) => lines.push(`  | ${l}`) };
  const hostEvents = events.filter((e) => e.host === target.host && (e.tNs < target.tNs || (e.tNs === target.tNs && e.eventId <= id)));
  const rows = replayEvents(hostEvents, [profile], { explainEvent: id, explain: x });
  return { event: target, row: rows.find((r) => r.event_id === id)!, lines };
}
