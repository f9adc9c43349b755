// Fuzz targets, one per input path. Each target has real seeds (files of the repository, or files
// built once from them) and a `run` that calls the library in-process on one mutated input. The
// contract every target checks (check.ts): the call returns normally, or throws InputError (the
// CLI's exit 2) whose message names the input; never another exception type, never a hang.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { RecordBatchReader } from 'apache-arrow';
import { checkedIpcChunks } from '../../../src/io/arrow-util.js';
import { parseTraceCsv, readTraceCsv } from '../../../src/io/csv-trace.js';
import { InputError } from '../../../src/io/errors.js';
import { importCsvBulk } from '../../../src/import/csv-bulk.js';
import { importSource, SourceFormat } from '../../../src/import/index.js';
import { loadSqlJs } from '../../../src/import/rasdaemon.js';
import { newTraceDicts, TraceDecoder, TraceStreamWriter } from '../../../src/io/arrow-trace.js';
import { EventColumns } from '../../../src/columns/events.js';
import { openTraceSource } from '../../../src/engine/source.js';
import { parseGolden } from '../../../src/oracle/golden.js';
import { diffFiles } from '../../../src/oracle/commands.js';
import { createFromOutcomes } from '../../../src/oracle/golden-create.js';
import { loadProfile } from '../../../src/io/profile-file.js';
import { loadConfig } from '../../../src/nightly/config.js';
import { loadMix } from '../../../src/gen/mix.js';
import { mergeShards } from '../../../src/io/merge.js';
import { runTrace } from '../../../src/engine/run.js';
import { openSqlSession, runSql } from '../../../src/nightly/sql.js';
import { replayEvents, outcomeJson } from '../../../src/engine/replay-events.js';
import { BUILTIN_PROFILES } from '../../../src/model/profiles.js';
import { ARCH, CONTEXT, KIND, MEM, NOTIFY, PAGE, SEVERITY } from '../../../src/model/enums.js';
import { Rng, mutate, NASTY_TOKENS } from './mutate.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Input {
  bytes: Buffer;
  how: string[];
  /** The file name the input is written to (the place an error message must name). */
  file: string;
}

export interface Target {
  name: string;
  /** Relative cost (inputs per CI run are scaled by it). */
  cost: number;
  /** Build the seeds once (in `dir`). */
  setup(dir: string): Promise<void>;
  /** One generated input. */
  gen(rng: Rng, dir: string): Input;
  /** Feed it to the library; throwing InputError is an accepted outcome, anything else fails. */
  run(input: Input, dir: string): Promise<void>;
  /** Close what the target keeps open between inputs (called at the end of each slice). */
  finish?(): void;
}

const ENUM_WORDS = [...ARCH, ...KIND, ...NOTIFY, ...SEVERITY, ...MEM, ...PAGE, ...CONTEXT];
const read = (p: string) => readFileSync(resolve(ROOT, p));

/** Seed files read once per process (not once per input). */
const seedCache = new Map<string, Buffer[]>();
const cachedSeeds = (key: string, load: () => Buffer[]): Buffer[] => {
  let s = seedCache.get(key);
  if (!s) seedCache.set(key, (s = load()));
  return s;
};

function fromSeeds(seeds: Buffer[], rng: Rng, file: string, extra: readonly string[] = ENUM_WORDS, longBytes = 1 << 20): Input {
  const s = rng.pick(seeds);
  if (rng.chance(0.03)) return { bytes: s, how: ['seed'], file };
  const m = mutate(s, rng, extra, longBytes);
  return { bytes: m.bytes, how: m.how, file };
}

function writeInput(dir: string, input: Input): string {
  const p = join(dir, input.file);
  writeFileSync(p, input.bytes);
  return p;
}

// ---- traces -------------------------------------------------------------------------------------

const traceSeeds = (): Buffer[] => {
  const x = read('traces/x86.csv');
  const a = read('traces/arm64.csv');
  // Small slices too, so that the mutations of a short trace reach the replay often.
  const slice = (b: Buffer, n: number) => Buffer.from(b.toString('utf8').split('\n').slice(0, n).join('\n'));
  // Duplicate event ids, within a host and across hosts (the ids of x86 under another host name).
  const dupAcross = Buffer.from(`${x.toString('utf8').trimEnd()}\n${x.toString('utf8').split('\n').slice(1, 6).map((l) => l.replace(/^(\d+),([^,]*),/, '$1,other-$2,')).join('\n')}\n`);
  const dupWithin = Buffer.from(`${x.toString('utf8').trimEnd()}\n${x.toString('utf8').split('\n')[1]!}\n`);
  return [x, a, slice(x, 4), slice(a, 4), slice(x, 20), dupAcross, dupWithin];
};

/** Replay a parsed trace under every built-in profile: a valid-looking input must replay. */
function replayAll(events: ReturnType<typeof parseTraceCsv>): void {
  const rows = replayEvents(events, [...BUILTIN_PROFILES]);
  for (const r of rows) outcomeJson(r);
}

const csvStrict: Target = {
  name: 'trace-csv',
  cost: 1,
  async setup() {},
  gen(rng) {
    return fromSeeds(SEEDS.trace!, rng, 'fuzz.csv', ENUM_WORDS, 1 << 20);
  },
  async run(input, dir) {
    const p = writeInput(dir, input);
    replayAll(readTraceCsv(p, { sort: input.bytes.length % 2 === 0 }));
  },
};

const csvGz: Target = {
  name: 'trace-csv-gz',
  cost: 1,
  async setup() {},
  gen(rng) {
    const i = fromSeeds(SEEDS.trace!, rng, 'fuzz.csv.gz');
    // Either a valid gzip of a mutated CSV, or damaged gzip bytes.
    const z = gzipSync(i.bytes);
    if (rng.chance(0.5)) return { ...i, bytes: z, how: [...i.how, 'gzip'] };
    const m = mutate(z, rng, []);
    return { ...i, bytes: m.bytes, how: [...i.how, 'gzip', ...m.how] };
  },
  async run(input, dir) {
    replayAll(readTraceCsv(writeInput(dir, input), { sort: true }));
  },
};

const csvBulk: Target = {
  name: 'trace-csv-bulk',
  cost: 20,
  async setup() {},
  gen(rng) {
    return fromSeeds(SEEDS.trace!, rng, 'fuzz-bulk.csv', ENUM_WORDS, 1 << 16);
  },
  async run(input, dir) {
    const p = writeInput(dir, input);
    const out = join(dir, 'bulk-out.arrows');
    try {
      await importCsvBulk(p, out);
    } finally {
      rmSync(out, { force: true });
    }
  },
};

/** Arrow seeds: the curated traces as a stream and as an IPC file, written by the project's writer. */
async function arrowSetup(dir: string): Promise<void> {
  if (SEEDS.arrow) return;
  const out: Buffer[] = [];
  for (const t of ['traces/x86.csv', 'traces/arm64.csv']) {
    const p = join(dir, `${basename(t, '.csv')}.arrows`);
    const w = new TraceStreamWriter(p);
    for (const e of readTraceCsv(resolve(ROOT, t))) w.add(e);
    w.close();
    out.push(readFileSync(p));
  }
  SEEDS.arrow = out;
  // The IPC file form of the same batches (apache-arrow's file writer over the decoded table).
  const { tableFromIPC, tableToIPC } = await import('apache-arrow');
  SEEDS.arrowFile = out.map((b) => Buffer.from(tableToIPC(tableFromIPC(b), 'file')));
}

/** Arrow IPC mutations: also cuts at message boundaries (every 8-aligned continuation token). */
function arrowMutate(seeds: Buffer[], rng: Rng, file: string): Input {
  const s = rng.pick(seeds);
  if (rng.chance(0.25)) {
    const cuts: number[] = [];
    for (let i = 0; i + 4 <= s.length; i += 8) if (s.readUInt32LE(i) === 0xffffffff) cuts.push(i);
    const at = cuts.length ? rng.pick(cuts) + (rng.chance(0.5) ? 0 : 4 + rng.int(16)) : rng.int(s.length);
    return { bytes: s.subarray(0, at), how: ['cut-at-message'], file };
  }
  if (rng.chance(0.25)) {
    // Dictionary indices and int columns: overwrite a few aligned 4-byte words with large values.
    const c = Buffer.from(s);
    for (let k = 1 + rng.int(4); k > 0; k--) {
      const i = rng.int(Math.max(1, (c.length >> 2) - 1)) << 2;
      c.writeUInt32LE(rng.pick([0x7f, 0xff, 0x7fffffff, 0xffffffff, 1000, 64, rng.u32()]), i);
    }
    return { bytes: c, how: ['words'], file };
  }
  const m = mutate(s, rng, []);
  return { bytes: m.bytes, how: m.how, file };
}

/** Decoded columns must hold in-range codes: a decode that "succeeds" with garbage is a defect. */
function checkDecoded(cols: EventColumns, dicts: ReturnType<typeof newTraceDicts>): void {
  for (let i = 0; i < cols.n; i++) {
    if (cols.arch[i]! >= ARCH.length) throw new Error(`decoded arch code ${cols.arch[i]} out of range at row ${i}`);
    if (cols.kind[i]! >= KIND.length) throw new Error(`decoded kind code ${cols.kind[i]} out of range at row ${i}`);
    if (cols.page[i]! >= PAGE.length) throw new Error(`decoded page code ${cols.page[i]} out of range at row ${i}`);
    if (cols.mem[i]! >= MEM.length) throw new Error(`decoded mem code ${cols.mem[i]} out of range at row ${i}`);
    if (cols.host[i]! >= dicts.hosts.names.length) throw new Error(`decoded host id ${cols.host[i]} out of range at row ${i}`);
  }
}

const arrowStream: Target = {
  name: 'trace-arrow-stream',
  cost: 1,
  setup: arrowSetup,
  gen(rng) {
    return arrowMutate(SEEDS.arrow!, rng, 'fuzz.arrows');
  },
  async run(input) {
    // The decoder directly (the engine's source adds only the EOS check and error wrapping, which
    // the trace-arrow-source target covers through the real source).
    const dicts = newTraceDicts();
    const dec = new TraceDecoder(input.file, dicts);
    const cols = new EventColumns(1024);
    let reader;
    try {
      reader = RecordBatchReader.from(checkedIpcChunks([input.bytes], input.file));
    } catch (e) {
      if (e instanceof InputError) throw e;
      return; // not an Arrow stream at all: the engine source reports it (trace-arrow-source)
    }
    let b = 0;
    const it = reader[Symbol.iterator]();
    for (;;) {
      let r;
      try {
        r = it.next();
      } catch (e) {
        if (e instanceof InputError) throw e; // the framing check
        return; // apache-arrow's own parse error of damaged bytes: wrapped by the source
      }
      if (r.done) break;
      dec.decode(r.value, b++, cols);
      checkDecoded(cols, dicts);
    }
  },
};

const arrowSource: Target = {
  name: 'trace-arrow-source',
  cost: 6,
  setup: arrowSetup,
  gen(rng) {
    if (rng.chance(0.5)) return arrowMutate(SEEDS.arrowFile!, rng, 'fuzz.arrow');
    return arrowMutate(SEEDS.arrow!, rng, 'fuzz-src.arrows');
  },
  async run(input, dir) {
    const p = writeInput(dir, input);
    const dicts = newTraceDicts();
    const src = openTraceSource(p, dicts, 64);
    try {
      for await (const b of src.batches()) checkDecoded(b.cols, dicts);
    } finally {
      // The hash worker started with the first batch: wait for it whether the read failed or not,
      // or it reads the next input's file (or none, once the session folder is gone).
      await src.sha256();
    }
  },
};

// ---- importers ----------------------------------------------------------------------------------

const FIX = 'test/fixtures/import';
const textImporter = (name: string, format: SourceFormat, files: string[], file: string): Target => ({
  name,
  cost: 1,
  async setup() {},
  gen(rng) {
    const seeds = cachedSeeds(name, () => files.map((f) => read(join(FIX, f))));
    return fromSeeds(seeds, rng, file, ['Recovered', 'Ignored', 'Failed', 'Delayed', 'mce_record', 'memory_failure_event', 'signal_generate', 'sig=7', 'code=4', 'status', 'pfn', 'Kernel', 'panic', '0x0', '0xbd80000000100134', '0x0000000000000000', '0x8000000000000000']);
  },
  async run(input, dir) {
    const p = writeInput(dir, input);
    const r = await importSource(p, { format: rngFormat(input, format) });
    for (const e of r.events) void e.eventId;
  },
});
/** Half of the inputs go through detection, half name the format. */
const rngFormat = (input: Input, f: SourceFormat): SourceFormat | undefined => (input.bytes.length % 2 ? f : undefined);

const kernelLog = textImporter('import-kernel-log', 'kernel-log', ['ghes-arm64-sigbus.log', 'ghes-cut-at-eof.log', 'ghes-truncated.log', 'seed000-after.log', 'seed000-before.log', 'x86-fatal-panic.log', 'x86-srar-killing.log', 'garbage.log'], 'fuzz.log');
const ftrace = textImporter('import-trace-cmd', 'ftrace', ['trace-cmd.txt', 'trace-garbage.txt'], 'fuzz-trace.txt');
const mcelog = textImporter('import-mcelog', 'mcelog', ['mcelog.txt', 'mcelog-truncated.txt', 'mcelog-garbage.txt'], 'fuzz-mcelog.txt');

// rasdaemon: databases built with sql.js from rasdaemon's CREATE TABLE statements (ras-record.c),
// with rows of every value type SQLite can store in each column, plus byte-level damage.
const RAS_TABLES: Record<string, string[]> = {
  mce_record: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'mcgcap INTEGER', 'mcgstatus INTEGER', 'status INTEGER', 'addr INTEGER', 'misc INTEGER', 'ip INTEGER', 'cpu INTEGER', 'cs INTEGER', 'bank INTEGER', 'cpuvendor INTEGER'],
  arm_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'error_count INTEGER', 'mpidr INTEGER', 'error_type TEXT', 'virt_fault_addr INTEGER', 'phy_fault_addr INTEGER'],
  mc_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'err_type TEXT', 'err_msg TEXT', 'label TEXT', 'address INTEGER'],
  extlog_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'etype INTEGER', 'severity INTEGER', 'address INTEGER'],
  memory_failure_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'pfn TEXT', 'page_type TEXT', 'action_result TEXT'],
  signal_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'sig INTEGER', 'errorno INTEGER', 'code INTEGER', 'comm TEXT', 'pid INTEGER', 'grp INTEGER', 'res INTEGER'],
};
type SqlVal = string | number | bigint | null | Uint8Array;
const ODD_VALUES: SqlVal[] = [null, 0, -1, 1.5, Infinity, -Infinity, NaN, 1e300, 2 ** 63, -(2 ** 63), 9223372036854775807n, -9223372036854775808n, '', 'x', '12abc', '0x', '0xffffffffffffffffffff', 'Infinity', '1e400', new Uint8Array([1, 2, 3]), '\u0000'];
const GOOD: Record<string, SqlVal[]> = {
  timestamp: ['2024-03-01 10:00:00 +0000', '2024-03-01 10:00:01 +0000', '1970-01-01 00:00:00 +0000', '2024-03-01 10:00:00'],
  status: [0xbd80000000100134n - (1n << 64n), 0xbd80000000100134n - (1n << 64n) - (1n << 63n) /* VAL clear */, 0xad80000000100134n - (1n << 64n) /* EN clear */, 0x9c00000000010090n - (1n << 64n)],
  mcgstatus: [5, 7, 0, 4], mcgcap: [0x1000c14, 0x1000000 + 0x14], addr: [0x4092d55b000, 0x1000, 0], cs: [0x33, 0x10], cpu: [0, 3], bank: [1, 4], cpuvendor: [0, 2],
  pfn: ['0x4092d55b', '0x1', '4092d55b'], page_type: ['dirty LRU page', 'clean LRU page', 'already poisoned page', 'free buddy page'], action_result: ['Recovered', 'Ignored', 'Failed', 'Delayed'],
  sig: [7, 9], code: [4, 5, 3, 128], pid: [100, 4242], comm: ['einj_mem_uc', 'a'], res: [0, 1, 4], err_type: ['Uncorrected', 'Corrected', 'Fatal', 'Info'],
  severity: [0, 1, 2, 3], phy_fault_addr: [0x4092d55b000, 0, -1], address: [0x4092d55b000, 0], error_type: ['cache error', null],
};

function rasRow(t: string, rng: Rng): Record<string, SqlVal> {
  const r: Record<string, SqlVal> = {};
  for (const c of RAS_TABLES[t]!) {
    const name = c.split(' ')[0]!;
    if (name === 'id') continue;
    const good = GOOD[name];
    r[name] = rng.chance(0.05) || !good ? rng.pick(ODD_VALUES) : rng.pick(good);
  }
  return r;
}

let SQLJS: Awaited<ReturnType<typeof loadSqlJs>> | null = null;

function rasDb(rng: Rng): Buffer {
  const db = new SQLJS!.Database();
  const tables = Object.keys(RAS_TABLES).filter(() => rng.chance(0.85));
  for (const t of tables) {
    let cols = RAS_TABLES[t]!;
    if (rng.chance(0.1)) cols = cols.filter(() => rng.chance(0.7)); // unexpected layouts
    if (rng.chance(0.1)) cols = [...cols, `extra_${rng.int(9)} ${rng.pick(['REAL', 'BLOB', 'TEXT'])}`];
    if (!cols.length) cols = ['x INTEGER'];
    db.run(`CREATE TABLE ${t} (${cols.join(', ')})`);
    const names = cols.map((c) => c.split(' ')[0]!).filter((c) => c !== 'id');
    for (let k = rng.int(5); k > 0; k--) {
      const row = rasRow(t, rng);
      const keys = names.filter((n) => n in row || n.startsWith('extra_'));
      if (!keys.length) continue;
      const vals = keys.map((n) => (n in row ? row[n]! : rng.pick(ODD_VALUES)));
      db.run(`INSERT INTO ${t} (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`, vals as never);
    }
  }
  const bytes = Buffer.from(db.export());
  db.close();
  return bytes;
}

const rasdaemon: Target = {
  name: 'import-rasdaemon',
  cost: 3,
  async setup() {
    SQLJS ??= await loadSqlJs();
  },
  gen(rng) {
    const b = rasDb(rng);
    if (rng.chance(0.6)) return { bytes: b, how: ['generated-db'], file: 'ras-mc_event.db' };
    const kind = rng.int(4);
    if (kind === 0) return { bytes: b.subarray(0, rng.int(b.length)), how: ['generated-db', 'truncate'], file: 'ras-mc_event.db' };
    if (kind === 1) return { bytes: read(join(FIX, 'not-sqlite.db')), how: ['not-sqlite'], file: 'ras-mc_event.db' };
    const m = mutate(b, rng, []);
    return { bytes: m.bytes, how: ['generated-db', ...m.how], file: 'ras-mc_event.db' };
  },
  async run(input, dir) {
    await importSource(writeInput(dir, input), { format: input.bytes.length % 3 ? undefined : 'rasdaemon' });
  },
};

// ---- golden files -------------------------------------------------------------------------------

const goldenText: Target = {
  name: 'golden-text',
  cost: 1,
  async setup() {},
  gen(rng) {
    return fromSeeds(SEEDS.golden!, rng, 'fuzz.golden', ['panic', 'none', 'full', 'Recovered', '7:4', '7:5', 'redact', 'lsb', 'tid', 'event_id', '#', '-', '*']);
  },
  async run(input) {
    parseGolden(input.bytes.toString('utf8'), input.file);
  },
};

const goldenParquet: Target = {
  name: 'golden-parquet',
  cost: 30,
  async setup(dir) {
    if (SEEDS.goldenParquet) return;
    const jsonl = join(dir, 'x86-post.jsonl');
    const events = readTraceCsv(resolve(ROOT, 'traces/x86.csv'));
    writeFileSync(jsonl, replayEvents(events, [loadProfile('post')]).map((r) => `${outcomeJson(r)}\n`).join(''));
    const gp = join(dir, 'seed.golden.parquet');
    await createFromOutcomes(jsonl, gp, { profile: 'post', redact: [] });
    SEEDS.goldenParquet = [readFileSync(gp)];
  },
  gen(rng) {
    return arrowishMutate(SEEDS.goldenParquet!, rng, 'fuzz.parquet');
  },
  async run(input, dir) {
    const p = writeInput(dir, input);
    await diffFiles({ outcomes: join(dir, 'x86-post.jsonl'), golden: p, profile: 'post', by: [], examples: 1 });
  },
};

/** Binary formats: truncation, bit flips, overwritten words. */
function arrowishMutate(seeds: Buffer[], rng: Rng, file: string): Input {
  const s = rng.pick(seeds);
  const m = mutate(s, rng, []);
  return { bytes: m.bytes, how: m.how, file };
}

// ---- JSON inputs: profiles, nightly config, fleet mix -------------------------------------------

function deepJson(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** JSON-aware mutations on top of the byte-level ones: values replaced, keys added, nesting. */
function jsonMutate(seeds: Buffer[], rng: Rng, file: string, keys: string[]): Input {
  const s = rng.pick(seeds);
  const k = rng.int(6);
  if (k === 0) {
    let doc: unknown;
    try { doc = JSON.parse(s.toString('utf8')); } catch { doc = {}; }
    const paths: [Record<string, unknown>, string][] = [];
    const walk = (v: unknown) => {
      if (v && typeof v === 'object') for (const key of Object.keys(v)) { paths.push([v as Record<string, unknown>, key]); walk((v as Record<string, unknown>)[key]); }
    };
    walk(doc);
    const vals: unknown[] = [null, true, 0, -1, 1.5, 2 ** 53 + 1, 1e308, '', 'x', [], {}, [1, 2], { a: 1 }, 'post', 'nosuch', 'nosuch.json', '../../etc/passwd'];
    if (paths.length) { const [o, key] = rng.pick(paths); o[key] = rng.pick(vals); }
    let text = JSON.stringify(doc);
    // Values JSON.stringify cannot write: 1e400 (Infinity after parse), -1e400, deep nesting.
    if (rng.chance(0.3)) text = text.replace(/(:)(-?\d+(?:\.\d+)?)/, `$1${rng.pick(['1e400', '-1e400', '1e-400', '123456789012345678901234567890'])}`);
    return { bytes: Buffer.from(text), how: ['json-value'], file };
  }
  if (k === 1) {
    const text = s.toString('utf8').replace(/^\s*\{/, `{"${rng.pick(['__proto__', 'constructor', 'prototype', ...keys])}": ${rng.pick(['{"polluted": true}', '1', 'null', '[]', '"x"'])},`);
    return { bytes: Buffer.from(text), how: ['json-key'], file };
  }
  if (k === 2) {
    const depth = rng.pick([100, 5000, 100_000]);
    const text = s.toString('utf8').replace(/:\s*(\{|\[|"[^"]*"|-?\d[\d.e+-]*|true|false|null)/, `: ${deepJson(depth)}, "_deep": $1`);
    return { bytes: Buffer.from(text), how: [`json-deep-${depth}`], file };
  }
  return fromSeeds(seeds, rng, file, keys, 1 << 16);
}

const profileJson: Target = {
  name: 'profile-json',
  cost: 1,
  async setup(dir) {
    writeFileSync(join(dir, 'base.json'), JSON.stringify({ name: 'base-file', extends: 'post', switches: {} }));
  },
  gen(rng) {
    const seeds = [
      Buffer.from('{ "name": "post-no-patch1", "extends": "post", "switches": { "ghes_sync_ar": false }, "host": { "early_kill": 1 } }'),
      Buffer.from('{ "name": "from-file", "extends": "base.json", "switches": {}, "host": { "recovery": 0 } }'),
      Buffer.from('{ "name": "six", "extends": "linux-6.6", "description": "d" }'),
      Buffer.from('{ "name": "self", "extends": "fuzz-profile.json" }'),
    ];
    return jsonMutate(seeds, rng, 'fuzz-profile.json', ['name', 'extends', 'switches', 'host', 'description', 'early_kill', 'recovery', 'panic_on_oops', 'ghes_sync_ar', 'linux-6.1', 'base.json']);
  },
  async run(input, dir) {
    loadProfile(writeInput(dir, input));
  },
};

const nightlyConfig: Target = {
  name: 'nightly-config',
  cost: 1,
  async setup() {},
  gen(rng) {
    return jsonMutate(cachedSeeds('nightly-config', () => [read('ras-replay.config.json')]), rng, 'fuzz-config.json', ['output', 'retention', 'profiles', 'traces', 'compare', 'workers', 'generate', 'golden', 'ideal', 'mix', 'hosts', 'days', 'seed', 'fleet', 'matrix', '{profile}']);
  },
  async run(input, dir) {
    loadConfig(writeInput(dir, input));
  },
};

const fleetMix: Target = {
  name: 'fleet-mix',
  cost: 1,
  async setup() {},
  gen(rng) {
    return jsonMutate(cachedSeeds('fleet-mix', () => [read('mixes/fleet.json'), Buffer.from('{}'), Buffer.from('{"hosts":{"arch":{"x86_64":1}}}')]), rng, 'fuzz-mix.json', ['weights', 'arch', 'x86_64', 'arm64', 'rate', 'share']);
  },
  async run(input, dir) {
    loadMix(writeInput(dir, input));
  },
};

// ---- runs, shards, the store --------------------------------------------------------------------

/** Two shards of x86 with Parquet, built once; each input damages one Parquet file or manifest. */
const mergeTarget: Target = {
  name: 'merge-shards',
  cost: 40,
  async setup(dir) {
    const base = join(dir, 'shards-seed');
    if (SEEDS.shardFiles) return;
    for (const i of [0, 1]) {
      await runTrace({ trace: resolve(ROOT, 'traces/x86.csv'), profiles: [loadProfile('post')], outDir: base, db: null, parquet: true, shard: { index: i, count: 2 }, workers: 1, sort: false });
    }
    const files: string[] = [];
    const walk = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) walk(p); else files.push(p.slice(base.length + 1)); } };
    walk(base);
    SEEDS.shardFiles = files.filter((f) => f.endsWith('.parquet') || f.endsWith('.json'));
  },
  gen(rng) {
    const rel = rng.pick(SEEDS.shardFiles!);
    const m = mutate(readFileSync(join(SEEDS.shardDir!, rel)), rng, rel.endsWith('.json') ? ['shard', 'count', 'profiles', 'events', 'parquet', 'trace_sha256'] : []);
    return { bytes: m.bytes, how: [rel, ...m.how], file: rel };
  },
  async run(input, dir) {
    // One copy of the shard set for the session; each input replaces one file and puts the seed's
    // bytes back after (merge only reads the set), instead of copying the whole tree per input.
    const work = join(dir, 'shards-work');
    if (!existsSync(work)) copyTree(SEEDS.shardDir!, work);
    const p = join(work, input.file);
    writeFileSync(p, input.bytes);
    try {
      await mergeShards(work, join(dir, 'merged.duckdb'));
    } finally {
      copyFileSync(join(SEEDS.shardDir!, input.file), p);
    }
  },
};

function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyTree(join(from, e.name), join(to, e.name));
    else copyFileSync(join(from, e.name), join(to, e.name));
  }
}

/** SQL over a store: generated statements, write attempts among them. */
const SQL_STATEMENTS = [
  'SELECT 1', 'SELECT * FROM outcomes', 'SELECT count(*) FROM signals', 'SELECT * FROM nights', "SELECT * FROM read_csv('__DIR__/x86.csv')",
  "COPY (SELECT 1) TO '__DIR__/written.csv'", "COPY outcomes TO '__DIR__/written.parquet' (FORMAT parquet)", "ATTACH '__DIR__/attached.duckdb' AS a",
  'INSTALL httpfs', 'LOAD httpfs', "SET temp_directory = '__DIR__/x'", 'CREATE TABLE t AS SELECT 1', 'DROP VIEW outcomes', 'PRAGMA version',
  "EXPORT DATABASE '__DIR__/exported'", 'CHECKPOINT', 'SELECT 1; SELECT 2', "SELECT * FROM glob('/*')", 'DETACH night0', "CALL pragma_version()",
  'SELECT', ')', '', ';', "SELECT 'x' || repeat('y', 1000000)", 'SELECT 1/0', 'SELECT 9223372036854775807 + 1', "USE night0",
];

const SQL_SESSION_INPUTS = 256;
let sqlSession: { s: Awaited<ReturnType<typeof openSqlSession>>; dir: string; uses: number } | null = null;

const sqlTarget: Target = {
  name: 'sql',
  cost: 8,
  async setup() {},
  finish() {
    sqlSession?.s.db.close();
    sqlSession = null;
  },
  gen(rng) {
    let q = rng.pick(SQL_STATEMENTS);
    if (rng.chance(0.3)) q = mutate(Buffer.from(q), rng, ['SELECT', 'COPY', 'ATTACH', 'TO', 'FROM', 'INSTALL', 'LOAD', ';']).bytes.toString('utf8');
    return { bytes: Buffer.from(q), how: ['sql'], file: 'store.duckdb' };
  },
  async run(input, dir) {
    const q = input.bytes.toString('utf8').replaceAll('__DIR__', dir);
    // One session for SQL_SESSION_INPUTS statements (the store is read-only and a refused or failed
    // statement changes nothing), then a new one, so opening and closing stay covered.
    if (!sqlSession || sqlSession.dir !== dir || sqlSession.uses >= SQL_SESSION_INPUTS) {
      sqlSession?.s.db.close();
      sqlSession = { s: await openSqlSession(join(dir, 'no-store-here.duckdb')), dir, uses: 0 };
    }
    const s = sqlSession.s;
    sqlSession.uses++;
    try {
      await runSql(s, q, 'csv');
    } catch (e) {
      // Anything but a refusal: the session is not trusted for the next input.
      if (!(e instanceof InputError)) { s.db.close(); sqlSession = null; }
      throw e;
    } finally {
      // Checked whether the statement ran or was refused: a refused one must not have written either.
      for (const f of ['written.csv', 'written.parquet', 'attached.duckdb', 'exported']) {
        if (!existsSync(join(dir, f))) continue;
        rmSync(join(dir, f), { recursive: true, force: true });
        // eslint-disable-next-line no-unsafe-finally
        throw new Error(`sql wrote ${f} without --allow-write: ${q}`);
      }
    }
  },
};

export const SEEDS: { trace?: Buffer[]; golden?: Buffer[]; arrow?: Buffer[]; arrowFile?: Buffer[]; goldenParquet?: Buffer[]; shardFiles?: string[]; shardDir?: string } = {};

export const TARGETS: Target[] = [
  csvStrict, csvGz, csvBulk, arrowStream, arrowSource, kernelLog, ftrace, mcelog, rasdaemon, goldenText, goldenParquet,
  profileJson, nightlyConfig, fleetMix, mergeTarget, sqlTarget,
];

/** Seeds common to several targets. */
export async function prepare(dir: string, targets: Target[]): Promise<void> {
  SEEDS.trace ??= traceSeeds();
  SEEDS.golden ??= ['x86', 'arm64'].flatMap((s) => ['pre', 'post', 'linux-6.19'].map((p) => read(`golden/${s}/${p}.golden`)));
  SEEDS.shardDir = join(dir, 'shards-seed');
  for (const t of targets) await t.setup(dir);
}

export { NASTY_TOKENS };
