// `ras-replay bisect`: for every event whose outcome differs between profile A and profile B, the
// kernel change (switch) whose change from A's value to B's produces the difference.
//
// The rules, in the order they are applied:
//   1. Flips: every switch (and host setting) on which A and B differ. Switches are read
//      generically from the profiles; title, commit and release come from KERNEL_CHANGES.
//   2. Pass 1 (one replay of the whole trace): A, B, A with flip s set to B's value ("A+s") and B
//      with s set back to A's ("B-s"), for every flip s.
//   3. An event differs when A's outcome and B's are not equal (every outcome field; signals as a
//      multiset of (pid, tid, signo, si_code, addr, addr_lsb)).
//   4. A single flip s explains a differing event when A+s reproduces B's outcome exactly. An event
//      explained by several single flips is counted under each (they are redundant for it).
//   5. A flip touches an event when A+s differs from A or B-s differs from B. A differing event no
//      single flip explains is tested with pairs of the flips that touch it (at most
//      `pairCap` touching flips per event, so at most C(pairCap, 2) pairs; at most `maxPairs`
//      distinct pairs in all): pass 2 replays only the hosts of those events under B and A+{s,t}.
//      A pair that reproduces B's outcome is an interaction.
//   6. Anything left is unexplained, with the reason (no single or pair flip reproduces B; touches
//      fewer than two flips; the pair search was capped), never hidden.
// Directions are compare.ts's (AO → AR better, panic → survived better, vmcore → complete better).
import { KERNEL_CHANGES } from '../model/kernel-changes.js';
import { GUEST_ACTION, MF_RESULT, MF_TYPE, VMCORE } from '../model/enums.js';
import type { HostDefaults, Profile, Switches } from '../model/profiles.js';
import { PANIC_MSGS, PATH_NAMES } from '../model/record.js';
import { newTraceDicts } from '../io/arrow-trace.js';
import type { TraceEvent } from '../io/trace.js';
import { EventColumns, eventFromColumns } from '../columns/events.js';
import { OutcomeColumns, SignalColumns } from '../columns/outcomes.js';
import { BatchReplayer, gatherRows } from '../engine/run.js';
import { openTraceSource } from '../engine/source.js';
import { OrderCheck } from '../engine/order.js';
import { explainEvent } from '../engine/replay-events.js';
import { changeDirection, CompareChange, signalDirection, signalLabel } from './compare.js';

export interface BisectOptions {
  trace: string;
  a: Profile;
  b: Profile;
  /** Example events per decision path (default 3). */
  examples?: number;
  /** Pairs are tested only for events touched by at most this many flips (default 6). */
  pairCap?: number;
  /** At most this many distinct pairs are replayed in pass 2 (default 64). */
  maxPairs?: number;
  batchRows?: number;
}

/** One switch (or host setting) on which A and B differ. */
export interface BisectFlip {
  name: string;
  kind: 'switch' | 'host';
  title: string;
  commit: string | null;
  mainline: string | null;
  /** Stable line -> first point release carrying the backport. */
  stable: Record<string, string>;
  from: string;
  to: string;
}

export interface BisectChange {
  what: string;
  kind: string;
  direction: CompareChange['direction'];
  count: number;
}

export interface BisectExample {
  eventId: bigint;
  host: string;
  changes: string[];
  /** The flips touching it (A+s differs from A, or B-s from B). */
  touched: string[];
  /** Decision steps and log lines under A. */
  explainA: string[];
  /** Under A with the group's flips applied (B's for unexplained events). */
  explainFlipped: string[];
}

export interface BisectPath {
  from: string;
  to: string;
  count: number;
  examples: BisectExample[];
}

export interface BisectGroup {
  /**
   * One flip (a single-switch explanation), two (an interaction), or all the flips touching the
   * events (3 or more) when no pair reproduces B.
   */
  flips: string[];
  /** No smaller set reproduces B: true for one flip, a pair, and a set of three (no pair did). */
  minimal: boolean;
  events: number;
  changes: BisectChange[];
  paths: BisectPath[];
}

export interface BisectUnexplained {
  events: number;
  reasons: { reason: string; count: number }[];
  changes: BisectChange[];
  paths: BisectPath[];
}

export interface BisectResult {
  a: string;
  b: string;
  trace: string;
  events: number;
  changedEvents: number;
  flips: BisectFlip[];
  explainedBySingle: number;
  explainedByPair: number;
  /** Explained by no single flip or pair, but by all the flips touching it together (3 or more). */
  explainedBySet: number;
  singles: BisectGroup[];
  interactions: BisectGroup[];
  unexplained: BisectUnexplained;
  pairSearch: { pairCap: number; maxPairs: number; pairsTested: number; capped: number };
}

/** Signal rows of one profile in one batch, indexed by row: rows start[i]..start[i+1]. */
class SigView {
  start = new Uint32Array(1);
  constructor(readonly sig: SignalColumns) {}
  index(n: number): void {
    if (this.start.length < n + 1) this.start = new Uint32Array(n + 1);
    const s = this.sig;
    let j = 0;
    for (let i = 0; i < n; i++) {
      this.start[i] = j;
      while (j < s.n && s.row[j]! === i) j++;
    }
    this.start[n] = j;
  }
}

interface Lane {
  replayer: BatchReplayer;
  out: OutcomeColumns;
  sv: SigView;
}

function lane(p: Profile, pool: ReturnType<typeof newTraceDicts>['mappers'], where: string, rows: number): Lane {
  return { replayer: new BatchReplayer(p, pool, where), out: new OutcomeColumns(rows), sv: new SigView(new SignalColumns()) };
}

const used = new Uint8Array(256);

/** Outcome of row i under x equals that under y (signals as a multiset). */
function sameOutcome(x: Lane, y: Lane, i: number): boolean {
  const a = x.out;
  const b = y.out;
  if (a.panic[i] !== b.panic[i] || a.panicMsg[i] !== b.panicMsg[i] || a.panicPfn[i] !== b.panicPfn[i]
    || a.rebootLoop[i] !== b.rebootLoop[i] || a.vmcore[i] !== b.vmcore[i] || a.mfType[i] !== b.mfType[i]
    || a.mfResult[i] !== b.mfResult[i] || a.mfRet[i] !== b.mfRet[i] || a.mfRan[i] !== b.mfRan[i]
    || a.poisoned[i] !== b.poisoned[i] || a.unmapped[i] !== b.unmapped[i] || a.guestAction[i] !== b.guestAction[i]
    || a.path[i] !== b.path[i]) return false;
  const xs = x.sv.sig;
  const ys = y.sv.sig;
  const x0 = x.sv.start[i]!;
  const y0 = y.sv.start[i]!;
  const n = x.sv.start[i + 1]! - x0;
  if (n !== y.sv.start[i + 1]! - y0) return false;
  if (n === 0) return true;
  let inOrder = true;
  for (let k = 0; k < n && inOrder; k++) inOrder = sameSignal(xs, x0 + k, ys, y0 + k);
  if (inOrder) return true;
  if (n > used.length) throw new Error(`bisect: ${n} signals in one event: more than ${used.length}`);
  used.fill(0, 0, n);
  for (let k = 0; k < n; k++) {
    let found = false;
    for (let m = 0; m < n && !found; m++) {
      if (!used[m] && sameSignal(xs, x0 + k, ys, y0 + m)) {
        used[m] = 1;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

function sameSignal(a: SignalColumns, j: number, b: SignalColumns, k: number): boolean {
  return a.pid[j] === b.pid[k] && a.tid[j] === b.tid[k] && a.signo[j] === b.signo[k] && a.siCode[j] === b.siCode[k]
    && a.addr[j] === b.addr[k] && a.lsb[j] === b.lsb[k];
}

/** Labels of what differs for row i between lane x (A) and y (B), compare.ts's wording. */
function changeLabels(x: Lane, y: Lane, i: number): [kind: string, what: string][] {
  const a = x.out;
  const b = y.out;
  const l: [string, string][] = [];
  if (a.panic[i] !== b.panic[i]) l.push(['panic', a.panic[i] ? 'panic → survived' : 'survived → panic']);
  else if (a.panicMsg[i] !== b.panicMsg[i] || a.panicPfn[i] !== b.panicPfn[i]) {
    l.push(['panic_msg', `panic message "${panicName(a.panicMsg[i]!)}" → "${panicName(b.panicMsg[i]!)}"`]);
  }
  if (a.rebootLoop[i] !== b.rebootLoop[i]) l.push(['reboot_loop', a.rebootLoop[i] ? 'reboot loop removed' : 'reboot loop added']);
  if (a.vmcore[i] !== b.vmcore[i]) l.push(['vmcore', `vmcore ${VMCORE[a.vmcore[i]!]} → ${VMCORE[b.vmcore[i]!]}`]);
  if (a.mfResult[i] !== b.mfResult[i]) l.push(['mf_result', `memory_failure ${mfResultName(a.mfResult[i]!)} → ${mfResultName(b.mfResult[i]!)}`]);
  if (a.mfType[i] !== b.mfType[i]) l.push(['mf_type', `action_result type ${mfTypeName(a.mfType[i]!)} → ${mfTypeName(b.mfType[i]!)}`]);
  if (a.mfRan[i] !== b.mfRan[i] || a.mfRet[i] !== b.mfRet[i]) {
    l.push(['mf_ret', `memory_failure returns ${a.mfRan[i] ? a.mfRet[i] : 'not run'} → ${b.mfRan[i] ? b.mfRet[i] : 'not run'}`]);
  }
  if (a.poisoned[i] !== b.poisoned[i]) l.push(['poisoned', a.poisoned[i] ? 'PG_hwpoison no longer set' : 'PG_hwpoison set']);
  if (a.unmapped[i] !== b.unmapped[i]) l.push(['unmapped', a.unmapped[i] ? 'page no longer unmapped' : 'page unmapped']);
  if (a.guestAction[i] !== b.guestAction[i]) l.push(['guest_action', `guest ${GUEST_ACTION[a.guestAction[i]!]} → ${GUEST_ACTION[b.guestAction[i]!]}`]);
  if (a.path[i] !== b.path[i]) l.push(['path', `path ${PATH_NAMES[a.path[i]!]} → ${PATH_NAMES[b.path[i]!]}`]);
  // Signals per task, labelled as compare.ts labels them ('AR', 'AO', 'SIGKILL', 'AO+AR', 'none').
  const la = pidLabels(x, i);
  const lb = pidLabels(y, i);
  let labelled = false;
  for (const pid of [...new Set([...la.keys(), ...lb.keys()])].sort((p, q) => p - q)) {
    const f = la.get(pid) ?? 'none';
    const t = lb.get(pid) ?? 'none';
    if (f !== t) {
      l.push(['signal', `${f} → ${t}`]);
      labelled = true;
    }
  }
  if (!labelled && !sameSignalsOnly(x, y, i)) l.push(['signal_detail', 'signal address, tid or addr_lsb changed']);
  return l;
}

function sameSignalsOnly(x: Lane, y: Lane, i: number): boolean {
  const xs = x.sv.sig;
  const ys = y.sv.sig;
  const x0 = x.sv.start[i]!;
  const y0 = y.sv.start[i]!;
  const n = x.sv.start[i + 1]! - x0;
  if (n !== y.sv.start[i + 1]! - y0) return false;
  const key = (s: SignalColumns, j: number) => `${s.pid[j]},${s.tid[j]},${s.signo[j]},${s.siCode[j]},${s.addr[j]},${s.lsb[j]}`;
  const ka: string[] = [];
  const kb: string[] = [];
  for (let k = 0; k < n; k++) {
    ka.push(key(xs, x0 + k));
    kb.push(key(ys, y0 + k));
  }
  ka.sort();
  kb.sort();
  return ka.join(';') === kb.join(';');
}

function pidLabels(x: Lane, i: number): Map<number, string> {
  const s = x.sv.sig;
  const per = new Map<number, Set<string>>();
  for (let j = x.sv.start[i]!; j < x.sv.start[i + 1]!; j++) {
    const pid = s.pid[j]!;
    let set = per.get(pid);
    if (!set) per.set(pid, (set = new Set()));
    set.add(signalLabel(s.signo[j]!, s.siCode[j]!));
  }
  const out = new Map<number, string>();
  for (const [pid, set] of per) out.set(pid, [...set].sort().join('+'));
  return out;
}

const panicName = (m: number) => (m < 0 ? 'none' : PANIC_MSGS[m]!);
const mfResultName = (r: number) => (r < 0 ? 'not run' : MF_RESULT[r]!);
const mfTypeName = (t: number) => (t < 0 ? 'none' : MF_TYPE[t]!);

function directionOf(kind: string, what: string): CompareChange['direction'] {
  if (kind === 'signal') {
    const [f, t] = what.split(' → ') as [string, string];
    return signalDirection(f, t);
  }
  return changeDirection(what);
}

/** The flips between A and B: switches first (in the profile's key order), then host settings. */
export function bisectFlips(a: Profile, b: Profile): BisectFlip[] {
  const flips: BisectFlip[] = [];
  const sa = a.switches as unknown as Record<string, boolean>;
  const sb = b.switches as unknown as Record<string, boolean>;
  for (const k of Object.keys(sa)) {
    if (!(k in sb)) throw new Error(`bisect: switch ${k} of ${a.name} is missing from ${b.name}`);
    if (sa[k] === sb[k]) continue;
    const c = KERNEL_CHANGES.find((x) => x.switch === k);
    flips.push({
      name: k, kind: 'switch', title: c?.title ?? '(not in the kernel change table)', commit: c?.commit ?? null,
      mainline: c?.mainline ?? null, stable: { ...(c?.stable ?? {}) }, from: String(sa[k]), to: String(sb[k]),
    });
  }
  const ha = a.host as unknown as Record<string, unknown>;
  const hb = b.host as unknown as Record<string, unknown>;
  for (const k of Object.keys(ha)) {
    if (ha[k] === hb[k]) continue;
    flips.push({ name: `host.${k}`, kind: 'host', title: `host default ${k}`, commit: null, mainline: null, stable: {}, from: String(ha[k]), to: String(hb[k]) });
  }
  return flips;
}

/** `base` with the given flips set to `to`'s values. */
function flipped(base: Profile, to: Profile, flips: readonly BisectFlip[], name: string): Profile {
  const switches = { ...base.switches } as unknown as Record<string, unknown>;
  const host = { ...base.host } as unknown as Record<string, unknown>;
  for (const f of flips) {
    if (f.kind === 'switch') switches[f.name] = (to.switches as unknown as Record<string, unknown>)[f.name];
    else host[f.name.slice(5)] = (to.host as unknown as Record<string, unknown>)[f.name.slice(5)];
  }
  return { name, description: `${base.name} with ${flips.map((f) => f.name).join(', ')} as in ${to.name}`, switches: switches as unknown as Switches, host: host as unknown as HostDefaults };
}

/** Growable per-event columns of the differing events. */
class Differing {
  n = 0;
  eventId = new BigUint64Array(1024);
  host = new Int32Array(1024);
  pathA = new Uint8Array(1024);
  pathB = new Uint8Array(1024);
  key = new Int32Array(1024);
  /** n × flips: 1 when A+s reproduces B. */
  fwd: Uint8Array;
  /** n × flips: 1 when s touches the event. */
  touch: Uint8Array;
  constructor(readonly flips: number) {
    this.fwd = new Uint8Array(1024 * Math.max(1, flips));
    this.touch = new Uint8Array(1024 * Math.max(1, flips));
  }
  add(): number {
    if (this.n === this.eventId.length) {
      const c = this.eventId.length * 2;
      const f = Math.max(1, this.flips);
      this.eventId = grownTo(this.eventId, new BigUint64Array(c));
      this.host = grownTo(this.host, new Int32Array(c));
      this.pathA = grownTo(this.pathA, new Uint8Array(c));
      this.pathB = grownTo(this.pathB, new Uint8Array(c));
      this.key = grownTo(this.key, new Int32Array(c));
      this.fwd = grownTo(this.fwd, new Uint8Array(c * f));
      this.touch = grownTo(this.touch, new Uint8Array(c * f));
    }
    return this.n++;
  }
}

function grownTo<T extends { set(a: T): void }>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Counts of one group: events, change-label sets, and per (path A, path B) the example events. */
class GroupAgg {
  events = 0;
  readonly keys = new Map<number, number>();
  readonly paths = new Map<number, { count: number; examples: number[] }>();
  constructor(readonly flips: number[]) {}
  add(d: Differing, e: number, examples: number): void {
    this.events++;
    this.keys.set(d.key[e]!, (this.keys.get(d.key[e]!) ?? 0) + 1);
    const pk = d.pathA[e]! * 256 + d.pathB[e]!;
    let p = this.paths.get(pk);
    if (!p) this.paths.set(pk, (p = { count: 0, examples: [] }));
    p.count++;
    if (p.examples.length < examples) p.examples.push(e);
  }
}

/** One replay pass over the trace; `hosts` restricts it to those hosts (their whole history). */
async function replayPass(trace: string, profiles: Profile[], batchRows: number, hosts: Set<string> | null,
  make: (lanes: Lane[]) => (cols: EventColumns, names: readonly string[]) => void): Promise<number> {
  const dicts = newTraceDicts();
  const lanes = profiles.map((p) => lane(p, dicts.mappers, trace, batchRows));
  const onBatch = make(lanes);
  const order = new OrderCheck(trace, dicts.hosts.names);
  const source = openTraceSource(trace, dicts, batchRows);
  const pick = hosts ? new EventColumns(batchRows) : null;
  let keep = new Int8Array(1024); // per host id: 0 unknown, 1 keep, -1 skip
  const rows: number[] = [];
  let events = 0;
  for await (const { batchNo, cols: all } of source.batches()) {
    order.check(all, batchNo);
    events += all.n;
    let cols = all;
    if (pick && hosts) {
      rows.length = 0;
      for (let i = 0; i < all.n; i++) {
        const h = all.host[i]!;
        if (h >= keep.length) {
          const k = new Int8Array(Math.max(h + 1, keep.length * 2));
          k.set(keep);
          keep = k;
        }
        if (keep[h] === 0) keep[h] = hosts.has(dicts.hosts.names[h]!) ? 1 : -1;
        if (keep[h] === 1) rows.push(i);
      }
      if (!rows.length) continue;
      gatherRows(all, pick, rows);
      cols = pick;
    }
    for (const l of lanes) {
      l.replayer.run(cols, batchNo, l.out, l.sv.sig);
      l.sv.index(cols.n);
    }
    onBatch(cols, dicts.hosts.names);
  }
  return events;
}

/** Events of the given hosts, as whole TraceEvents (for explain). */
async function hostEvents(trace: string, hosts: Set<string>, batchRows: number): Promise<TraceEvent[]> {
  const dicts = newTraceDicts();
  const source = openTraceSource(trace, dicts, batchRows);
  const out: TraceEvent[] = [];
  const cache: number[][] = [];
  for await (const { cols } of source.batches()) {
    for (let i = 0; i < cols.n; i++) {
      if (!hosts.has(dicts.hosts.names[cols.host[i]!]!)) continue;
      const e = { where: `${trace}: event_id ${cols.eventId[i]}`, note: '' } as TraceEvent;
      eventFromColumns(cols, i, { hosts: dicts.hosts.names, comms: dicts.comms.names }, dicts.mappers, e, cache);
      out.push(e);
    }
  }
  return out;
}

export async function bisect(o: BisectOptions): Promise<BisectResult> {
  const { a, b, trace } = o;
  const examples = o.examples ?? 3;
  const pairCap = o.pairCap ?? 6;
  const maxPairs = o.maxPairs ?? 64;
  const batchRows = o.batchRows ?? 65536;
  const flips = bisectFlips(a, b);
  const F = flips.length;
  const profiles: Profile[] = [a, b];
  for (const f of flips) profiles.push(flipped(a, b, [f], `${a.name}+${f.name}`));
  for (const f of flips) profiles.push(flipped(b, a, [f], `${b.name}-${f.name}`));

  const d = new Differing(F);
  const keyIds = new Map<string, number>();
  const keyLabels: [string, string][][] = [];
  const hostOf: string[] = [];
  const hostIds = new Map<string, number>();

  // Pass 1.
  const events = await replayPass(trace, profiles, batchRows, null, (lanes) => {
    const [la, lb] = lanes as [Lane, Lane];
    return (cols, names) => {
      for (let i = 0; i < cols.n; i++) {
        if (sameOutcome(la, lb, i)) continue;
        const e = d.add();
        d.eventId[e] = cols.eventId[i]!;
        const hn = names[cols.host[i]!]!;
        d.host[e] = internIn(hostIds, hostOf, hn, hn);
        d.pathA[e] = la.out.path[i]!;
        d.pathB[e] = lb.out.path[i]!;
        // Labels are built for differing events only (a string per differing event, interned).
        const labels = changeLabels(la, lb, i);
        const text = labels.map((x) => `${x[0]}\t${x[1]}`).join('\n');
        d.key[e] = internIn(keyIds, keyLabels, text, labels);
        for (let s = 0; s < F; s++) {
          const fw = lanes[2 + s]!;
          const bw = lanes[2 + F + s]!;
          const reproduces = sameOutcome(fw, lb, i);
          d.fwd[e * F + s] = reproduces ? 1 : 0;
          d.touch[e * F + s] = reproduces || !sameOutcome(fw, la, i) || !sameOutcome(bw, lb, i) ? 1 : 0;
        }
      }
    };
  });

  // Attribution to single flips; the rest are pair candidates.
  const singles = flips.map((_, s) => new GroupAgg([s]));
  let explainedBySingle = 0;
  const candidates: number[] = [];
  for (let e = 0; e < d.n; e++) {
    let any = false;
    for (let s = 0; s < F; s++) {
      if (d.fwd[e * F + s]) {
        singles[s]!.add(d, e, examples);
        any = true;
      }
    }
    if (any) explainedBySingle++;
    else candidates.push(e);
  }

  // Pair candidates: the pairs among the flips touching each event, within the caps.
  const reasonOf = new Map<number, string>();
  const pairIds = new Map<number, number>();
  const pairs: [number, number][] = [];
  const eventPairs = new Map<number, number[]>();
  const sets: number[][] = [];
  const setIds = new Map<string, number>();
  const eventSet = new Map<number, number>();
  let capped = 0;
  for (const e of candidates) {
    const t: number[] = [];
    for (let s = 0; s < F; s++) if (d.touch[e * F + s]) t.push(s);
    if (t.length < 2) {
      reasonOf.set(e, t.length ? `touched by one switch only (${flips[t[0]!]!.name}), which alone does not reproduce ${b.name}` : 'no single switch touches it');
      continue;
    }
    if (t.length > pairCap) {
      reasonOf.set(e, `pair search capped: touched by ${t.length} switches (more than ${pairCap})`);
      capped++;
      continue;
    }
    const mine: number[] = [];
    let over = false;
    for (let x = 0; x < t.length && !over; x++) {
      for (let y = x + 1; y < t.length; y++) {
        const pk = t[x]! * 4096 + t[y]!;
        let p = pairIds.get(pk);
        if (p === undefined) {
          if (pairs.length >= maxPairs) {
            over = true;
            break;
          }
          p = pairs.length;
          pairs.push([t[x]!, t[y]!]);
          pairIds.set(pk, p);
        }
        mine.push(p);
      }
    }
    if (over) {
      reasonOf.set(e, `pair search capped: more than ${maxPairs} distinct pairs in the trace`);
      capped++;
      continue;
    }
    eventPairs.set(e, mine);
    if (t.length >= 3) {
      // When no pair reproduces B, all the touching flips together are tried (one profile per set).
      const key = t.join(',');
      let k = setIds.get(key);
      if (k === undefined) {
        k = sets.length;
        sets.push(t);
        setIds.set(key, k);
      }
      eventSet.set(e, k);
    }
  }

  // Pass 2: only the hosts of pair candidates, under B, A+{s,t} and A+(all touching flips).
  const pairHits = new Map<number, number[]>();
  const setHits = new Set<number>();
  if (eventPairs.size) {
    const hosts = new Set<string>();
    const byId = new Map<bigint, number>();
    for (const e of eventPairs.keys()) {
      hosts.add(hostOf[d.host[e]!]!);
      byId.set(d.eventId[e]!, e);
    }
    const pp = [b, ...pairs.map(([s, t]) => flipped(a, b, [flips[s]!, flips[t]!], `${a.name}+${flips[s]!.name}+${flips[t]!.name}`)),
      ...sets.map((t) => flipped(a, b, t.map((x) => flips[x]!), `${a.name}+${t.map((x) => flips[x]!.name).join('+')}`))];
    await replayPass(trace, pp, batchRows, hosts, (lanes) => (cols) => {
      for (let i = 0; i < cols.n; i++) {
        const e = byId.get(cols.eventId[i]!);
        if (e === undefined) continue;
        const hits: number[] = [];
        for (const p of eventPairs.get(e)!) if (sameOutcome(lanes[1 + p]!, lanes[0]!, i)) hits.push(p);
        pairHits.set(e, hits);
        const k = eventSet.get(e);
        if (k !== undefined && sameOutcome(lanes[1 + pairs.length + k]!, lanes[0]!, i)) setHits.add(e);
      }
    });
  }
  const pairAgg = pairs.map(([s, t]) => new GroupAgg([s, t]));
  const setAgg = sets.map((t) => new GroupAgg(t));
  let explainedByPair = 0;
  let explainedBySet = 0;
  const unexplained = new GroupAgg([]);
  const reasons = new Map<string, number>();
  for (const e of candidates) {
    const hits = pairHits.get(e);
    if (hits && hits.length) {
      explainedByPair++;
      for (const p of hits) pairAgg[p]!.add(d, e, examples);
      continue;
    }
    if (setHits.has(e)) {
      explainedBySet++;
      setAgg[eventSet.get(e)!]!.add(d, e, examples);
      continue;
    }
    const r = reasonOf.get(e) ?? (eventSet.has(e)
      ? `no single switch, pair, or all the switches touching it together reproduce ${b.name}`
      : `no single switch or pair of the switches touching it reproduces ${b.name}`);
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
    unexplained.add(d, e, examples);
  }

  // Examples with their explain steps: one more pass collects the example hosts' events.
  const exHosts = new Set<string>();
  for (const g of [...singles, ...pairAgg, ...setAgg, unexplained]) for (const p of g.paths.values()) for (const e of p.examples) exHosts.add(hostOf[d.host[e]!]!);
  const evs = exHosts.size ? await hostEvents(trace, exHosts, batchRows) : [];
  const byHost = new Map<string, TraceEvent[]>();
  for (const ev of evs) {
    let l = byHost.get(ev.host);
    if (!l) byHost.set(ev.host, (l = []));
    l.push(ev);
  }
  const explainLines = (e: number, p: Profile): string[] => explainEvent(byHost.get(hostOf[d.host[e]!]!) ?? [], d.eventId[e]!, p)?.lines ?? [];

  const groupOut = (g: GroupAgg): BisectGroup => {
    const fl = g.flips.map((s) => flips[s]!);
    const target = fl.length ? flipped(a, b, fl, `${a.name}+${fl.map((f) => f.name).join('+')}`) : b;
    return { flips: fl.map((f) => f.name), minimal: fl.length <= 3, events: g.events, changes: changesOf(g, keyLabels), paths: pathsOf(g, d, keyLabels, hostOf, flips.map((f) => f.name), (e) => explainLines(e, a), (e) => explainLines(e, target)) };
  };
  const order = (x: BisectGroup, y: BisectGroup) => y.events - x.events || (x.flips.join(',') < y.flips.join(',') ? -1 : 1);
  const u = groupOut(unexplained);
  return {
    a: a.name,
    b: b.name,
    trace,
    events,
    changedEvents: d.n,
    flips,
    explainedBySingle,
    explainedByPair,
    explainedBySet,
    singles: singles.filter((g) => g.events).map(groupOut).sort(order),
    interactions: [...pairAgg, ...setAgg].filter((g) => g.events).map(groupOut).sort(order),
    unexplained: {
      events: u.events,
      reasons: [...reasons].map(([reason, count]) => ({ reason, count })).sort((x, y) => y.count - x.count || (x.reason < y.reason ? -1 : 1)),
      changes: u.changes,
      paths: u.paths,
    },
    pairSearch: { pairCap, maxPairs, pairsTested: pairs.length, capped },
  };
}

function changesOf(g: GroupAgg, keyLabels: [string, string][][]): BisectChange[] {
  const m = new Map<string, BisectChange>();
  for (const [k, n] of g.keys) {
    for (const [kind, what] of keyLabels[k]!) {
      const id = `${kind}\t${what}`;
      let c = m.get(id);
      if (!c) m.set(id, (c = { what, kind, direction: directionOf(kind, what), count: 0 }));
      c.count += n;
    }
  }
  return [...m.values()].sort((x, y) => y.count - x.count || (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : x.what < y.what ? -1 : x.what > y.what ? 1 : 0));
}

function pathsOf(g: GroupAgg, d: Differing, keyLabels: [string, string][][], hostOf: string[], flipNames: string[],
  explainA: (e: number) => string[], explainF: (e: number) => string[]): BisectPath[] {
  const out: BisectPath[] = [];
  for (const [pk, p] of g.paths) {
    out.push({
      from: PATH_NAMES[Math.floor(pk / 256)]!,
      to: PATH_NAMES[pk % 256]!,
      count: p.count,
      examples: p.examples.map((e) => ({
        eventId: d.eventId[e]!,
        host: hostOf[d.host[e]!]!,
        changes: keyLabels[d.key[e]!]!.map((x) => x[1]),
        touched: flipNames.filter((_, s) => d.touch[e * d.flips + s]),
        explainA: explainA(e),
        explainFlipped: explainF(e),
      })),
    });
  }
  return out.sort((x, y) => y.count - x.count || (x.from < y.from ? -1 : x.from > y.from ? 1 : x.to < y.to ? -1 : x.to > y.to ? 1 : 0));
}

// ---- Output ---------------------------------------------------------------------------------

function flipLine(f: BisectFlip): string {
  const stable = Object.entries(f.stable).map(([line, rel]) => `${line}.y from ${rel}`).join(', ');
  const where = [f.commit ? `commit ${f.commit}` : f.kind === 'switch' ? 'commit not recorded' : null, f.mainline ? `v${f.mainline}` : f.kind === 'switch' ? 'not in mainline' : null,
    stable ? `stable ${stable}` : null].filter(Boolean).join(', ');
  return `${f.name} (${f.from} → ${f.to}): ${f.title}${where ? ` [${where}]` : ''}`;
}

const MARK = { better: '+', worse: '-', changed: '~' } as const;

export function bisectText(r: BisectResult): string {
  const L: string[] = [];
  const byName = new Map(r.flips.map((f) => [f.name, f]));
  L.push(`bisect ${r.a} → ${r.b}: ${r.changedEvents} of ${r.events} events differ; ${r.flips.length} switch${r.flips.length === 1 ? '' : 'es'} differ`);
  if (!r.changedEvents) {
    L.push(`  ${r.b} behaves as ${r.a} on every event`);
    return `${L.join('\n')}\n`;
  }
  L.push(`  explained by one switch: ${r.explainedBySingle}, by an interaction of two: ${r.explainedByPair}, of three or more: ${r.explainedBySet}, unexplained: ${r.unexplained.events}`);
  const group = (title: string, g: { flips?: string[]; events: number; changes: BisectChange[]; paths: BisectPath[] }) => {
    L.push('', title);
    for (const c of g.changes) L.push(`  ${MARK[c.direction]} ${String(c.count).padStart(8)}  ${c.what}`);
    L.push('  by decision path:');
    for (const p of g.paths) {
      L.push(`    ${String(p.count).padStart(8)}  ${p.from === p.to ? p.from : `${p.from} → ${p.to}`}  (e.g. event ${p.examples.map((x) => x.eventId).join(', ')})`);
    }
    const ex = g.paths[0]?.examples[0];
    if (ex) {
      if (!g.flips?.length) L.push(`  event ${ex.eventId} is touched by ${ex.touched.join(', ') || 'no single switch'}`);
      L.push(`  event ${ex.eventId} (${ex.host}) under ${r.a}:`);
      for (const s of ex.explainA.filter((x) => x.startsWith('  - '))) L.push(`    ${s}`);
      L.push(`  with ${g.flips?.length ? g.flips.join(' + ') : r.b}:`);
      for (const s of ex.explainFlipped.filter((x) => x.startsWith('  - '))) L.push(`    ${s}`);
    }
  };
  for (const g of r.singles) group(`${g.events} events: ${flipLine(byName.get(g.flips[0]!)!)}`, g);
  for (const g of r.interactions) {
    const why = g.flips.length === 2 ? `neither alone reproduces ${r.b}`
      : `no single switch or pair reproduces ${r.b}; ${g.minimal ? 'these three together do' : `all ${g.flips.length} touching switches together do (smaller sets of three or more not searched)`}`;
    group(`${g.events} events: interaction of ${g.flips.join(' + ')} (${why})\n${g.flips.map((n) => `  ${flipLine(byName.get(n)!)}`).join('\n')}`, g);
  }
  if (r.unexplained.events) {
    group(`${r.unexplained.events} events unexplained:\n${r.unexplained.reasons.map((x) => `  ${x.count}: ${x.reason}`).join('\n')}`, r.unexplained);
  }
  L.push('', `pair search: ${r.pairSearch.pairsTested} pairs tested (events touched by at most ${r.pairSearch.pairCap} switches, at most ${r.pairSearch.maxPairs} pairs); ${r.pairSearch.capped} events over the cap`);
  return `${L.join('\n')}\n`;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function bisectMarkdown(r: BisectResult): string {
  const L: string[] = [`## bisect \`${r.a}\` → \`${r.b}\``, '', `${r.changedEvents} of ${r.events} events differ: ${r.explainedBySingle} explained by one switch, ${r.explainedByPair} by an interaction of two, ${r.explainedBySet} of three or more, ${r.unexplained.events} unexplained.`, ''];
  if (!r.changedEvents) return `${L.join('\n')}\n`;
  const byName = new Map(r.flips.map((f) => [f.name, f]));
  L.push('| switch | change | commit | release | events | changes |', '|---|---|---|---|---:|---|');
  const row = (g: BisectGroup) => {
    const fl = g.flips.map((n) => byName.get(n)!);
    L.push(`| ${fl.map((f) => `\`${f.name}\` ${f.from} → ${f.to}`).join(' + ')} | ${mdCell(fl.map((f) => f.title).join(' + '))} | ${fl.map((f) => f.commit ?? '—').join(', ')} | ${fl.map((f) => f.mainline ?? '—').join(', ')} | ${g.events} | ${mdCell(g.changes.map((c) => `${MARK[c.direction]} ${c.count} ${c.what}`).join('; '))} |`);
  };
  for (const g of r.singles) row(g);
  for (const g of r.interactions) row(g);
  if (r.unexplained.events) L.push(`| unexplained | ${mdCell(r.unexplained.reasons.map((x) => `${x.count}: ${x.reason}`).join('; '))} | | | ${r.unexplained.events} | ${mdCell(r.unexplained.changes.map((c) => `${c.count} ${c.what}`).join('; '))} |`);
  L.push('');
  const paths = (title: string, ps: BisectPath[]) => {
    L.push(`### ${title}`, '', '| decision path | events | examples |', '|---|---:|---|');
    for (const p of ps) L.push(`| ${mdCell(p.from === p.to ? p.from : `${p.from} → ${p.to}`)} | ${p.count} | ${p.examples.map((x) => x.eventId).join(', ')} |`);
    const ex = ps[0]?.examples[0];
    if (ex) {
      L.push('', `<details><summary>event ${ex.eventId} (${mdCell(ex.host)})</summary>`, '', '```', `under ${r.a}:`, ...ex.explainA, 'flipped:', ...ex.explainFlipped, '```', '</details>');
    }
    L.push('');
  };
  for (const g of [...r.singles, ...r.interactions]) paths(g.flips.map((n) => `\`${n}\``).join(' + '), g.paths);
  if (r.unexplained.events) paths('unexplained', r.unexplained.paths);
  L.push(`Pair search: ${r.pairSearch.pairsTested} pairs tested (events touched by at most ${r.pairSearch.pairCap} switches); ${r.pairSearch.capped} events over the cap.`);
  return `${L.join('\n')}\n`;
}

/** The id of `key` in `ids`, appending `value` to `list` the first time it is seen. */
function internIn<T>(ids: Map<string, number>, list: T[], key: string, value: T): number {
  let k = ids.get(key);
  if (k === undefined) {
    k = list.length;
    list.push(value);
    ids.set(key, k);
  }
  return k;
}
