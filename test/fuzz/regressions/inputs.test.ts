// Minimal regressions for the defects the fuzz targets found (test/fuzz/lib/targets.ts) or the
// issue listed: each input once, in-process, asserting an InputError that names the place (or a
// normal return) where the defect gave a TypeError, RangeError, a hang or a silent wrong decode.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dictionary, Int8, makeData, RecordBatch, Schema, Field, Struct, Utf8, vectorFromArray, tableToIPC, Table, Uint64, Int64 } from 'apache-arrow';
import { InputError } from '../../../src/io/errors.js';
import { importSource } from '../../../src/import/index.js';
import { loadSqlJs, SqlJs } from '../../../src/import/rasdaemon.js';
import { loadProfile } from '../../../src/io/profile-file.js';
import { loadMix } from '../../../src/gen/mix.js';
import { newTraceDicts, TraceDecoder } from '../../../src/io/arrow-trace.js';
import { EventColumns } from '../../../src/columns/events.js';
import { readTraceCsv } from '../../../src/io/csv-trace.js';
import { gzipSync } from 'node:zlib';
import { duckInputError } from '../../../src/oracle/commands.js';
import { checkedIpcChunks } from '../../../src/io/arrow-util.js';

const ROOT = resolve(__dirname, '../../..');
const tmp = () => mkdtempSync(join(tmpdir(), 'ras-fuzz-reg-'));

async function inputError(f: () => unknown): Promise<InputError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw new Error(`expected InputError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
  throw new Error('expected InputError, the call returned');
}

describe('importers', () => {
  let SQL: SqlJs;
  beforeAll(async () => { SQL = await loadSqlJs(); });

  // rasdaemon's CREATE TABLE statements (db/ras-record.c); values bound as rasdaemon binds int64.
  function db(rows: { mce?: Record<string, unknown>[]; mf?: Record<string, unknown>[] }): string {
    const d = new SQL.Database();
    d.run('CREATE TABLE mce_record (id INTEGER PRIMARY KEY, timestamp TEXT, mcgcap INTEGER, mcgstatus INTEGER, status INTEGER, addr INTEGER, misc INTEGER, ip INTEGER, cpu INTEGER, cs INTEGER, bank INTEGER, cpuvendor INTEGER)');
    d.run('CREATE TABLE memory_failure_event (id INTEGER PRIMARY KEY, timestamp TEXT, pfn TEXT, page_type TEXT, action_result TEXT)');
    for (const r of rows.mce ?? []) d.run(`INSERT INTO mce_record (${Object.keys(r).join(', ')}) VALUES (${Object.keys(r).map(() => '?').join(', ')})`, Object.values(r) as never);
    for (const r of rows.mf ?? []) d.run(`INSERT INTO memory_failure_event (${Object.keys(r).join(', ')}) VALUES (${Object.keys(r).map(() => '?').join(', ')})`, Object.values(r) as never);
    const f = join(tmp(), 'ras-mc_event.db');
    writeFileSync(f, d.export());
    d.close();
    return f;
  }
  // MCi_STATUS 0xbd80000000100134: VAL UC EN MISCV ADDRV S AR, MCACOD data load (an SRAR; the
  // status of seed 000's einj_mem_uc consumption, trace-cmd fixture). As int64 for SQLite.
  const SRAR = 0xbd80000000100134n - (1n << 64n);

  it('rasdaemon: a REAL infinity in an integer column (cpu) is no BigInt RangeError', async () => {
    const f = db({ mce: [{ timestamp: '2024-03-01 10:00:00 +0000', mcgcap: 0x1000c14, mcgstatus: 7, status: SRAR, addr: 0x3f9c7b400, cpu: Infinity, cs: -Infinity, bank: 1 }] });
    const r = await importSource(f, { format: 'rasdaemon' });
    expect(r.events.length).toBe(1);
  });

  // VAL clear (bit 63) and ADDRV clear (bit 58): severities[] "Invalid", a record with no address,
  // followed by the memory_failure result of a page: the result alone makes the event.
  const VAL_CLEAR = 0x3180000000100134n;
  it('rasdaemon: an MCE record with VAL clear, then a memory_failure event for a page', async () => {
    const f = db({
      mce: [{ timestamp: '2024-03-01 10:00:00 +0000', mcgcap: 0x1000c14, mcgstatus: 7, status: VAL_CLEAR, addr: 0, cpu: 3, cs: 0x33, bank: 1 }],
      mf: [{ timestamp: '2024-03-01 10:00:00 +0000', pfn: '0x3f9c7b', page_type: 'dirty LRU page', action_result: 'Recovered' }],
    });
    const r = await importSource(f, { format: 'rasdaemon' });
    expect(r.events.length).toBe(1);
    expect(r.events[0]!.pa).toBe(0x3f9c7b000);
    expect(r.warnings.some((w) => /VAL is clear/.test(w))).toBe(true);
  });

  it('rasdaemon: an MCE record with EN clear (UC without EN: "Not enabled"), then a memory_failure event', async () => {
    const EN_CLEAR = 0xa180000000100134n - (1n << 64n); // VAL UC S AR, EN and ADDRV clear
    const f = db({
      mce: [{ timestamp: '2024-03-01 10:00:00 +0000', mcgcap: 0x1000c14, mcgstatus: 7, status: EN_CLEAR, addr: 0, cpu: 3, cs: 0x33, bank: 1 }],
      mf: [{ timestamp: '2024-03-01 10:00:01 +0000', pfn: '0x3f9c7b', page_type: 'dirty LRU page', action_result: 'Recovered' }],
    });
    const r = await importSource(f, { format: 'rasdaemon' });
    expect(r.events.length).toBe(1);
    expect(r.warnings.some((w) => /EN is clear/.test(w))).toBe(true);
  });

  it('trace-cmd: an mce_record with VAL clear, then a memory_failure_event for its page', async () => {
    const text = readFileSync(join(ROOT, 'test/fixtures/import/trace-cmd.txt'), 'utf8').replace('MC1: bd80000000100134', 'MC1: 3180000000100134');
    const f = join(tmp(), 'trace.txt');
    writeFileSync(f, text);
    const r = await importSource(f, { format: 'ftrace' });
    expect(r.events.length).toBeGreaterThan(0);
  });

  it('trace-cmd: a 300 KB line is refused at once (FTRACE_LINE backtracked for minutes)', async () => {
    const lines = readFileSync(join(ROOT, 'test/fixtures/import/trace-cmd.txt'), 'utf8').split('\n');
    lines.splice(3, 0, `  einj_mem_uc-2315  [003]  5000.100250: signal_generate: ${'a'.repeat(300_000)}`);
    const f = join(tmp(), 'long.txt');
    writeFileSync(f, lines.join('\n'));
    const t0 = Date.now();
    const e = await inputError(() => importSource(f, { format: 'ftrace' }));
    expect(e.message).toMatch(/long\.txt: line 4: a line of \d+ characters/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('JSON inputs', () => {
  it('profile extending an unknown profile names the file', async () => {
    const f = join(tmp(), 'p.json');
    writeFileSync(f, JSON.stringify({ name: 'x', extends: 'nosuch' }));
    const e = await inputError(() => loadProfile(f));
    expect(e.message).toContain('p.json');
    expect(e.message).toMatch(/"extends": unknown profile "nosuch"/);
  });

  it('profile value 1e400 is shown as Infinity, not null', async () => {
    const f = join(tmp(), 'p.json');
    writeFileSync(f, '{"name":"x","extends":"post","host":{"early_kill":1e400}}');
    const e = await inputError(() => loadProfile(f));
    expect(e.message).toMatch(/p\.json: host early_kill = Infinity .*expected 0 or 1/);
  });

  it('fleet mix with a value nested 100,000 deep: a message, no stack overflow', async () => {
    const f = join(tmp(), 'mix.json');
    writeFileSync(f, `{"hosts": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    const e = await inputError(() => loadMix(f));
    expect(e.message).toContain('mix.json: key hosts');
  });
});

describe('traces', () => {
  it('Arrow: a dictionary index outside its dictionary is refused, not decoded as code 0', async () => {
    // arch as Dictionary<Utf8, Int8> with one label and index 5.
    const dictType = new Dictionary(new Utf8(), new Int8(), 0);
    const dict = vectorFromArray(['x86_64'], new Utf8());
    const arch = makeData({ type: dictType, length: 1, nullCount: 0, data: new Int8Array([5]), dictionary: dict });
    const hostType = new Dictionary(new Utf8(), new Int8(), 1);
    const host = makeData({ type: hostType, length: 1, nullCount: 0, data: new Int8Array([0]), dictionary: vectorFromArray(['h'], new Utf8()) });
    const ev = makeData({ type: new Uint64(), length: 1, nullCount: 0, data: new BigUint64Array([1n]) });
    const t = makeData({ type: new Int64(), length: 1, nullCount: 0, data: new BigInt64Array([1n]) });
    const kind = makeData({ type: new Dictionary(new Utf8(), new Int8(), 2), length: 1, nullCount: 0, data: new Int8Array([0]), dictionary: vectorFromArray(['cpu_online'], new Utf8()) });
    const schema = new Schema([new Field('event_id', ev.type), new Field('host', hostType), new Field('t_ns', t.type), new Field('arch', dictType), new Field('kind', kind.type)]);
    const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children: [ev, host, t, arch, kind] }));
    const bytes = tableToIPC(new Table([batch]), 'stream');
    const { RecordBatchReader } = await import('apache-arrow');
    const b = [...RecordBatchReader.from(bytes)][0]!;
    const e = await inputError(() => new TraceDecoder('t.arrows', newTraceDicts()).decode(b, 0, new EventColumns(4)));
    expect(e.message).toMatch(/t\.arrows: batch 0 row 0: column arch: value "5": expected a dictionary index below 1/);
  });

  it('a .csv.gz that inflates past the strict reader bound is refused (compression bomb)', async () => {
    // Bounded here to keep the test small: the same path as MAX_STRICT_CSV_BYTES, through maxOutputLength.
    const f = join(tmp(), 'bomb.csv.gz');
    // Ten gzip members of 64 MiB each (gunzip reads concatenated members): 640 MiB inflated from ~600 KiB.
    const member = gzipSync(Buffer.alloc(64 << 20, 0x61), { level: 1 });
    writeFileSync(f, Buffer.concat(Array(10).fill(member)));
    const e = await inputError(() => readTraceCsv(f));
    expect(e.message).toMatch(/bomb\.csv\.gz: it inflates to more than \d+ bytes.*import --bulk/);
  }, 120_000);
});

describe('run outputs', () => {
  const trace = join(ROOT, 'traces/x86.csv');
  const run = async (out: string, db: string | null) => {
    const { runTrace } = await import('../../../src/engine/run.js');
    return runTrace({ trace, profiles: [loadProfile('post')], outDir: out, db, parquet: false, shard: null, workers: 1, sort: false });
  };

  it('--out naming a file', async () => {
    const d = tmp();
    writeFileSync(join(d, 'file'), 'x');
    const e = await inputError(() => run(join(d, 'file'), null));
    expect(e.message).toMatch(/--out .*file: cannot use as the output folder: it \(or a parent\) is a file/);
  });

  it('--out in a symbolic link loop', async () => {
    const d = tmp();
    symlinkSync(join(d, 'loop'), join(d, 'loop'));
    const e = await inputError(() => run(join(d, 'loop'), null));
    expect(e.message).toMatch(/--out .*loop: cannot use as the output folder/);
  });

  it('--db naming a folder', async () => {
    const d = tmp();
    mkdirSync(join(d, 'db'));
    const e = await inputError(() => run(join(d, 'out'), join(d, 'db')));
    expect(e.message).toMatch(/--db .*db: is a folder/);
  });

  it('--db naming a file that is not a DuckDB database', async () => {
    const d = tmp();
    writeFileSync(join(d, 'x.duckdb'), 'not a database\n'.repeat(100));
    const e = await inputError(() => run(join(d, 'out'), join(d, 'x.duckdb')));
    expect(e.message).toMatch(/x\.duckdb: cannot open as a DuckDB database/);
  });

  it('--out naming a missing folder creates it', async () => {
    const d = tmp();
    const s = await run(join(d, 'a', 'b'), null);
    expect(s.events).toBe(126); // the rows of traces/x86.csv
    expect(existsSync(join(d, 'a', 'b', 'outcomes'))).toBe(true);
  });
});

describe('DuckDB errors of the inputs', () => {
  it('a damaged Parquet page read during a diff is an input error', () => {
    const e = duckInputError(new Error('Invalid Input Error: Failed to read file "g.parquet": ZSTD Decompression failure'), 'diff a against g.parquet');
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toBe('diff a against g.parquet: cannot read the input: Invalid Input Error: Failed to read file "g.parquet": ZSTD Decompression failure');
    const other = new Error('INTERNAL Error: assertion');
    expect(duckInputError(other, 'x')).toBe(other);
  });
});

/** The InputError of reading a damaged Arrow fixture through the engine's trace source, and how long it took. */
async function sourceError(fixture: string): Promise<{ message: string; ms: number }> {
  const { openTraceSource } = await import('../../../src/engine/source.js');
  const src = openTraceSource(join(__dirname, 'fixtures', fixture), newTraceDicts(), 64);
  const t0 = Date.now();
  const e = await inputError(async () => { for await (const b of src.batches()) void b; });
  const ms = Date.now() - t0;
  await src.sha256();
  return { message: e.message, ms };
}

describe('Arrow IPC framing', () => {
  // Found by trace-arrow-stream: a stream (the x86 suite, mutated) whose RecordBatch.nodes vector
  // length reads 572,662,306 in a 184-byte metadata; apache-arrow looped in decodeFieldNodes.
  it('a RecordBatch whose nodes vector cannot fit its metadata is refused before apache-arrow reads it', async () => {
    const e = await sourceError('nodes-length.arrows');
    expect(e.message).toMatch(/nodes-length\.arrows: .*byte 5104: damaged Arrow IPC message: RecordBatch\.nodes: 572662306 entries/);
    expect(e.ms).toBeLessThan(20_000);
  });

  it('duplicate event ids across hosts are refused by the CSV readers (one id, one event)', async () => {
    const lines = readFileSync(join(ROOT, 'traces/x86.csv'), 'utf8').trimEnd().split('\n');
    const f = join(tmp(), 'dup.csv');
    writeFileSync(f, [...lines, lines[1]!.replace(/^(\d+),([^,]*),/, '$1,other-$2,')].join('\n'));
    const e = await inputError(() => readTraceCsv(f));
    expect(e.message).toMatch(/dup\.csv: line \d+: column event_id: value "\d+": expected an event_id unique within the trace/);
  });
});

describe('Arrow IPC row counts', () => {
  // Found by the long fuzz run: a DictionaryBatch (the host labels) whose field node length reads
  // 2^31 - 1 over a 992-byte body; the decoder's label table of that size ran out of memory.
  it('a field node longer than its body can hold is refused', async () => {
    const e = await sourceError('dict-length.arrows');
    expect(e.message).toMatch(/dict-length\.arrows: .*byte 1752: damaged Arrow IPC message: field node 0: length 2147483647, null count 0 for a 992-byte body/);
  });
});

describe('Arrow IPC schema', () => {
  // Found by the long fuzz run (kept open until analysed): the x86 suite as a stream, mutated, whose
  // Schema message (1744 bytes of metadata) gives field 23 (early_kill, a flat column) a children
  // vector of 127 entries whose first offset points to byte 4294966270. apache-arrow's
  // decodeFieldChildren followed it and spun in decodeCustomMetadata for minutes (~330 MB).
  // Reasoned from the bytes: Message.header_type 1 (Schema), Schema.fields has 27 entries, the 24th
  // is early_kill with a children vector of length 127 (format/Schema.fbs: Field slot 5).
  it('a Schema whose field children point outside the metadata is refused before apache-arrow reads it', async () => {
    const e = await sourceError('schema-children.arrows');
    expect(e.message).toMatch(/schema-children\.arrows: byte 0: damaged Arrow IPC message: Schema\.fields\[23\]\.children\[0\] at 4294966270 outside the 1744-byte metadata$/);
    expect(e.ms).toBeLessThan(5_000);
  });

  it('an IPC file whose footer length or blocks lie outside the file is refused', async () => {
    const { openTraceSource } = await import('../../../src/engine/source.js');
    const { tableFromIPC } = await import('apache-arrow');
    const { TraceStreamWriter } = await import('../../../src/io/arrow-trace.js');
    const d = tmp();
    const w = new TraceStreamWriter(join(d, 's.arrows'));
    for (const ev of readTraceCsv(join(ROOT, 'traces/x86.csv'))) w.add(ev);
    w.close();
    const good = Buffer.from(tableToIPC(tableFromIPC(readFileSync(join(d, 's.arrows'))), 'file'));
    // File layout (format/File.fbs): ... <footer> <int32 footer length> "ARROW1".
    const long = Buffer.from(good);
    long.writeInt32LE(0x7fffffff, long.length - 10);
    writeFileSync(join(d, 'long.arrow'), long);
    let e = await inputError(async () => { for await (const b of openTraceSource(join(d, 'long.arrow'), newTraceDicts(), 64).batches()) void b; });
    expect(e.message).toMatch(new RegExp(`long\\.arrow: byte \\d+: damaged Arrow IPC file footer: footer length 2147483647 in a ${long.length}-byte file$`));
    // The first record batch Block's offset (the footer's recordBatches vector) moved past the footer.
    const len = good.readInt32LE(good.length - 10);
    const end = good.length - 10 - len;
    const footer = good.subarray(end, end + len);
    const t = footer.readUInt32LE(0);
    const vt = t - footer.readInt32LE(t);
    const slot = footer.readUInt16LE(vt + 4 + 2 * 3); // Footer.recordBatches
    const vec = t + slot + footer.readUInt32LE(t + slot);
    const far = Buffer.from(good);
    far.writeBigInt64LE(BigInt(good.length), end + vec + 4);
    writeFileSync(join(d, 'far.arrow'), far);
    e = await inputError(async () => { for await (const b of openTraceSource(join(d, 'far.arrow'), newTraceDicts(), 64).batches()) void b; });
    expect(e.message).toMatch(new RegExp(`far\\.arrow: byte ${end}: damaged Arrow IPC file footer: Footer\\.recordBatches\\[0\\]: block at ${good.length} .* outside the messages \\[8, ${end}\\)$`));
    // The undamaged file reads.
    writeFileSync(join(d, 'good.arrow'), good);
    let rows = 0;
    for await (const b of openTraceSource(join(d, 'good.arrow'), newTraceDicts(), 64).batches()) rows += b.cols.n;
    expect(rows).toBe(readTraceCsv(join(ROOT, 'traces/x86.csv')).length);
  });
});

describe('sql is read-only without --allow-write', () => {
  // Found by the sql target: EXPORT DATABASE made its folder while being prepared (before the
  // statement-type check); EXPLAIN ANALYZE runs the statement it explains.
  it('EXPORT DATABASE and EXPLAIN ANALYZE COPY are refused before DuckDB binds them', async () => {
    const { openSqlSession, runSql } = await import('../../../src/nightly/sql.js');
    const d = tmp();
    const s = await openSqlSession(join(d, 'none.duckdb'));
    try {
      const e1 = await inputError(() => runSql(s, `EXPORT DATABASE '${join(d, 'exported')}'`, 'csv'));
      expect(e1.message).toMatch(/^sql: a statement starting with "EXPORT"/);
      const e2 = await inputError(() => runSql(s, `EXPLAIN ANALYZE COPY (SELECT 1) TO '${join(d, 'x.csv')}'`, 'csv'));
      expect(e2.message).toMatch(/^sql: a statement starting with "EXPLAIN"/);
      const e3 = await inputError(() => runSql(s, `/* c */ (COPY (SELECT 1) TO '${join(d, 'y.csv')}')`, 'csv'));
      expect(e3.message).toMatch(/^(sql|SQL error)/);
      expect(existsSync(join(d, 'exported')) || existsSync(join(d, 'x.csv')) || existsSync(join(d, 'y.csv'))).toBe(false);
      expect(await runSql(s, 'WITH a AS (SELECT 42 AS x) SELECT * FROM a', 'csv')).toBe('x\n42\n');
    } finally {
      s.db.close();
    }
  });
});

describe('Interner.idBytes on a damaged dictionary (found by the trace-arrow-stream target after the byte interner landed)', () => {
  it('takes offsets outside the buffer through decode instead of reading past it (was a RangeError, or minutes hashing past the end)', async () => {
    const { Interner } = await import('../../../src/columns/events.js');
    const i = new Interner();
    const bytes = new TextEncoder().encode('host-a');
    expect(i.idBytes(bytes, 0, 6, () => 'host-a')).toBe(0);
    expect(i.idBytes(bytes, 0, 2 ** 31, () => 'host-b')).toBe(1);
    expect(i.idBytes(bytes, 4, 2, () => 'host-c')).toBe(2);
    expect(i.idBytes(bytes, -3, 6, () => 'host-a')).toBe(0);
    expect(i.idBytes(bytes, 0, 6, () => 'never')).toBe(0);
  });
});

describe('merge: damaged shard manifests (found by the merge-shards target, long runs of 2026-12-03)', () => {
  // Two shards of x86 with Parquet, as `run --shard i/2 --parquet` writes them.
  let shards: string;
  beforeAll(async () => {
    const { runTrace } = await import('../../../src/engine/run.js');
    shards = tmp();
    for (const index of [0, 1]) {
      await runTrace({ trace: join(ROOT, 'traces/x86.csv'), profiles: [loadProfile('post')], outDir: shards, db: null, parquet: true, shard: { index, count: 2 }, workers: 1, sort: false });
    }
  }, 120_000);
  const merge = async (damage: (m: Buffer) => Buffer) => {
    const { cpSync } = await import('node:fs');
    const { mergeShards } = await import('../../../src/io/merge.js');
    const d = tmp();
    cpSync(shards, join(d, 'set'), { recursive: true });
    const m = join(d, 'set', '_shards', '0-of-2.json');
    writeFileSync(m, damage(readFileSync(m)));
    return inputError(() => mergeShards(join(d, 'set'), join(d, 'merged.duckdb')));
  };

  it('invalid UTF-8 inside a string of a manifest (JSON.parse took it, DuckDB read_json threw)', async () => {
    const e = await merge((b) => { const at = b.indexOf('"trace_sha256": "') + 17; return Buffer.concat([b.subarray(0, at), Buffer.from([0xc3]), b.subarray(at)]); });
    expect(e.message).toMatch(/_shards\/0-of-2\.json: unreadable shard manifest: .*: expected the JSON \(UTF-8\)/);
  });

  it('a damaged first manifest: the disagreement names both files (it named only the intact one)', async () => {
    const e = await merge((b) => Buffer.from(b.toString('utf8').replace(/("trace_sha256": ")/, '$1x')));
    expect(e.message).toMatch(/_shards\/1-of-2\.json: trace_sha256 [0-9a-f]{64}: expected x[0-9a-f]{64}, as in .*_shards\/0-of-2\.json/);
  });
});

describe('Arrow 0/1 columns of another type (found by the trace-arrow-stream target, long run of 2026-12-03)', () => {
  // The x86 suite as a stream, mutated (seed 20327, input 800): its Schema gives the column
  // `recovery` the Null type, which has no values buffer. The 0/1 reader (early_kill, recovery,
  // panic_on_oops, panic_on_unrecoverable; docs/trace-format.md: 0 or 1) read it as numbers: a
  // TypeError ("reading 'BYTES_PER_ELEMENT'"), which the source wrapped as "not a readable Arrow
  // IPC stream" with the TypeError's text. Like the other integer columns, the type is checked.
  it('is refused naming the column and its type', async () => {
    const e = await sourceError('opt01-type.arrows');
    expect(e.message).toMatch(/opt01-type\.arrows: batch 0 row 0: column recovery: value "Null": expected a boolean or integer column \(0 or 1\)$/);
  });
});

describe('kernel log: a long run of spaces in a result line (found by the import-kernel-log target, long run of 2026-12-03)', () => {
  // The fuzz input: "Memory failure: 0x1234: recovery action for d" + 859,000 spaces + "irty LRU
  // page: Recovered" (a longline mutation). The wrapped-line pattern `recovery action for [^:]+\s*$`
  // has two overlapping runs ([^:] and \s) before the colon: each of the n start positions of \s*
  // rescanned the spaces, O(n²), minutes on one line. 200,000 spaces are 2·10^10 steps that way.
  it('is read in linear time', async () => {
    const d = tmp();
    const f = join(d, 'spaces.log');
    writeFileSync(f, `[  100.000100] Memory failure: 0x1234: recovery action for d${' '.repeat(200_000)}irty LRU page: Recovered\n`);
    const t0 = Date.now();
    try {
      await importSource(f, { format: 'kernel-log' });
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toContain('spaces.log');
    }
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe('Arrow IPC: a stream after the end-of-stream marker (found by the trace-arrow-stream target, long run of 2026-12-03)', () => {
  // The x86 suite as a stream, mutated (seed 20583, input 49): Schema, one DictionaryBatch, the
  // end-of-stream marker at byte 3208, then 14 KB more (a repeat mutation). apache-arrow's reader
  // goes on after the marker (concatenated streams); the framing check stopped there, so the
  // DictionaryBatch at byte 3436, whose RecordBatch.nodes claims 16,777,216 entries in 184 bytes
  // of metadata, reached decodeFieldNodes: 14-31 s and 1.4 GB. The message layout was read with
  // apache-arrow's MessageReader (types 1, 2, EOS, 2, 2).
  it('the messages after the marker are checked too', async () => {
    const e = await sourceError('after-eos.arrows');
    expect(e.message).toMatch(/after-eos\.arrows: byte 3436: damaged Arrow IPC message: RecordBatch\.nodes: 16777216 entries of 16 bytes do not fit in the 184-byte metadata$/);
    expect(e.ms).toBeLessThan(5_000);
  });

  it('and through the decoder on the whole buffer (the target\'s path)', () => {
    const bytes = readFileSync(join(__dirname, 'fixtures', 'after-eos.arrows'));
    let err: unknown;
    try { for (const _ of checkedIpcChunks([bytes], 'after-eos.arrows')) void _; } catch (e) { err = e; }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('byte 3436: damaged Arrow IPC message: RecordBatch.nodes');
  });
});

describe('Arrow values buffers shorter than the batch, and .arrow files without magic (long run of 2026-12-03)', () => {
  // Mutated x86 streams (seeds 20710 input 1137, 20903 input 241): a batch of 126 rows whose
  // event_id values buffer holds none, and one whose panic_on_unrecoverable buffer ends before
  // row 117. The decoder built typed arrays past the buffer (RangeError "Invalid typed array length").
  it('a short event_id buffer is refused naming the column', async () => {
    const e = await sourceError('short-event-id.arrows');
    expect(e.message).toMatch(/short-event-id\.arrows: batch 0 row 0: column event_id: value "0 values": expected 126 \(one per row\)$/);
  });

  it('a short 0/1 column is refused naming the column and the row', async () => {
    const e = await sourceError('short-opt01.arrows');
    expect(e.message).toMatch(/short-opt01\.arrows: batch 0 row 117: column panic_on_unrecoverable: value "NaN": expected 0 or 1$/);
  });

  // Seed 20745 input 13: the 5 bytes f8 88 80 80 80 as fuzz.arrow. apache-arrow's file reader's
  // promise never settled: the fuzz slice hung, `run` hung until killed. Format/File.fbs: an IPC
  // file starts and ends with "ARROW1".
  it('a 5-byte .arrow file is refused at once', async () => {
    const { openTraceSource } = await import('../../../src/engine/source.js');
    const d = tmp();
    writeFileSync(join(d, 'five.arrow'), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]));
    const e = await inputError(async () => { for await (const b of openTraceSource(join(d, 'five.arrow'), newTraceDicts(), 64).batches()) void b; });
    expect(e.message).toMatch(/five\.arrow: byte 0: not an Arrow IPC file \(5 bytes\): expected "ARROW1" at its start and its end/);
  }, 10_000);
});

describe('Arrow IPC file: a footer block naming a message of another kind (found by the trace-arrow-source target, long run of 2026-12-03)', () => {
  // Mutated x86 IPC files (seeds 20051 input 511, 20056 input 149), "ARROW1" at both ends and every
  // block inside the file: Footer.recordBatches[0] points at byte 4696, a message (continuation
  // token, 1528 bytes of metadata) whose Message.header_type byte (vtable field 1, at byte 4739 of
  // the file, read by hand with a flatbuffer walk) is 0 (NONE) in one file and 169 in the other.
  // apache-arrow's file reader only moves to the next block after a RecordBatch, so it read the same
  // message again and again (an async loop: `run` hung until killed).
  it('a NONE message at a record-batch block is refused', async () => {
    const e = await sourceError('block-none.arrow');
    expect(e.message).toMatch(/block-none\.arrow: byte 4696: damaged Arrow IPC file: Footer\.recordBatches\[0\] names a message that is a NONE message: expected a RecordBatch$/);
    expect(e.ms).toBeLessThan(5000);
  }, 20_000);

  it('an unknown message type at a record-batch block is refused', async () => {
    const e = await sourceError('block-type169.arrow');
    expect(e.message).toMatch(/block-type169\.arrow: byte 4696: damaged Arrow IPC file: Footer\.recordBatches\[0\] names a message that is a type 169 message: expected a RecordBatch$/);
    expect(e.ms).toBeLessThan(5000);
  }, 20_000);
});

describe('golden Parquet: an empty signals file name (found by the golden-parquet target, long run of 2026-12-03 14:14)', () => {
  // Seed 30308 input 25: a golden events file whose key-value metadata "signals" is "" (read back
  // with parquet_kv_metadata). join(folder, "") is the folder itself, which exists, and DuckDB read
  // a "schema" from it without error; the view over it then failed to bind (Binder Error: Column
  // "pid" referenced ... before it is defined), an internal error.
  it('is refused as a signals file that is not beside the golden file', async () => {
    const { Duck } = await import('../../../src/oracle/duck.js');
    const { openGolden } = await import('../../../src/oracle/sources.js');
    const file = join(__dirname, 'fixtures', 'signals-empty.golden.parquet');
    const db = await Duck.open(':memory:');
    try {
      const e = await inputError(() => openGolden(db, file));
      expect(e.message).toBe(`${file}: its signals file "" (key-value metadata "signals") is not beside it: expected ${join(__dirname, 'fixtures')}`);
    } finally {
      db.close();
    }
  });
});
