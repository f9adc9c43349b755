// Small Arrow helpers shared by the trace and outcome writers and readers.
import { closeSync, fsyncSync, openSync, readSync, write, writeSync } from 'node:fs';
import {
  Data, Dictionary, Field, Int32, Int8, makeData, makeVector, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Utf8,
  vectorFromArray, Vector,
} from 'apache-arrow';

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
    for (let k = 0; k < count; k++) {
      const g = this.order[k]!;
      const a = this.at[g]!;
      const l = this.len[g]!;
      data.set(this.arena.subarray(a, a + l), at);
      at += l;
      offsets[k + 1] = at;
    }
    const dict = makeVector(makeData({ type: new Utf8(), length: count, nullCount: 0, valueOffsets: offsets, data }));
    return { idx, dict };
  }

  private encode(g: number): void {
    const name = this.names[g]!;
    const need = name.length * 3; // the most UTF-8 bytes a UTF-16 string can take
    if (this.used + need > this.arena.length) {
      const a = new Uint8Array(Math.max(this.used + need, this.arena.length * 2));
      a.set(this.arena.subarray(0, this.used));
      this.arena = a;
    }
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

export function boolBits(src: Uint8Array | Uint16Array, n: number, bit = 0xffff): Uint8Array {
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if ((src[i]! & bit) !== 0) out[i >> 3]! |= 1 << (i & 7);
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
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(this.fd, bytes, done, bytes.byteLength - done);
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
    } finally {
      closeSync(this.fd);
    }
  }

  /** fs.write at an explicit offset, continuing after a short write. */
  private writeAt(buf: Uint8Array, from: number, pos: number): void {
    write(this.fd, buf, from, buf.byteLength - from, pos, (e, n) => {
      if (e) this.error ??= e;
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
        let done = 0;
        while (done < v.byteLength) done += writeSync(this.fd, v, done, v.byteLength - done);
      }
      this.bytes += v.byteLength;
    }
    values.length = 0;
  }
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
