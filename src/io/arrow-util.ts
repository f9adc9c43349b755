// Small Arrow helpers shared by the trace and outcome writers and readers.
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Data, Dictionary, Field, Int32, Int8, makeData, makeVector, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Utf8,
  vectorFromArray, Vector,
} from 'apache-arrow';
import { InputError } from './errors.js';
import { arenaRoom } from '../columns/events.js';

/**
 * Batch-local dictionary for interned ids (rows[i] or i selects the id; `offset` shifts ids such as
 * -1 = none): the distinct ids in first-seen order. Consecutive equal ids (host-ordered traces)
 * skip the map lookup.
 */
export function batchDictionary(
  ids: ArrayLike<number>, rows: ArrayLike<number> | null, n: number, name: (id: number) => string,
): { idx: Int32Array; dict: Vector<Utf8> } {
  const map = new Map<number, number>();
  const list: string[] = [];
  const idx = new Int32Array(n);
  let lastId = NaN;
  let lastLocal = -1;
  for (let i = 0; i < n; i++) {
    const g = ids[rows ? rows[i]! : i]!;
    if (g !== lastId) {
      let l = map.get(g);
      if (l === undefined) {
        l = list.length;
        list.push(name(g));
        map.set(g, l);
      }
      lastId = g;
      lastLocal = l;
    }
    idx[i] = lastLocal;
  }
  return { idx, dict: vectorFromArray(list, new Utf8()) };
}

const utf8 = new TextEncoder();

/**
 * Batch-local dictionaries over interned ids 0.. (host names): the same dictionary as
 * `batchDictionary` (distinct ids in first-seen order), with the per-id state in dense typed arrays
 * (the batch's local index, stamped with the batch) instead of a Map, and each name's UTF-8 bytes
 * encoded once per run and copied into the dictionary's value buffer, so a batch that touches tens
 * of thousands of hosts (a time-ordered fleet trace) costs array reads, not string work.
 */
export class DenseDictionary {
  private stamp = new Int32Array(1024).fill(-1);
  private local = new Int32Array(1024);
  private gen = 0;
  // Each id's UTF-8 bytes at [at[id], at[id] + len[id]) of one arena (len -1: not encoded yet), so
  // a million hosts cost two Int32Arrays and their bytes, not a million small objects.
  private at = new Int32Array(1024);
  private len = new Int32Array(1024).fill(-1);
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  private order = new Int32Array(1024);

  constructor(private readonly names: readonly string[]) {}

  build(ids: ArrayLike<number>, rows: ArrayLike<number> | null, n: number): { idx: Int32Array; dict: Vector<Utf8> } {
    const gen = ++this.gen;
    const idx = new Int32Array(n);
    let count = 0;
    let size = 0;
    let lastId = -1;
    let lastLocal = -1;
    for (let i = 0; i < n; i++) {
      const g = ids[rows ? rows[i]! : i]!;
      if (g !== lastId) {
        if (g >= this.stamp.length) this.grow(g + 1);
        if (this.stamp[g] !== gen) {
          this.stamp[g] = gen;
          this.local[g] = count;
          if (count === this.order.length) {
            const o = new Int32Array(count * 2);
            o.set(this.order);
            this.order = o;
          }
          this.order[count++] = g;
          if (this.len[g]! < 0) this.encode(g);
          size += this.len[g]!;
        }
        lastId = g;
        lastLocal = this.local[g]!;
      }
      idx[i] = lastLocal;
    }
    const offsets = new Int32Array(count + 1);
    const data = new Uint8Array(size);
    let at = 0;
    const arena = this.arena;
    const order = this.order, from = this.at, len = this.len;
    for (let k = 0; k < count; ) {
      // A run of names encoded one after the other (consecutive ids, as a time-ordered batch lists
      // its hosts) is one copy from the arena.
      const a = from[order[k]!]!;
      let e = a;
      let m = k;
      do {
        e += len[order[m]!]!;
        offsets[++m] = at + (e - a);
      } while (m < count && from[order[m]!] === e);
      if (e - a <= 64) for (let j = 0; j < e - a; j++) data[at + j] = arena[a + j]!;
      else data.set(arena.subarray(a, e), at);
      at += e - a;
      k = m;
    }
    const dict = makeVector(makeData({ type: new Utf8(), length: count, nullCount: 0, valueOffsets: offsets, data }));
    return { idx, dict };
  }

  /** Whether id `g`'s UTF-8 bytes are held (given by setBytes or encoded from its name). */
  has(g: number): boolean {
    return g < this.len.length && this.len[g]! >= 0;
  }

  /**
   * Hold `src[from, to)` as id `g`'s UTF-8 bytes, so its name is never needed as a string: the
   * caller vouches that they are what encoding the name gives (valid UTF-8, e.g. ASCII).
   */
  setBytes(g: number, src: Uint8Array, from: number, to: number): void {
    if (g >= this.stamp.length) this.grow(g + 1);
    if (this.len[g]! >= 0) return;
    const n = to - from;
    this.arena = arenaRoom(this.arena, this.used, n);
    this.arena.set(src.subarray(from, to), this.used);
    this.at[g] = this.used;
    this.len[g] = n;
    this.used += n;
  }

  private encode(g: number): void {
    const name = this.names[g]!;
    this.arena = arenaRoom(this.arena, this.used, name.length * 3); // the most UTF-8 bytes a UTF-16 string can take
    const r = utf8.encodeInto(name, this.arena.subarray(this.used));
    this.at[g] = this.used;
    this.len[g] = r.written;
    this.used += r.written;
  }

  private grow(min: number): void {
    const c = Math.max(min, this.stamp.length * 2);
    const more = (a: Int32Array<ArrayBuffer>, fill: number): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(c).fill(fill);
      b.set(a);
      return b;
    };
    this.stamp = more(this.stamp, -1);
    this.local = more(this.local, 0);
    this.at = more(this.at, 0);
    this.len = more(this.len, -1);
  }
}

/** Dictionary<Utf8, Int8> with a fixed label list (our enum codes are the indices). */
export function enumType(id: number): Dictionary<Utf8, Int8> {
  return new Dictionary(new Utf8(), new Int8(), id, false);
}

export function dictType(id: number): Dictionary<Utf8, Int32> {
  return new Dictionary(new Utf8(), new Int32(), id, false);
}

const labelVectors = new Map<readonly string[], Vector<Utf8>>();
const labelSet = new WeakSet<object>();
export function labelVector(labels: readonly string[]): Vector<Utf8> {
  let v = labelVectors.get(labels);
  if (!v) {
    v = vectorFromArray(labels as string[], new Utf8());
    labelVectors.set(labels, v);
    labelSet.add(v);
  }
  return v;
}

/** A fixed label list's cached dictionary (the same object in every batch of this thread). */
export function isLabelVector(v: unknown): boolean {
  return typeof v === 'object' && v !== null && labelSet.has(v);
}

interface WriterInternals {
  _sink?: { _values?: Uint8Array[] };
  _seenDictionaries: Map<number, Vector>;
  _dictionaryDeltaOffsets: Map<number, number>;
}

function sinkValues(w: RecordBatchStreamWriter): Uint8Array[] {
  const values = (w as unknown as WriterInternals)._sink?._values;
  if (!Array.isArray(values)) throw new Error('apache-arrow writer internals changed: cannot drain the IPC byte queue');
  return values;
}

/**
 * Encodes record batches of one schema into the bytes an ArrowStreamFile of that schema writes for
 * them (dictionary messages, then the record batch message), on any thread. A stream writer
 * rewrites a dictionary unless the previous batch carried the very same dictionary object; within
 * this tool that happens only for the cached label vectors (`labelVector`, one fixed label list per
 * dictionary id). So the stream's state before a batch is summed up by the dictionary ids of the
 * previous written batch whose dictionaries were label vectors (`labels` of the previous encode),
 * and concatenating the encodings of consecutive batches, each given its predecessor's `labels`,
 * gives the bytes of one writer fed all of them (after `ArrowStreamFile.start(schema)`).
 */
export class IpcBatchEncoder {
  private readonly w = new RecordBatchStreamWriter();

  constructor(readonly schema: Schema) {
    this.w.reset(undefined, schema);
    sinkValues(this.w).length = 0; // the schema message: ArrowStreamFile.start writes it
  }

  encode(batch: RecordBatch, prevLabels: readonly number[] | null): { bytes: Uint8Array; labels: number[] } {
    if (batch.schema.fields.length !== this.schema.fields.length) throw new Error('IpcBatchEncoder: a batch of another schema');
    const st = this.w as unknown as WriterInternals;
    st._seenDictionaries.clear();
    st._dictionaryDeltaOffsets.clear();
    const labels: number[] = [];
    for (const [id, dict] of batch.dictionaries) {
      if (!isLabelVector(dict)) continue;
      labels.push(id);
      if (prevLabels?.includes(id)) {
        st._seenDictionaries.set(id, dict);
        st._dictionaryDeltaOffsets.set(id, dict.data.length);
      }
    }
    this.w.write(batch);
    const values = sinkValues(this.w);
    let size = 0;
    for (const v of values) size += v.byteLength;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const v of values) {
      bytes.set(v, at);
      at += v.byteLength;
    }
    values.length = 0;
    return { bytes, labels };
  }
}

export function enumData(type: Dictionary<Utf8, Int8>, labels: readonly string[], codes: Int8Array | Uint8Array, n: number, validity?: Uint8Array, nulls = 0): Data {
  const idx = codes instanceof Int8Array ? codes.subarray(0, n) : new Int8Array(codes.buffer, codes.byteOffset, n);
  return makeData({ type, length: n, nullCount: nulls, data: idx, dictionary: labelVector(labels), ...(validity ? { nullBitmap: validity } : {}) });
}

/**
 * A second compiled copy of a self-contained function (made from its source text), so V8 keeps
 * separate type feedback: a typed-array loop called with arrays of two element kinds then runs
 * one shape in each copy, not polymorphic element accesses in one. `f` must use no free variables
 * but globals.
 */
export function separateCopy<F extends (...args: never[]) => unknown>(f: F): F {
  return new Function(`return ${f.toString()}`)() as F;
}

export function boolBits(src: Uint8Array | Uint16Array, n: number, bit = 0xffff): Uint8Array {
  const out = new Uint8Array((n + 7) >> 3);
  // A byte at a time (eight rows, one write), the tail row by row.
  const whole = n >> 3;
  for (let b = 0; b < whole; b++) {
    const i = b << 3;
    out[b] = ((src[i]! & bit) !== 0 ? 1 : 0) | ((src[i + 1]! & bit) !== 0 ? 2 : 0) | ((src[i + 2]! & bit) !== 0 ? 4 : 0)
      | ((src[i + 3]! & bit) !== 0 ? 8 : 0) | ((src[i + 4]! & bit) !== 0 ? 16 : 0) | ((src[i + 5]! & bit) !== 0 ? 32 : 0)
      | ((src[i + 6]! & bit) !== 0 ? 64 : 0) | ((src[i + 7]! & bit) !== 0 ? 128 : 0);
  }
  for (let i = whole << 3; i < n; i++) if ((src[i]! & bit) !== 0) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

export function recordBatch(schema: Schema, n: number, children: Data[]): RecordBatch {
  const s = makeData({ type: new Struct(schema.fields as Field[]), length: n, nullCount: 0, children });
  return new RecordBatch(schema, s);
}

/**
 * An Arrow IPC stream written batch by batch to a file descriptor: the writer's byte queue is drained
 * after every batch so memory does not grow with the trace (apache-arrow 21 keeps the queued chunks
 * in `_sink._values`; checked at first use).
 */
export class ArrowStreamFile {
  private readonly writer = new RecordBatchStreamWriter();
  private readonly fd: number;
  bytes = 0;
  private pending = 0;
  private error: Error | null = null;
  private wake: (() => void) | null = null;

  /**
   * `async`: hand the bytes to the thread pool (fs.write at explicit offsets, so completion order
   * does not matter) and let the caller continue; `drained()` applies backpressure.
   */
  constructor(readonly path: string, private readonly async = false) {
    // `-o dir/new.arrows` into a folder that does not exist yet: make it (as writeFileAtomic does).
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
  }

  write(batch: RecordBatch): void {
    this.writer.write(batch);
    this.drain();
  }

  private started = false;

  /**
   * Append the bytes of batches encoded by an IpcBatchEncoder of `schema` (on this or another
   * thread); the schema message is written before the first. Not to be mixed with `write`.
   */
  writeEncoded(schema: Schema, bytes: Uint8Array): void {
    if (!this.started) {
      this.writer.reset(undefined, schema);
      this.started = true;
      this.drain();
    }
    if (this.async) {
      this.pending += bytes.byteLength;
      this.writeAt(bytes, 0, this.bytes);
    } else {
      this.writeAll(bytes);
    }
    this.bytes += bytes.byteLength;
  }

  /** Resolves once at most `limit` bytes are still being written. */
  async drained(limit = 64 << 20): Promise<void> {
    while (this.pending > limit) await new Promise<void>((r) => (this.wake = r));
    if (this.error) throw this.error;
  }

  private closed = false;

  /** Finish the stream, flush it to disk (fsync) and close; a second call does nothing. */
  close(): void {
    if (this.async) throw new Error('close an async ArrowStreamFile with closeAsync()');
    if (this.closed) return;
    this.closed = true;
    try {
      this.writer.finish();
      this.drain();
      fsyncSync(this.fd);
    } catch (e) {
      throw named(e, this.path);
    } finally {
      closeSync(this.fd);
    }
  }

  async closeAsync(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.writer.finish();
      this.drain();
      await this.drained(0);
      fsyncSync(this.fd);
    } catch (e) {
      throw named(e, this.path);
    } finally {
      closeSync(this.fd);
    }
  }

  /** writeSync of all of `buf`; a failure (a full disk, say) names the file (fd writes do not). */
  private writeAll(buf: Uint8Array): void {
    try {
      let done = 0;
      while (done < buf.byteLength) done += writeSync(this.fd, buf, done, buf.byteLength - done);
    } catch (e) {
      throw named(e, this.path);
    }
  }

  /** fs.write at an explicit offset, continuing after a short write. */
  private writeAt(buf: Uint8Array, from: number, pos: number): void {
    write(this.fd, buf, from, buf.byteLength - from, pos, (e, n) => {
      if (e) this.error ??= named(e, this.path);
      else if (from + n < buf.byteLength) return this.writeAt(buf, from + n, pos + n);
      this.pending -= buf.byteLength;
      const w = this.wake;
      this.wake = null;
      w?.();
    });
  }

  private drain(): void {
    const sink = (this.writer as unknown as { _sink?: { _values?: Uint8Array[] } })._sink;
    const values = sink?._values;
    if (!Array.isArray(values)) throw new Error('apache-arrow writer internals changed: cannot drain the IPC byte queue');
    for (const v of values) {
      if (this.async) {
        // The writer queues views into the caller's (reused) column buffers: copy before the
        // write is handed to another thread.
        const own = v.slice();
        this.pending += own.byteLength;
        this.writeAt(own, 0, this.bytes);
      } else {
        this.writeAll(v);
      }
      this.bytes += v.byteLength;
    }
    values.length = 0;
  }
}

/** An fs error of a write by descriptor, given the path it lacks (for the message naming the file). */
function named<E>(e: E, path: string): E {
  const x = e as NodeJS.ErrnoException;
  if (x && typeof x === 'object' && x.code && x.path === undefined) x.path = path;
  return e;
}

/** Synchronous chunk source for RecordBatchReader.from (the fastest stream read measured here). */
export function* fileChunks(path: string, chunk = 8 << 20): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const buf = new Uint8Array(chunk);
      const n = readSync(fd, buf, 0, chunk, null);
      if (n <= 0) return;
      yield n === chunk ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** The largest IPC message metadata accepted (a trace schema's metadata is a few KiB). */
const MAX_IPC_METADATA = 16 << 20;

/**
 * Checks the framing of an Arrow IPC stream while passing its chunks through unchanged: each
 * message's metadata length, and inside the flatbuffer Message (format/Message.fbs) the header's
 * vectors (RecordBatch.nodes and .buffers, also inside a DictionaryBatch) and the body length,
 * must lie within their buffers. apache-arrow trusts them: a damaged vector length makes it loop
 * over billions of field nodes (decodeFieldNodes) instead of failing. The first violation throws
 * an InputError naming the file, the message's byte offset and what was expected.
 */
export function* checkedIpcChunks(chunks: Iterable<Uint8Array>, file: string): Generator<Uint8Array> {
  let pos = 0; // stream offset of the next byte to parse
  let skip = 0; // body bytes still to pass
  let need = 8; // bytes wanted for the current piece
  let piece: 'prefix' | 'meta' = 'prefix';
  let msgAt = 0;
  let acc = new Uint8Array(0);
  const bad = (what: string): never => {
    throw new InputError(`${file}: byte ${msgAt}: damaged Arrow IPC message: ${what}`, file, `byte ${msgAt}`);
  };
  for (const chunk of chunks) {
    let off = 0;
    while (off < chunk.byteLength) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.byteLength - off);
        skip -= n; off += n; pos += n;
        continue;
      }
      const n = Math.min(need - acc.byteLength, chunk.byteLength - off);
      const next = new Uint8Array(acc.byteLength + n);
      next.set(acc); next.set(chunk.subarray(off, off + n), acc.byteLength);
      acc = next; off += n; pos += n;
      if (acc.byteLength < need) continue;
      const dv = new DataView(acc.buffer, acc.byteOffset, acc.byteLength);
      if (piece === 'prefix') {
        msgAt = pos - acc.byteLength;
        const first = dv.getUint32(0, true);
        const len = first === 0xffffffff ? dv.getInt32(4, true) : (first | 0);
        if (len === 0) {
          // End of stream. apache-arrow's reader goes on with a stream that follows it (streams
          // may be concatenated), so the check goes on too; a pre-0.15 end marker is 4 bytes.
          acc = first === 0xffffffff ? new Uint8Array(0) : acc.slice(4);
          need = 8;
          continue;
        }
        if (len < 0 || len > MAX_IPC_METADATA) bad(`metadata length ${len}: expected 1..${MAX_IPC_METADATA}`);
        if (first !== 0xffffffff) {
          // Pre-0.15 framing (no continuation token): the 4 bytes after the length are metadata.
          const rest = acc.subarray(4);
          acc = new Uint8Array(0);
          need = len;
          piece = 'meta';
          const m = new Uint8Array(rest.byteLength); m.set(rest); acc = m;
          if (acc.byteLength >= need) { skip = messageBodyLength(acc.subarray(0, need), bad); acc = acc.subarray(need); piece = 'prefix'; need = 8; }
          continue;
        }
        acc = new Uint8Array(0);
        need = len;
        piece = 'meta';
      } else {
        skip = messageBodyLength(acc, bad);
        acc = new Uint8Array(0);
        need = 8;
        piece = 'prefix';
      }
    }
    yield chunk;
  }
}

/**
 * Bounds-checked reads of one flatbuffer (the IPC metadata, or a file's footer): tables, their
 * vtables, vectors and strings must lie inside it. apache-arrow's generated readers trust every
 * offset and length, so a damaged vector length becomes a loop over billions of entries.
 */
class FbView {
  private readonly dv: DataView;
  readonly size: number;

  constructor(buf: Uint8Array, readonly bad: (what: string) => never) {
    this.size = buf.byteLength;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  u8(at: number): number {
    return this.dv.getUint8(at);
  }

  u32(at: number, what: string): number {
    if (at < 0 || at + 4 > this.size) this.bad(`${what} at ${at} outside the ${this.size}-byte metadata`);
    return this.dv.getUint32(at, true);
  }

  i64(at: number, what: string): bigint {
    if (at < 0 || at + 8 > this.size) this.bad(`${what} outside the metadata`);
    return this.dv.getBigInt64(at, true);
  }

  /** The table an offset field at `at` points to. */
  deref(at: number, what: string): number {
    return at + this.u32(at, what);
  }

  /** Field positions of the table at `t` (0: absent). */
  table(t: number, what: string): (slot: number) => number {
    const vt = t - (this.u32(t, what) | 0);
    if (vt < 0 || vt + 4 > this.size) this.bad(`${what}: vtable outside the metadata`);
    const vtLen = this.dv.getUint16(vt, true);
    if (vtLen < 4 || vt + vtLen > this.size) this.bad(`${what}: vtable length ${vtLen}`);
    return (slot: number): number => {
      const o = 4 + 2 * slot;
      if (o + 2 > vtLen) return 0;
      const f = this.dv.getUint16(vt + o, true);
      if (f !== 0 && t + f >= this.size) this.bad(`${what}: field ${slot} outside the metadata`);
      return f === 0 ? 0 : t + f;
    };
  }

  /** The vector at offset field `at` (0: absent): its first element's position and length. */
  vector(at: number, elem: number, what: string): { v: number; n: number } {
    if (!at) return { v: 0, n: 0 };
    const v = this.deref(at, what);
    const n = this.u32(v, what);
    if (v + 4 + n * elem > this.size) this.bad(`${what}: ${n} entries of ${elem} bytes do not fit in the ${this.size}-byte metadata`);
    return { v: v + 4, n };
  }

  /** A string field (a vector of bytes). */
  string(at: number, what: string): void {
    this.vector(at, 1, what);
  }

  /** A vector of KeyValue tables (custom_metadata in Message, Schema, Field and Footer). */
  keyValues(at: number, what: string): void {
    const { v, n } = this.vector(at, 4, what);
    for (let i = 0; i < n; i++) {
      const kv = this.table(this.deref(v + 4 * i, what), `${what}[${i}]`);
      this.string(kv(0), `${what}[${i}].key`);
      this.string(kv(1), `${what}[${i}].value`);
    }
  }
}

/** Nesting and field counts beyond these are damage (a trace schema is flat: 30-odd fields). */
const MAX_FIELD_DEPTH = 64;
const MAX_FIELD_VISITS = 100_000;

/**
 * A Schema table (format/Schema.fbs): its fields, recursively their children, and every
 * custom_metadata vector, as apache-arrow's decodeSchema walks them. Tables may be shared (offsets
 * point forward, so there is no cycle, but a damaged children vector can repeat one subtree
 * exponentially): the walk counts every visit, as apache-arrow would make it, and stops at a bound.
 */
function checkSchema(fb: FbView, at: number, what: string): void {
  const s = fb.table(at, what);
  let visits = 0;
  const field = (t: number, depth: number, where: string): void => {
    if (++visits > MAX_FIELD_VISITS) fb.bad(`${what}: more than ${MAX_FIELD_VISITS} fields (children vectors repeat a subtree)`);
    if (depth > MAX_FIELD_DEPTH) fb.bad(`${where}: fields nested deeper than ${MAX_FIELD_DEPTH}`);
    const f = fb.table(t, where);
    fb.string(f(0), `${where}.name`);
    if (f(4)) {
      const d = fb.table(fb.deref(f(4), `${where}.dictionary`), `${where}.dictionary`);
      if (d(1)) fb.table(fb.deref(d(1), `${where}.dictionary.indexType`), `${where}.dictionary.indexType`);
    }
    if (f(3)) fb.table(fb.deref(f(3), `${where}.type`), `${where}.type`);
    const c = fb.vector(f(5), 4, `${where}.children`);
    for (let i = 0; i < c.n; i++) field(fb.deref(c.v + 4 * i, `${where}.children`), depth + 1, `${where}.children[${i}]`);
    fb.keyValues(f(6), `${where}.custom_metadata`);
  };
  const fs = fb.vector(s(1), 4, `${what}.fields`);
  for (let i = 0; i < fs.n; i++) field(fb.deref(fs.v + 4 * i, `${what}.fields`), 1, `${what}.fields[${i}]`);
  fb.keyValues(s(2), `${what}.custom_metadata`);
  fb.vector(s(3), 8, `${what}.features`);
}

/** The body length of one flatbuffer Message, after bounds checks of the parts apache-arrow reads. */
function messageBodyLength(meta: Uint8Array, bad: (what: string) => never): number {
  const fb = new FbView(meta, bad);
  const msg = fb.table(fb.u32(0, 'root'), 'Message');
  const headerType = msg(1) ? fb.u8(msg(1)) : 0;
  const bodyAt = msg(3);
  let body = 0;
  if (bodyAt) {
    const b = fb.i64(bodyAt, 'bodyLength');
    if (b < 0n || b > BigInt(Number.MAX_SAFE_INTEGER)) bad(`body length ${b}`);
    body = Number(b);
  }
  fb.keyValues(msg(4), 'Message.custom_metadata');
  const header = msg(2);
  // MessageHeader: 1 Schema, 2 DictionaryBatch (its field 1 is the RecordBatch), 3 RecordBatch.
  if (header && headerType === 1) checkSchema(fb, fb.deref(header, 'header'), 'Schema');
  if (header && (headerType === 3 || headerType === 2)) {
    let rb = fb.deref(header, 'header');
    if (headerType === 2) {
      const d = fb.table(rb, 'DictionaryBatch');
      if (!d(1)) return body;
      rb = fb.deref(d(1), 'DictionaryBatch.data');
    }
    const r = fb.table(rb, 'RecordBatch');
    // Row counts: every column of n rows has a buffer of at least n bits (a boolean's values; a
    // string's offsets are 4n bytes), so n beyond 8 × body length (+ padding) is damage; apache-arrow
    // would hand out a vector of that length (a dictionary of 2^31 labels) over a few bytes.
    const maxRows = 8 * body + 512;
    if (r(0)) {
      const n = fb.i64(r(0), 'RecordBatch.length');
      if (n < 0n || n > BigInt(maxRows)) bad(`RecordBatch.length ${n} for a ${body}-byte body`);
    }
    const nodes = fb.vector(r(1), 16, 'RecordBatch.nodes');
    for (let i = 0; i < nodes.n; i++) {
      const len = fb.i64(nodes.v + 16 * i, 'RecordBatch.nodes');
      const nulls = fb.i64(nodes.v + 8 + 16 * i, 'RecordBatch.nodes');
      if (len < 0n || len > BigInt(maxRows) || nulls < 0n || nulls > len) bad(`field node ${i}: length ${len}, null count ${nulls} for a ${body}-byte body`);
    }
    const bufs = fb.vector(r(2), 16, 'RecordBatch.buffers');
    for (let i = 0; i < bufs.n; i++) {
      const o = Number(fb.i64(bufs.v + 16 * i, 'RecordBatch.buffers'));
      const l = Number(fb.i64(bufs.v + 8 + 16 * i, 'RecordBatch.buffers'));
      if (o < 0 || l < 0 || o + l > body) bad(`buffer ${i} [${o}, +${l}) outside the ${body}-byte body`);
    }
    fb.vector(r(4), 8, 'RecordBatch.variadicBufferCounts');
  }
  return body;
}

/**
 * The same framing check for an Arrow IPC file: the messages between the leading magic and the
 * footer ("ARROW1" file layout, format/File.fbs) are a stream, and the footer (its schema, as in a
 * stream's first message, and its blocks, which must lie between the magic and the footer) is
 * checked like a message. One extra sequential read.
 */
export function checkIpcFile(path: string): void {
  const fd = openSync(path, 'r');
  let end: number;
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(10);
    const head = Buffer.alloc(6);
    // Without its magic at both ends apache-arrow's file reader could wait forever (a 7-byte file:
    // its promise never settled, so `run` hung and a script exited silently).
    if (size < 18 || readSync(fd, head, 0, 6, 0) !== 6 || head.toString('latin1') !== 'ARROW1' || readSync(fd, tail, 0, 10, size - 10) !== 10 || tail.toString('latin1', 4) !== 'ARROW1') {
      throw new InputError(`${path}: byte 0: not an Arrow IPC file (${size} bytes): expected "ARROW1" at its start and its end (an Arrow IPC stream is named .arrows)`, path, 'byte 0');
    }
    const footerLen = tail.readInt32LE(0);
    end = size - 10 - footerLen;
    const bad = (what: string): never => {
      throw new InputError(`${path}: byte ${Math.max(0, end)}: damaged Arrow IPC file footer: ${what}`, path, `byte ${Math.max(0, end)}`);
    };
    if (footerLen <= 0 || footerLen > MAX_IPC_METADATA || end < 8) bad(`footer length ${footerLen} in a ${size}-byte file`);
    const footer = Buffer.alloc(footerLen);
    if (readSync(fd, footer, 0, footerLen, end) !== footerLen) bad('footer cut short');
    const blocks = checkFooter(new FbView(footer, bad), end);
    // apache-arrow reads each block's message from its offset by the message's own framing and
    // body length, not the block's: a block pointing into a body reads whatever is there, and a
    // body length past the file makes its reader wait forever. Each block's message is checked here.
    for (const b of blocks) checkBlockMessage(path, fd, b, end);
  } finally {
    closeSync(fd);
  }
  const cut = function* (): Generator<Uint8Array> {
    let at = 0;
    for (const c of fileChunks(path)) {
      const from = Math.max(0, 8 - at);
      const to = Math.min(c.byteLength, end - at);
      if (to > from) yield c.subarray(from, to);
      at += c.byteLength;
      if (at >= end) return;
    }
  };
  for (const _ of checkedIpcChunks(cut(), path)) void _;
}

interface FileBlock {
  what: string;
  offset: number;
  /** The message header type the block must hold (format/Message.fbs: 2 DictionaryBatch, 3 RecordBatch). */
  header: 2 | 3;
}

/** The message at a footer block's offset: framed, its metadata checked, it and its body before the footer. */
const MESSAGE_HEADERS = ['NONE', 'Schema', 'DictionaryBatch', 'RecordBatch', 'Tensor', 'SparseTensor'];

function checkBlockMessage(path: string, fd: number, b: FileBlock, end: number): void {
  const bad = (what: string): never => {
    throw new InputError(`${path}: byte ${b.offset}: damaged Arrow IPC file: ${b.what} names a message that ${what}`, path, `byte ${b.offset}`);
  };
  const prefix = Buffer.alloc(8);
  if (readSync(fd, prefix, 0, 8, b.offset) !== 8) bad('is cut short');
  const first = prefix.readUInt32LE(0);
  const framing = first === 0xffffffff ? 8 : 4;
  const len = first === 0xffffffff ? prefix.readInt32LE(4) : first | 0;
  if (len <= 0 || len > MAX_IPC_METADATA || b.offset + framing + len > end) bad(`has metadata length ${len} (expected 1..${MAX_IPC_METADATA}, before the footer at byte ${end})`);
  const meta = Buffer.alloc(len);
  if (readSync(fd, meta, 0, len, b.offset + framing) !== len) bad('is cut short');
  const body = messageBodyLength(meta, (what) => bad(`is damaged: ${what}`));
  // A block whose message is of another kind: apache-arrow's file reader reads it again and again.
  const fb = new FbView(meta, (what) => bad(`is damaged: ${what}`));
  const msg = fb.table(fb.u32(0, 'root'), 'Message');
  const header = msg(1) ? fb.u8(msg(1)) : 0;
  if (header !== b.header) bad(`is a ${MESSAGE_HEADERS[header] ?? `type ${header}`} message: expected a ${MESSAGE_HEADERS[b.header]}`);
  if (b.offset + framing + len + body > end) bad(`has a ${body}-byte body that runs past the footer at byte ${end}`);
}

/**
 * Footer (format/File.fbs): schema, dictionaries and recordBatches (Block structs), custom_metadata.
 * Returns the blocks (their messages are checked by the caller).
 */
function checkFooter(fb: FbView, end: number): FileBlock[] {
  const blocks: FileBlock[] = [];
  const f = fb.table(fb.u32(0, 'root'), 'Footer');
  if (f(1)) checkSchema(fb, fb.deref(f(1), 'Footer.schema'), 'Footer.schema');
  for (const [slot, what, header] of [[2, 'Footer.dictionaries', 2], [3, 'Footer.recordBatches', 3]] as const) {
    // struct Block { offset: long; metaDataLength: int; (4 bytes padding) bodyLength: long; }
    const { v, n } = fb.vector(f(slot), 24, what);
    for (let i = 0; i < n; i++) {
      const off = fb.i64(v + 24 * i, what);
      const meta = BigInt(fb.u32(v + 24 * i + 8, what) | 0);
      const body = fb.i64(v + 24 * i + 16, what);
      if (off < 8n || meta <= 0n || meta > BigInt(MAX_IPC_METADATA) || body < 0n || off + meta + body > BigInt(end)) {
        fb.bad(`${what}[${i}]: block at ${off} (metadata ${meta}, body ${body} bytes) outside the messages [8, ${end})`);
      }
      blocks.push({ what: `${what}[${i}]`, offset: Number(off), header });
    }
  }
  fb.keyValues(f(4), 'Footer.custom_metadata');
  return blocks;
}
