// Strict CSV reader (csv-parse): every bad value is reported with its file, line, column, value and
// what was expected. Two forms over one row checker: `readTraceCsv` holds a scenario-size trace in
// memory (the oracle, explain, `--sort`), `streamTraceCsv` reads any size in batches with bounded
// memory (the engine's `run`). Both report the first error in file order.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { parse as parseStream, type Options as CsvOptions } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { InputError } from './errors.js';
import { compareEvents, eventFromRow, EXTRA_COLUMNS, REQUIRED_COLUMNS, TRACE_COLUMNS, TraceEvent } from './trace.js';

export interface ReadOptions {
  /** Sort by (host, t_ns, event_id) instead of rejecting an out-of-order trace. */
  sort?: boolean;
}

/**
 * The largest CSV the in-memory reader takes: it holds the text as one string, and V8's strings end
 * at 2^29 - 24 characters (about 512 MiB). Larger traces (and .csv.gz that inflate past it, a
 * compression bomb included: inflation stops there) are read by `streamTraceCsv` (`run` does), or
 * converted with `import --bulk`.
 */
export const MAX_STRICT_CSV_BYTES = (1 << 29) - 24;

const CSV_OPTIONS = { relax_column_count: false, skip_empty_lines: true, trim: false, bom: true } as const;

/**
 * Event ids seen so far, in an open-addressing table of 64-bit words (at most 32 bytes per id while
 * it grows, 16 after; a Set of bigints takes several times that): the one per-event cost of
 * streaming, for the uniqueness check.
 */
export class EventIdSet {
  private keys = new BigUint64Array(1 << 10);
  private used = 0;
  private zero = false;

  /** Adds `id`; false if it was there already. */
  add(id: bigint): boolean {
    if (id === 0n) {
      if (this.zero) return false;
      this.zero = true;
      return true;
    }
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    if (!insert(this.keys, id)) return false;
    this.used++;
    return true;
  }

  get size(): number {
    return this.used + (this.zero ? 1 : 0);
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new BigUint64Array(old.length * 2);
    for (const k of old) if (k !== 0n) insert(this.keys, k);
  }
}

function insert(keys: BigUint64Array, id: bigint): boolean {
  const mask = keys.length - 1;
  let i = Math.imul(Number(BigInt.asUintN(32, id ^ (id >> 32n))), 0x9e3779b1) >>> 0 & mask;
  for (;;) {
    const k = keys[i]!;
    if (k === 0n) {
      keys[i] = id;
      return true;
    }
    if (k === id) return false;
    i = (i + 1) & mask;
  }
}

/** The header, then one record at a time: each row checked, its event id unique, its host in order. */
class TraceRows {
  private index: Map<string, number> | null = null;
  private readonly ids = new EventIdSet();
  private readonly last = new Map<string, TraceEvent>();
  /** With `sort`: a row came before the previous one of its host (the caller sorts at the end). */
  unsorted = false;

  constructor(private readonly file: string, private readonly sort: boolean) {}

  /** The event of a record (null for the header). */
  take(record: string[], line: number): TraceEvent | null {
    const file = this.file;
    if (this.index === null) {
      this.index = header(record, file);
      return null;
    }
    const index = this.index;
    const row = `line ${line}`;
    const get = (c: string): string | undefined => {
      const i = index.get(c);
      return i === undefined ? undefined : record[i]!.trim();
    };
    const e = eventFromRow(get, `${file}: ${row}`, (c, v, expected) => {
      throw InputError.at(file, row, c, v, expected);
    });
    if (!this.ids.add(e.eventId)) throw new InputError(`${file}: ${row}: column event_id: value "${e.eventId}": expected an event_id unique within the trace`, file, row, 'event_id');
    const p = this.last.get(e.host);
    if (p && (e.tNs < p.tNs || (e.tNs === p.tNs && e.eventId < p.eventId))) {
      if (!this.sort) {
        throw new InputError(`${file}: ${row}: column t_ns: value "${e.tNs}": expected (t_ns, event_id) not before the previous event of host ${e.host} (${p.where}: t_ns ${p.tNs}, event_id ${p.eventId}); pass --sort to sort the trace`, file, row, 't_ns');
      }
      this.unsorted = true;
    }
    this.last.set(e.host, e);
    return e;
  }

  /** At the end of the input: a file without even a header is refused. */
  end(): void {
    if (this.index === null) throw new InputError(`${this.file}: empty file: expected a header row with the trace columns`, this.file);
  }
}

function header(record: string[], file: string): Map<string, number> {
  const names = record.map((h) => h.trim());
  const known = new Set<string>([...TRACE_COLUMNS, ...EXTRA_COLUMNS]);
  const index = new Map<string, number>();
  names.forEach((h, i) => {
    if (!known.has(h)) {
      throw InputError.at(file, 'line 1 (header)', h, h, `a trace column (${TRACE_COLUMNS.join(', ')}) or note`);
    }
    if (index.has(h)) throw InputError.at(file, 'line 1 (header)', h, h, 'each column once');
    index.set(h, i);
  });
  for (const r of REQUIRED_COLUMNS) {
    if (!index.has(r)) throw new InputError(`${file}: line 1 (header): column ${r} is missing: expected the required columns ${REQUIRED_COLUMNS.join(', ')}`, file, 'line 1', r);
  }
  return index;
}

/**
 * csv-parse's errors (CsvError, with `lines`; codes CSV_… and INVALID_OPENING_QUOTE) as input errors;
 * ours pass through; else null. By name, not instanceof: the ESM and CommonJS builds of csv-parse
 * each have their own class.
 */
function csvError(e: unknown, file: string): InputError | null {
  if (e instanceof InputError) return e;
  const err = e as Error & { code?: string; lines?: number };
  if (err?.constructor?.name === 'CsvError' || (typeof err?.code === 'string' && /^(CSV_|INVALID_)/.test(err.code))) {
    return new InputError(`${file}: line ${err.lines ?? '?'}: malformed CSV: ${err.message}`, file, `line ${err.lines ?? '?'}`, undefined, { cause: e });
  }
  return null;
}

export function readTraceCsv(file: string, opts: ReadOptions = {}): TraceEvent[] {
  let buf: Buffer;
  const tooBig = (what: string) => new InputError(`${file}: ${what} ${MAX_STRICT_CSV_BYTES} bytes, the most the in-memory CSV reader holds${opts.sort ? ' (--sort sorts in memory)' : ''}: \`ras-replay run\` streams it unsorted, or convert it with \`ras-replay import --bulk ${file} -o trace.arrows\``, file);
  try {
    if (statSync(file).size > MAX_STRICT_CSV_BYTES) throw tooBig('the file is larger than');
    buf = readFileSync(file);
    if (file.endsWith('.gz')) {
      try {
        buf = gunzipSync(buf, { maxOutputLength: MAX_STRICT_CSV_BYTES + 1 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig('it inflates to more than');
        throw e;
      }
      if (buf.length > MAX_STRICT_CSV_BYTES) throw tooBig('it inflates to more than');
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: cannot read the trace: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
  }
  return parseTraceCsv(buf.toString('utf8'), file, opts);
}

export function parseTraceCsv(text: string, file: string, opts: ReadOptions = {}): TraceEvent[] {
  const rows = new TraceRows(file, opts.sort ?? false);
  const events: TraceEvent[] = [];
  try {
    // Each record is checked as the parser reaches it (the first error in file order wins, as when
    // streaming) and not kept: only the events are.
    parse(text, {
      ...CSV_OPTIONS,
      on_record: (record: string[], info: { lines: number }) => {
        const e = rows.take(record, info.lines);
        if (e) events.push(e);
        return null;
      },
    });
  } catch (e) {
    throw csvError(e, file) ?? e;
  }
  rows.end();
  return rows.unsorted ? events.sort(compareEvents) : events;
}

export interface StreamOptions {
  /** Events per yielded batch (default 65536). */
  batchRows?: number;
  /** The bytes to parse (default: the file, inflated if it ends in .gz); `file` then only names them. */
  input?: Readable | AsyncIterable<Buffer | string>;
  /** Called with the size of each chunk read from the file (progress; compressed bytes for .gz). */
  onBytes?: (n: number) => void;
}

/**
 * The trace in batches of events, in file order, with the checks of `readTraceCsv` (no sort: an
 * out-of-order row is an error). Memory: one batch, the parser's buffers, and the event-id set
 * (EventIdSet, 16 to 32 bytes per event); not the file. A batch is yielded only when whole, so a
 * consumer may see batches before an error further on (as with a truncated Arrow stream).
 */
export async function* streamTraceCsv(file: string, opts: StreamOptions = {}): AsyncGenerator<TraceEvent[]> {
  const batchRows = Math.max(1, opts.batchRows ?? 65536);
  const rows = new TraceRows(file, false);
  const options: CsvOptions<TraceEvent, string[]> = { ...CSV_OPTIONS, on_record: (record: string[], info: { lines: number }) => rows.take(record, info.lines) };
  const parser = parseStream(options as unknown as CsvOptions); // (its typings tie on_record to the `columns` overloads)
  let source: Readable | AsyncIterable<Buffer | string>;
  if (opts.input) {
    source = opts.input;
  } else {
    const raw = createReadStream(file, { highWaterMark: 1 << 20 });
    if (opts.onBytes) raw.on('data', (c) => opts.onBytes!(c.length));
    source = raw;
  }
  const stages = !opts.input && file.endsWith('.gz') ? [source, createGunzip(), parser] as const : [source, parser] as const;
  // Errors of any stage end the parser's iteration below; the pipeline's own promise is observed here.
  const piped = (pipeline as (...s: unknown[]) => Promise<void>)(...stages);
  piped.catch(() => undefined);
  let batch: TraceEvent[] = [];
  try {
    for await (const e of parser as AsyncIterable<TraceEvent>) {
      batch.push(e);
      if (batch.length >= batchRows) {
        yield batch;
        batch = [];
      }
    }
  } catch (e) {
    const known = csvError(e, file);
    if (known) throw known;
    throw new InputError(`${file}: cannot read the trace: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
  } finally {
    // A consumer that stops early (or an error): the file is closed, the parser dropped.
    for (const s of stages) if (typeof (s as Readable).destroy === 'function') (s as Readable).destroy();
  }
  rows.end();
  if (batch.length) yield batch;
}
