// Shared parts of the captured-trace importers (docs/import.md): the draft of one imported event,
// its conversion to a canonical TraceEvent (through eventFromRow, so absent columns take exactly
// the defaults of docs/trace-format.md §1), the MCA status decoding, the page state implied by an observed
// memory_failure() result, and the time/pfn rules that group log lines into one error.
import { basename } from 'node:path';
import { Arch, Context, Kind, Mem, MF_RESULT, Notify, NOTIFY, PAGE, Severity } from '../model/enums.js';
import { InputError } from '../io/errors.js';
import { compareEvents, eventFromRow, TRACE_COLUMNS, TraceEvent } from '../io/trace.js';
import { C, EventBuilder, ImportedEvents, type RowWheres } from './builder.js';

export type SourceFormat = 'rasdaemon' | 'kernel-log' | 'ftrace' | 'mcelog' | 'ras-mc-ctl';

export interface ObservedSignal {
  pid: number;
  tid: number | null;
  signo: number;
  /** null when the source shows that a signal was sent but not its si_code (kernel log kill lines). */
  siCode: number | null;
  addr: number | null;
  lsb: number | null;
}

export interface ObservedRow {
  eventId: bigint;
  host: string;
  /** Trace column names whose value was filled from a documented default, not observed. */
  inferred: string[];
  /** null = the source cannot say. */
  panic: boolean | null;
  panicMsg: string | null;
  /** The kernel's page-type string ('recovery action for …' / memory_failure_event); null if not observed. */
  mfType: string | null;
  /** Ignored | Failed | Delayed | Recovered; null if not observed. */
  mfResult: string | null;
  /** null = the source has no signal information; [] = it would have shown signals and none was seen. */
  signals: ObservedSignal[] | null;
}

export interface ImportResult {
  /** The events and their observed outcomes as columns (docs/import.md "Event builder"): what the CLI writes from. */
  table: ImportedEvents;
  /** The events as objects, built on first use (library callers; off the import's hot path). */
  readonly events: TraceEvent[];
  /** The observed rows as objects, built on first use. */
  readonly observed: ObservedRow[];
  warnings: string[];
  format: SourceFormat;
  /** Lines read (text sources), else null. */
  lines: number | null;
  /** Lines that look like RAS (docs/import.md "Nothing lost silently") but that no rule understood. */
  unrecognized: number;
  /** The first of them (at most 10,000), with their line numbers, for `import --verbose`. */
  unrecognizedLines: { line: number; text: string }[];
}

/** An import's result over its columns; `events` and `observed` materialise (once) when read. */
export function importResult(table: ImportedEvents, warnings: string[], format: SourceFormat): ImportResult {
  let events: TraceEvent[] | null = null;
  let observed: ObservedRow[] | null = null;
  return {
    table, warnings, format, lines: null, unrecognized: 0, unrecognizedLines: [],
    get events() { return (events ??= table.toEvents()); },
    get observed() { return (observed ??= table.toObserved()); },
  };
}

/** Sort, number, default and check the events built by a columnar importer (EventBuilder.finish). */
export function finishEvents(b: EventBuilder, file: string, format: SourceFormat, warnings: string[]): ImportResult {
  return importResult(b.finish(file, format, warnings), warnings, format);
}

/**
 * A consumer pid the source does not name. PID_MAX_LIMIT is 4194304 (2^22) on 64-bit kernels, so
 * pid_max never reaches it: a pid at or above it cannot collide with a real process. One per event.
 */
export const SYNTHETIC_PID_BASE = 4_194_304;

/** Lines or rows of one error (outcome, kill, panic) follow its report within this window. */
export const LINK_WINDOW_NS = 10_000_000_000n;
/** Two reports of the same error (e.g. rasdaemon mce_record and mc_event) are this close in time. */
export const MERGE_WINDOW_NS = 1_000_000_000n;

export const NS_PER_S = 1_000_000_000n;

/** One imported event before ids are assigned: raw trace column strings plus the observed outcome. */
export interface Draft {
  host: string;
  /** Whether `host` was read from the source (syslog prefix) rather than the option or file name. */
  hostObserved: boolean;
  tNs: bigint;
  /** Whether `t_ns` was read from the source. */
  timeObserved: boolean;
  /** Source order, the tie-break after (host, t_ns). */
  seq: number;
  where: string;
  /**
   * Per trace column (index in TRACE_COLUMNS), its value in the CSV spelling; a column not set
   * takes eventFromRow's default. Set through setCol.
   */
  vals: (string | undefined)[];
  /** Bit k set: TRACE_COLUMNS[k]'s value was observed; every other trace column is listed as inferred. */
  observedMask: number;
  /** Values of columns outside TRACE_COLUMNS (none today), or null. */
  other: Map<string, string> | null;
  notes: string[];
  panic: boolean | null;
  panicMsg: string | null;
  mfType: string | null;
  mfResult: string | null;
  signals: ObservedSignal[] | null;
}

export function newDraft(host: string, hostObserved: boolean, tNs: bigint, timeObserved: boolean, seq: number, where: string): Draft {
  return {
    host, hostObserved, tNs, timeObserved, seq, where, vals: new Array<string | undefined>(TRACE_COLUMNS.length), observedMask: 0, other: null, notes: [],
    panic: null, panicMsg: null, mfType: null, mfResult: null, signals: null,
  };
}

const COLUMN_INDEX = new Map<string, number>(TRACE_COLUMNS.map((c, k) => [c, k]));
// Column sets as bit masks of 32-bit integers.
if (TRACE_COLUMNS.length > 31) throw new Error('import: more trace columns than bits in a column mask');
const HOST_BIT = 1 << TRACE_COLUMNS.indexOf('host');
const T_NS_BIT = 1 << TRACE_COLUMNS.indexOf('t_ns');

/** Set a column; `observed` false means it comes from a documented default (listed in inferred). */
export function setCol(d: Draft, column: string, value: string, observed: boolean): void {
  const k = COLUMN_INDEX.get(column);
  if (k === undefined) {
    (d.other ??= new Map()).set(column, value);
    return;
  }
  d.vals[k] = value;
  if (observed) d.observedMask |= 1 << k;
  else d.observedMask &= ~(1 << k);
}

export function hex(n: bigint | number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The adapter for importers that still build a Draft of CSV strings per event (kernel-log):
 * drafts sorted by (host, t_ns, source order) get event_ids 1..N; each row goes through
 * eventFromRow, so absent columns take docs/trace-format.md §1's defaults and the cross-column
 * rules are checked (a violation is the importer's fault or a record no machine produces: reported
 * with the source location); each event then goes into the columns of an EventBuilder.
 */
export function finalize(drafts: Draft[], file: string, format: SourceFormat, warnings: string[]): ImportResult {
  drafts.sort((a, b) => (a.host !== b.host ? (a.host < b.host ? -1 : 1) : a.tNs !== b.tNs ? (a.tNs < b.tNs ? -1 : 1) : a.seq - b.seq));
  const b = new EventBuilder(Math.max(16, drafts.length));
  // One getter and one error callback for all rows (no per-row closures on this path).
  let d = drafts[0]!;
  let id = 0n;
  const get = (c: string): string | undefined => {
    if (c === 'event_id') return id.toString();
    if (c === 'host') return d.host;
    if (c === 't_ns') return d.tNs.toString();
    const k = COLUMN_INDEX.get(c);
    return k === undefined ? d.other?.get(c) : d.vals[k];
  };
  const badAt = (column: string, value: string, expected: string): never => {
    throw new InputError(`${d.where}: imported ${format} record gives column ${column} the value ${JSON.stringify(value)}: expected ${expected}`, file, d.where, column);
  };
  let prev: TraceEvent | null = null;
  for (let i = 0; i < drafts.length; i++) {
    d = drafts[i]!;
    // Each draft is dropped once its event is in the columns.
    drafts[i] = null as unknown as Draft;
    id = BigInt(i + 1);
    const e = eventFromRow(get, d.where, badAt);
    e.note = d.notes.join('; ');
    // eventFromRow applies no ordering; the sort above already is compareEvents' order.
    if (prev && compareEvents(prev, e) > 0) throw new Error('import: events out of order after sort');
    prev = e;
    // Observed: the columns set as observed (host and t_ns by their own flags).
    const obs = (d.observedMask & ~(HOST_BIT | T_NS_BIT)) | (d.hostObserved ? HOST_BIT : 0) | (d.timeObserved ? T_NS_BIT : 0);
    b.addEvent(e, d.hostObserved, d.timeObserved, i, obs, { panic: d.panic, panicMsg: d.panicMsg, mfType: d.mfType, mfResult: d.mfResult, signals: d.signals });
  }
  return finishEvents(b, file, format, warnings);
}

/** The host when the source does not name one: the option, else the file name without extension. */
export function defaultHost(file: string, host: string | undefined): string {
  if (host !== undefined && host !== '') return host;
  const b = basename(file);
  const dot = b.indexOf('.');
  return dot > 0 ? b.slice(0, dot) : b;
}

// ---------------------------------------------------------------------------------------------
// x86 machine check status decoding.
//
// MCi_STATUS (Intel SDM vol. 3B 16.3.2.2; arch/x86/include/asm/mce.h): VAL 63, OVER 62, UC 61,
// EN 60, MISCV 59, ADDRV 58, PCC 57, S 56, AR 55, MCACOD 15:0; AMD Deferred 44, Poison 43.
// MCG_STATUS: RIPV 0, EIPV 1, MCIP 2. MCG_CAP.SER_P is bit 24.
//
// The trace grades severity the way docs/trace-format.md §1 does (corrected; deferred = UCNA; recoverable
// = SRAR/SRAO; fatal = PCC or otherwise unrecoverable). The rules below follow the Intel part of
// severities[] (arch/x86/kernel/cpu/mce/severity.c, kernel-model §2) for what the status bits
// alone decide; what depends on the interrupted context (RIPV/EIPV, kernel vs user) is left to
// the model through the `ripv` and `context` columns.
// ---------------------------------------------------------------------------------------------

const B = (n: number): bigint => 1n << BigInt(n);
export const MCI_VAL = B(63);
export const MCI_OVER = B(62);
export const MCI_UC = B(61);
export const MCI_EN = B(60);
export const MCI_MISCV = B(59);
export const MCI_ADDRV = B(58);
export const MCI_PCC = B(57);
export const MCI_S = B(56);
export const MCI_AR = B(55);
export const MCI_AMD_DEFERRED = B(44);
export const MCG_RIPV = 1n;
export const MCG_EIPV = 2n;
export const MCG_MCIP = 4n;
export const MCG_SER_P = B(24);

export interface McaDecoded {
  /** Why the record is not an error event (VAL clear, UC without EN), or null. */
  skip: string | null;
  severity: 'corrected' | 'deferred' | 'recoverable' | 'fatal';
  sync: boolean;
  notify: 'mce' | 'cmci' | 'poll';
  /** MCG_STATUS.RIPV; only meaningful in a machine check (MCIP set), else true. */
  ripv: boolean;
  /** MCIP was set: the record was taken in the machine check handler, MCG_STATUS is meaningful. */
  inMce: boolean;
  pa: bigint | null;
  /** The rule that decided, for the event note (severities[] names where one applies). */
  rule: string;
}

/** MCACOD classes used in severities[] (MCACOD_SCRUB 0x00c0/0xfff0, MCACOD_L3WB 0x017a, DATA 0x0134, INSTR 0x0150). */
function mcacodClass(status: bigint): string {
  const c = Number(status & 0xffffn);
  if ((c & 0xfff0) === 0x00c0) return 'memory scrubbing';
  if (c === 0x017a) return 'last level cache writeback';
  if ((c & 0xeffff) === 0x0134) return 'data load';
  if ((c & 0xeffff) === 0x0150) return 'instruction fetch';
  return `MCACOD 0x${c.toString(16).padStart(4, '0')}`;
}

function mcaResult(severity: McaDecoded['severity'], sync: boolean, notify: McaDecoded['notify'], rule: string, mcip: boolean, ripv: boolean, pa: bigint | null): McaDecoded {
  // A fatal grade with MCIP clear is a record machine_check_poll logged (poll timer, CMCI, or at
  // boot from the banks of the previous boot): notify poll, not consumed. The poller grades it
  // with mce_severity(m, ..., false), logs it and never panics; the trace says so (docs/trace-format.md §1).
  return severity === 'fatal' && !mcip
    ? { skip: null, severity, sync: false, notify: 'poll', ripv, inMce: false, pa, rule: `${rule} (a polled/boot-logged record: the kernel only logged it)` }
    : { skip: null, severity, sync, notify, ripv, inMce: mcip, pa, rule };
}

export function decodeMca(status: bigint, mcgstatus: bigint, addr: bigint | null, mcgcap: bigint | null, amd: boolean): McaDecoded {
  const mcip = (mcgstatus & MCG_MCIP) !== 0n;
  const ripv = mcip ? (mcgstatus & MCG_RIPV) !== 0n : true;
  const pa = (status & MCI_ADDRV) !== 0n && addr !== null ? addr : null;
  if ((status & MCI_VAL) === 0n) return { ...mcaResult('corrected', false, 'poll', '', mcip, ripv, pa), skip: 'MCi_STATUS.VAL is clear (severities[] "Invalid")' };
  const uc = (status & MCI_UC) !== 0n;
  const signalled: McaDecoded['notify'] = mcip ? 'mce' : 'poll';
  if (amd) {
    // mce_severity_amd is not modelled bit for bit (kernel-model §2): Deferred -> deferred, PCC ->
    // fatal, UC in a machine check -> consumed (action required), UC found by polling -> async.
    if ((status & MCI_AMD_DEFERRED) !== 0n) return mcaResult('deferred', false, mcip ? 'mce' : 'cmci', 'AMD deferred error', mcip, ripv, pa);
    if (!uc) return mcaResult('corrected', false, mcip ? 'mce' : 'cmci', 'AMD corrected error', mcip, ripv, pa);
    if ((status & MCI_PCC) !== 0n) return mcaResult('fatal', false, 'mce', 'AMD processor context corrupt', mcip, ripv, pa);
    return mcip ? mcaResult('recoverable', true, 'mce', 'AMD uncorrected error in a machine check (action required)', mcip, ripv, pa)
      : mcaResult('recoverable', false, 'poll', 'AMD uncorrected error found by polling', mcip, ripv, pa);
  }
  if (!uc) return mcaResult('corrected', false, mcip ? 'mce' : 'cmci', 'Corrected error', mcip, ripv, pa);
  // severities[] "Not enabled" is an EXCP rule: only the exception handler (MCIP set) drops a UC
  // record with EN clear; polled and boot-logged records (MCIP clear) go on down the table
  // (machine_check_poll: "TBD do the same check for MCI_STATUS_EN here?").
  if ((status & MCI_EN) === 0n && mcip) return { ...mcaResult('fatal', false, 'mce', '', mcip, ripv, pa), skip: 'MCi_STATUS.EN is clear in a machine check (severities[] "Not enabled", EXCP)' };
  if ((status & MCI_PCC) !== 0n) return mcaResult('fatal', (status & MCI_S) !== 0n && (status & MCI_AR) !== 0n, 'mce', 'Processor context corrupt', mcip, ripv, pa);
  if (mcgcap !== null && (mcgcap & MCG_SER_P) === 0n) return mcaResult('fatal', false, 'mce', 'Uncorrected (no MCG_CAP.SER_P: no software error recovery)', mcip, ripv, pa);
  const s = (status & MCI_S) !== 0n;
  const ar = (status & MCI_AR) !== 0n;
  const over = (status & MCI_OVER) !== 0n;
  if (!s) {
    if (ar) return mcaResult('fatal', false, 'mce', 'Illegal combination (UCNA with AR=1)', mcip, ripv, pa);
    return mcaResult('deferred', false, mcip ? 'mce' : 'cmci', 'Uncorrected no action required (UCNA)', mcip, ripv, pa);
  }
  if (ar) {
    if (over) return mcaResult('fatal', true, 'mce', 'Action required with lost events', mcip, ripv, pa);
    return mcaResult('recoverable', true, 'mce', `Action required: ${mcacodClass(status)} (SRAR)`, mcip, ripv, pa);
  }
  return mcaResult('recoverable', false, signalled, `Action optional: ${mcacodClass(status)} (SRAO)${over ? ' with lost events' : ''}`, mcip, ripv, pa);
}

/** Context of a consumed error from the interrupted code segment's privilege level (cs & 3 == 3: user). */
export function contextFromCs(cs: number): 'user' | 'kernel_other' {
  return (cs & 3) === 3 ? 'user' : 'kernel_other';
}

// ---------------------------------------------------------------------------------------------
// memory_failure() results.
// ---------------------------------------------------------------------------------------------

export function isMfResult(s: string): boolean {
  return (MF_RESULT as readonly string[]).includes(s);
}

/**
 * The page state a replay needs to reach the observed memory_failure() result (docs/import.md
 * "Page state from the observed result"). A source never says what the page was; the result line
 * names the kernel's classification, and this picks the trace `page` value that leads there.
 * Replays of such rows agree on mf_type by construction: compare signals and panics instead.
 */
const PAGE_FROM_MF: Record<string, { page: (typeof PAGE)[number]; pinned?: boolean }> = {
  'dirty LRU page': { page: 'anon' },
  'clean LRU page': { page: 'file_clean' },
  'already truncated LRU page': { page: 'file_clean' },
  'dirty swapcache page': { page: 'swapcache_dirty' },
  'clean swapcache page': { page: 'swapcache_clean' },
  'dirty mlocked LRU page': { page: 'mlocked' },
  'clean mlocked LRU page': { page: 'mlocked_clean' },
  'dirty unevictable LRU page': { page: 'unevictable_dirty' },
  'clean unevictable LRU page': { page: 'unevictable_clean' },
  'free buddy page': { page: 'free' },
  'huge page': { page: 'hugetlb' },
  'free huge page': { page: 'hugetlb_free' },
  'dax page': { page: 'dax' },
  'unsplit thp': { page: 'anon_thp', pinned: true },
  'unmapping failed page': { page: 'anon', pinned: true },
  'reserved kernel page': { page: 'kernel' },
  'high-order kernel page': { page: 'kernel' },
  'get hwpoison page': { page: 'slab' },
  'kernel slab page': { page: 'slab' },
  'non struct page pfn': { page: 'pfnmap' },
  'already poisoned page': { page: 'anon' },
  'already poisoned': { page: 'anon' },
};

const EXTRA_REF_TYPES = new Set([
  'dirty LRU page', 'clean LRU page', 'dirty swapcache page', 'clean swapcache page', 'dirty mlocked LRU page',
  'clean mlocked LRU page', 'dirty unevictable LRU page', 'clean unevictable LRU page', 'huge page',
]);

/** Apply the page state implied by an observed result (inferred columns). */
export function applyMfPage(d: Draft, mfType: string, mfResult: string): void {
  const p = PAGE_FROM_MF[mfType];
  if (!p) return;
  setCol(d, 'page', p.page, false);
  if (p.pinned) setCol(d, 'pinned', 'true', false);
  // A page-state action that normally recovers (or delays) but reported Failed: has_extra_refcount
  // or, for hugetlb, a failed dissolve (docs/conventions.md C24).
  if (mfResult === 'Failed' && EXTRA_REF_TYPES.has(mfType)) setCol(d, 'extra_refs', 'true', false);
  if (p.page === 'pfnmap') {
    // memory_failure_pfn (seed 003): Ignored when no driver registered the range, Recovered when one did.
    setCol(d, 'mem', mfResult === 'Recovered' ? 'device' : 'device_unregistered', false);
  }
}

/** applyMfPage on the event being built. */
export function applyMfPageTo(b: EventBuilder, mfType: string, mfResult: string): void {
  const p = Object.hasOwn(PAGE_FROM_MF, mfType) ? PAGE_FROM_MF[mfType] : undefined;
  if (!p) return;
  b.set(C.page, PAGE.indexOf(p.page), false);
  if (p.pinned) b.set(C.pinned, 1, false);
  if (mfResult === 'Failed' && EXTRA_REF_TYPES.has(mfType)) b.set(C.extraRefs, 1, false);
  if (p.page === 'pfnmap') b.set(C.mem, mfResult === 'Recovered' ? Mem.device : Mem.device_unregistered, false);
}

/** Page numbers an address may have: 4K, 16K and 64K base pages (arm64 can use either). */
export function pfnCandidates(pa: bigint): bigint[] {
  return [pa >> 12n, pa >> 14n, pa >> 16n];
}

export function pfnMatches(pa: bigint | null, pfn: bigint): boolean {
  if (pa === null) return false;
  return (pa >> 12n) === pfn || (pa >> 14n) === pfn || (pa >> 16n) === pfn;
}

/** An address as the trace wants it (parseAddr: below 2^53), or null with a warning. */
export function addrString(v: bigint, what: string, where: string, warnings: string[]): string | null {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    warnings.push(`${where}: ${what} ${hex(v)} is above 2^53 and cannot be a trace address; left empty`);
    return null;
  }
  return hex(v);
}

/** Seconds with an optional fraction ("1234.567890") to nanoseconds, exactly. */
export function secondsToNs(sec: string, frac: string | undefined): bigint {
  const f = frac ?? '';
  // The common dmesg/ftrace case (microseconds, uptime below 2^53 us) in float-free integer math.
  if (f.length === 6 && sec.length <= 9) return BigInt(Number(sec) * 1_000_000 + Number(f)) * 1000n;
  return BigInt(sec) * NS_PER_S + BigInt(f.slice(0, 9).padEnd(9, '0'));
}

/**
 * SIGBUS coalescing (conventions C5): within one event, a second SIGBUS to a thread that already has
 * one pending is not observed by the task. Applied to sources that show every send (kernel log).
 */
export function coalesce(signals: ObservedSignal[], notes: string[]): ObservedSignal[] {
  const out: ObservedSignal[] = [];
  const pending = new Set<number>();
  for (const s of signals) {
    const t = s.tid ?? s.pid;
    if (s.signo === 7 && pending.has(t)) {
      notes.push(`a second SIGBUS to ${t} was sent while one was pending (not observed, conventions C5)`);
      continue;
    }
    if (s.signo === 7) pending.add(t);
    out.push(s);
  }
  return out;
}

/** Read a whole file for an importer, turning a file-system error into an InputError. */
export function fileError(file: string, e: unknown): InputError {
  return new InputError(`${file}: cannot read the source: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
}

// ---------------------------------------------------------------------------------------------
// Tracepoint records and their correlation into events. rasdaemon stores the same tracepoints that
// ftrace prints (mce:mce_record, ras:arm_event, ras:mc_event, ras:extlog_mem_event,
// ras:memory_failure_event, signal:signal_generate), so both importers reduce their input to these
// points and share one grouping rule (docs/import.md "Grouping"):
//  1. error reports of different tracepoints within MERGE_WINDOW_NS whose addresses name the same
//     4 KiB page (or that carry no address) are one error;
//  2. a memory_failure_event belongs to the latest error within LINK_WINDOW_NS before it (or
//     MERGE_WINDOW_NS after it) whose address is in that pfn and that has no result yet; otherwise
//     it is an error of its own (the report was not captured);
//  3. a signal belongs to the latest error within LINK_WINDOW_NS before it.
// ---------------------------------------------------------------------------------------------

interface PointBase {
  tNs: bigint;
  seq: number;
  /** The record's place in the source as text, or a number PointSet.whereOf spells (formatted only when needed). */
  where: string | number;
  /** The source gave no time for this record; tNs keeps source order only. */
  timeInferred?: boolean;
}

export interface McePoint extends PointBase {
  kind: 'mce';
  status: bigint;
  mcgstatus: bigint;
  addr: bigint | null;
  mcgcap: bigint | null;
  /** Code segment selector of the interrupted context, when recorded. */
  cs: number | null;
  cpu: number | null;
  bank: number | null;
  amd: boolean;
}

export interface ArmPoint extends PointBase {
  kind: 'arm';
  pa: bigint | null;
  errorType: string | null;
}

export interface McPoint extends PointBase {
  kind: 'mc';
  /** mc_event_error_type(): Corrected, Uncorrected, Deferred, Fatal or Info. */
  errType: string;
  pa: bigint | null;
  label: string | null;
}

export interface ExtlogPoint extends PointBase {
  kind: 'extlog';
  /** CPER severity: 0 recoverable, 1 fatal, 2 corrected, 3 informational. */
  sev: number;
  pa: bigint | null;
}

export type ErrPoint = McePoint | ArmPoint | McPoint | ExtlogPoint;

export interface MfPoint extends PointBase {
  pfn: bigint;
  type: string;
  result: string;
}

export interface SigPoint extends PointBase {
  sig: number;
  code: number;
  comm: string;
  pid: number;
  /** signal_generate's result: 0 delivered, 1 ignored, 2 already pending, 3 overflow, 4 lose info. */
  res: number | null;
}

export interface PointSet {
  file: string;
  host: string;
  hostObserved: boolean;
  errors: ErrPoint[];
  mfs: MfPoint[];
  sigs: SigPoint[];
  /** The source records signal_generate: events without a signal get [] instead of null. */
  signalsTraced: boolean;
  /** Architecture of the host when the records say it (x86 MCA, ARM processor records), else a hint. */
  arch: 'x86_64' | 'arm64' | null;
  archObserved: boolean;
  /** Spells a numeric point `where` (required when any point has one). */
  whereOf?: RowWheres;
}

/** A point's `where` as text. */
function whereText(ps: PointSet, p: { where: string | number }): string {
  return typeof p.where === 'string' ? p.where : ps.whereOf!.spell(p.where);
}

/** Notification assumed for an asynchronous arm64 GHES record whose source type is not recorded. */
export const ARM64_ASYNC_NOTIFY = 'sdei';

/** One error: its reports, the memory_failure() result and the signals that belong to it. */
export interface Group {
  t: bigint;
  seq: number;
  points: ErrPoint[];
  pa: bigint | null;
  mf: MfPoint | null;
  /** Built from a memory_failure_event alone: pa is the pfn's page address. */
  mfOnly: boolean;
  sigs: SigPoint[];
}

function pointPa(p: ErrPoint): bigint | null {
  return p.kind === 'mce' ? ((p.status & MCI_ADDRV) !== 0n ? p.addr : null) : p.pa;
}

/** Signals a consumer gets from the kernel in its own context: AR, SI_KERNEL (force_sig), BUS_OBJERR (do_sea). */
const CONSUMER_CODES = new Set([4, 128, 3]);

/** Points sorted by (t_ns, source order): the array itself when it already is (a table read in rowid order), else a sorted copy. */
function inTimeOrder<T extends PointBase>(a: T[]): T[] {
  for (let i = 1; i < a.length; i++) {
    const p = a[i - 1]!;
    const q = a[i]!;
    if (p.tNs > q.tNs || (p.tNs === q.tNs && p.seq > q.seq)) return [...a].sort((x, y) => (x.tNs !== y.tNs ? (x.tNs < y.tNs ? -1 : 1) : x.seq - y.seq));
  }
  return a;
}

/** The signals of a group that has none (shared; a group's first signal gets its own array). */
export const NO_SIGS: SigPoint[] = [];

/** Group the points into events, built into columns. Consumes the point set: its arrays are empty afterwards. */
export function correlate(ps: PointSet, warnings: string[]): EventBuilder {
  const groups: Group[] = [];
  const errors = inTimeOrder(ps.errors);
  for (const p of errors) {
    const pa = pointPa(p);
    let best: Group | null = null;
    if (p.kind !== 'mce') {
      for (let i = groups.length - 1; i >= 0; i--) {
        const g = groups[i]!;
        if (p.tNs - g.t > MERGE_WINDOW_NS) break;
        if (g.points.some((q) => q.kind === p.kind)) continue;
        if (pa !== null && g.pa !== null) {
          if ((pa >> 12n) === (g.pa >> 12n)) { best = g; break; }
        } else if (!best) {
          best = g;
        }
      }
    }
    if (best) {
      best.points.push(p);
      if (best.pa === null) best.pa = pa;
    } else {
      groups.push({ t: p.tNs, seq: p.seq, points: [p], pa, mf: null, mfOnly: false, sigs: NO_SIGS });
    }
  }
  const mfs = inTimeOrder(ps.mfs);
  if (mfs.length) {
    // Candidates of a result: the reports within [t - LINK_WINDOW_NS, t + MERGE_WINDOW_NS] whose
    // address may be in its page (4K, 16K, 64K pages), the latest one without a result. The groups
    // are in time order here, so the window is found by binary search and scanned; only a window
    // of more than WINDOW_SCAN reports (an error storm) uses an index of the reports by page number.
    const WINDOW_SCAN = 256;
    let byPfn: Map<bigint, Group[]> | null = null;
    const n = groups.length;
    const extra: Group[] = [];
    for (const m of mfs) {
      let best: Group | null = null;
      const from = m.tNs - LINK_WINDOW_NS;
      const to = m.tNs + MERGE_WINDOW_NS;
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (groups[mid]!.t < from) lo = mid + 1; else hi = mid;
      }
      let end = lo;
      hi = n;
      while (end < hi) {
        const mid = (end + hi) >> 1;
        if (groups[mid]!.t <= to) end = mid + 1; else hi = mid;
      }
      if (end - lo <= WINDOW_SCAN) {
        for (let i = lo; i < end; i++) {
          const g = groups[i]!;
          if (!g.mf && pfnMatches(g.pa, m.pfn)) best = g;
        }
      } else {
        if (!byPfn) {
          byPfn = new Map();
          for (let i = 0; i < n; i++) {
            const g = groups[i]!;
            if (g.pa === null) continue;
            for (const pfn of pfnCandidates(g.pa)) {
              const l = byPfn.get(pfn);
              if (l) { if (l[l.length - 1] !== g) l.push(g); } else byPfn.set(pfn, [g]);
            }
          }
        }
        for (const g of byPfn.get(m.pfn) ?? []) {
          if (g.mf || g.t > to || g.t < from) continue;
          if (!best || g.t >= best.t) best = g;
        }
      }
      if (!best) {
        // A report without an address (an ARM processor record from ftrace, an mc_event without
        // one) followed by a result: the result names the page.
        for (let i = groups.length - 1; i >= 0; i--) {
          const g = groups[i]!;
          if (g.t > m.tNs + MERGE_WINDOW_NS) continue;
          if (m.tNs - g.t > LINK_WINDOW_NS) break;
          if (g.pa === null && !g.mf && !g.mfOnly) { best = g; break; }
        }
      }
      if (best) best.mf = m;
      else extra.push({ t: m.tNs, seq: m.seq, points: [], pa: m.pfn << 12n, mf: m, mfOnly: true, sigs: NO_SIGS });
    }
    for (const g of extra) groups.push(g);
  }
  groups.sort((a, b) => (a.t !== b.t ? (a.t < b.t ? -1 : 1) : a.seq - b.seq));
  const sigs = inTimeOrder(ps.sigs);
  for (const s of sigs) {
    if (!(s.sig === 7 && [3, 4, 5, 128].includes(s.code)) && !(s.sig === 9 && s.code === 128)) continue;
    // The latest report at or before the signal (plus the merge skew): binary search on time.
    const limit = s.tNs + MERGE_WINDOW_NS;
    let lo = 0;
    let hi = groups.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (groups[mid]!.t <= limit) lo = mid + 1; else hi = mid;
    }
    const g = lo > 0 ? groups[lo - 1]! : null;
    if (g && s.tNs - g.t <= LINK_WINDOW_NS) {
      if (g.sigs === NO_SIGS) g.sigs = [s];
      else g.sigs.push(s);
    }
    else warnings.push(`${whereText(ps, s)}: signal ${s.sig} code ${s.code} to ${s.comm}:${s.pid} follows no memory error within ${LINK_WINDOW_NS / NS_PER_S} s; not attached to an event`);
  }

  const native = ps.errors.some((p) => p.kind === 'mce');
  // The pages seen so far matter only to a result that says "already poisoned".
  const lookBack = mfs.some((m) => isAlreadyPoisoned(m.type));
  const out = new GroupEvents(ps, native, lookBack, Math.max(1024, groups.length), warnings);
  // From here on the points are reached through their groups only: the point arrays (the
  // caller's too, which it does not use after this) are emptied and each group is let go once its
  // event is built, so that points, groups and events are not all held at once.
  errors.length = 0;
  mfs.length = 0;
  sigs.length = 0;
  ps.errors.length = 0;
  ps.mfs.length = 0;
  ps.sigs.length = 0;
  for (let gi = 0; gi < groups.length; gi++) {
    const g = groups[gi]!;
    groups[gi] = null as unknown as Group;
    out.add(g);
  }
  return out.b;
}

/** memory_failure_event's page type of a page poisoned before (the kernel's two spellings). */
export const isAlreadyPoisoned = (type: string): boolean => type === 'already poisoned page' || type === 'already poisoned';

/**
 * The events of the groups, built into columns in the order given (groups in (t, seq) order):
 * the last step of correlate(), shared with importers that group their records themselves
 * (rasdaemon's columnar reader). `native`: the capture has machine check records; `lookBack`: a
 * result says "already poisoned" (the pages seen so far are then tracked).
 */
export class GroupEvents {
  readonly b: EventBuilder;
  private readonly notes = new McaNotes();
  private readonly seenPfn = new Set<bigint>();

  /** `capacity`: the events expected; `rows`: the builder rows (fewer when events are copied: copyEvent). */
  constructor(private readonly ps: PointSet, private readonly native: boolean, private readonly lookBack: boolean, capacity: number, private readonly warnings: string[], rows = capacity) {
    this.b = new EventBuilder(capacity, rows);
    if (ps.whereOf) this.b.whereFormat = ps.whereOf;
  }

  /**
   * add(g) for a group of one machine check record (no other report, result or signal) whose
   * event depends on the record only through a key of the caller's (everything but its time,
   * place and address): returns the event's index for copyEvent, or -1 when the event is not to be
   * copied: it names its index (a synthetic consumer pid), its building warned, or there was no
   * event; with lookBack, every group is built (the pages seen are kept).
   */
  addCopyable(g: Group): number {
    const b = this.b;
    const n = b.n;
    const w = this.warnings.length;
    this.add(g);
    return b.n === n + 1 && this.warnings.length === w && !this.lookBack && b.get(C.sync) === 0 ? n : -1;
  }

  /**
   * The event of a group of one machine check record whose key's event is `from` (addCopyable):
   * a copy of it at time tNs, source order seq and place where (its time read from the source),
   * with address `addr` (below 2^53; used when that event has one).
   */
  copyEvent(from: number, tNs: bigint, seq: number, where: string | number, addr: number): void {
    const b = this.b;
    // Its columns, note, outcome and signals ([] when the source records signals) are its event's.
    b.copyOf(from, this.ps.host, this.ps.hostObserved, tNs, true, seq, where);
    // The address as groupEvent sets it (setPa): the key says whether there is one.
    if (b.has(C.pa)) b.set(C.pa, addr, true);
  }

  add(g: Group): void {
    const b = this.b;
    if (!groupEvent(b, g, this.ps, this.native, this.notes, this.warnings)) return;
    if (!this.lookBack) return;
    if (g.mf) {
      if (isAlreadyPoisoned(g.mf.type) && !this.seenPfn.has(g.mf.pfn)) {
        b.set(C.poisonedBefore, 1, true);
        b.note('the kernel reports the page already poisoned and no earlier error on it is in the capture');
      }
      this.seenPfn.add(g.mf.pfn);
    } else if (g.pa !== null) {
      this.seenPfn.add(g.pa >> 12n);
    }
  }
}

const NOTIFY_CODE = (n: string): number => {
  const k = (NOTIFY as readonly string[]).indexOf(n);
  if (k < 0) throw new Error(`import: notify ${n} is not a trace value`);
  return k;
};
const N_MCE = Notify.mce;
const N_CMCI = Notify.cmci;
const N_ASYNC_ARM64 = NOTIFY_CODE(ARM64_ASYNC_NOTIFY);
const SEV_CODE: Record<McaDecoded['severity'], number> = {
  corrected: Severity.corrected, deferred: Severity.deferred, recoverable: Severity.recoverable, fatal: Severity.fatal,
};
const MC_SEVERITY: Partial<Record<string, number>> = { Corrected: Severity.corrected, Uncorrected: Severity.recoverable, Deferred: Severity.deferred, Fatal: Severity.fatal };
const EXTLOG_SEVERITY = [Severity.recoverable, Severity.fatal, Severity.corrected];

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The machine check note of a record (most repeat: same status, rule, CPU and bank), one string
 * object per distinct text, so that the builder's pool finds it without hashing a new string.
 */
class McaNotes {
  private readonly byRule = new Map<string, Map<bigint, Map<bigint, Map<number | null, Map<number | null, string>>>>>();

  get(status: bigint, mcgstatus: bigint, rule: string, cpu: number | null, bank: number | null): string {
    let a = this.byRule.get(rule);
    if (!a) { a = new Map(); this.byRule.set(rule, a); }
    let b = a.get(status);
    if (!b) { b = new Map(); a.set(status, b); }
    let c = b.get(mcgstatus);
    if (!c) { c = new Map(); b.set(mcgstatus, c); }
    let d = c.get(cpu);
    if (!d) { d = new Map(); c.set(cpu, d); }
    let s = d.get(bank);
    if (s === undefined) {
      s = `MCi_STATUS ${hex(status)} MCG_STATUS ${hex(mcgstatus)}: ${rule}${cpu !== null ? `, CPU ${cpu}` : ''}${bank !== null ? ` bank ${bank}` : ''}`;
      d.set(bank, s);
    }
    return s;
  }
}

/** An address into the builder's pa column (a warning and no value above 2^53, as addrString). */
function setPa(b: EventBuilder, v: bigint, what: string, ps: PointSet, p: PointBase, warnings: string[]): void {
  if (v > MAX_SAFE_BIG) {
    warnings.push(`${whereText(ps, p)}: ${what} ${hex(v)} is above 2^53 and cannot be a trace address; left empty`);
    return;
  }
  b.set(C.pa, Number(v), true);
}

/** Build the event of one group into `b`; false when the group is no event (nothing is left added). */
function groupEvent(b: EventBuilder, g: Group, ps: PointSet, native: boolean, notes: McaNotes, warnings: string[]): boolean {
  // The first report of each kind (one pass, no closure per group).
  let mce: McePoint | undefined;
  let arm: ArmPoint | undefined;
  let mc: McPoint | undefined;
  let ext: ExtlogPoint | undefined;
  for (const p of g.points) {
    if (p.kind === 'mce') mce ??= p;
    else if (p.kind === 'arm') arm ??= p;
    else if (p.kind === 'mc') mc ??= p;
    else ext ??= p;
  }
  const decoded = mce ? decodeMca(mce.status, mce.mcgstatus, mce.addr, mce.mcgcap, mce.amd) : null;
  if (mce && decoded?.skip) {
    warnings.push(`${whereText(ps, mce)}: ${decoded.skip}; not an error event`);
    g.points = g.points.filter((p) => p !== mce);
    mce = undefined;
    if (g.points.length === 0 && !g.mf) {
      for (const s of g.sigs) warnings.push(`${whereText(ps, s)}: signal ${s.sig} code ${s.code} to ${s.comm}:${s.pid} belongs to a skipped record; dropped`);
      return false;
    }
  }
  const first = g.points[0] ?? g.mf!;
  b.begin(ps.host, ps.hostObserved, g.t, !first.timeInferred, first.seq, first.where);
  // The synthetic pid of a consumer is numbered by the events kept before this one.
  const index = b.n - 1;
  if (g.points.length > 1 || (g.mf && g.points.length)) {
    const others = [...g.points.slice(1).map((p) => whereText(ps, p)), ...(g.mf && g.points.length ? [whereText(ps, g.mf)] : [])];
    b.note(`also ${others.join(', ')}`);
  }
  b.set(C.kind, Kind.error, true);
  let arch: 'x86_64' | 'arm64';
  let archObs = true;
  let sync = false;
  if (mce) {
    const m = decoded!;
    arch = 'x86_64';
    b.set(C.arch, Arch.x86_64, true);
    b.set(C.firmwareFirst, 0, true);
    b.set(C.severity, SEV_CODE[m.severity], true);
    b.set(C.sync, m.sync ? 1 : 0, true);
    b.set(C.ripv, m.ripv ? 1 : 0, m.inMce);
    // MCIP says a machine check delivered it; without MCIP, CMCI and polling look the same.
    b.set(C.notify, NOTIFY_CODE(m.notify), m.notify === 'mce');
    if (m.pa !== null) setPa(b, m.pa, 'MCi_ADDR', ps, mce, warnings);
    sync = m.sync;
    b.note(notes.get(mce.status, mce.mcgstatus, m.rule, mce.cpu, mce.bank));
    if (sync) {
      if (mce.cs !== null) b.set(C.context, (mce.cs & 3) === 3 ? Context.user : Context.kernel_other, true);
      else b.set(C.context, Context.user, false);
    }
  } else if (arm || ext || mc) {
    if (arm) { arch = 'arm64'; } else if (ext) { arch = 'x86_64'; } else { arch = ps.arch ?? 'x86_64'; archObs = ps.arch !== null && ps.archObserved; }
    b.set(C.arch, Arch[arch], archObs);
    let severity = -1;
    let sevObs = false;
    if (mc) {
      const s = Object.hasOwn(MC_SEVERITY, mc.errType) ? MC_SEVERITY[mc.errType] : undefined;
      if (s === undefined) {
        warnings.push(`${whereText(ps, mc)}: mc_event of type ${mc.errType} is not a memory error report; skipped`);
        if (!arm && !ext && !g.mf) { b.drop(); return false; }
      } else {
        severity = s;
        sevObs = true;
      }
    }
    if (ext) {
      const s = EXTLOG_SEVERITY[ext.sev];
      if (s === undefined) {
        warnings.push(`${whereText(ps, ext)}: extlog record of CPER severity ${ext.sev} (informational) is not handled by the kernel; skipped`);
        if (!arm && !mc && !g.mf) { b.drop(); return false; }
      } else {
        severity = s;
        sevObs = true;
      }
    }
    if (arch === 'arm64' && severity === Severity.deferred) severity = Severity.recoverable;
    const pa = arm?.pa ?? ext?.pa ?? mc?.pa ?? null;
    if (pa !== null) {
      setPa(b, pa, 'physical address', ps, first, warnings);
    } else if (g.mf) {
      b.setAddr(C.pa, g.mf.pfn << 12n, false);
      b.note('the report has no address; pa is the page address of the memory_failure result (pfn << 12)');
    }
    const sev = severity < 0 ? Severity.recoverable : severity;
    if (arm) {
      // An ARM processor error section comes with a synchronous external abort (firmware-first
      // SEA): taken as consumed; not recorded, so inferred.
      b.set(C.firmwareFirst, 1, true);
      if (severity === Severity.corrected) {
        b.set(C.notify, N_ASYNC_ARM64, false);
        b.set(C.sync, 0, false);
      } else {
        b.set(C.notify, Notify.sea, false);
        b.set(C.sync, 1, false);
        sync = true;
        b.set(C.context, Context.user, false);
      }
      b.set(C.severity, sev, sevObs);
      if (arm.errorType) b.note(`ARM processor error: ${arm.errorType}`);
    } else if (ext) {
      b.set(C.firmwareFirst, 0, false);
      b.set(C.severity, sev, sevObs);
      b.set(C.notify, severity === Severity.corrected ? N_CMCI : N_MCE, false);
      b.set(C.sync, 0, false);
    } else {
      b.set(C.severity, sev, sevObs);
      b.set(C.sync, 0, false);
      if (arch === 'arm64') {
        b.set(C.firmwareFirst, 1, false);
        b.set(C.notify, N_ASYNC_ARM64, false);
      } else if (native) {
        // A native-MCA host: EDAC decoded a machine check whose mce_record is not in the capture.
        b.set(C.firmwareFirst, 0, false);
        b.set(C.notify, sev === Severity.corrected || sev === Severity.deferred ? N_CMCI : N_MCE, false);
      } else {
        // ghes_edac on x86: firmware-first GHES.
        b.set(C.firmwareFirst, 1, false);
        b.set(C.notify, sev === Severity.corrected ? Notify.polled : Notify.nmi, false);
        if (sev === Severity.deferred) b.set(C.severity, Severity.recoverable, false);
      }
      if (mc?.label) b.note(`EDAC ${mc.label}`);
    }
  } else {
    // memory_failure_event without a captured report.
    arch = ps.arch ?? 'x86_64';
    archObs = ps.arch !== null && ps.archObserved;
    b.set(C.arch, Arch[arch], archObs);
    b.set(C.severity, Severity.recoverable, false);
    b.set(C.sync, 0, false);
    b.set(C.notify, arch === 'arm64' ? N_ASYNC_ARM64 : N_MCE, false);
    // g.pa is null when the group's only report was a skipped machine check record without an
    // address (VAL or EN clear): the result's page is then all that is known.
    b.setAddr(C.pa, g.pa ?? g.mf!.pfn << 12n, false);
    b.note('no error report captured; pa is the page address pfn << 12');
  }
  if (!archObs) b.note(`architecture not recorded; ${arch} assumed`);

  // Outcome.
  if (g.mf) {
    b.setMf(g.mf.type, g.mf.result);
    applyMfPageTo(b, g.mf.type, g.mf.result);
  }
  if (ps.signalsTraced) b.signalsKnown();
  for (const s of g.sigs) {
    if (s.res !== null && s.res !== 0 && s.res !== 4) {
      b.note(`${whereText(ps, s)}: signal ${s.sig} code ${s.code} to ${s.comm}:${s.pid} not queued (result ${s.res}: ${['delivered', 'ignored', 'already pending', 'overflow', 'lose info'][s.res] ?? 'unknown'})`);
      continue;
    }
    if (ps.signalsTraced) b.signal(s.pid, s.pid, s.sig, s.code, null, null);
  }

  // The consumer of a synchronous error: the target of a signal sent to current.
  if (sync) {
    const c = g.sigs.find((s) => s.sig === 7 && s.code === 4) ?? g.sigs.find((s) => s.sig === 7 && CONSUMER_CODES.has(s.code));
    if (c) {
      b.set(C.pid, c.pid, true);
      b.setComm(c.comm, true);
    } else {
      b.set(C.pid, SYNTHETIC_PID_BASE + index, false);
      b.note(`consumer not recorded; synthetic pid ${SYNTHETIC_PID_BASE + index}`);
    }
  }
  return true;
}
