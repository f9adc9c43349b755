// The canonical trace form (docs/trace-format.md §1) as Arrow: schema, batch encoder and a validating batch
// decoder into EventColumns. Enum columns are dictionary-encoded strings; the decoder translates
// each dictionary once (per dictionary object), never per row.
import {
  Bool, Data, DataType, Field, Int64, makeData, RecordBatch, Schema, Uint32, Uint64, Uint8,
  Vector,
} from 'apache-arrow';
import {
  ARCH, CONTEXT, Context, KIND, Kind, MEM, NOTIFY, Notify, PAGE, Page, POLICY, SEVERITY, VENDOR, Vendor, Arch,
} from '../model/enums.js';
import { EventRecord, NO_ADDR, PROFILE_DEFAULT } from '../model/record.js';
import { validateEvent } from '../model/validate.js';
import {
  EventColumns, F_EXTRA_REFS, F_VENDOR_AMD, F_FIRMWARE_FIRST, F_GUEST_RAS, F_PINNED, F_POISONED_BEFORE, F_RIPV, F_SYNC, fillValidateFields,
  Interner, MapperPool, panicUnrecovFlags, panicUnrecovOf,
} from '../columns/events.js';
import { InputError } from './errors.js';
import { renameSync, rmSync } from 'node:fs';
import { ArrowStreamFile, batchDictionary, boolBits, dictType, enumData, enumType, recordBatch, separateCopy } from './arrow-util.js';
import { parseMappers, TraceEvent } from './trace.js';

export interface TraceDicts {
  hosts: Interner;
  comms: Interner;
  mappers: MapperPool;
}

export function newTraceDicts(): TraceDicts {
  const comms = new Interner();
  comms.id('');
  return { hosts: new Interner(), comms, mappers: new MapperPool() };
}

const T = {
  host: dictType(0), arch: enumType(1), kind: enumType(2), notify: enumType(3), severity: enumType(4),
  mem: enumType(5), page: enumType(6), context: enumType(7), comm: dictType(8), mappers: dictType(9),
  vendor: enumType(10),
};

export const TRACE_SCHEMA = new Schema([
  new Field('event_id', new Uint64(), false),
  new Field('host', T.host, false),
  new Field('t_ns', new Int64(), false),
  new Field('arch', T.arch, false),
  new Field('kind', T.kind, false),
  new Field('notify', T.notify, false),
  new Field('firmware_first', new Bool(), false),
  new Field('severity', T.severity, false),
  new Field('sync', new Bool(), false),
  new Field('ripv', new Bool(), false),
  new Field('pa', new Uint64(), true),
  new Field('mem', T.mem, false),
  new Field('page', T.page, false),
  new Field('page_shift', new Uint8(), false),
  new Field('pinned', new Bool(), false),
  new Field('poisoned_before', new Bool(), false),
  new Field('context', T.context, false),
  new Field('pid', new Uint32(), false),
  new Field('tid', new Uint32(), false),
  new Field('comm', T.comm, false),
  new Field('vaddr', new Uint64(), true),
  new Field('mappers', T.mappers, false),
  new Field('guest_ras', new Bool(), false),
  new Field('early_kill', new Uint8(), true),
  new Field('recovery', new Uint8(), true),
  new Field('panic_on_oops', new Uint8(), true),
  new Field('kdump', new Bool(), true),
  new Field('panic_on_unrecoverable', new Uint8(), true),
  new Field('extra_refs', new Bool(), false),
  new Field('vendor', T.vendor, false),
]);

/** Schema metadata key: the trace lists all events of a host together (hosts never interleave). */
export const HOST_ORDERED_KEY = 'ras-replay.host_ordered';
const HOST_ORDERED_SCHEMA = new Schema(TRACE_SCHEMA.fields, new Map([[HOST_ORDERED_KEY, 'true']]));

function addrData(a: Float64Array, n: number): Data {
  const words = new Uint32Array(n * 2);
  const valid = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    if (v === NO_ADDR) {
      nulls++;
      continue;
    }
    words[2 * i] = v % 4294967296;
    words[2 * i + 1] = Math.floor(v / 4294967296);
    valid[i >> 3]! |= 1 << (i & 7);
  }
  return makeData({ type: new Uint64(), length: n, nullCount: nulls, data: new BigUint64Array(words.buffer), nullBitmap: valid });
}

function optU8(a: Int8Array, n: number): Data {
  const vals = new Uint8Array(n);
  const valid = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (a[i]! < 0) nulls++;
    else {
      vals[i] = a[i]!;
      valid[i >> 3]! |= 1 << (i & 7);
    }
  }
  return makeData({ type: new Uint8(), length: n, nullCount: nulls, data: vals, nullBitmap: valid });
}

function boolData(bits: Uint8Array, n: number): Data {
  return makeData({ type: new Bool(), length: n, nullCount: 0, data: bits });
}

/** Encode rows [0, cols.n) as one Arrow record batch of the canonical schema. */
export function traceBatch(cols: EventColumns, d: TraceDicts, hostOrdered = false): RecordBatch {
  const n = cols.n;
  const host = batchDictionary(cols.host, null, n, (id) => d.hosts.names[id]!);
  const comm = batchDictionary(cols.comm, null, n, (id) => d.comms.names[id]!);
  const mappers = batchDictionary(cols.mappers, null, n, (id) => (id < 0 ? '' : d.mappers.texts[id]!));
  const kdumpBits = new Uint8Array((n + 7) >> 3);
  const kdumpValid = new Uint8Array((n + 7) >> 3);
  let kdumpNulls = 0;
  for (let i = 0; i < n; i++) {
    const k = cols.kdump[i]!;
    if (k < 0) kdumpNulls++;
    else {
      kdumpValid[i >> 3]! |= 1 << (i & 7);
      if (k) kdumpBits[i >> 3]! |= 1 << (i & 7);
    }
  }
  return recordBatch(hostOrdered ? HOST_ORDERED_SCHEMA : TRACE_SCHEMA, n, [
    makeData({ type: new Uint64(), length: n, nullCount: 0, data: cols.eventId.subarray(0, n) }),
    makeData({ type: T.host, length: n, nullCount: 0, data: host.idx, dictionary: host.dict }),
    makeData({ type: new Int64(), length: n, nullCount: 0, data: cols.tNs.subarray(0, n) }),
    enumData(T.arch, ARCH, cols.arch, n),
    enumData(T.kind, KIND, cols.kind, n),
    enumData(T.notify, NOTIFY, cols.notify, n),
    boolData(boolBits(cols.flags, n, F_FIRMWARE_FIRST), n),
    enumData(T.severity, SEVERITY, cols.severity, n),
    boolData(boolBits(cols.flags, n, F_SYNC), n),
    boolData(boolBits(cols.flags, n, F_RIPV), n),
    addrData(cols.pa, n),
    enumData(T.mem, MEM, cols.mem, n),
    enumData(T.page, PAGE, cols.page, n),
    makeData({ type: new Uint8(), length: n, nullCount: 0, data: cols.pageShift.subarray(0, n) }),
    boolData(boolBits(cols.flags, n, F_PINNED), n),
    boolData(boolBits(cols.flags, n, F_POISONED_BEFORE), n),
    enumData(T.context, CONTEXT, cols.context, n),
    makeData({ type: new Uint32(), length: n, nullCount: 0, data: cols.pid.subarray(0, n) }),
    makeData({ type: new Uint32(), length: n, nullCount: 0, data: cols.tid.subarray(0, n) }),
    makeData({ type: T.comm, length: n, nullCount: 0, data: comm.idx, dictionary: comm.dict }),
    addrData(cols.vaddr, n),
    makeData({ type: T.mappers, length: n, nullCount: 0, data: mappers.idx, dictionary: mappers.dict }),
    boolData(boolBits(cols.flags, n, F_GUEST_RAS), n),
    optU8(cols.earlyKill, n),
    optU8(cols.recovery, n),
    optU8(cols.panicOnOops, n),
    makeData({ type: new Bool(), length: n, nullCount: kdumpNulls, data: kdumpBits, nullBitmap: kdumpValid }),
    optU8(panicUnrecovColumn(cols, n), n),
    boolData(boolBits(cols.flags, n, F_EXTRA_REFS), n),
    enumData(T.vendor, VENDOR, vendorCodes(cols, n), n),
  ]);
}

function vendorCodes(cols: EventColumns, n: number): Int8Array {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = (cols.flags[i]! & F_VENDOR_AMD) !== 0 ? Vendor.amd : Vendor.intel;
  return a;
}

function panicUnrecovColumn(cols: EventColumns, n: number): Int8Array {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = panicUnrecovOf(cols.flags[i]!);
  return a;
}

/** Append one parsed CSV event to columns (used to convert CSV traces to Arrow). */
export function appendEvent(cols: EventColumns, e: TraceEvent, d: TraceDicts): void {
  if (cols.n === cols.capacity) throw new Error('EventColumns full');
  const i = cols.n++;
  cols.eventId[i] = e.eventId;
  cols.tNs[i] = e.tNs;
  cols.host[i] = d.hosts.id(e.host);
  cols.arch[i] = e.arch;
  cols.kind[i] = e.kind;
  cols.notify[i] = e.notify;
  cols.severity[i] = e.severity;
  cols.mem[i] = e.mem;
  cols.page[i] = e.page;
  cols.context[i] = e.context;
  cols.pageShift[i] = e.pageShift;
  cols.flags[i] = (e.firmwareFirst ? F_FIRMWARE_FIRST : 0) | (e.sync ? F_SYNC : 0) | (e.ripv ? F_RIPV : 0) |
    (e.pinned ? F_PINNED : 0) | (e.poisonedBefore ? F_POISONED_BEFORE : 0) | (e.guestRas ? F_GUEST_RAS : 0) |
    (e.extraRefs ? F_EXTRA_REFS : 0) | panicUnrecovFlags(e.panicOnUnrecoverable) | (e.vendor === Vendor.amd ? F_VENDOR_AMD : 0);
  cols.pa[i] = e.pa;
  cols.vaddr[i] = e.vaddr;
  cols.pid[i] = e.pid;
  cols.tid[i] = e.tid;
  cols.comm[i] = d.comms.id(e.comm);
  cols.mappers[i] = e.mappers.length ? d.mappers.intern(mapperText(e.mappers), e.mappers) : -1;
  cols.earlyKill[i] = e.earlyKill;
  cols.recovery[i] = e.recovery;
  cols.panicOnOops[i] = e.panicOnOops;
  cols.kdump[i] = e.kdump;
}

export function mapperText(pairs: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) parts.push(`${pairs[i]}:${POLICY[pairs[i + 1]!]}`);
  return parts.join(';');
}

// ---------------------------------------------------------------------------------------------
// Decoding

type Bad = (row: number, column: string, value: string, expected: string) => never;

function validAt(d: Data, i: number): boolean {
  if (d.nullCount === 0) return true;
  const bm = d.nullBitmap;
  if (!bm || bm.length === 0) return true;
  const j = d.offset + i;
  return ((bm[j >> 3]! >> (j & 7)) & 1) === 1;
}

/** A bool cell that is not 0 or 1 (an integer column used as a boolean): reported by the row loop. */
const BOOL_BAD = 2;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Four bits as four 0/1 bytes of a little-endian 32-bit word (bit k in byte k). */
const NIBBLE_BYTES = Int32Array.from({ length: 16 }, (_, v) => (v & 1) | (((v >> 1) & 1) << 8) | (((v >> 2) & 1) << 16) | (((v >> 3) & 1) << 24));

/**
 * A boolean column expanded to one byte per row in one typed pass: -1 null or absent, 0, 1, or
 * BOOL_BAD for an integer cell other than 0/1 (the caller reports it in row order). A column of
 * another type is refused here.
 */
function boolBytes(d: Data | null, name: string, n: number, out: Int8Array, bad: Bad): void {
  if (!d) {
    out.fill(-1, 0, n);
    return;
  }
  if (!DataType.isBool(d.type)) {
    if (!DataType.isInt(d.type)) bad(0, name, String(d.type), 'a boolean (or 0/1 integer) column');
    for (let i = 0; i < n; i++) {
      if (!validAt(d, i)) out[i] = -1;
      else {
        const x = numAt(d, i);
        out[i] = x === 0 || x === 1 ? x : BOOL_BAD;
      }
    }
    return;
  }
  const vals = d.values as Uint8Array;
  const off = d.offset;
  let from = 0;
  if (LITTLE_ENDIAN && (off & 7) === 0 && out.byteOffset % 4 === 0) {
    // A whole bitmap byte at a time: its eight bits as eight 0/1 bytes in two 32-bit writes.
    const words = new Int32Array(out.buffer, out.byteOffset, n >> 2);
    const base = off >> 3;
    const whole = n >> 3;
    for (let b = 0; b < whole; b++) {
      const v = vals[base + b]!;
      words[2 * b] = NIBBLE_BYTES[v & 15]!;
      words[2 * b + 1] = NIBBLE_BYTES[v >> 4]!;
    }
    from = whole << 3;
  }
  for (let i = from; i < n; i++) {
    const j = off + i;
    out[i] = (vals[j >> 3]! >> (j & 7)) & 1;
  }
  const bm = d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length ? d.nullBitmap : null;
  if (bm) {
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if (((bm[j >> 3]! >> (j & 7)) & 1) === 0) out[i] = -1;
    }
  }
}

function bitAt(d: Data, i: number): boolean {
  const j = d.offset + i;
  return (((d.values as Uint8Array)[j >> 3]! >> (j & 7)) & 1) === 1;
}

/** A numeric cell as a JS number (64-bit values through their 32-bit words). */
function numAt(d: Data, i: number): number {
  const v = d.values as ArrayLike<number | bigint> & { BYTES_PER_ELEMENT: number; buffer: ArrayBufferLike; byteOffset: number };
  const j = i; // value buffers are already sliced to the Data's offset (apache-arrow _sliceBuffers)
  // Past a (damaged) short values buffer: NaN, which every caller's range check refuses by name.
  if (j >= v.length) return NaN;
  if (v.BYTES_PER_ELEMENT === 8 && !(v instanceof Float64Array)) {
    const w = new Uint32Array(v.buffer, v.byteOffset + j * 8, 2);
    const hi = v instanceof BigInt64Array ? (w[1]! | 0) : w[1]!;
    return hi * 4294967296 + w[0]!;
  }
  return Number(v[j]);
}

function strAt(vec: Vector, i: number): string {
  const s = vec.get(i);
  return s === null || s === undefined ? '' : String(s);
}

/** Translation tables from a dictionary's values to our codes, cached per dictionary object. */
class DictCache<T> {
  private readonly cache = new WeakMap<object, T>();
  get(dict: Vector, make: () => T): T {
    let t = this.cache.get(dict);
    if (t === undefined) {
      t = make();
      this.cache.set(dict, t);
    }
    return t;
  }

  peek(dict: Vector): T | undefined {
    return this.cache.get(dict);
  }

  set(dict: Vector, t: T): void {
    this.cache.set(dict, t);
  }
}

/** A batch's translation tables of its host, comm and mapper dictionaries (see TraceDecoder.dictTables). */
export interface DictTables {
  host: Int32Array;
  comm: Int32Array | null;
  mappers: Int32Array | null;
}

/** The dictionary of a column, or null (absent, or not dictionary-encoded). */
function columnDictionary(batch: RecordBatch, name: string): Vector | null {
  const v = batch.getChild(name);
  if (!v || v.data.length !== 1) return null;
  const d = v.data[0]!;
  return DataType.isDictionary(d.type) ? d.dictionary ?? null : null;
}

/**
 * The indices of a dictionary-encoded column, checked against its dictionary: an index past the
 * end (a damaged or hostile file; apache-arrow does not check) would read `undefined` from the
 * label tables and decode as code 0 without a word. Null rows may hold any index.
 */
function dictIndices(d: Data, size: number, name: string, n: number, bad: Bad): ArrayLike<number> {
  const idx = d.values as ArrayLike<number>;
  for (let i = 0; i < n; i++) {
    const k = idx[i]!;
    if ((k < 0 || k >= size) && validAt(d, i)) bad(i, name, String(k), `a dictionary index below ${size} (the batch's dictionary has ${size} entries)`);
  }
  return idx;
}

export class TraceDecoder {
  private readonly enumCache = new DictCache<Int16Array>();
  private readonly hostCache = new DictCache<Int32Array>();
  private readonly commCache = new DictCache<Int32Array>();
  private readonly mapperCache = new DictCache<Int32Array>();
  private readonly rec = new EventRecord();
  /** validateEvent verdicts by packed key (1: valid). */
  private readonly validMemo = new Uint8Array(1 << 21);
  private panicUnrecov = new Int8Array(0);
  private vendor = new Uint8Array(0);

  constructor(private readonly file: string, private readonly d: TraceDicts) {}

  /**
   * Decode and validate one batch into `cols` (rows [0, batch.numRows)). Errors name the file,
   * batch, row, column, value and what was expected.
   */
  decode(batch: RecordBatch, batchNo: number, cols: EventColumns): void {
    const n = batch.numRows;
    cols.ensure(n);
    cols.n = n;
    cols.hostOrdered = batch.schema.metadata.get(HOST_ORDERED_KEY) === 'true';
    const bad: Bad = (row, column, value, expected) => {
      throw InputError.at(this.file, `batch ${batchNo} row ${row}`, column, value, expected);
    };
    const child = (name: string): Data | null => {
      const v = batch.getChild(name);
      if (!v) return null;
      if (v.data.length !== 1) throw new Error(`column ${name}: expected one data chunk per batch`);
      return v.data[0]!;
    };
    const required = (name: string): Data => {
      const c = child(name);
      if (!c) throw new InputError(`${this.file}: batch ${batchNo}: column ${name} is missing: expected the required columns event_id, host, t_ns, arch`, this.file, `batch ${batchNo}`, name);
      return c;
    };

    // event_id (uint64) and t_ns (int64): copied as 8-byte words.
    this.int64(required('event_id'), 'event_id', n, cols.eventId, false, bad);
    this.int64(required('t_ns'), 't_ns', n, cols.tNs, true, bad);
    this.strings(required('host'), 'host', n, cols.host, this.hostCache, this.d.hosts, bad, false);
    this.enumCol(required('arch'), 'arch', ARCH, n, cols.arch, -1, bad);
    const kindD = child('kind');
    this.enumCol(kindD, 'kind', KIND, n, cols.kind, Kind.error, bad);
    this.enumCol(child('notify'), 'notify', NOTIFY, n, cols.notify, -2, bad);
    this.enumCol(child('severity'), 'severity', SEVERITY, n, cols.severity, -2, bad);
    this.enumCol(child('mem'), 'mem', MEM, n, cols.mem, 0, bad);
    this.enumCol(child('page'), 'page', PAGE, n, cols.page, PAGE.indexOf('unknown'), bad);
    this.enumCol(child('context'), 'context', CONTEXT, n, cols.context, -2, bad);
    this.u8(child('page_shift'), 'page_shift', n, cols.pageShift, 12, bad);
    this.u32(child('pid'), 'pid', n, cols.pid, 0, bad);
    const tidD = child('tid');
    if (tidD) this.u32(tidD, 'tid', n, cols.tid, -1, bad);
    const commD = child('comm');
    if (commD) this.strings(commD, 'comm', n, cols.comm, this.commCache, this.d.comms, bad, true);
    else cols.comm.fill(0, 0, n);
    this.addr(child('pa'), 'pa', n, cols.pa, bad);
    this.addr(child('vaddr'), 'vaddr', n, cols.vaddr, bad);
    this.mapperCol(child('mappers'), n, cols.mappers, bad);
    this.opt01(child('early_kill'), 'early_kill', n, cols.earlyKill, bad);
    this.opt01(child('recovery'), 'recovery', n, cols.recovery, bad);
    this.opt01(child('panic_on_oops'), 'panic_on_oops', n, cols.panicOnOops, bad);
    boolBytes(child('kdump'), 'kdump', n, cols.kdump, bad);
    for (let i = 0; i < n; i++) if (cols.kdump[i] === BOOL_BAD) bad(i, 'kdump', String(numAt(child('kdump')!, i)), 'true or false (0 or 1)');
    if (this.panicUnrecov.length < n) this.panicUnrecov = new Int8Array(n);
    const pu = this.panicUnrecov;
    this.opt01(child('panic_on_unrecoverable'), 'panic_on_unrecoverable', n, pu, bad);
    if (this.vendor.length < n) this.vendor = new Uint8Array(n);
    const vd = this.vendor;
    this.enumCol(child('vendor'), 'vendor', VENDOR, n, vd, Vendor.intel, bad);

    // Flags, with their defaults: each boolean column expanded to bytes first (no per-row reader).
    const bools = this.boolScratch(n);
    const FLAG_COLUMNS = ['firmware_first', 'sync', 'ripv', 'pinned', 'poisoned_before', 'guest_ras', 'extra_refs'] as const;
    for (let k = 0; k < FLAG_COLUMNS.length; k++) boolBytes(child(FLAG_COLUMNS[k]!), FLAG_COLUMNS[k]!, n, bools[k]!, bad);
    const [ff, sy, rp, pn, pb, gr, er] = bools as [Int8Array, Int8Array, Int8Array, Int8Array, Int8Array, Int8Array, Int8Array];
    const badBool = (k: number, i: number): never => bad(i, FLAG_COLUMNS[k]!, String(numAt(child(FLAG_COLUMNS[k]!)!, i)), 'true or false (0 or 1)');
    const rec = this.rec;
    const memo = this.validMemo;
    // The columns as locals: one load each per batch, not per row.
    const archA = cols.arch, kindA = cols.kind, notifyA = cols.notify, sevA = cols.severity, ctxA = cols.context;
    const flagsA = cols.flags, tidA = cols.tid, pidA = cols.pid, paA = cols.pa, pageA = cols.page, psA = cols.pageShift;
    const ownTid = tidD !== null;
    for (let i = 0; i < n; i++) {
      const arch = archA[i]!;
      const kind = kindA[i]!;
      const arm = arch === Arch.arm64;
      const isError = kind === Kind.error;
      let notify = notifyA[i]!;
      if (notify === 255) {
        if (isError) bad(i, 'notify', '', `one of ${NOTIFY.join(', ')} (required for an error event)`);
        notifyA[i] = notify = Notify.none;
      }
      let severity = sevA[i]!;
      if (severity === 255) {
        if (isError) bad(i, 'severity', '', `one of ${SEVERITY.join(', ')} (required for an error event)`);
        sevA[i] = severity = 0;
      }
      const syncBit = sy[i]!;
      if (syncBit === BOOL_BAD) badBool(1, i);
      if (isError && syncBit < 0) bad(i, 'sync', '', 'true or false (required for an error event)');
      const sync = syncBit === 1;
      let context = ctxA[i]!;
      if (context === 255) {
        if (sync) bad(i, 'context', '', `one of ${CONTEXT.join(', ')} (required for a synchronous error)`);
        ctxA[i] = context = isError ? Context.none : Context.user;
      }
      const f = ff[i]!, r = rp[i]!, p = pn[i]!, q = pb[i]!, g = gr[i]!, x = er[i]!;
      if (f === BOOL_BAD || r === BOOL_BAD || p === BOOL_BAD || q === BOOL_BAD || g === BOOL_BAD || x === BOOL_BAD) {
        // The first bad cell in the order the columns were read before (firmware_first, ripv, …).
        for (const k of [0, 2, 3, 4, 5, 6]) if (bools[k]![i] === BOOL_BAD) badBool(k, i);
      }
      const fw = (f < 0 ? arm : f === 1) ? F_FIRMWARE_FIRST : 0;
      const amd = vd[i] === Vendor.amd ? F_VENDOR_AMD : 0;
      flagsA[i] = fw | (sync ? F_SYNC : 0) | (r !== 0 ? F_RIPV : 0) |
        (p === 1 ? F_PINNED : 0) | (q === 1 ? F_POISONED_BEFORE : 0) | (g !== 0 ? F_GUEST_RAS : 0) |
        (x === 1 ? F_EXTRA_REFS : 0) | panicUnrecovFlags(pu[i]!) | amd;
      const pid = pidA[i]!;
      if (!ownTid || tidA[i] === 0xffffffff) tidA[i] = pid;
      // Cross-column rules of the model: a pure function of the fields packed into `key`, so the
      // verdict is memoized (exact: every field validateEvent reads is in the key).
      const ps = psA[i]!;
      const fileLbs = pageA[i] === Page.file_lbs;
      const key = (((((((arch * 2 + kind) * 16 + notify) * 2 + fw) * 8 +
        severity) * 2 + (sync ? 1 : 0)) * 16 + context) * 2 + (pid === 0 ? 1 : 0)) * 8 +
        (paA[i] === NO_ADDR ? 4 : 0) + (ps === 12 ? 0 : ps === 21 ? 1 : ps === 30 ? 2 : 3) +
        (fileLbs ? 1 << 19 : 0) + (amd !== 0 ? 1 << 20 : 0);
      // file_lbs accepts page_shift 13-21, which the key does not tell apart: not memoized.
      const exact = fileLbs && ps !== 12 && ps !== 21 && ps !== 30;
      if (exact || memo[key] !== 1) {
        fillValidateFields(rec, cols, i);
        const v = validateEvent(rec);
        if (v) bad(i, v.column, this.cellText(batch, v.column, i), v.expected);
        if (!exact) memo[key] = 1;
      }
    }
  }

  private scratch: EventColumns | null = null;
  private bools: Int8Array[] = [];

  /** Seven byte-per-row buffers for the flag columns, reused across batches. */
  private boolScratch(n: number): Int8Array[] {
    if (this.bools.length === 0 || this.bools[0]!.length < n) this.bools = Array.from({ length: 7 }, () => new Int8Array(n));
    return this.bools;
  }

  /**
   * Intern a batch's hosts, comms and mapper lists exactly as `decode` does (same calls in the same
   * order), without decoding the rest: a thread that reads every batch but decodes only some keeps
   * the same ids as the thread that decodes them. Returns false where the batch does not decode (the
   * decoding thread reports the error; the run stops there).
   */
  translate(batch: RecordBatch, batchNo: number): boolean {
    const n = batch.numRows;
    const cols = (this.scratch ??= new EventColumns(n));
    cols.ensure(n);
    const bad: Bad = (row, column, value, expected) => {
      throw InputError.at(this.file, `batch ${batchNo} row ${row}`, column, value, expected);
    };
    const child = (name: string): Data | null => batch.getChild(name)?.data[0] ?? null;
    try {
      const host = child('host');
      if (!host) return false;
      this.strings(host, 'host', n, cols.host, this.hostCache, this.d.hosts, bad, false, true);
      const commD = child('comm');
      if (commD) this.strings(commD, 'comm', n, cols.comm, this.commCache, this.d.comms, bad, true, true);
      this.mapperCol(child('mappers'), n, cols.mappers, bad);
      return true;
    } catch (e) {
      if (e instanceof InputError) return false;
      throw e;
    }
  }

  /**
   * After `translate` (or `decode`) of `batch`: copies of its host, comm and mapper translation
   * tables, so a thread that has not read the batches before it can decode it with the same ids
   * (`presetTables`). Null where the batch would intern by row (a host, comm or mappers column
   * present but not dictionary-encoded, or not one chunk): such a batch is decoded by this thread.
   */
  dictTables(batch: RecordBatch): DictTables | null {
    const table = (name: string, cache: DictCache<Int32Array>, required: boolean): Int32Array | null | undefined => {
      const v = batch.getChild(name);
      if (!v) return required ? undefined : null;
      const dict = columnDictionary(batch, name);
      const t = dict ? cache.peek(dict) : undefined;
      return t ? t.slice() : undefined;
    };
    const host = table('host', this.hostCache, true);
    const comm = table('comm', this.commCache, false);
    const mappers = table('mappers', this.mapperCache, false);
    if (!host || comm === undefined || mappers === undefined) return null;
    return { host, comm, mappers };
  }

  /** Use another thread's translation tables (`dictTables`) for this batch's dictionaries. */
  presetTables(batch: RecordBatch, t: DictTables): void {
    const set = (name: string, cache: DictCache<Int32Array>, table: Int32Array | null): void => {
      const dict = columnDictionary(batch, name);
      if (dict && table) cache.set(dict, table);
    };
    set('host', this.hostCache, t.host);
    set('comm', this.commCache, t.comm);
    set('mappers', this.mapperCache, t.mappers);
  }

  private cellText(batch: RecordBatch, column: string, i: number): string {
    const v = batch.getChild(column);
    if (!v) return '';
    const x = v.get(i);
    return x === null || x === undefined ? '' : String(x);
  }

  private int64(d: Data, name: string, n: number, out: BigUint64Array | BigInt64Array, signed: boolean, bad: Bad): void {
    const v = d.values as unknown;
    // A values buffer shorter than the batch (damaged lengths) is refused, not read past.
    if ((v instanceof BigUint64Array || v instanceof BigInt64Array) && v.length < n) bad(0, name, `${v.length} values`, `${n} (one per row)`);
    if ((v instanceof BigUint64Array || v instanceof BigInt64Array) && d.nullCount === 0) {
      const src = new Uint8Array(v.buffer, v.byteOffset, n * 8);
      new Uint8Array(out.buffer, out.byteOffset, n * 8).set(src);
      if (!signed && v instanceof BigInt64Array) {
        const w = new Int32Array(out.buffer, out.byteOffset, n * 2);
        for (let i = 0; i < n; i++) if (w[2 * i + 1]! < 0) bad(i, name, String(v[i]), 'an unsigned 64-bit integer');
      }
      return;
    }
    if (!DataType.isInt(d.type)) bad(0, name, String(d.type), 'an integer column');
    for (let i = 0; i < n; i++) {
      if (!validAt(d, i)) bad(i, name, 'null', 'a value (required)');
      const x = numAt(d, i);
      if (!signed && x < 0) bad(i, name, String(x), 'an unsigned 64-bit integer');
      (out as unknown as bigint[])[i] = BigInt(x) as never;
    }
  }

  private enumCol(d: Data | null, name: string, labels: readonly string[], n: number, out: Uint8Array, dflt: number, bad: Bad): void {
    // dflt -1: required (no default); -2: "absent", resolved later (stored as 255).
    if (!d) {
      if (dflt === -1) throw new Error(`required column ${name} missing`);
      out.fill(dflt < 0 ? 255 : dflt, 0, n);
      return;
    }
    const absent = dflt < 0 ? 255 : dflt;
    if (DataType.isDictionary(d.type)) {
      const dict = d.dictionary!;
      const table = this.enumCache.get(dict, () => {
        const t = new Int16Array(dict.length);
        for (let k = 0; k < dict.length; k++) t[k] = labels.indexOf(strAt(dict, k));
        return t;
      });
      // Indices (values) are sliced already; the validity bitmap is read through validAt.
      if (d.nullCount === 0) {
        // One pass: index in range and a known label; on a miss the checks again in their order.
        const idx = d.values as ArrayLike<number>;
        const size = dict.length;
        if (translateIndices(idx, table, size, out, n)) return;
        dictIndices(d, size, name, n, bad);
        for (let i = 0; i < n; i++) if (table[idx[i]!]! < 0) bad(i, name, strAt(dict, idx[i]!), `one of ${labels.join(', ')}`);
        return;
      }
      const idx = dictIndices(d, dict.length, name, n, bad);
      for (let i = 0; i < n; i++) {
        if (!validAt(d, i)) {
          if (dflt === -1) bad(i, name, 'null', `one of ${labels.join(', ')}`);
          out[i] = absent;
          continue;
        }
        const c = table[idx[i]!]!;
        if (c < 0) bad(i, name, strAt(dict, idx[i]!), `one of ${labels.join(', ')}`);
        out[i] = c;
      }
      return;
    }
    if (!DataType.isUtf8(d.type)) bad(0, name, String(d.type), 'a string (dictionary or utf8) column');
    const vec = new Vector([d]);
    for (let i = 0; i < n; i++) {
      if (!validAt(d, i)) {
        if (dflt === -1) bad(i, name, 'null', `one of ${labels.join(', ')}`);
        out[i] = absent;
        continue;
      }
      const s = strAt(vec, i);
      const c = labels.indexOf(s);
      if (c < 0) bad(i, name, s, `one of ${labels.join(', ')}`);
      out[i] = c;
    }
  }

  private strings(d: Data, name: string, n: number, out: Uint32Array, cache: DictCache<Int32Array>, names: Interner, bad: Bad, nullable: boolean, tableOnly = false): void {
    const intern = (s: string): number => names.id(s);
    if (DataType.isDictionary(d.type)) {
      const dict = d.dictionary!;
      const table = cache.get(dict, () => {
        const t = new Int32Array(dict.length);
        const one = dict.data.length === 1 ? dict.data[0]! : null;
        if (one && DataType.isUtf8(one.type) && one.offset === 0 && one.nullCount === 0 && one.valueOffsets && one.values) {
          // One plain UTF-8 chunk: intern by the bytes (a string is made only for a new name).
          const off = one.valueOffsets as Int32Array;
          const bytes = one.values as Uint8Array;
          for (let k = 0; k < dict.length; k++) {
            const a = off[k]!;
            const b = off[k + 1]!;
            if (!nullable && a === b) t[k] = -1;
            // Offsets outside the buffer (a damaged dictionary): through apache-arrow's reader.
            else t[k] = a >= 0 && a <= b && b <= bytes.length ? names.idBytes(bytes, a, b) : names.id(strAt(dict, k));
          }
          return t;
        }
        for (let k = 0; k < dict.length; k++) {
          const v = strAt(dict, k);
          t[k] = !nullable && v === '' ? -1 : intern(v);
        }
        return t;
      });
      if (tableOnly) return; // translate: the names are interned with the table
      // Indices (values) are sliced already.
      if (d.nullCount === 0) {
        // One pass: index in range and a non-empty name; on a miss the checks again in their order.
        const idx = d.values as ArrayLike<number>;
        const size = dict.length;
        if (translateNames(idx, table, size, out, n)) return;
        dictIndices(d, size, name, n, bad);
        for (let i = 0; i < n; i++) {
          const t = table[idx[i]!]!;
          if (t < 0) bad(i, name, '', 'a non-empty value');
          out[i] = t;
        }
        return;
      }
      const idx = dictIndices(d, dict.length, name, n, bad);
      for (let i = 0; i < n; i++) {
        if (!validAt(d, i)) {
          if (!nullable) bad(i, name, 'null', 'a value (required)');
          out[i] = 0;
          continue;
        }
        const t = table[idx[i]!]!;
        if (t < 0) bad(i, name, '', 'a non-empty value');
        out[i] = t;
      }
      return;
    }
    if (!DataType.isUtf8(d.type)) bad(0, name, String(d.type), 'a string (dictionary or utf8) column');
    const vec = new Vector([d]);
    for (let i = 0; i < n; i++) {
      if (!validAt(d, i)) {
        if (!nullable) bad(i, name, 'null', 'a value (required)');
        out[i] = 0;
        continue;
      }
      const s = strAt(vec, i);
      if (!nullable && s === '') bad(i, name, s, 'a non-empty value');
      out[i] = intern(s);
    }
  }

  private mapperCol(d: Data | null, n: number, out: Int32Array, bad: Bad): void {
    if (!d) {
      out.fill(-1, 0, n);
      return;
    }
    const parse = (s: string, row: number): number => {
      if (s.trim() === '') return -1;
      const hit = this.d.mappers.lookup(s);
      if (hit !== undefined) return hit;
      const pairs = parseMappers(s, (expected) => bad(row, 'mappers', s, expected));
      return this.d.mappers.intern(s, pairs);
    };
    if (DataType.isDictionary(d.type)) {
      const dict = d.dictionary!;
      const table = this.mapperCache.get(dict, () => new Int32Array(dict.length).fill(-2));
      const idx = dictIndices(d, dict.length, 'mappers', n, bad);
      if (d.nullCount === 0) {
        for (let i = 0; i < n; i++) {
          const k = idx[i]!;
          let m = table[k]!;
          if (m === -2) m = table[k] = parse(strAt(dict, k), i);
          out[i] = m;
        }
        return;
      }
      for (let i = 0; i < n; i++) {
        if (!validAt(d, i)) {
          out[i] = -1;
          continue;
        }
        const k = idx[i]!;
        let m = table[k]!;
        if (m === -2) m = table[k] = parse(strAt(dict, k), i);
        out[i] = m;
      }
      return;
    }
    if (!DataType.isUtf8(d.type)) bad(0, 'mappers', String(d.type), 'a string (dictionary or utf8) column');
    const vec = new Vector([d]);
    for (let i = 0; i < n; i++) out[i] = validAt(d, i) ? parse(strAt(vec, i), i) : -1;
  }

  private u8(d: Data | null, name: string, n: number, out: Uint8Array, dflt: number, bad: Bad): void {
    if (!d) {
      out.fill(dflt, 0, n);
      return;
    }
    if (!DataType.isInt(d.type)) bad(0, name, String(d.type), 'an integer column');
    const v = d.values as unknown;
    if (v instanceof Uint8Array && d.nullCount === 0) {
      out.set(v.subarray(0, n));
      return;
    }
    for (let i = 0; i < n; i++) {
      if (!validAt(d, i)) {
        out[i] = dflt;
        continue;
      }
      const x = numAt(d, i);
      if (!(x >= 0 && x <= 255)) bad(i, name, String(x), 'an integer 0..255');
      out[i] = x;
    }
  }

  private u32(d: Data | null, name: string, n: number, out: Uint32Array, dflt: number, bad: Bad): void {
    if (!d) {
      out.fill(dflt >>> 0, 0, n);
      return;
    }
    if (!DataType.isInt(d.type)) bad(0, name, String(d.type), 'an integer column');
    const v = d.values as unknown;
    if (v instanceof Uint32Array && d.nullCount === 0) {
      out.set(v.subarray(0, n));
      return;
    }
    for (let i = 0; i < n; i++) {
      if (!validAt(d, i)) {
        out[i] = dflt >>> 0;
        continue;
      }
      const x = numAt(d, i);
      if (!(x >= 0 && x <= 0xffffffff)) bad(i, name, String(x), 'an unsigned 32-bit integer');
      out[i] = x;
    }
  }

  private addr(d: Data | null, name: string, n: number, out: Float64Array, bad: Bad): void {
    if (!d) {
      out.fill(NO_ADDR, 0, n);
      return;
    }
    if (!DataType.isInt(d.type)) bad(0, name, String(d.type), 'an unsigned 64-bit integer column');
    const v = d.values as unknown;
    if (v instanceof BigUint64Array) {
      const w = new Uint32Array(v.buffer, v.byteOffset, n * 2);
      const bm = d.nullCount > 0 ? d.nullBitmap : null;
      const off = d.offset;
      for (let i = 0; i < n; i++) {
        if (bm) {
          const p = off + i;
          // Eight rows of nulls (one validity byte of zeros: vaddr of the events without one) at once.
          if (nullByteAt(bm, p, n - i)) {
            for (let k = i; k < i + 8; k++) out[k] = NO_ADDR;
            i += 7;
            continue;
          }
          if (((bm[p >> 3]! >> (p & 7)) & 1) === 0) {
            out[i] = NO_ADDR;
            continue;
          }
        }
        const hi = w[2 * i + 1]!;
        if (hi >= 0x200000) bad(i, name, String(v[i]), 'an address below 2^53');
        out[i] = hi * 4294967296 + w[2 * i]!;
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      if (!validAt(d, i)) {
        out[i] = NO_ADDR;
        continue;
      }
      const x = numAt(d, i);
      if (!(x >= 0 && x <= Number.MAX_SAFE_INTEGER)) bad(i, name, String(x), 'an address below 2^53');
      out[i] = x;
    }
  }

  private opt01(d: Data | null, name: string, n: number, out: Int8Array, bad: Bad): void {
    if (!d) {
      out.fill(PROFILE_DEFAULT, 0, n);
      return;
    }
    const isBool = DataType.isBool(d.type);
    // A column of another type (a string, a struct: no numeric values) is refused by name.
    if (!isBool && !DataType.isInt(d.type)) bad(0, name, String(d.type), 'a boolean or integer column (0 or 1)');
    const v = d.values as unknown;
    if (v instanceof Uint8Array && !isBool) {
      const bm = d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length ? d.nullBitmap : null;
      const off = d.offset;
      for (let i = 0; i < n; i++) {
        if (bm) {
          const p = off + i;
          // A byte of nulls (a column the trace leaves to the profile) is eight defaults at once.
          if (nullByteAt(bm, p, n - i)) {
            for (let k = i; k < i + 8; k++) out[k] = PROFILE_DEFAULT;
            i += 7;
            continue;
          }
          if (((bm[p >> 3]! >> (p & 7)) & 1) === 0) {
            out[i] = PROFILE_DEFAULT;
            continue;
          }
        }
        const x = v[i]!;
        if (x > 1) bad(i, name, String(x), '0 or 1');
        out[i] = x;
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      if (!validAt(d, i)) {
        out[i] = PROFILE_DEFAULT;
        continue;
      }
      const x = isBool ? (bitAt(d, i) ? 1 : 0) : numAt(d, i);
      if (x !== 0 && x !== 1) bad(i, name, String(x), '0 or 1');
      out[i] = x;
    }
  }
}

/** Write a trace as an Arrow IPC stream (.arrows), batch by batch, to a temp name then renamed. */
export class TraceStreamWriter {
  private readonly file: ArrowStreamFile;
  readonly dicts: TraceDicts = newTraceDicts();
  readonly cols: EventColumns;

  /** `hostOrdered`: declare (in the schema metadata) that each host's events are contiguous. */
  constructor(readonly path: string, readonly batchRows = 65536, readonly hostOrdered = false) {
    this.file = new ArrowStreamFile(`${path}.tmp-${process.pid}-${Date.now()}`);
    this.cols = new EventColumns(batchRows);
  }

  /** Append one parsed event; flushes a batch when full. */
  add(e: TraceEvent): void {
    if (this.cols.n === this.batchRows) this.flush();
    appendEvent(this.cols, e, this.dicts);
  }

  /** Write the rows currently in `cols` as one batch. */
  flush(): void {
    if (this.cols.n === 0) return;
    this.file.write(traceBatch(this.cols, this.dicts, this.hostOrdered));
    this.written = true;
    this.cols.n = 0;
  }

  private written = false;

  close(): void {
    this.flush();
    // A trace of no events (an imported log without RAS events) still carries its schema: one
    // batch of zero rows, so every reader sees a complete, empty trace.
    if (!this.written) this.file.write(traceBatch(this.cols, this.dicts, this.hostOrdered));
    this.file.close();
    renameSync(this.file.path, this.path);
  }

  abort(): void {
    try {
      this.file.close();
    } catch {
      /* the temp file is removed either way */
    } finally {
      rmSync(this.file.path, { force: true });
    }
  }
}

/**
 * out[i] = table[idx[i]] for the n rows, -1 for an index outside the dictionary; false when any row
 * got a negative code (an index out of range or a label the table refuses), so the caller reruns
 * its checks in their order for the message.
 */
function translateIndices(idx: ArrayLike<number>, table: ArrayLike<number>, size: number, out: { [i: number]: number }, n: number): boolean {
  let ok = true;
  for (let i = 0; i < n; i++) {
    const k = idx[i]!;
    const c = k >= 0 && k < size ? table[k]! : -1;
    if (c < 0) ok = false;
    out[i] = c;
  }
  return ok;
}

/**
 * Name columns (Int32 indices, Int32 table, Uint32 out) translate in their own copy, so the enum
 * columns' copy (Int8 indices, Int16 table, Uint8 out) keeps one element shape (one shared copy
 * ran polymorphic element accesses: 17% of decode on the bench trace).
 */
const translateNames = separateCopy(translateIndices);

/** Does bit `p` of the validity bitmap start a whole byte of nulls, with at least eight rows left? */
function nullByteAt(bm: Uint8Array, p: number, left: number): boolean {
  return (p & 7) === 0 && left >= 8 && bm[p >> 3] === 0;
}
