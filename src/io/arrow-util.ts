// Small Arrow helpers shared by the trace and outcome writers and readers.
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Data, Dictionary, Field, Int32, Int8, makeData, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Utf8,
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

/** Dictionary<Utf8, Int8> with a fixed label list (our enum codes are the indices). */
export function enumType(id: number): Dictionary<Utf8, Int8> {
  return new Dictionary(new Utf8(), new Int8(), id, false);
}

export function dictType(id: number): Dictionary<Utf8, Int32> {
  return new Dictionary(new Utf8(), new Int32(), id, false);
}

const labelVectors = new Map<readonly string[], Vector<Utf8>>();
export function labelVector(labels: readonly string[]): Vector<Utf8> {
  let v = labelVectors.get(labels);
  if (!v) {
    v = vectorFromArray(labels as string[], new Utf8());
    labelVectors.set(labels, v);
  }
  return v;
}

export function enumData(type: Dictionary<Utf8, Int8>, labels: readonly string[], codes: Int8Array | Uint8Array, n: number, validity?: Uint8Array, nulls = 0): Data {
  const idx = codes instanceof Int8Array ? codes.subarray(0, n) : new Int8Array(codes.buffer, codes.byteOffset, n);
  return makeData({ type, length: n, nullCount: nulls, data: idx, dictionary: labelVector(labels), ...(validity ? { nullBitmap: validity } : {}) });
}

export function boolBits(src: Uint8Array, n: number, bit = 0xff): Uint8Array {
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
    // `-o dir/new.arrows` into a folder that does not exist yet: make it (as writeFileAtomic does).
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
  }

  write(batch: RecordBatch): void {
    this.writer.write(batch);
    this.drain();
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
