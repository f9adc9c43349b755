// Trace sources: batches of decoded EventColumns from Arrow IPC (stream or file) or CSV, read batch
// by batch with a running SHA-256 of the file's bytes (the run's trace content hash).
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { RecordBatchReader } from 'apache-arrow';
import { readTraceCsv } from '../io/csv-trace.js';
import { InputError } from '../io/errors.js';
import { appendEvent, TraceDecoder, TraceDicts } from '../io/arrow-trace.js';
import { EventColumns } from './columns.js';

export interface SourceBatch {
  batchNo: number;
  cols: EventColumns;
}

export interface TraceSource {
  batches(): AsyncGenerator<SourceBatch>;
  /** SHA-256 of the file content, complete once batches() has finished. */
  sha256(): string;
}

export function traceFormat(path: string): 'arrow-stream' | 'arrow-file' | 'csv' | 'parquet' {
  if (/\.arrows$/.test(path)) return 'arrow-stream';
  if (/\.(arrow|feather)$/.test(path)) return 'arrow-file';
  if (/\.csv(\.gz)?$/.test(path)) return 'csv';
  if (/\.parquet$/.test(path)) return 'parquet';
  throw new InputError(`${path}: unknown trace format: expected .arrows (Arrow IPC stream), .arrow (Arrow IPC file), .csv, .csv.gz or .parquet`, path);
}

export function openTraceSource(path: string, dicts: TraceDicts, batchRows = 65536, into?: EventColumns): TraceSource {
  const fmt = traceFormat(path);
  const hash = createHash('sha256');
  let digest = '';
  const finish = () => {
    digest = hash.digest('hex');
  };
  if (fmt === 'csv') {
    return {
      async *batches() {
        const events = readTraceCsv(path);
        hashFile(path, hash);
        finish();
        const cols = into ?? new EventColumns(Math.min(batchRows, Math.max(1, events.length)));
        let b = 0;
        for (let s = 0; s < events.length; s += batchRows) {
          cols.n = 0;
          for (let i = s; i < Math.min(events.length, s + batchRows); i++) appendEvent(cols, events[i]!, dicts);
          yield { batchNo: b++, cols };
        }
      },
      sha256: () => digest,
    };
  }
  if (fmt === 'parquet') {
    throw new InputError(`${path}: Parquet traces are converted with \`ras-replay import\` first (not yet available): convert to .arrows`, path);
  }
  const decoder = new TraceDecoder(path, dicts);
  return {
    async *batches() {
      const cols = into ?? new EventColumns(batchRows);
      let b = 0;
      try {
        if (fmt === 'arrow-stream') {
          const reader = RecordBatchReader.from(hashedChunks(path, hash));
          for (const batch of reader) {
            decoder.decode(batch, b, cols);
            yield { batchNo: b++, cols };
          }
          if (!endsWithEos(path)) {
            throw new InputError(`${path}: after batch ${b - 1}: the Arrow IPC stream ends without its end-of-stream marker: expected a complete stream (the file is truncated)`, path, `batch ${b}`);
          }
        } else {
          const fh = await open(path, 'r');
          try {
            const reader = await RecordBatchReader.from(fh);
            for await (const batch of reader) {
              decoder.decode(batch, b, cols);
              yield { batchNo: b++, cols };
            }
          } finally {
            await fh.close();
          }
          hashFile(path, hash);
        }
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new InputError(`${path}: batch ${b}: not a readable Arrow IPC ${fmt === 'arrow-stream' ? 'stream' : 'file'} (truncated or corrupt?): ${(e as Error).message}`, path, `batch ${b}`, undefined, { cause: e });
      }
      finish();
    },
    sha256: () => digest,
  };
}

function* hashedChunks(path: string, hash: ReturnType<typeof createHash>, chunk = 8 << 20): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const buf = new Uint8Array(chunk);
      const n = readSync(fd, buf, 0, chunk, null);
      if (n <= 0) return;
      const view = n === chunk ? buf : buf.subarray(0, n);
      hash.update(view);
      yield view;
    }
  } finally {
    closeSync(fd);
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

function hashFile(path: string, hash: ReturnType<typeof createHash>): void {
  for (const _ of hashedChunks(path, hash)) void _;
}
