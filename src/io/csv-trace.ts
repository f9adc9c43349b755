// Strict CSV reader for traces of scenario size (csv-parse): every bad value is reported with its
// file, line, column, value and what was expected. Large CSVs go through the bulk path (engine).
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { InputError } from './errors.js';
import { checkOrder, eventFromRow, EXTRA_COLUMNS, REQUIRED_COLUMNS, TRACE_COLUMNS, TraceEvent } from './trace.js';

export interface ReadOptions {
  /** Sort by (host, t_ns, event_id) instead of rejecting an out-of-order trace. */
  sort?: boolean;
}

/**
 * The largest CSV the strict reader takes: it holds the text as one string, and V8's strings end
 * at 2^29 - 24 characters (about 512 MiB). Larger traces (and .csv.gz that inflate past it, a
 * compression bomb included: inflation stops there) go through `import --bulk`, which streams.
 */
export const MAX_STRICT_CSV_BYTES = (1 << 29) - 24;

export function readTraceCsv(file: string, opts: ReadOptions = {}): TraceEvent[] {
  let buf: Buffer;
  const tooBig = (what: string) => new InputError(`${file}: ${what} ${MAX_STRICT_CSV_BYTES} bytes, the most the strict CSV reader holds: convert it with \`ras-replay import --bulk ${file} -o trace.arrows\` (streamed) and use the .arrows trace`, file);
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
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, relax_column_count: false, skip_empty_lines: true, trim: false, bom: true }) as never;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new InputError(`${file}: line ${err.lines ?? '?'}: malformed CSV: ${err.message}`, file, `line ${err.lines ?? '?'}`, undefined, { cause: e });
  }
  if (records.length === 0) throw new InputError(`${file}: empty file: expected a header row with the trace columns`, file);
  const header = records[0]!.record.map((h) => h.trim());
  const known = new Set<string>([...TRACE_COLUMNS, ...EXTRA_COLUMNS]);
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    if (!known.has(h)) {
      throw InputError.at(file, 'line 1 (header)', h, h, `a trace column (${TRACE_COLUMNS.join(', ')}) or note`);
    }
    if (index.has(h)) throw InputError.at(file, 'line 1 (header)', h, h, 'each column once');
    index.set(h, i);
  });
  for (const r of REQUIRED_COLUMNS) {
    if (!index.has(r)) throw new InputError(`${file}: line 1 (header): column ${r} is missing: expected the required columns ${REQUIRED_COLUMNS.join(', ')}`, file, 'line 1', r);
  }
  const events: TraceEvent[] = [];
  for (let k = 1; k < records.length; k++) {
    const { record, info } = records[k]!;
    const row = `line ${info.lines}`;
    const get = (c: string): string | undefined => {
      const i = index.get(c);
      return i === undefined ? undefined : record[i]!.trim();
    };
    events.push(eventFromRow(get, `${file}: ${row}`, (c, v, expected) => {
      throw InputError.at(file, row, c, v, expected);
    }));
  }
  return checkOrder(events, file, opts.sort ?? false);
}
