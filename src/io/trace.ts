// The canonical trace columns of docs/trace-format.md §1, their parsers and defaults, and the in-memory
// form of a small trace (one object per event: used for scenario-size traces and explain; the
// batch engine reads Arrow columns instead).
import {
  ARCH, Arch, CONTEXT, Context, KIND, Kind, MEM, NOTIFY, Notify, PAGE, POLICY, SEVERITY, VENDOR,
} from '../model/enums.js';
import { EventRecord, NO_ADDR, PROFILE_DEFAULT } from '../model/record.js';
import { validateEvent } from '../model/validate.js';
import { InputError } from './errors.js';

export interface TraceEvent {
  eventId: bigint;
  host: string;
  tNs: bigint;
  arch: number;
  kind: number;
  notify: number;
  firmwareFirst: boolean;
  severity: number;
  sync: boolean;
  ripv: boolean;
  pa: number;
  mem: number;
  page: number;
  pageShift: number;
  pinned: boolean;
  poisonedBefore: boolean;
  context: number;
  pid: number;
  tid: number;
  comm: string;
  vaddr: number;
  /** pid, policy pairs. */
  mappers: number[];
  guestRas: boolean;
  earlyKill: number;
  recovery: number;
  panicOnOops: number;
  kdump: number;
  /** vm.panic_on_unrecoverable_memory_failure, -1 for the profile's default. */
  panicOnUnrecoverable: number;
  /** has_extra_refcount (or a hugetlb dissolve failure): the page-state action fails. */
  extraRefs: boolean;
  /** x86 CPU vendor code (VENDOR), intel by default. */
  vendor: number;
  /** Where the event came from, for messages: "file: line N". */
  where: string;
  note: string;
}

export const TRACE_COLUMNS = [
  'event_id', 'host', 't_ns', 'arch', 'kind', 'notify', 'firmware_first', 'severity', 'sync', 'ripv',
  'pa', 'mem', 'page', 'page_shift', 'pinned', 'poisoned_before', 'context', 'pid', 'tid', 'comm',
  'vaddr', 'mappers', 'guest_ras', 'early_kill', 'recovery', 'panic_on_oops', 'kdump',
  'panic_on_unrecoverable', 'extra_refs', 'vendor',
] as const;
/** Extra columns accepted and carried along (the curated suites' `note`). */
export const EXTRA_COLUMNS = ['note'] as const;
export const REQUIRED_COLUMNS = ['event_id', 'host', 't_ns', 'arch'] as const;

const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

type Bad = (expected: string) => never;

export function parseU64(v: string, bad: Bad): bigint {
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) bad('an unsigned 64-bit integer (decimal or 0x hex)');
  const n = BigInt(v);
  if (n > MAX_U64) bad('an unsigned 64-bit integer (decimal or 0x hex)');
  return n;
}

export function parseI64(v: string, bad: Bad): bigint {
  if (!/^-?[0-9]+$/.test(v)) bad('a signed 64-bit integer (nanoseconds)');
  const n = BigInt(v);
  if (n < MIN_I64 || n > MAX_I64) bad('a signed 64-bit integer (nanoseconds)');
  return n;
}

/** An address: uint64 in the contract; the model keeps it as a double, exact below 2^53. */
export function parseAddr(v: string, bad: Bad): number {
  const n = parseU64(v, bad);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) bad('an address below 2^53 (physical and user virtual addresses fit; kernel virtual addresses are not trace input)');
  return Number(n);
}

export function parseU32(v: string, bad: Bad): number {
  if (!/^[0-9]+$/.test(v)) bad('an unsigned 32-bit integer');
  const n = Number(v);
  if (n > 0xffffffff) bad('an unsigned 32-bit integer');
  return n;
}

export function parseBool(v: string, bad: Bad): boolean {
  switch (v.toLowerCase()) {
    case 'true': case '1': return true;
    case 'false': case '0': return false;
    default: return bad('true or false');
  }
}

export function parseEnum(labels: readonly string[], v: string, bad: Bad): number {
  const i = labels.indexOf(v);
  if (i < 0) bad(`one of ${labels.join(', ')}`);
  return i;
}

function parse01(v: string, bad: Bad): number {
  if (v !== '0' && v !== '1') bad('0 or 1');
  return Number(v);
}

/** `pid:policy;pid:policy`, policy early | late | default. */
export function parseMappers(v: string, bad: Bad): number[] {
  const out: number[] = [];
  if (v.trim() === '') return out;
  for (const part of v.split(';')) {
    const m = /^\s*([0-9]+)\s*:\s*(early|late|default)\s*$/.exec(part);
    if (!m) bad('pid:policy pairs separated by ";" (policy early, late or default)');
    const pid = Number(m![1]);
    if (pid === 0 || pid > 0xffffffff) bad('pid:policy pairs with a non-zero 32-bit pid');
    out.push(pid, POLICY.indexOf(m![2] as (typeof POLICY)[number]));
  }
  return out;
}

/**
 * Build one event from a row of raw strings (missing or empty = absent), applying docs/trace-format.md §1's
 * defaults and required-column rules. `badAt(column, value, expected)` raises the located error.
 */
// eventFromRow's helpers at module level (no closure per row): the row being built, the per-column
// error callbacks (made once per column name) and the parsers of the optional columns.
let rowGet: (column: string) => string | undefined = () => undefined;
let rowBadAt: (column: string, value: string, expected: string) => never = () => { throw new Error('eventFromRow: no row'); };
const badOfColumn = new Map<string, Bad>();
function badOf(c: string): Bad {
  let f = badOfColumn.get(c);
  if (!f) {
    f = (expected: string) => rowBadAt(c, rowGet(c) ?? '', expected);
    badOfColumn.set(c, f);
  }
  return f;
}
function rowVal(c: string): string | undefined {
  const v = rowGet(c);
  return v === undefined || v === '' ? undefined : v;
}
function rowReq(c: string, what: string): string {
  const v = rowVal(c);
  if (v === undefined) rowBadAt(c, '', what);
  return v!;
}
function rowOpt<T>(c: string, dflt: T, parse: (v: string, bad: Bad) => T): T {
  const v = rowVal(c);
  return v === undefined ? dflt : parse(v, badOf(c));
}
const pKind = (v: string, bad: Bad): number => parseEnum(KIND, v, bad);
const pNotify = (v: string, bad: Bad): number => parseEnum(NOTIFY, v, bad);
const pSeverity = (v: string, bad: Bad): number => parseEnum(SEVERITY, v, bad);
const pContext = (v: string, bad: Bad): number => parseEnum(CONTEXT, v, bad);
const pMem = (v: string, bad: Bad): number => parseEnum(MEM, v, bad);
const pPage = (v: string, bad: Bad): number => parseEnum(PAGE, v, bad);
const pVendor = (v: string, bad: Bad): number => parseEnum(VENDOR, v, bad);
const pKdump = (v: string, bad: Bad): number => (parseBool(v, bad) ? 1 : 0);
const NO_MAPPERS: number[] = [];
const W_ARCH = `one of ${ARCH.join(', ')}`;
const W_NOTIFY = `one of ${NOTIFY.join(', ')} (required for an error event)`;
const W_SEVERITY = `one of ${SEVERITY.join(', ')} (required for an error event)`;
const W_CONTEXT = `one of ${CONTEXT.join(', ')} (required for a synchronous error)`;
const PAGE_UNKNOWN = PAGE.indexOf('unknown');
/** The record validateEvent checks, reused (fillRecord sets every field). */
const checkRec = new EventRecord();

export function eventFromRow(
  get: (column: string) => string | undefined,
  where: string,
  badAt: (column: string, value: string, expected: string) => never,
): TraceEvent {
  rowGet = get;
  rowBadAt = badAt;
  const arch = parseEnum(ARCH, rowReq('arch', W_ARCH), badOf('arch'));
  const kind = rowOpt('kind', Kind.error, pKind);
  const isError = kind === Kind.error;
  const notify = isError ? parseEnum(NOTIFY, rowReq('notify', W_NOTIFY), badOf('notify')) : rowOpt('notify', Notify.none, pNotify);
  const severity = isError ? parseEnum(SEVERITY, rowReq('severity', W_SEVERITY), badOf('severity')) : rowOpt('severity', 0, pSeverity);
  const sync = isError ? parseBool(rowReq('sync', 'true or false (required for an error event)'), badOf('sync')) : rowOpt('sync', false, parseBool);
  const context = sync
    ? parseEnum(CONTEXT, rowReq('context', W_CONTEXT), badOf('context'))
    : rowOpt('context', kind === Kind.access ? Context.user : Context.none, pContext);
  const pid = rowOpt('pid', 0, parseU32);
  const e: TraceEvent = {
    eventId: parseU64(rowReq('event_id', 'an unsigned 64-bit integer (required)'), badOf('event_id')),
    host: rowReq('host', 'a host name (required)'),
    tNs: parseI64(rowReq('t_ns', 'a signed 64-bit integer (required)'), badOf('t_ns')),
    arch,
    kind,
    notify,
    firmwareFirst: rowOpt('firmware_first', arch === Arch.arm64, parseBool),
    severity,
    sync,
    ripv: rowOpt('ripv', true, parseBool),
    pa: rowOpt('pa', NO_ADDR, parseAddr),
    mem: rowOpt('mem', 0, pMem),
    page: rowOpt('page', PAGE_UNKNOWN, pPage),
    pageShift: rowOpt('page_shift', 12, parseU32),
    pinned: rowOpt('pinned', false, parseBool),
    poisonedBefore: rowOpt('poisoned_before', false, parseBool),
    context,
    pid,
    tid: rowOpt('tid', pid, parseU32),
    comm: rowVal('comm') ?? '',
    vaddr: rowOpt('vaddr', NO_ADDR, parseAddr),
    mappers: rowOpt('mappers', NO_MAPPERS, parseMappers),
    guestRas: rowOpt('guest_ras', true, parseBool),
    earlyKill: rowOpt('early_kill', PROFILE_DEFAULT, parse01),
    recovery: rowOpt('recovery', PROFILE_DEFAULT, parse01),
    panicOnOops: rowOpt('panic_on_oops', PROFILE_DEFAULT, parse01),
    kdump: rowOpt('kdump', PROFILE_DEFAULT, pKdump),
    panicOnUnrecoverable: rowOpt('panic_on_unrecoverable', PROFILE_DEFAULT, parse01),
    extraRefs: rowOpt('extra_refs', false, parseBool),
    vendor: rowOpt('vendor', 0, pVendor),
    where,
    note: rowVal('note') ?? '',
  };
  if (e.mappers === NO_MAPPERS) e.mappers = []; // each event its own array
  fillRecord(checkRec, e, 0);
  const bad = validateEvent(checkRec);
  if (bad) badAt(bad.column, get(bad.column) ?? '', bad.expected);
  return e;
}

/** Copy a TraceEvent into the model's reusable record. */
export function fillRecord(rec: EventRecord, e: TraceEvent, hostId: number): void {
  rec.eventId = Number(e.eventId);
  rec.hostId = hostId;
  rec.tNs = Number(e.tNs);
  rec.arch = e.arch;
  rec.kind = e.kind;
  rec.notify = e.notify;
  rec.firmwareFirst = e.firmwareFirst;
  rec.severity = e.severity;
  rec.sync = e.sync;
  rec.ripv = e.ripv;
  rec.pa = e.pa;
  rec.mem = e.mem;
  rec.page = e.page;
  rec.pageShift = e.pageShift;
  rec.pinned = e.pinned;
  rec.poisonedBefore = e.poisonedBefore;
  rec.context = e.context;
  rec.pid = e.pid;
  rec.tid = e.tid;
  rec.comm = e.comm;
  rec.vaddr = e.vaddr;
  rec.clearMappers();
  for (let i = 0; i < e.mappers.length; i += 2) rec.addMapper(e.mappers[i]!, e.mappers[i + 1]!);
  rec.guestRas = e.guestRas;
  rec.earlyKill = e.earlyKill;
  rec.recovery = e.recovery;
  rec.panicOnOops = e.panicOnOops;
  rec.kdump = e.kdump;
  rec.panicOnUnrecoverable = e.panicOnUnrecoverable;
  rec.extraRefs = e.extraRefs;
  rec.vendor = e.vendor;
}

/** Check per-host replay order (t_ns, event_id) and unique event ids; sort on request. */
export function checkOrder(events: TraceEvent[], file: string, sort: boolean): TraceEvent[] {
  const seen = new Set<bigint>();
  for (const e of events) {
    if (seen.has(e.eventId)) throw new InputError(`${file}: ${e.where.replace(`${file}: `, '')}: column event_id: value "${e.eventId}": expected an event_id unique within the trace`, file);
    seen.add(e.eventId);
  }
  const last = new Map<string, TraceEvent>();
  for (const e of events) {
    const p = last.get(e.host);
    if (p && (e.tNs < p.tNs || (e.tNs === p.tNs && e.eventId < p.eventId))) {
      if (!sort) {
        throw new InputError(`${file}: ${e.where.replace(`${file}: `, '')}: column t_ns: value "${e.tNs}": expected (t_ns, event_id) not before the previous event of host ${e.host} (${p.where}: t_ns ${p.tNs}, event_id ${p.eventId}); pass --sort to sort the trace`, file);
      }
      return [...events].sort(compareEvents);
    }
    last.set(e.host, e);
  }
  return events;
}

export function compareEvents(a: TraceEvent, b: TraceEvent): number {
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  if (a.tNs !== b.tNs) return a.tNs < b.tNs ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

export { InputError };
