// Trace sources: batches of decoded EventColumns from Arrow IPC (stream or file) or CSV, read batch
// by batch; the file's SHA-256 (the run's trace content hash) is computed on a worker thread.
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { RecordBatch, RecordBatchReader } from 'apache-arrow';
import { checkedIpcChunks, checkIpcFile, fileChunks } from '../io/arrow-util.js';
import { readTraceCsv, streamTraceCsv } from '../io/csv-trace.js';
import type { TraceEvent } from '../io/trace.js';
import { InputError } from '../io/errors.js';
import { appendEvent, DictTables, TraceDecoder, TraceDicts } from '../io/arrow-trace.js';
import { EventColumns } from '../columns/events.js';
import { IpcMessage, scanIpcStream, SharedFileReader } from './feed.js';

export interface SourceBatch {
  batchNo: number;
  cols: EventColumns;
}

export interface TraceSource {
  batches(): AsyncGenerator<SourceBatch>;
  /**
   * Arrow IPC streams only (else null): the batches read but not decoded (their hosts, comms and
   * mapper lists interned, as `TraceDecoder.translate` does), for threads that decode them.
   */
  undecoded: (() => AsyncGenerator<{ batchNo: number; rows: number }>) | null;
  /**
   * Arrow IPC streams only: the batches read once by this thread for workers that decode them from
   * their bytes (see feed.ts), or null where the stream is not a plain one (then `undecoded`).
   * Started before `sha256` (the hash is fed from this read).
   */
  fed: (() => AsyncGenerator<FedBatch> | null) | null;
  /** SHA-256 of the file content. */
  sha256(): Promise<string>;
  /** Fraction of the input consumed so far (0..1). */
  progress(): number;
}

/** The fed path hashes on the reading thread below this size (every size: see `fed`). */
const FED_HASH_IN_THREAD_BYTES = Infinity;

/** A batch read by this thread, for a worker to decode from its bytes. */
export interface FedBatch {
  batchNo: number;
  rows: number;
  /** The record batch message (a view of the shared read buffer where it lies in one chunk). */
  msg: Uint8Array;
  schema: Uint8Array;
  /** Per dictionary id: the dictionary message in effect for this batch and its bytes. */
  dicts: Map<number, { m: IpcMessage; bytes: Uint8Array }>;
  /** The batch's host, comm and mapper translation tables; null: decode it here (`decodeHere`). */
  tables: DictTables | null;
  decodeHere(cols: EventColumns): void;
  /** Call once the batch's bytes are read (decoded, or failed): `msg`'s buffer may then be reused. */
  done(): void;
}

/** Files below this size are hashed on the calling thread: a worker's start costs more than they do. */
const HASH_IN_THREAD_BYTES = 1 << 20;

/** The file's SHA-256, computed on a worker thread in parallel with the replay (small files: here). */
export function sha256InWorker(path: string): Promise<string> {
  try {
    if (statSync(path).size < HASH_IN_THREAD_BYTES) return Promise.resolve(createHash('sha256').update(readFileSync(path)).digest('hex'));
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./hash-worker.mjs', import.meta.url), { workerData: { path } });
    w.once('message', (h: string) => resolve(h));
    w.once('error', reject);
  });
}

export function traceFormat(path: string): 'arrow-stream' | 'arrow-file' | 'csv' | 'parquet' {
  if (/\.arrows$/.test(path)) return 'arrow-stream';
  if (/\.(arrow|feather)$/.test(path)) return 'arrow-file';
  if (/\.csv(\.gz)?$/.test(path)) return 'csv';
  if (/\.parquet$/.test(path)) return 'parquet';
  throw new InputError(`${path}: unknown trace format: expected .arrows (Arrow IPC stream), .arrow (Arrow IPC file), .csv, .csv.gz or .parquet`, path);
}

export function openTraceSource(path: string, dicts: TraceDicts, batchRows = 65536, into?: (batchNo: number) => EventColumns, sort = false): TraceSource {
  const fmt = traceFormat(path);
  const size = Math.max(1, statSync(path).size);
  let consumed = 0;
  let digest: Promise<string> | null = null;
  const sha256 = (): Promise<string> => {
    if (!digest) {
      digest = sha256InWorker(path);
      // Started eagerly with `void sha256()`: a caller that stops early (a bad batch) never awaits
      // it, and its failure must not surface as an unhandled rejection. Awaiting callers still see it.
      digest.catch(() => {});
    }
    return digest;
  };
  if (fmt === 'csv') {
    return {
      async *batches() {
        void sha256();
        // Streamed in batches (memory bounded by the batch, not the file); --sort needs the whole
        // trace, so it reads it in memory (bounded by MAX_STRICT_CSV_BYTES).
        const chunks = sort ? sortedInBatches(readTraceCsv(path, { sort }), batchRows) : streamTraceCsv(path, { batchRows, onBytes: (n) => (consumed += n) });
        let own: EventColumns | null = null;
        let b = 0;
        for await (const events of chunks) {
          // The first batch is the largest (every one but the last is full).
          const cols = into ? into(b) : (own ??= new EventColumns(events.length));
          cols.n = 0;
          for (const e of events) appendEvent(cols, e, dicts);
          yield { batchNo: b++, cols };
        }
        consumed = size;
      },
      undecoded: null,
      fed: null,
      sha256,
      progress: () => consumed / size,
    };
  }
  if (fmt === 'parquet') {
    throw new InputError(`${path}: Parquet traces are converted with \`ras-replay import\` first (not yet available): convert to .arrows`, path);
  }
  if (sort) throw new InputError(`${path}: --sort reads CSV traces only: sort an Arrow trace by (host, t_ns, event_id) when writing it`, path);
  const decoder = new TraceDecoder(path, dicts);
  return {
    async *batches() {
      const own = into ? null : new EventColumns(batchRows);
      const target = (k: number): EventColumns => (into ? into(k) : own!);
      let b = 0;
      void sha256();
      try {
        if (fmt === 'arrow-stream') {
          const reader = RecordBatchReader.from(checkedIpcChunks(counted(fileChunks(path), (n) => (consumed += n)), path));
          for (const batch of reader) {
            const cols = target(b);
            decoder.decode(batch, b, cols);
            yield { batchNo: b++, cols };
          }
          if (!endsWithEos(path)) {
            throw new InputError(`${path}: after batch ${b - 1}: the Arrow IPC stream ends without its end-of-stream marker: expected a complete stream (the file is truncated)`, path, `batch ${b}`);
          }
        } else {
          checkIpcFile(path);
          const fh = await open(path, 'r');
          try {
            const reader = await RecordBatchReader.from(fh);
            for await (const batch of reader) {
              const cols = target(b);
              decoder.decode(batch, b, cols);
              yield { batchNo: b++, cols };
            }
          } finally {
            await fh.close();
          }
        }
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new InputError(`${path}: batch ${b}: not a readable Arrow IPC ${fmt === 'arrow-stream' ? 'stream' : 'file'} (truncated or corrupt?): ${(e as Error).message}`, path, `batch ${b}`, undefined, { cause: e });
      }
    },
    undecoded: fmt !== 'arrow-stream' ? null : async function* () {
      let b = 0;
      void sha256();
      try {
        const reader = RecordBatchReader.from(checkedIpcChunks(counted(fileChunks(path), (n) => (consumed += n)), path));
        for (const batch of reader) {
          decoder.translate(batch, b);
          yield { batchNo: b++, rows: batch.numRows };
        }
        if (!endsWithEos(path)) {
          throw new InputError(`${path}: after batch ${b - 1}: the Arrow IPC stream ends without its end-of-stream marker: expected a complete stream (the file is truncated)`, path, `batch ${b}`);
        }
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new InputError(`${path}: batch ${b}: not a readable Arrow IPC stream (truncated or corrupt?): ${(e as Error).message}`, path, `batch ${b}`, undefined, { cause: e });
      }
    },
    fed: fmt !== 'arrow-stream' ? null : () => {
      const plan = digest ? null : scanIpcStream(path);
      if (!plan) return null;
      // Hashed on this thread as it reads (it waits on the workers most of the time): a hash thread
      // fed the shared chunks kept them all alive (a thread that allocates nothing never collects
      // them; 850 MiB RSS on a 668 MB trace) and cost as much CPU.
      const reader = new SharedFileReader(path, plan.size, new URL('./hash-worker.mjs', import.meta.url), FED_HASH_IN_THREAD_BYTES, plan.batches.map((p) => p.msg.at + p.msg.len));
      digest = reader.digest;
      return (async function* (): AsyncGenerator<FedBatch> {
        let b = 0;
        let schema: Uint8Array | null = null;
        let dicts = new Map<number, { m: IpcMessage; bytes: Uint8Array }>();
        let ok = false;
        try {
          const batches = RecordBatchReader.from(checkedIpcChunks(counted(reader.chunks(), (n) => (consumed += n)), path));
          for (const batch of batches as Iterable<RecordBatch>) {
            const p = plan.batches[b];
            if (!p) throw new Error(`batch ${b}: the stream has more record batches than its scan found`);
            // The schema and dictionary messages are copies (a worker keeps them; the chunks are reused).
            schema ??= reader.copy(plan.schema);
            const translated = decoder.translate(batch, b);
            const next = new Map<number, { m: IpcMessage; bytes: Uint8Array }>();
            for (const [id, m] of p.dicts) {
              const had = dicts.get(id);
              next.set(id, had && had.m === m ? had : { m, bytes: reader.copy(m) });
            }
            dicts = next;
            const batchNo = b;
            yield {
              batchNo, rows: batch.numRows, msg: reader.bytes(p.msg), schema, dicts,
              tables: translated ? decoder.dictTables(batch) : null,
              decodeHere: (cols) => decoder.decode(batch, batchNo, cols),
              done: reader.hold(p.msg),
            };
            reader.release(p.msg.at + p.msg.len, p.dicts.values());
            await reader.throttle();
            b++;
          }
          if (b !== plan.batches.length) throw new Error(`the stream has ${b} record batches, its scan found ${plan.batches.length}`);
          if (!endsWithEos(path)) {
            throw new InputError(`${path}: after batch ${b - 1}: the Arrow IPC stream ends without its end-of-stream marker: expected a complete stream (the file is truncated)`, path, `batch ${b}`);
          }
          reader.finish();
          ok = true;
        } catch (e) {
          if (e instanceof InputError) throw e;
          throw new InputError(`${path}: batch ${b}: not a readable Arrow IPC stream (truncated or corrupt?): ${(e as Error).message}`, path, `batch ${b}`, undefined, { cause: e });
        } finally {
          if (!ok) reader.abort();
        }
      })();
    },
    sha256,
    progress: () => Math.min(1, consumed / size),
  };
}

/** A sorted in-memory trace in batches of `rows` (the --sort path). */
async function* sortedInBatches(events: TraceEvent[], rows: number): AsyncGenerator<TraceEvent[]> {
  for (let s = 0; s < events.length; s += rows) yield events.slice(s, s + rows);
}

function* counted(chunks: Generator<Uint8Array>, add: (n: number) => void): Generator<Uint8Array> {
  for (const c of chunks) {
    add(c.byteLength);
    yield c;
  }
}

/** An Arrow IPC stream ends with the continuation token 0xFFFFFFFF and a zero length. */
function endsWithEos(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 8) return false;
    const b = Buffer.alloc(8);
    readSync(fd, b, 0, 8, size - 8);
    return b.readUInt32LE(0) === 0xffffffff && b.readUInt32LE(4) === 0;
  } finally {
    closeSync(fd);
  }
}
