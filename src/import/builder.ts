// The imported events as columns (docs/import.md "Event builder"): an importer appends each event
// into typed arrays (codes, numbers, interned names) with its observed outcome (codes, and the
// signals in a flat child table), never as an object per event. finish() sorts by (host, t_ns,
// source order) through a typed index permutation, assigns event_ids 1..N, applies the defaults
// of docs/trace-format.md §1 and checks the same rules eventFromRow checks, on the typed values.
// The trace and the observed outcomes are then written from the columns (eventAt fills one reused
// TraceEvent at a time); `events` and `observed` materialise objects for library callers.
import { ARCH, CONTEXT, Context, Kind, KIND, MEM, MF_RESULT, Notify, NOTIFY, PAGE, SEVERITY, VENDOR } from '../model/enums.js';
import { EventRecord, NO_ADDR, PROFILE_DEFAULT } from '../model/record.js';
import { validateEvent } from '../model/validate.js';
import { grown, Interner } from '../columns/events.js';
import { InputError } from '../io/errors.js';
import { fillRecord, TRACE_COLUMNS, TraceEvent } from '../io/trace.js';
import type { ObservedRow, ObservedSignal, SourceFormat } from './common.js';

const col = (c: (typeof TRACE_COLUMNS)[number]): number => TRACE_COLUMNS.indexOf(c);
/** Trace column indexes (TRACE_COLUMNS order), for EventBuilder.set. */
export const C = {
  arch: col('arch'), kind: col('kind'), notify: col('notify'), firmwareFirst: col('firmware_first'), severity: col('severity'),
  sync: col('sync'), ripv: col('ripv'), pa: col('pa'), mem: col('mem'), page: col('page'), pageShift: col('page_shift'),
  pinned: col('pinned'), poisonedBefore: col('poisoned_before'), context: col('context'), pid: col('pid'), tid: col('tid'),
  comm: col('comm'), vaddr: col('vaddr'), mappers: col('mappers'), guestRas: col('guest_ras'), earlyKill: col('early_kill'),
  recovery: col('recovery'), panicOnOops: col('panic_on_oops'), kdump: col('kdump'), panicOnUnrecoverable: col('panic_on_unrecoverable'),
  extraRefs: col('extra_refs'), vendor: col('vendor'),
} as const;
const HOST = col('host');
const T_NS = col('t_ns');
const EVENT_ID = col('event_id');
const HOST_BIT = 1 << HOST;
const T_NS_BIT = 1 << T_NS;
const INFERABLE = ((1 << TRACE_COLUMNS.length) - 1) & ~(1 << EVENT_ID);

/** How each column's value is spelled in an error message (the CSV spelling of docs/trace-format.md §1). */
type Spell = 'enum' | 'bool' | 'addr' | 'int' | 'comm' | 'mappers';
const SPELL: (Spell | null)[] = TRACE_COLUMNS.map(() => null);
const LABELS: (readonly string[] | null)[] = TRACE_COLUMNS.map(() => null);
for (const [k, labels] of [[C.arch, ARCH], [C.kind, KIND], [C.notify, NOTIFY], [C.severity, SEVERITY], [C.mem, MEM], [C.page, PAGE], [C.context, CONTEXT], [C.vendor, VENDOR]] as const) {
  SPELL[k] = 'enum';
  LABELS[k] = labels;
}
for (const k of [C.firmwareFirst, C.sync, C.ripv, C.pinned, C.poisonedBefore, C.guestRas, C.extraRefs, C.kdump]) SPELL[k] = 'bool';
for (const k of [C.pa, C.vaddr]) SPELL[k] = 'addr';
for (const k of [C.pageShift, C.pid, C.tid, C.earlyKill, C.recovery, C.panicOnOops, C.panicOnUnrecoverable]) SPELL[k] = 'int';
SPELL[C.comm] = 'comm';
SPELL[C.mappers] = 'mappers';
/** Columns held as doubles (addresses, and pids as the source gave them: range-checked in finish). */
const WIDE = new Set<number>([C.pa, C.vaddr, C.pid, C.tid]);

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_U64 = (1n << 64n) - 1n;
const W_ARCH = `one of ${ARCH.join(', ')}`;
const W_NOTIFY = `one of ${NOTIFY.join(', ')} (required for an error event)`;
const W_SEVERITY = `one of ${SEVERITY.join(', ')} (required for an error event)`;
const W_CONTEXT = `one of ${CONTEXT.join(', ')} (required for a synchronous error)`;
const W_U32 = 'an unsigned 32-bit integer';
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;
const ARCH_ARM64 = ARCH.indexOf('arm64');
const bit = (k: number): number => 1 << k;
const B_ARCH = bit(C.arch);
const B_KIND = bit(C.kind);
const B_NOTIFY = bit(C.notify);
const B_SEVERITY = bit(C.severity);
const B_SYNC = bit(C.sync);
const B_CONTEXT = bit(C.context);
const B_PA = bit(C.pa);
const B_FIRMWARE_FIRST = bit(C.firmwareFirst);
const B_COMM = bit(C.comm);
/** EventBuilder.bits: the event is a copy (copyOf). */
const COPY = 4;
/** Constant defaults of the optional columns, by column (eventFromRow's); firmware_first and comm are set apart. */
const DEFAULTS: (number | undefined)[] = TRACE_COLUMNS.map(() => undefined);
for (const [k, d] of [
  [C.ripv, 1], [C.pa, NO_ADDR], [C.mem, 0], [C.page, PAGE.indexOf('unknown')], [C.pageShift, 12], [C.pinned, 0], [C.poisonedBefore, 0],
  [C.vaddr, NO_ADDR], [C.mappers, -1], [C.guestRas, 1], [C.earlyKill, PROFILE_DEFAULT], [C.recovery, PROFILE_DEFAULT],
  [C.panicOnOops, PROFILE_DEFAULT], [C.kdump, PROFILE_DEFAULT], [C.panicOnUnrecoverable, PROFILE_DEFAULT], [C.extraRefs, 0], [C.vendor, 0],
] as const) DEFAULTS[k] = d;
const DEFAULTED = DEFAULTS.reduce<number>((m, d, k) => (d === undefined ? m : m | bit(k)), 0) | B_FIRMWARE_FIRST | B_COMM;

type Num = Int8Array | Uint8Array | Int32Array | Float64Array;

/**
 * Row references of a table-shaped source, kept as numbers until they are spelled: code
 * id * 8 + t is "PREFIX: table TABLES[t] row ID" (a whole-number id below 2^50); a negative code
 * is the text texts[-code - 1] (any other id, spelled when it was read).
 */
export class RowWheres {
  readonly texts: string[] = [];
  constructor(readonly prefix: string, readonly tables: readonly string[]) {}

  /** The code of row `id` of table `t` (an index in `tables`). */
  code(t: number, id: unknown): number {
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < 2 ** 50) return id * 8 + t;
    if (typeof id === 'bigint' && id >= 0n && id < 2n ** 50n) return Number(id) * 8 + t;
    return -this.texts.push(`${this.prefix}: table ${this.tables[t]} row ${String(id)}`);
  }

  spell(code: number): string {
    return code < 0 ? this.texts[-code - 1]! : `${this.prefix}: table ${this.tables[code % 8]} row ${Math.floor(code / 8)}`;
  }
}

/**
 * Bytes held (docs/import.md "Event builder"): per event, host id 4, t_ns and seq 8 + 8, flags 1,
 * row 4, a copy's address 8 and the permutation 4 (37), plus the `where` string; per row, 20
 * one-byte codes and flags, page_shift, 4 doubles (pa, vaddr, pid, tid), comm and mappers ids
 * (2 x 4), the set and observed masks (4 + 4), the outcome (panic 1, mf_result 1, panic_msg,
 * mf_type, note, signal start and count 5 x 4) and its check 1 (92); an event has a row of its
 * own but a copy (copyOf); 48 bytes per observed signal.
 */
export class EventBuilder {
  n = 0;
  private cap = 0;
  // String pools (id per distinct string): hosts, comms, and the page-type, panic-message and note texts.
  readonly hosts = new Interner();
  readonly comms = new Interner();
  readonly texts = new Interner();
  // Per event: host, time, source order, bits, where, and its row: the columns and outcome are
  // held per row (vals, masks, note, outcome, signals), one row per event but for a copy
  // (copyOf), which shares the row of the event it copies and holds only its own address.
  private hostId = new Int32Array(0);
  private tNs = new BigInt64Array(0);
  private seq = new Float64Array(0);
  /** Bit 1: host observed; bit 2: time observed; bit 4: a copy (copyOf). */
  private bits = new Uint8Array(0);
  private row = new Int32Array(0);
  /** A copy's address (when its row has one). */
  private ownPa = new Float64Array(0);
  /** Rows in use and allocated. */
  private nr = 0;
  private rcap = 0;
  private vals: Num[] = [];
  private setMask = new Uint32Array(0);
  private obsMask = new Uint32Array(0);
  /** Each event's `where`: the text, or a number that `whereFormat` spells (formatted only when output). */
  private wheres: (string | number)[] = [];
  /** Spells a numeric `where` (an importer's row reference: table and row numbers). */
  whereFormat: RowWheres | null = null;
  /** The note of each event as an id in `texts` (-1: none); the current event's note is `curNote` until it is closed. */
  private noteId = new Int32Array(0);
  private curNote: string | null = null;
  // Observed outcome.
  private panic = new Int8Array(0);
  private panicMsg = new Int32Array(0);
  private mfType = new Int32Array(0);
  private mfResult = new Int8Array(0);
  private sigStart = new Int32Array(0);
  private sigCount = new Int32Array(0);
  /**
   * Per row: whether its cross-column rules held (finish). A copy of an event that passed them
   * passes them too: they read an address only as set or not, and a copy differs from its event
   * only in time, place and a set address.
   */
  private valid = new Uint8Array(0);
  // Signals: a child table, rows [sigStart, sigStart + sigCount) of event i (NaN: null).
  private ns = 0;
  private sPid = new Float64Array(0);
  private sTid = new Float64Array(0);
  private sSigno = new Float64Array(0);
  private sCode = new Float64Array(0);
  private sAddr = new Float64Array(0);
  private sLsb = new Float64Array(0);
  /** Mapper lists of the adapter (pid, policy pairs), by id. */
  private mapperLists: number[][] = [];

  /** `capacity`: the events expected; `rows`: the rows (fewer when the importer copies events). */
  constructor(capacity = 1024, rows = capacity) {
    this.grow(capacity);
    this.growRows(rows);
  }

  private grow(capacity: number): void {
    const c = Math.max(capacity, 16);
    this.hostId = grown(this.hostId, c);
    this.tNs = grown(this.tNs, c);
    this.seq = grown(this.seq, c);
    this.bits = grown(this.bits, c);
    this.row = grown(this.row, c);
    this.ownPa = grown(this.ownPa, c);
    this.cap = c;
  }

  private growRows(capacity: number): void {
    const c = Math.max(capacity, 16);
    this.vals = TRACE_COLUMNS.map((_c, k) => {
      const old = this.vals[k];
      // event_id, host and t_ns have arrays of their own (assigned, hostId, tNs): none here.
      if (k === EVENT_ID || k === HOST || k === T_NS) return new Int8Array(0);
      const b: Num = WIDE.has(k) ? new Float64Array(c) : k === C.comm || k === C.mappers ? new Int32Array(c) : k === C.pageShift ? new Uint8Array(c) : new Int8Array(c);
      if (old) b.set(old as never);
      return b;
    });
    this.setMask = grown(this.setMask, c);
    this.obsMask = grown(this.obsMask, c);
    this.noteId = grown(this.noteId, c);
    this.panic = grown(this.panic, c);
    this.panicMsg = grown(this.panicMsg, c);
    this.mfType = grown(this.mfType, c);
    this.mfResult = grown(this.mfResult, c);
    this.sigStart = grown(this.sigStart, c);
    this.sigCount = grown(this.sigCount, c);
    this.valid = grown(this.valid, c);
    this.rcap = c;
  }

  private growSignals(): void {
    const c = Math.max(64, this.sPid.length * 2);
    for (const k of ['sPid', 'sTid', 'sSigno', 'sCode', 'sAddr', 'sLsb'] as const) {
      const b = new Float64Array(c);
      b.set(this[k]);
      this[k] = b;
    }
  }

  /** Start event n (returned); every column unset, outcome unknown (null). */
  begin(host: string, hostObserved: boolean, tNs: bigint, timeObserved: boolean, seq: number, where: string | number): number {
    const i = this.next(host, hostObserved, tNs, timeObserved, seq, where);
    if (this.nr === this.rcap) this.growRows(this.rcap * 2);
    const q = this.nr++;
    this.row[i] = q;
    this.setMask[q] = 0;
    this.obsMask[q] = 0;
    this.noteId[q] = -1;
    this.panic[q] = -1;
    this.panicMsg[q] = -1;
    this.mfType[q] = -1;
    this.mfResult[q] = -1;
    this.sigStart[q] = -1;
    this.sigCount[q] = 0;
    this.valid[q] = 0;
    return i;
  }

  /** The per-event part of begin and copyOf. */
  private next(host: string, hostObserved: boolean, tNs: bigint, timeObserved: boolean, seq: number, where: string | number): number {
    this.closeNote();
    if (this.n === this.cap) this.grow(this.cap * 2);
    const i = this.n++;
    this.hostId[i] = this.hosts.id(host);
    this.tNs[i] = tNs;
    this.seq[i] = seq;
    this.bits[i] = (hostObserved ? 1 : 0) | (timeObserved ? 2 : 0);
    this.wheres[i] = where;
    this.ownPa[i] = NaN;
    return i;
  }

  /**
   * Start event n (returned) as a copy of event `from`: its columns, note, outcome and signals
   * (its row, shared), with its own host, time, source order and place; of the current-event
   * calls only set(C.pa) (its own address, when `from` has one), has and get apply to it.
   */
  copyOf(from: number, host: string, hostObserved: boolean, tNs: bigint, timeObserved: boolean, seq: number, where: string | number): number {
    const q = this.row[from]!;
    const i = this.next(host, hostObserved, tNs, timeObserved, seq, where);
    this.row[i] = q;
    this.bits[i]! |= COPY;
    return i;
  }

  /** The event being built drops out (its signals stay unreferenced in the child table). */
  drop(): void {
    this.n--;
    if ((this.bits[this.n]! & COPY) === 0) this.nr--;
    this.curNote = null;
  }

  /** The current event's note into the string pool (most notes repeat: one copy of each). */
  private closeNote(): void {
    if (this.curNote === null) return;
    this.noteId[this.row[this.n - 1]!] = this.texts.id(this.curNote);
    this.curNote = null;
  }

  /** The current event's row, which it does not share (a copy's is its event's: not to be changed). */
  private own(): number {
    const i = this.n - 1;
    if ((this.bits[i]! & COPY) !== 0) throw new Error('import: a copied event takes no value but its own address');
    return this.row[i]!;
  }

  /** Event i's address (a copy's own, when its row has one). */
  private paOf(i: number): number {
    const q = this.row[i]!;
    return (this.bits[i]! & COPY) !== 0 && (this.setMask[q]! & B_PA) !== 0 ? this.ownPa[i]! : this.vals[C.pa]![q]!;
  }

  /** Set column k (C.*) of the current event: a code, 0/1, a number; `observed` false = a documented default (inferred). */
  set(k: number, v: number, observed: boolean): void {
    const i = this.n - 1;
    if ((this.bits[i]! & COPY) !== 0 && k === C.pa && (this.setMask[this.row[i]!]! & B_PA) !== 0) {
      // A copy's own address (observed as its event's is).
      this.ownPa[i] = v;
      return;
    }
    const q = this.own();
    this.vals[k]![q] = v;
    this.setMask[q]! |= 1 << k;
    if (observed) this.obsMask[q]! |= 1 << k;
    else this.obsMask[q]! &= ~(1 << k);
  }

  /**
   * An address column from a 64-bit value (a page address the importer computed): finish rejects
   * one at or above 2^53 as eventFromRow would, naming the value.
   */
  setAddr(k: number, v: bigint, observed: boolean): void {
    if (v <= MAX_SAFE) {
      this.set(k, Number(v), observed);
      return;
    }
    this.set(k, NaN, observed);
    this.bigAddr.set(this.own() * 32 + k, v);
  }

  private readonly bigAddr = new Map<number, bigint>();

  /** Whether column k of the current event was set. */
  has(k: number): boolean {
    return (this.setMask[this.row[this.n - 1]!]! & (1 << k)) !== 0;
  }

  get(k: number): number {
    return k === C.pa ? this.paOf(this.n - 1) : this.vals[k]![this.row[this.n - 1]!]!;
  }

  setComm(comm: string, observed: boolean): void {
    this.set(C.comm, this.comms.id(comm), observed);
  }

  note(s: string): void {
    this.curNote = this.curNote === null ? s : `${this.curNote}; ${s}`;
  }

  setPanic(panic: boolean | null, msg: string | null): void {
    const q = this.own();
    this.panic[q] = panic === null ? -1 : panic ? 1 : 0;
    this.panicMsg[q] = msg === null ? -1 : this.texts.id(msg);
  }

  setMf(type: string | null, result: string | null): void {
    const q = this.own();
    this.mfType[q] = type === null ? -1 : this.texts.id(type);
    this.mfResult[q] = result === null ? -1 : (MF_RESULT as readonly string[]).indexOf(result);
    if (result !== null && this.mfResult[q] === -1) throw new Error(`import: memory_failure result ${result} is not one of ${MF_RESULT.join(', ')}`);
  }

  /** The source shows signals for this event: [] until signal() adds some. */
  signalsKnown(): void {
    const q = this.row[this.n - 1]!;
    if (this.sigStart[q] === -1) this.sigStart[this.own()] = this.ns;
  }

  /** Append an observed signal to the current event (its signals are contiguous: add them together). */
  signal(pid: number, tid: number | null, signo: number, siCode: number | null, addr: number | null, lsb: number | null): void {
    this.signalsKnown();
    if (this.ns === this.sPid.length) this.growSignals();
    const s = this.ns++;
    this.sPid[s] = pid;
    this.sTid[s] = tid ?? NaN;
    this.sSigno[s] = signo;
    this.sCode[s] = siCode ?? NaN;
    this.sAddr[s] = addr ?? NaN;
    this.sLsb[s] = lsb ?? NaN;
    this.sigCount[this.own()]!++;
  }

  /** The adapter's way in: one event already built and checked by eventFromRow (columns all set). */
  addEvent(e: TraceEvent, hostObserved: boolean, timeObserved: boolean, seq: number, observedMask: number, o: Omit<ObservedRow, 'eventId' | 'host' | 'inferred'>): void {
    const i = this.row[this.begin(e.host, hostObserved, e.tNs, timeObserved, seq, e.where)]!;
    const v = this.vals;
    v[C.arch]![i] = e.arch; v[C.kind]![i] = e.kind; v[C.notify]![i] = e.notify; v[C.firmwareFirst]![i] = e.firmwareFirst ? 1 : 0;
    v[C.severity]![i] = e.severity; v[C.sync]![i] = e.sync ? 1 : 0; v[C.ripv]![i] = e.ripv ? 1 : 0; v[C.pa]![i] = e.pa;
    v[C.mem]![i] = e.mem; v[C.page]![i] = e.page; v[C.pageShift]![i] = e.pageShift; v[C.pinned]![i] = e.pinned ? 1 : 0;
    v[C.poisonedBefore]![i] = e.poisonedBefore ? 1 : 0; v[C.context]![i] = e.context; v[C.pid]![i] = e.pid; v[C.tid]![i] = e.tid;
    v[C.comm]![i] = this.comms.id(e.comm); v[C.vaddr]![i] = e.vaddr; v[C.guestRas]![i] = e.guestRas ? 1 : 0;
    if (e.mappers.length) {
      v[C.mappers]![i] = this.mapperLists.length;
      this.mapperLists.push(e.mappers);
    }
    v[C.earlyKill]![i] = e.earlyKill; v[C.recovery]![i] = e.recovery; v[C.panicOnOops]![i] = e.panicOnOops; v[C.kdump]![i] = e.kdump;
    v[C.panicOnUnrecoverable]![i] = e.panicOnUnrecoverable; v[C.extraRefs]![i] = e.extraRefs ? 1 : 0; v[C.vendor]![i] = e.vendor;
    // Every column holds its final value: all "set" (finish applies no default), observed as given.
    this.setMask[i] = ((1 << TRACE_COLUMNS.length) - 1) & ~(e.mappers.length ? 0 : 1 << C.mappers);
    this.obsMask[i] = observedMask;
    if (e.note) this.curNote = e.note;
    this.setPanic(o.panic, o.panicMsg);
    this.setMf(o.mfType, o.mfResult);
    if (o.signals) {
      this.signalsKnown();
      for (const s of o.signals) this.signal(s.pid, s.tid, s.signo, s.siCode, s.addr, s.lsb);
    }
  }

  /**
   * Sort, assign ids, apply the defaults, check each event (the located InputError eventFromRow
   * would raise, in the same order of columns), and hand the columns over as the import's result.
   */
  finish(file: string, format: SourceFormat, warnings: string[]): ImportedEvents {
    this.closeNote();
    const n = this.n;
    const perm = new Uint32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    // Host names in order: rank[hostId] (the sort compares numbers, not strings).
    const names = this.hosts.names;
    const byName = names.map((_h, k) => k).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
    const rank = new Int32Array(names.length);
    byName.forEach((h, r) => { rank[h] = r; });
    const { hostId, tNs, seq } = this;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) {
      const a = i - 1;
      const ra = rank[hostId[a]!]!;
      const rb = rank[hostId[i]!]!;
      if (ra > rb || (ra === rb && (tNs[a]! > tNs[i]! || (tNs[a] === tNs[i] && seq[a]! > seq[i]!)))) sorted = false;
    }
    if (!sorted) {
      perm.sort((a, b) => {
        const ra = rank[hostId[a]!]!;
        const rb = rank[hostId[b]!]!;
        if (ra !== rb) return ra - rb;
        const ta = tNs[a]!;
        const tb = tNs[b]!;
        if (ta !== tb) return ta < tb ? -1 : 1;
        return seq[a]! - seq[b]!;
      });
    }
    const out = new ImportedEvents(this, perm, file, format, warnings);
    for (let r = 0; r < n; r++) this.check(perm[r]!, r, file, format);
    return out;
  }

  /** The CSV spelling of column k of event i ('' when unset), for messages. */
  private spelling(i: number, k: number, eventId: number): string {
    if (k === EVENT_ID) return String(eventId);
    if (k === HOST) return this.hosts.names[this.hostId[i]!]!;
    if (k === T_NS) return this.tNs[i]!.toString();
    const q = this.row[i]!;
    if ((this.setMask[q]! & (1 << k)) === 0) return '';
    const v = k === C.pa ? this.paOf(i) : this.vals[k]![q]!;
    switch (SPELL[k]) {
      case 'enum': return LABELS[k]![v] ?? String(v);
      case 'bool': return v ? 'true' : 'false';
      case 'addr': return Number.isNaN(v) ? `0x${this.bigAddr.get(q * 32 + k)!.toString(16)}` : `0x${v.toString(16)}`;
      case 'comm': return this.comms.names[v]!;
      case 'mappers': return '';
      default: return String(v);
    }
  }

  /** The located error of column k of event i (sorted position r). */
  private fail(i: number, r: number, k: number, expected: string, file: string, format: SourceFormat): never {
    const where = this.whereOf(i);
    const column = TRACE_COLUMNS[k]!;
    const value = this.spelling(i, k, r + 1);
    throw new InputError(`${where}: imported ${format} record gives column ${column} the value ${JSON.stringify(value)}: expected ${expected}`, file, where, column);
  }

  /** A pid-like column: its default when unset, else it must be an unsigned 32-bit integer. */
  private u32(i: number, r: number, k: number, dflt: number, file: string, format: SourceFormat): void {
    const col = this.vals[k]!;
    const q = this.row[i]!;
    if ((this.setMask[q]! & (1 << k)) === 0) { col[q] = dflt; return; }
    const x = col[q]!;
    if (!(Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) this.fail(i, r, k, W_U32, file, format);
  }

  private check(i: number, r: number, file: string, format: SourceFormat): void {
    const q = this.row[i]!;
    if ((this.bits[i]! & COPY) !== 0 && this.valid[q] === 1) {
      // A copy of a checked event: the row (columns, defaults, rules) is checked; its own host and time are not.
      if (!this.hosts.names[this.hostId[i]!]) this.fail(i, r, HOST, 'a host name (required)', file, format);
      const t = this.tNs[i]!;
      if (t < MIN_I64 || t > MAX_I64) this.fail(i, r, T_NS, 'a signed 64-bit integer (nanoseconds)', file, format);
      return;
    }
    const set = this.setMask[q]!;
    const v = this.vals;
    // Required columns and defaults, in eventFromRow's order.
    if ((set & B_ARCH) === 0) this.fail(i, r, C.arch, W_ARCH, file, format);
    const kind = (set & B_KIND) !== 0 ? v[C.kind]![q]! : Kind.error;
    v[C.kind]![q] = kind;
    if (kind === Kind.error) {
      if ((set & B_NOTIFY) === 0) this.fail(i, r, C.notify, W_NOTIFY, file, format);
      if ((set & B_SEVERITY) === 0) this.fail(i, r, C.severity, W_SEVERITY, file, format);
      if ((set & B_SYNC) === 0) this.fail(i, r, C.sync, 'true or false (required for an error event)', file, format);
    } else {
      if ((set & B_NOTIFY) === 0) v[C.notify]![q] = Notify.none;
      if ((set & B_SEVERITY) === 0) v[C.severity]![q] = 0;
      if ((set & B_SYNC) === 0) v[C.sync]![q] = 0;
    }
    if (v[C.sync]![q]) {
      if ((set & B_CONTEXT) === 0) this.fail(i, r, C.context, W_CONTEXT, file, format);
    } else if ((set & B_CONTEXT) === 0) v[C.context]![q] = kind === Kind.access ? Context.user : Context.none;
    this.u32(i, r, C.pid, 0, file, format);
    if (!this.hosts.names[this.hostId[i]!]) this.fail(i, r, HOST, 'a host name (required)', file, format);
    const t = this.tNs[i]!;
    if (t < MIN_I64 || t > MAX_I64) this.fail(i, r, T_NS, 'a signed 64-bit integer (nanoseconds)', file, format);
    // Defaults of the optional columns (docs/trace-format.md §1), in one pass over the unset ones.
    const unset = ~set & DEFAULTED;
    if (unset !== 0) {
      for (let k = 0; k < DEFAULTS.length; k++) if ((unset & (1 << k)) !== 0) v[k]![q] = DEFAULTS[k]!;
      if ((unset & B_FIRMWARE_FIRST) !== 0) v[C.firmwareFirst]![q] = v[C.arch]![q] === ARCH_ARM64 ? 1 : 0;
      if ((unset & B_COMM) !== 0) v[C.comm]![q] = this.comms.id('');
    }
    if ((set & B_PA) !== 0 && Number.isNaN(this.paOf(i))) {
      this.fail(i, r, C.pa, this.bigAddr.get(q * 32 + C.pa)! > MAX_U64 ? 'an unsigned 64-bit integer (decimal or 0x hex)'
        : 'an address below 2^53 (physical and user virtual addresses fit; kernel virtual addresses are not trace input)', file, format);
    }
    this.u32(i, r, C.tid, v[C.pid]![q]!, file, format);
    // The cross-column rules (docs/trace-format.md §1) on the typed values.
    this.fillEvent(i, r + 1, checkEvent, false);
    fillRecord(checkRec, checkEvent, 0);
    const viol = validateEvent(checkRec);
    // The value named is the one the importer set ('' when it set none).
    if (viol) this.fail(i, r, TRACE_COLUMNS.indexOf(viol.column as (typeof TRACE_COLUMNS)[number]), viol.expected, file, format);
    this.valid[q] = 1;
  }

  /** Event i (build order) with event_id `id`, written into `out`; `texts` false: where and note left '' (the checks read neither). */
  fillEvent(i: number, id: number, out: TraceEvent, texts = true): void {
    const v = this.vals;
    const q = this.row[i]!;
    out.eventId = BigInt(id);
    out.host = this.hosts.names[this.hostId[i]!]!;
    out.tNs = this.tNs[i]!;
    out.arch = v[C.arch]![q]!;
    out.kind = v[C.kind]![q]!;
    out.notify = v[C.notify]![q]!;
    out.firmwareFirst = v[C.firmwareFirst]![q] === 1;
    out.severity = v[C.severity]![q]!;
    out.sync = v[C.sync]![q] === 1;
    out.ripv = v[C.ripv]![q] === 1;
    out.pa = this.paOf(i);
    out.mem = v[C.mem]![q]!;
    out.page = v[C.page]![q]!;
    out.pageShift = v[C.pageShift]![q]!;
    out.pinned = v[C.pinned]![q] === 1;
    out.poisonedBefore = v[C.poisonedBefore]![q] === 1;
    out.context = v[C.context]![q]!;
    out.pid = v[C.pid]![q]!;
    out.tid = v[C.tid]![q]!;
    out.comm = this.comms.names[v[C.comm]![q]!] ?? '';
    out.vaddr = v[C.vaddr]![q]!;
    const m = v[C.mappers]![q]!;
    out.mappers = m >= 0 ? this.mapperLists[m]! : NO_MAPPERS;
    out.guestRas = v[C.guestRas]![q] === 1;
    out.earlyKill = v[C.earlyKill]![q]!;
    out.recovery = v[C.recovery]![q]!;
    out.panicOnOops = v[C.panicOnOops]![q]!;
    out.kdump = v[C.kdump]![q]!;
    out.panicOnUnrecoverable = v[C.panicOnUnrecoverable]![q]!;
    out.extraRefs = v[C.extraRefs]![q] === 1;
    out.vendor = v[C.vendor]![q]!;
    out.where = texts ? this.whereOf(i) : '';
    out.note = texts ? this.noteOf(i) : '';
  }

  /** The `where` of event i as text. */
  private whereOf(i: number): string {
    const w = this.wheres[i]!;
    return typeof w === 'string' ? w : this.whereFormat!.spell(w);
  }

  private noteOf(i: number): string {
    const nt = this.noteId[this.row[i]!]!;
    return nt < 0 ? '' : this.texts.names[nt]!;
  }

  /** Inferred column list of event i (one shared array per distinct list). */
  inferred(i: number): string[] {
    const b = this.bits[i]!;
    const obs = (this.obsMask[this.row[i]!]! & ~(HOST_BIT | T_NS_BIT)) | (b & 1 ? HOST_BIT : 0) | (b & 2 ? T_NS_BIT : 0);
    const key = INFERABLE & ~obs;
    let l = this.inferredLists.get(key);
    if (!l) {
      l = TRACE_COLUMNS.filter((_c, k) => (key & (1 << k)) !== 0);
      this.inferredLists.set(key, l);
    }
    return l;
  }

  private readonly inferredLists = new Map<number, string[]>();

  /** Observed outcome fields of event i. */
  outcome(i: number): { panic: boolean | null; panicMsg: string | null; mfType: string | null; mfResult: string | null } {
    const q = this.row[i]!;
    const p = this.panic[q]!;
    const pm = this.panicMsg[q]!;
    const t = this.mfType[q]!;
    const r = this.mfResult[q]!;
    return { panic: p < 0 ? null : p === 1, panicMsg: pm < 0 ? null : this.texts.names[pm]!, mfType: t < 0 ? null : this.texts.names[t]!, mfResult: r < 0 ? null : MF_RESULT[r]! };
  }

  /** Signals of event i: null (not shown by the source) or the list. */
  signals(i: number): ObservedSignal[] | null {
    const q = this.row[i]!;
    const s0 = this.sigStart[q]!;
    if (s0 < 0) return null;
    const out: ObservedSignal[] = [];
    const nan = (x: number): number | null => (Number.isNaN(x) ? null : x);
    for (let s = s0; s < s0 + this.sigCount[q]!; s++) {
      out.push({ pid: this.sPid[s]!, tid: nan(this.sTid[s]!), signo: this.sSigno[s]!, siCode: nan(this.sCode[s]!), addr: nan(this.sAddr[s]!), lsb: nan(this.sLsb[s]!) });
    }
    return out;
  }

  /** The observed row of event i as the line writeObserved feeds DuckDB (newline-delimited JSON). */
  observedJson(i: number, id: number): string {
    const o = this.outcome(i);
    const q = this.row[i]!;
    const s0 = this.sigStart[q]!;
    let signals: unknown = null;
    if (s0 >= 0) {
      const l: unknown[] = [];
      const nan = (x: number): number | null => (Number.isNaN(x) ? null : x);
      for (let s = s0; s < s0 + this.sigCount[q]!; s++) {
        l.push({ pid: this.sPid[s]!, tid: nan(this.sTid[s]!), signo: this.sSigno[s]!, si_code: nan(this.sCode[s]!), addr: nan(this.sAddr[s]!), addr_lsb: nan(this.sLsb[s]!) });
      }
      signals = l;
    }
    return JSON.stringify({
      event_id: String(id), host: this.hosts.names[this.hostId[i]!]!, where: this.whereOf(i), note: this.noteOf(i),
      inferred: this.inferred(i), panic: o.panic, panic_msg: o.panicMsg, mf_type: o.mfType, mf_result: o.mfResult, signals,
    });
  }
}

const NO_MAPPERS: number[] = [];
const checkRec = new EventRecord();
const checkEvent = {} as TraceEvent;

/**
 * The events of one import, sorted, as columns: `count`, `eventAt` (a reused TraceEvent), the
 * observed row of each. `events` and `observed` build the object arrays on first use (library
 * callers and tests; the CLI streams from the columns).
 */
export class ImportedEvents {
  readonly count: number;
  constructor(private readonly b: EventBuilder, private readonly perm: Uint32Array, readonly file: string, readonly format: SourceFormat, readonly warnings: string[]) {
    this.count = b.n;
  }

  /** Event r (0-based, sorted order; event_id r + 1) into `out` (its mappers array is shared: do not change it). */
  eventAt(r: number, out: TraceEvent): TraceEvent {
    this.b.fillEvent(this.perm[r]!, r + 1, out);
    return out;
  }

  /** The observed row r as one NDJSON line (no newline). */
  observedJson(r: number): string {
    return this.b.observedJson(this.perm[r]!, r + 1);
  }

  toEvents(): TraceEvent[] {
    const out: TraceEvent[] = new Array(this.count);
    for (let r = 0; r < this.count; r++) {
      const e = this.eventAt(r, {} as TraceEvent);
      e.mappers = [...e.mappers];
      out[r] = e;
    }
    return out;
  }

  toObserved(): ObservedRow[] {
    const out: ObservedRow[] = new Array(this.count);
    for (let r = 0; r < this.count; r++) {
      const i = this.perm[r]!;
      const e = this.eventAt(r, scratch);
      out[r] = { eventId: BigInt(r + 1), host: e.host, inferred: this.b.inferred(i), ...this.b.outcome(i), signals: this.b.signals(i) };
    }
    return out;
  }
}
const scratch = {} as TraceEvent;
