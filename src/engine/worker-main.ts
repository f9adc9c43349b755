// A replay worker: owns the hosts with id mod parts === part, for every profile.
//
// Two ways to be fed. With `trace` set (an Arrow IPC stream), the worker reads the trace itself:
// it interns every batch's hosts, comms and mapper lists in stream order (so its ids are the same
// as every other thread's), decodes and validates the batches the main thread gives it into a
// shared slot, replays its hosts' rows of every batch, and encodes the outcome and signal IPC
// messages of the batches given to it. On the fed path (feed.ts; a plain Arrow IPC stream), it reads
// nothing: the main thread sends the bytes of each batch it decodes (with the dictionary messages in
// effect and the batch's host, comm and mapper translation tables, so its ids are the main thread's),
// and the mapper lists with each replay. Without `trace` (CSV input, or a shard filtered on the
// main thread), the main thread decodes and encodes and sends the mapper lists with each batch.
import { parentPort, workerData } from 'node:worker_threads';
import { RecordBatch, RecordBatchReader } from 'apache-arrow';
import type { Profile } from '../model/profiles.js';
import { InputError } from '../io/errors.js';
import { fileChunks, IpcBatchEncoder } from '../io/arrow-util.js';
import { DictTables, newTraceDicts, TraceDecoder } from '../io/arrow-trace.js';
import { HostDictBuilder, OUTCOME_SCHEMA, outcomeBatch, outcomeLabelIds, SIGNAL_SCHEMA, signalBatch } from '../io/arrow-outcomes.js';
import { EventColumns } from '../columns/events.js';
import { OutcomeColumns, SignalColumns } from '../columns/outcomes.js';
import { panicHasPfn } from '../model/record.js';
import { BatchReplayer } from './run.js';
import type { EncodeRequest, EncodeReply, WorkerSignals } from './workers.js';

interface Init {
  part: number;
  parts: number;
  profiles: Profile[];
  where: string;
  capacity: number;
  cols: Record<string, ArrayBufferLike>[];
  outs: Record<string, ArrayBufferLike>[][];
  trace: string | null;
}

const init = workerData as Init;
const dicts = newTraceDicts();
const pool = dicts.mappers;
const slotCols = init.cols.map((b) => EventColumns.fromBuffers(0, init.capacity, b));
const slotOuts = init.outs.map((os) => os.map((b) => OutcomeColumns.fromBuffers(init.capacity, b)));

interface Resize {
  slot: number;
  capacity: number;
  cols: Record<string, ArrayBufferLike>;
  outs: Record<string, ArrayBufferLike>[];
}
const replayers = init.profiles.map((p) => new BatchReplayer(p, pool, init.where));
const sigs = init.profiles.map(() => new SignalColumns());
const profileNames = init.profiles.map((p) => p.name);

// The worker's own reading of the trace (trace mode): batches in stream order, `read` of them so far.
const decoder = new TraceDecoder(init.trace ?? '', dicts);
let reader: Iterator<RecordBatch> | null = null;
let read = 0;
/** Read up to and including batch `b`; returns it (the others only have their names interned). */
function advance(b: number): RecordBatch {
  let batch: RecordBatch | null = null;
  reader ??= RecordBatchReader.from(fileChunks(init.trace!))[Symbol.iterator]();
  while (read <= b) {
    const r = reader.next();
    if (r.done) throw new Error(`worker ${init.part}: the trace ended before batch ${b}`);
    batch = r.value;
    if (read < b) decoder.translate(batch, read);
    read++;
  }
  if (!batch) throw new Error(`worker ${init.part}: batch ${b} was read already`);
  return batch;
}
function catchUp(b: number): void {
  if (fed) return;
  reader ??= RecordBatchReader.from(fileChunks(init.trace!))[Symbol.iterator]();
  while (read <= b) {
    const r = reader.next();
    if (r.done) throw new Error(`worker ${init.part}: the trace ended before batch ${b}`);
    decoder.translate(r.value, read);
    read++;
  }
}

// The fed path: the schema and dictionary messages as the main thread sent them, and the names of
// the hosts of the batches decoded here (by id; '' not known yet), for the output dictionaries.
let fed = false;
let fedSchema: Uint8Array | null = null;
const fedDicts = new Map<number, Uint8Array>();
const fedNames: string[] = [];
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

interface DecodeFed {
  id: number;
  batchNo: number;
  slot: number;
  msg: Uint8Array;
  schema?: Uint8Array;
  dicts: { id: number; bytes: Uint8Array }[];
  tables: DictTables;
}

function decodeFed(m: DecodeFed): EventColumns {
  fed = true;
  if (m.schema) fedSchema = m.schema;
  for (const d of m.dicts) fedDicts.set(d.id, d.bytes);
  let batch: RecordBatch | null = null;
  for (const b of RecordBatchReader.from([fedSchema!, ...fedDicts.values(), m.msg, EOS]) as Iterable<RecordBatch>) batch ??= b;
  if (!batch) throw new Error(`worker ${init.part}: batch ${m.batchNo}: no record batch in its bytes`);
  decoder.presetTables(batch, m.tables);
  const cols = slotCols[m.slot]!;
  decoder.decode(batch, m.batchNo, cols);
  // The batch's host names, for encoding its outcomes and signals: an ASCII name's bytes are kept
  // as they are (a time-ordered batch names about as many hosts as it has rows; a string each,
  // in every worker, was 20 MB a worker at 500k hosts), any other name as its string (decoded as
  // apache-arrow decodes it, so a name in invalid UTF-8 is encoded back as the main thread sees it).
  const dict = batch.getChild('host')!.data[0]!.dictionary!;
  const t = m.tables.host;
  const hosts = hostsOf();
  const one = dict.data.length === 1 ? dict.data[0]! : null;
  const plain = one !== null && one.offset === 0 && one.valueOffsets !== undefined && one.values !== undefined;
  const off = plain ? (one.valueOffsets as Int32Array) : null;
  const bytes = plain ? (one.values as Uint8Array) : null;
  for (let k = 0; k < t.length; k++) {
    const id = t[k]!;
    if (id < 0 || hosts.has(id) || (id < fedNames.length && fedNames[id] !== '')) continue;
    if (off && bytes) {
      const a = off[k]!;
      const b = off[k + 1]!;
      if (a >= 0 && a <= b && b <= bytes.length && ascii(bytes, a, b)) {
        hosts.setBytes(id, bytes, a, b);
        continue;
      }
    }
    while (fedNames.length <= id) fedNames.push('');
    fedNames[id] = String(dict.get(k));
  }
  return cols;
}

function ascii(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i]! >= 0x80) return false;
  return true;
}

let hostsDict: HostDictBuilder | null = null;
const hostsOf = (): HostDictBuilder => (hostsDict ??= new HostDictBuilder(fed ? fedNames : dicts.hosts.names));
const outEnc = init.profiles.map(() => new IpcBatchEncoder(OUTCOME_SCHEMA));
const sigEnc = init.profiles.map(() => new IpcBatchEncoder(SIGNAL_SCHEMA));

function encode(m: EncodeRequest): EncodeReply {
  catchUp(m.batchNo);
  const cols = slotCols[m.slot]!;
  cols.n = m.n;
  const out: EncodeReply = { id: m.id, outcomes: [], signals: [] };
  for (let k = 0; k < init.profiles.length; k++) {
    const o = slotOuts[m.slot]![k]!;
    o.n = m.n;
    const e = m.n ? outEnc[k]!.encode(outcomeBatch(cols, o, k, profileNames, hostsOf()), m.prevOut[k]!) : null;
    if (e && e.labels.join() !== outcomeLabelIds(m.formattedPanic[k]!).join()) {
      throw new Error(`batch ${m.batchNo}: outcome dictionaries ${e.labels.join()} are label lists, expected ${outcomeLabelIds(m.formattedPanic[k]!).join()}`);
    }
    out.outcomes.push(e);
    const s = m.signals[k]!;
    out.signals.push(s.n ? sigEnc[k]!.encode(signalBatch(cols, s as unknown as SignalColumns, k, profileNames, hostsOf()), m.prevSig[k]!) : null);
  }
  return out;
}

type Msg = { resize?: Resize; op?: 'decode' | 'decodeFed' | 'names' | 'encode'; id: number; batchNo: number; slot: number; n: number; hostOrdered: boolean; pool?: { offsets: number[]; pids: number[]; policies: number[] } };

parentPort!.on('message', (m: Msg) => {
  if (m.resize) {
    const r = m.resize;
    slotCols[r.slot] = EventColumns.fromBuffers(0, r.capacity, r.cols);
    slotOuts[r.slot] = r.outs.map((b) => OutcomeColumns.fromBuffers(r.capacity, b));
    return;
  }
  if (m.op === 'names') {
    // Fed path: the names of a batch's hosts that the main thread decoded itself.
    fed = true;
    const n = m as unknown as { ids: number[]; names: string[] };
    for (let k = 0; k < n.ids.length; k++) {
      const id = n.ids[k]!;
      while (fedNames.length <= id) fedNames.push('');
      fedNames[id] = n.names[k]!;
    }
    return;
  }
  try {
    if (m.op === 'decodeFed') {
      const cols = decodeFed(m as unknown as DecodeFed);
      parentPort!.postMessage({ id: m.id, n: cols.n, hostOrdered: cols.hostOrdered });
      return;
    }
    if (m.op === 'decode') {
      const batch = advance(m.batchNo);
      const cols = slotCols[m.slot]!;
      decoder.decode(batch, m.batchNo, cols);
      parentPort!.postMessage({ id: m.id, n: cols.n, hostOrdered: cols.hostOrdered });
      return;
    }
    if (m.op === 'encode') {
      const r = encode(m as unknown as EncodeRequest);
      const transfer = [...r.outcomes, ...r.signals].flatMap((e) => (e ? [e.bytes.buffer as ArrayBuffer] : []));
      parentPort!.postMessage(r, transfer);
      return;
    }
    if (m.pool) {
      for (const o of m.pool.offsets) pool.offsets.push(o);
      for (const p of m.pool.pids) pool.pids.push(p);
      for (const p of m.pool.policies) pool.policies.push(p);
    } else {
      catchUp(m.batchNo);
    }
    const cols = slotCols[m.slot]!;
    const outs = slotOuts[m.slot]!;
    cols.n = m.n;
    cols.hostOrdered = m.hostOrdered;
    const recoveryOff: boolean[] = [];
    const signals: WorkerSignals[] = replayers.map((r, k) => {
      const s = sigs[k]!;
      const o = outs[k]!;
      r.run(cols, m.batchNo, o, s, init.part, init.parts);
      // Whether this worker's rows carry a formatted panic message (the batch's panic_msg dictionary
      // is then not the fixed label list; see IpcBatchEncoder).
      let off = false;
      for (let i = 0; i < m.n && !off; i++) if (panicHasPfn(o.panicMsg[i]!) && cols.host[i]! % init.parts === init.part) off = true;
      recoveryOff.push(off);
      return {
        n: s.n, row: s.row.slice(0, s.n), seq: s.seq.slice(0, s.n), pid: s.pid.slice(0, s.n), tid: s.tid.slice(0, s.n),
        signo: s.signo.slice(0, s.n), siCode: s.siCode.slice(0, s.n), addr: s.addr.slice(0, s.n), lsb: s.lsb.slice(0, s.n),
      };
    });
    parentPort!.postMessage({ id: m.id, signals, recoveryOff }, signals.flatMap((s) => [s.row.buffer, s.seq.buffer, s.pid.buffer, s.tid.buffer, s.signo.buffer, s.siCode.buffer, s.addr.buffer, s.lsb.buffer] as ArrayBuffer[]));
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: { message: (e as Error).message, input: e instanceof InputError } });
  }
});
