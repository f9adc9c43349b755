// The streamed CSV reader (`streamTraceCsv`, what `run` reads a CSV trace with): the same events and
// the same errors (file, line, column) as the in-memory reader, whatever the chunking of the input,
// and memory bounded by the batch, not the input: a synthetic trace generated on the fly (no disk)
// of RAS_CSV_STREAM_MIB MiB (default 64; 600 or more to go past the in-memory bound) is read whole.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { EventIdSet, MAX_STRICT_CSV_BYTES, parseTraceCsv, streamTraceCsv } from '../../src/io/csv-trace.js';
import { InputError } from '../../src/io/errors.js';
import type { TraceEvent } from '../../src/io/trace.js';
import { ROOT } from '../helpers.js';

const collect = async (file: string, input: Readable, batchRows = 7): Promise<TraceEvent[]> => {
  const out: TraceEvent[] = [];
  for await (const b of streamTraceCsv(file, { input, batchRows })) {
    expect(b.length).toBeGreaterThan(0);
    expect(b.length).toBeLessThanOrEqual(batchRows);
    out.push(...b);
  }
  return out;
};
/** The text cut into chunks of 1 to 13 bytes (a quote, a CRLF, a BOM or a UTF-8 character split across chunks). */
const chunked = (text: string | Buffer): Readable => {
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0, k = 0; i < b.length; k++) {
    const n = 1 + ((k * 7) % 13);
    parts.push(b.subarray(i, i + n));
    i += n;
  }
  return Readable.from(parts);
};
const errorOf = async (f: () => Promise<unknown> | unknown): Promise<string> => {
  try {
    await f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an input error');
};

const X86 = readFileSync(join(ROOT, 'traces/x86.csv'), 'utf8');
const [HEADER, FIRST] = X86.split('\n') as [string, string];
/** x86.csv's first row (a corrected error, quoted note) with another id, host and time. */
const row = (id: number, host: string, t: number, note = 'n') => {
  const cells = FIRST.replace(/,"[^]*",/, `,"${note}",`).split(',');
  cells[0] = String(id);
  cells[1] = host;
  cells[2] = String(t);
  return cells.join(',');
};

describe('streamTraceCsv', () => {
  it('reads the curated suites as the in-memory reader does, whatever the chunking (BOM and CRLF too)', async () => {
    for (const suite of ['x86', 'arm64']) {
      const text = readFileSync(join(ROOT, `traces/${suite}.csv`), 'utf8');
      const want = parseTraceCsv(text, `${suite}.csv`);
      expect(await collect(`${suite}.csv`, chunked(text))).toEqual(want);
      const crlf = `\ufeff${text.replace(/\n/g, '\r\n')}`;
      expect(await collect(`${suite}.csv`, chunked(crlf))).toEqual(parseTraceCsv(crlf, `${suite}.csv`));
    }
  });

  it('gives the in-memory reader\'s error, naming the line and column, for each kind of bad input', async () => {
    // Line numbers by hand: the header is line 1.
    const cases: [string, string, RegExp][] = [
      ['duplicate id', [HEADER, row(1, 'a', 10), row(2, 'a', 20), row(1, 'b', 30)].join('\n'), /bad\.csv: line 4: column event_id: value "1": expected an event_id unique/],
      ['out of order', [HEADER, row(1, 'a', 20), row(2, 'b', 5), row(3, 'a', 10)].join('\n'), /bad\.csv: line 4: column t_ns: value "10": expected \(t_ns, event_id\) not before the previous event of host a \(bad\.csv: line 2/],
      ['bad value', [HEADER, row(1, 'a', 10), row(2, 'a', 20).replace(',x86_64,', ',vax,')].join('\n'), /bad\.csv: line 3: column arch: value "vax": expected /],
      ['malformed quote', [HEADER, row(1, 'a', 10), row(2, 'a', 20, 'unterminated').replace('"unterminated"', '"unterminated')].join('\n'), /bad\.csv: line \d+: malformed CSV: /],
      ['missing column', 'event_id,host,t_ns\n1,a,10', /bad\.csv: line 1 \(header\): column arch is missing/],
      ['unknown column', 'event_id,host,t_ns,arch,colour\n', /bad\.csv: line 1 \(header\): column colour: value "colour": expected a trace column/],
      ['empty file', '', /bad\.csv: empty file: expected a header row/],
      ['quote opening inside a field', [HEADER, row(1, 'a', 10), row(2, 'a', 20).replace(',x86_64,', ',x"86,')].join('\n'), /bad\.csv: line 3: malformed CSV: Invalid Opening Quote/],
      ['wrong cell count', [HEADER, row(1, 'a', 10), '2,a,20'].join('\n'), /bad\.csv: line 3: malformed CSV: /],
    ];
    for (const [what, text, want] of cases) {
      const inMemory = await errorOf(() => parseTraceCsv(text, 'bad.csv'));
      expect(inMemory, what).toMatch(want);
      expect(await errorOf(() => collect('bad.csv', chunked(text))), what).toBe(inMemory);
    }
    // The first error in file order: a bad value on line 2 before a duplicate id on line 4.
    const two = [HEADER, row(1, 'a', 10).replace(',x86_64,', ',vax,'), row(2, 'a', 20), row(2, 'a', 30)].join('\n');
    expect(await errorOf(() => collect('bad.csv', chunked(two)))).toMatch(/line 2: column arch/);
    expect(await errorOf(() => parseTraceCsv(two, 'bad.csv'))).toMatch(/line 2: column arch/);
  });

  it('a source that fails (a read error) is an input error naming the file', async () => {
    const failing = new Readable({ read() { this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })); } });
    expect(await errorOf(() => collect('broken.csv', failing))).toMatch(/^broken\.csv: cannot read the trace: EIO/);
  });

  it('EventIdSet: every id once, 0 and 2^64 - 1 included, across growth', () => {
    const s = new EventIdSet();
    const ids = [0n, (1n << 64n) - 1n, 1n << 32n, 1n, ...Array.from({ length: 5000 }, (_, i) => BigInt(i) * 0x100000001n + 7n)];
    for (const id of ids) expect(s.add(id), String(id)).toBe(true);
    for (const id of ids) expect(s.add(id), String(id)).toBe(false);
    expect(s.size).toBe(ids.length);
  });

  const mib = Number(process.env.RAS_CSV_STREAM_MIB ?? 64);
  it(`streams a ${mib} MiB trace generated on the fly with bounded memory`, async () => {
    // 16 hosts in time order, a 40-character note: about 160 bytes a row.
    const target = mib * (1 << 20);
    let produced = 0;
    let rows = 0;
    const gen = Readable.from((function* () {
      yield `${HEADER}\n`;
      produced += HEADER.length + 1;
      while (produced < target) {
        const lines: string[] = [];
        for (let k = 0; k < 2000; k++) {
          rows++;
          lines.push(row(rows, `h${rows % 16}`, rows * 1000, 'n'.repeat(40)));
        }
        const s = `${lines.join('\n')}\n`;
        produced += s.length;
        yield s;
      }
    })(), { objectMode: false });
    // Live memory (JS heap and array buffers right after a full GC; RSS follows the GC's pace, not
    // what is held) sampled every 64 batches.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const live = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const live0 = live();
    const rss0 = process.memoryUsage().rss;
    let peak = 0;
    let peakRss = rss0;
    let n = 0;
    let k = 0;
    let lastId = 0n;
    for await (const b of streamTraceCsv('synthetic.csv', { input: gen, batchRows: 4096 })) {
      n += b.length;
      lastId = b[b.length - 1]!.eventId;
      if (++k % 64 === 0) peak = Math.max(peak, live() - live0);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    expect(n).toBe(rows);
    expect(lastId).toBe(BigInt(rows));
    if (mib > 512) expect(produced).toBeGreaterThan(MAX_STRICT_CSV_BYTES);
    // Held in memory, the text alone takes `produced` bytes and its events several times that;
    // streamed: a batch (4,096 events), the parser's buffers and the id set (8 bytes a slot, 2 to 4
    // slots an event).
    const bound = 32 * (1 << 20) + 32 * rows;
    console.log(`streamed ${mib} MiB (${rows} rows): live memory grew at most ${(peak / (1 << 20)).toFixed(1)} MiB (bound ${(bound / (1 << 20)).toFixed(0)} MiB), RSS ${((peakRss - rss0) / (1 << 20)).toFixed(0)} MiB`);
    expect(peak).toBeLessThan(bound);
    expect(bound).toBeLessThan(produced); // below what holding the text alone would take
  }, 900_000);
});
