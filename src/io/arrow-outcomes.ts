// Outcomes and signals (docs/trace-format.md §3) as Arrow record batches, straight from the column buffers.
import {
  Bool, Data, Field, Int32, makeData, RecordBatch, Schema, Uint32, Uint64, Uint8, Utf8, vectorFromArray, Vector,
} from 'apache-arrow';
import { GUEST_ACTION, MF_RESULT, MF_TYPE, VMCORE } from '../model/enums.js';
import { formatPanic, NO_ADDR, panicHasPfn, PANIC_MSGS, PATH_NAMES } from '../model/record.js';
import type { EventColumns } from '../columns/events.js';
import type { OutcomeColumns, SignalColumns } from '../columns/outcomes.js';
import { boolBits, DenseDictionary, dictType, enumData, enumType, labelVector, recordBatch, separateCopy } from './arrow-util.js';

const T = {
  host: dictType(0), profile: enumType(1), panicMsg: dictType(2), vmcore: enumType(3), mfType: enumType(4),
  mfResult: enumType(5), guestAction: enumType(6), path: enumType(7),
};

export const OUTCOME_SCHEMA = new Schema([
  new Field('event_id', new Uint64(), false),
  new Field('host', T.host, false),
  new Field('profile', T.profile, false),
  new Field('panic', new Bool(), false),
  new Field('panic_msg', T.panicMsg, true),
  new Field('reboot_loop', new Bool(), false),
  new Field('vmcore', T.vmcore, false),
  new Field('mf_type', T.mfType, true),
  new Field('mf_result', T.mfResult, true),
  new Field('mf_ret', new Int32(), true),
  new Field('poisoned', new Bool(), false),
  new Field('unmapped', new Bool(), false),
  new Field('guest_action', T.guestAction, false),
  new Field('path', T.path, false),
]);

export const SIGNAL_SCHEMA = new Schema([
  new Field('event_id', new Uint64(), false),
  new Field('host', dictType(0), false),
  new Field('profile', enumType(1), false),
  new Field('seq', new Uint8(), false),
  new Field('pid', new Uint32(), false),
  new Field('tid', new Uint32(), false),
  new Field('signo', new Uint8(), false),
  new Field('si_code', new Uint8(), false),
  new Field('addr', new Uint64(), true),
  new Field('addr_lsb', new Uint8(), true),
]);

/**
 * The dictionary ids of an outcome batch whose dictionaries are fixed label lists (the same object in
 * every batch, so a stream writer writes them once): every enum; panic_msg too unless a row carries
 * a formatted message ("Memory failure on page <pfn>", v7.3 "Memory failure: <pfn>: unrecoverable page"), which makes it a batch-local dictionary;
 * host never (batch-local). Signal batches: the profile enum only. (IpcBatchEncoder checks these.)
 */
export function outcomeLabelIds(formattedPanic: boolean): number[] {
  return formattedPanic ? [1, 3, 4, 5, 6, 7] : [1, 2, 3, 4, 5, 6, 7];
}
export const SIGNAL_LABEL_IDS: readonly number[] = [1];

/** Batch-local host dictionary over the run's interned host names (dense per-host state). */
export class HostDictBuilder {
  private readonly dense: DenseDictionary;
  constructor(names: readonly string[]) {
    this.dense = new DenseDictionary(names);
  }

  build(ids: Uint32Array, rows: ArrayLike<number> | null, n: number): { idx: Int32Array; dict: Vector<Utf8> } {
    return this.dense.build(ids, rows, n);
  }

  has(id: number): boolean {
    return this.dense.has(id);
  }

  /** Host `id`'s name as its UTF-8 bytes (valid UTF-8: see DenseDictionary.setBytes). */
  setBytes(id: number, src: Uint8Array, from: number, to: number): void {
    this.dense.setBytes(id, src, from, to);
  }
}

/**
 * Validity bits of the rows whose value is above `floor` (one typed pass, no per-row callback):
 * codes and addresses ≥ 0 with floor -1 (the null code and NO_ADDR are -1), 0/1 flags with floor 0.
 */
function validAbove(a: Int8Array | Int32Array | Uint8Array | Float64Array, n: number, floor: number): { bits: Uint8Array; nulls: number } {
  const bits = new Uint8Array((n + 7) >> 3);
  let valid = 0;
  // A bitmap byte at a time (eight rows, one write), the tail row by row.
  const whole = n >> 3;
  for (let b = 0; b < whole; b++) {
    const i = b << 3;
    const v = (a[i]! > floor ? 1 : 0) | (a[i + 1]! > floor ? 2 : 0) | (a[i + 2]! > floor ? 4 : 0) | (a[i + 3]! > floor ? 8 : 0)
      | (a[i + 4]! > floor ? 16 : 0) | (a[i + 5]! > floor ? 32 : 0) | (a[i + 6]! > floor ? 64 : 0) | (a[i + 7]! > floor ? 128 : 0);
    bits[b] = v;
    const c = v - ((v >> 1) & 0x55); // the bits set in v, by halves
    const d = (c & 0x33) + ((c >> 2) & 0x33);
    valid += (d + (d >> 4)) & 0x0f;
  }
  for (let i = whole << 3; i < n; i++) {
    const v = a[i]! > floor ? 1 : 0;
    bits[i >> 3]! |= v << (i & 7);
    valid += v;
  }
  return { bits, nulls: n - valid };
}

/** The same loop for the Uint8 (mf_ret ran) and Float64 (signal addr) columns: a copy of its own. */
const validAboveOther = separateCopy(validAbove);

function boolData(src: Uint8Array, n: number): Data {
  return makeData({ type: new Bool(), length: n, nullCount: 0, data: boolBits(src, n) });
}

export function outcomeBatch(
  cols: EventColumns, out: OutcomeColumns, profileCode: number, profiles: readonly string[], hosts: HostDictBuilder,
): RecordBatch {
  const n = cols.n;
  const host = hosts.build(cols.host, null, n);
  // panic_msg: the fixed strings, plus the strings that carry the pfn formatted per panic.
  const msgCodes = new Int32Array(n);
  let extra: string[] | null = null;
  const pm = validAbove(out.panicMsg, n, -1);
  for (let i = 0; i < n; i++) {
    const m = out.panicMsg[i]!;
    if (m >= 0 && panicHasPfn(m)) {
      extra ??= [];
      msgCodes[i] = PANIC_MSGS.length + extra.length;
      extra.push(formatPanic(m, out.panicPfn[i]!));
    } else {
      msgCodes[i] = m < 0 ? 0 : m;
    }
  }
  const panicDict = extra ? vectorFromArray([...PANIC_MSGS, ...extra], new Utf8()) : labelVector(PANIC_MSGS);
  const mt = validAbove(out.mfType, n, -1);
  const mr = validAbove(out.mfResult, n, -1);
  const ret = validAboveOther(out.mfRan, n, 0);
  return recordBatch(OUTCOME_SCHEMA, n, [
    makeData({ type: new Uint64(), length: n, nullCount: 0, data: cols.eventId.subarray(0, n) }),
    makeData({ type: T.host, length: n, nullCount: 0, data: host.idx, dictionary: host.dict }),
    enumData(T.profile, profiles, new Int8Array(n).fill(profileCode), n),
    boolData(out.panic, n),
    makeData({ type: T.panicMsg, length: n, nullCount: pm.nulls, data: msgCodes, dictionary: panicDict, nullBitmap: pm.bits }),
    boolData(out.rebootLoop, n),
    enumData(T.vmcore, VMCORE, out.vmcore, n),
    enumData(T.mfType, MF_TYPE, clampNull(out.mfType, n), n, mt.bits, mt.nulls),
    enumData(T.mfResult, MF_RESULT, clampNull(out.mfResult, n), n, mr.bits, mr.nulls),
    makeData({ type: new Int32(), length: n, nullCount: ret.nulls, data: out.mfRet.subarray(0, n), nullBitmap: ret.bits }),
    boolData(out.poisoned, n),
    boolData(out.unmapped, n),
    enumData(T.guestAction, GUEST_ACTION, out.guestAction, n),
    enumData(T.path, PATH_NAMES, out.path, n),
  ]);
}

/** Dictionary indices must be in range even where the validity bit says null. */
function clampNull(codes: Int8Array, n: number): Int8Array {
  const c = new Int8Array(n);
  for (let i = 0; i < n; i++) c[i] = codes[i]! < 0 ? 0 : codes[i]!;
  return c;
}

export function signalBatch(
  cols: EventColumns, sig: SignalColumns, profileCode: number, profiles: readonly string[], hosts: HostDictBuilder,
): RecordBatch {
  const n = sig.n;
  const host = hosts.build(cols.host, sig.row, n);
  const ids = new Uint32Array(n * 2);
  const addr = new Uint32Array(n * 2);
  const lsb = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const r = sig.row[j]!;
    ids[2 * j] = cols.eventIdW[2 * r]!;
    ids[2 * j + 1] = cols.eventIdW[2 * r + 1]!;
    const a = sig.addr[j]!;
    if (a !== NO_ADDR) {
      addr[2 * j] = a % 4294967296;
      addr[2 * j + 1] = Math.floor(a / 4294967296);
    }
    lsb[j] = sig.lsb[j]! < 0 ? 0 : sig.lsb[j]!;
  }
  const av = validAboveOther(sig.addr, n, NO_ADDR);
  const lv = validAbove(sig.lsb, n, -1);
  return recordBatch(SIGNAL_SCHEMA, n, [
    makeData({ type: new Uint64(), length: n, nullCount: 0, data: new BigUint64Array(ids.buffer) }),
    makeData({ type: dictType(0), length: n, nullCount: 0, data: host.idx, dictionary: host.dict }),
    enumData(enumType(1), profiles, new Int8Array(n).fill(profileCode), n),
    makeData({ type: new Uint8(), length: n, nullCount: 0, data: sig.seq.subarray(0, n) }),
    makeData({ type: new Uint32(), length: n, nullCount: 0, data: sig.pid.subarray(0, n) }),
    makeData({ type: new Uint32(), length: n, nullCount: 0, data: sig.tid.subarray(0, n) }),
    makeData({ type: new Uint8(), length: n, nullCount: 0, data: sig.signo.subarray(0, n) }),
    makeData({ type: new Uint8(), length: n, nullCount: 0, data: sig.siCode.subarray(0, n) }),
    makeData({ type: new Uint64(), length: n, nullCount: av.nulls, data: new BigUint64Array(addr.buffer), nullBitmap: av.bits }),
    makeData({ type: new Uint8(), length: n, nullCount: lv.nulls, data: lsb, nullBitmap: lv.bits }),
  ]);
}
