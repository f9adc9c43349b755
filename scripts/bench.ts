// ras-replay benchmark: every figure measured in the same run on the same generated traces, each as
// a ratio to the baseline (a bare Arrow read of the host-ordered trace) measured in this run.
//   npm run bench -- [--events 10000000] [--small-events N] [--large-events N] [--workers N]
//                    [--json bench-results.json] [--against previous.json] [--model-events 4000000]
//                    [--oracle-rows 100000000] [--import-rows 1000000] [--import-lines 4000000]
//                    [--skip large,oracle,import]
// Figures: start-up (`--help`, `profiles`, through bin/ras-replay.js and the prebuilt bundle);
// generation; baseline read; decode; the model alone on 1 and N workers; end to end `run` to Arrow
// (1 and N workers), Arrow + Parquet and Arrow + DuckDB, for a host-ordered and a time-ordered trace
// (hosts interleaved over the whole file); peak RSS with DuckDB at three trace sizes (small, events,
// large: default 10× the events, so 100M; its traces take about 15 GB in $TMPDIR, kept for the next
// run); then, each in its own process, the oracle (`bench:oracle`: golden create and diff) and the
// importers (`bench:import`). The figures go under the `replay`, `startup`, `oracle` and `import`
// keys of the JSON file. `--against FILE` prints old, new and new/old for every figure of every key.
// `--skip` leaves out the large runs, the oracle or the import (a comma-separated list).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { RecordBatchReader } from 'apache-arrow';
import { fileChunks } from '../src/io/arrow-util.js';
import { newTraceDicts, TraceDecoder } from '../src/io/arrow-trace.js';
import { EventColumns } from '../src/columns/events.js';
import { OutcomeColumns, SignalColumns } from '../src/columns/outcomes.js';
import { BatchReplayer } from '../src/engine/run.js';
import { WorkerPool } from '../src/engine/workers.js';
import { builtinProfile } from '../src/model/profiles.js';
import { writeSimpleFleet } from '../src/gen/simple-fleet.js';
import { checkBenchArgs } from './bench-args.js';


checkBenchArgs(import.meta.filename, 'bench', ['events', 'small-events', 'large-events', 'workers', 'json', 'against', 'model-events', 'oracle-rows', 'import-rows', 'import-lines', 'skip']);
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const count = (name: string, dflt: string): number => {
  const v = arg(name, dflt);
  if (!/^[1-9][0-9]*$/.test(v)) {
    console.error(`bench: --${name} ${JSON.stringify(v)}: expected a whole number ≥ 1`);
    process.exit(2);
  }
  return Number(v);
};
const EVENTS = count('events', '10000000');
const SMALL = count('small-events', String(Math.max(1000, Math.floor(EVENTS / 10))));
const WORKERS = count('workers', String(Math.max(2, availableParallelism())));
const JSON_OUT = arg('json', 'bench-results.json');
const AGAINST = arg('against', '');
const MODEL_ROWS = Math.min(EVENTS, count('model-events', '4000000'));
const LARGE = count('large-events', String(EVENTS * 10));
const ORACLE_ROWS = count('oracle-rows', '100000000');
const IMPORT_ROWS = count('import-rows', '1000000');
const IMPORT_LINES = count('import-lines', '4000000');
const SKIP = new Set(arg('skip', '').split(',').filter((x) => x !== ''));
for (const k of SKIP) {
  if (!['large', 'oracle', 'import'].includes(k)) {
    console.error(`bench: --skip ${JSON.stringify(k)}: expected a comma-separated list of large, oracle, import`);
    process.exit(2);
  }
}
// Generated traces are kept between runs in a shared folder (each written under a temp name and
// renamed into place); the runs' outputs go to this run's own folder, removed at exit, so two
// benches at once (or a bench beside another job's) never remove each other's outputs.
const dir = join(tmpdir(), 'ras-replay-bench');
mkdirSync(dir, { recursive: true });
const own = mkdtempSync(join(tmpdir(), 'ras-replay-bench-run-'));
process.on('exit', () => rmSync(own, { recursive: true, force: true }));
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/ras-replay.js');

type Figures = Record<string, number | string>;
const replay: Figures = { events: EVENTS, small_events: SMALL, workers: WORKERS, node: process.version, date: new Date().toISOString(), load_average_1m: loadavg()[0]! };
const startup: Figures = {};
const fmt = (r: number) => `${(r / 1e6).toFixed(2)}M/s`;
const line = (name: string, r: number, extra = '') => console.log(`${name.padEnd(52)} ${fmt(r).padStart(10)}  ${extra}`);
let base = NaN;
/** Record events/s under `key` with its ratio to the baseline. */
const figure = (key: string, eps: number): string => {
  replay[`${key}_events_per_s`] = Math.round(eps);
  replay[`${key}_ratio`] = Number((eps / base).toFixed(3));
  return `ratio to baseline ${(eps / base).toFixed(2)}`;
};

console.log(`ras-replay bench: ${EVENTS} events (small ${SMALL}), ${WORKERS} workers, ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)} at start`);

// 0. Start-up through bin/ras-replay.js, after building the bundle it runs (as `npm ci` does).
{
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`build: exit ${b.status}: ${b.stderr}`);
  for (const [key, args] of [['help', ['--help']], ['profiles', ['profiles']]] as const) {
    const times: number[] = [];
    for (let k = 0; k < 7; k++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
      times.push((performance.now() - t) / 1000);
      if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    }
    times.sort((a, c) => a - c);
    startup[`${key}_s`] = Number(times[3]!.toFixed(3));
    console.log(`${`start-up: ras-replay ${args.join(' ')} (median of 7)`.padEnd(52)} ${`${times[3]!.toFixed(3)} s`.padStart(10)}  min ${times[0]!.toFixed(3)} s`);
  }
  const t = performance.now();
  spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', env: { ...process.env, RAS_REPLAY_SOURCES: '1' } });
  startup.help_from_sources_s = Number(((performance.now() - t) / 1000).toFixed(3));
  console.log(`${'start-up: --help from the sources (tsx)'.padEnd(52)} ${`${startup.help_from_sources_s} s`.padStart(10)}`);
}

function trace(events: number, timeOrdered: boolean): string {
  const path = join(dir, `fleet-${events}${timeOrdered ? '-time' : ''}.arrows`);
  if (!existsSync(path)) {
    const t = performance.now();
    writeSimpleFleet(path, { events, seed: 42, timeOrdered });
    const s = (performance.now() - t) / 1000;
    if (events === EVENTS && !timeOrdered) {
      replay.generate_events_per_s = Math.round(events / s);
      line('generate (simple seeded fleet, .arrows)', events / s);
    }
  }
  return path;
}

const path = trace(EVENTS, false);
const timePath = trace(EVENTS, true);

// 1. Baseline: a bare Arrow stream read that touches every column's typed array. The fastest of
// three reads: the first may find the file out of the page cache (just generated or evicted by other
// work), which once halved the figure and so inflated every ratio.
{
  let best = Infinity;
  let n = 0;
  let sum = 0;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    n = 0;
    sum = 0;
    for (const batch of RecordBatchReader.from(fileChunks(path))) {
      n += batch.numRows;
      for (const child of batch.data.children) sum += touch(child.values as ArrayBufferView) + (child.dictionary ? child.dictionary.length : 0);
    }
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  base = n / best;
  replay.baseline_events_per_s = Math.round(base);
  line('baseline: bare Arrow read, every column (best of 3)', base, `(${n} rows, checksum ${sum % 1000})`);
}

/** Read every 32-bit word of a column's value buffer (monomorphic: one Int32Array loop). */
function touch(v: ArrayBufferView): number {
  const words = new Int32Array(v.buffer, v.byteOffset, v.byteLength >> 2);
  let s = 0;
  for (let i = 0; i < words.length; i++) s = (s + words[i]!) | 0;
  const bytes = new Uint8Array(v.buffer, v.byteOffset + (words.length << 2), v.byteLength & 3);
  for (let i = 0; i < bytes.length; i++) s = (s + bytes[i]!) | 0;
  return s & 1;
}

// 2. Decode (Arrow -> validated EventColumns), keeping the first MODEL_ROWS rows for the model runs.
function decodeAll(file: string, label: string, key: string): { kept: EventColumns[]; dicts: ReturnType<typeof newTraceDicts> } {
  const kept: EventColumns[] = [];
  const dicts = newTraceDicts();
  const dec = new TraceDecoder(file, dicts);
  const cols = new EventColumns(65536);
  let n = 0;
  let b = 0;
  const t = performance.now();
  for (const batch of RecordBatchReader.from(fileChunks(file))) {
    const target = n < MODEL_ROWS ? new EventColumns(batch.numRows) : cols;
    dec.decode(batch, b++, target);
    if (n < MODEL_ROWS) kept.push(target);
    n += batch.numRows;
  }
  const eps = n / ((performance.now() - t) / 1000);
  line(label, eps, figure(key, eps));
  return { kept, dicts };
}

// 3. Model only, pre-decoded columns in memory.
const profile = builtinProfile('post');
function model(kept: EventColumns[], dicts: ReturnType<typeof newTraceDicts>, file: string, label: string, key: string): number {
  const rows = kept.reduce((a, c) => a + c.n, 0);
  const r = new BatchReplayer(profile, dicts.mappers, file);
  const out = new OutcomeColumns(65536);
  const sig = new SignalColumns();
  const t = performance.now();
  kept.forEach((c, b) => r.run(c, b, out, sig));
  const eps = rows / ((performance.now() - t) / 1000);
  line(label, eps, `${figure(key, eps)} (${rows} rows)`);
  return eps;
}
{
  const host = decodeAll(path, 'decode: Arrow -> validated columns', 'decode');
  const one = model(host.kept, host.dicts, path, 'model only, 1 worker', 'model_1');
  const rows = host.kept.reduce((a, c) => a + c.n, 0);
  const pool = new WorkerPool(WORKERS, [profile], 65536, path);
  const sigs = [new SignalColumns()];
  await pool.replay(-1, host.dicts.mappers, sigs); // warm-up: start the workers (cols.n = 0)
  let s = 0;
  for (let b = 0; b < host.kept.length; b++) {
    copyInto(host.kept[b]!, pool.cols);
    const t = performance.now();
    await pool.replay(b, host.dicts.mappers, sigs);
    s += (performance.now() - t) / 1000;
  }
  await pool.close();
  const eps = rows / s;
  line(`model only, ${WORKERS} workers`, eps, `${figure('model_n', eps)}, ratio to 1 worker ${(eps / one).toFixed(2)}`);
  replay.model_speedup = Number((eps / one).toFixed(3));
  host.kept.length = 0;
  const time = decodeAll(timePath, 'decode, time-ordered trace', 'decode_time');
  const oneTime = model(time.kept, time.dicts, timePath, 'model only, 1 worker, time-ordered trace', 'model_1_time');
  replay.model_time_to_host = Number((oneTime / one).toFixed(3));
  console.log(`model only: time-ordered / host-ordered = ${(oneTime / one).toFixed(2)}`);
}

function copyInto(src: EventColumns, dst: EventColumns): void {
  dst.n = src.n;
  dst.hostOrdered = src.hostOrdered;
  for (const [k, buf] of Object.entries(src.buffers())) {
    const d = dst.buffers()[k]!;
    new Uint8Array(d).set(new Uint8Array(buf as ArrayBuffer).subarray(0, Math.min(buf.byteLength, d.byteLength)));
  }
}

// 4. End to end, as a user runs it (one profile, so events/s counts trace events).
function run(label: string, key: string, file: string, extra: string[]): { eps: number; rss: number } {
  const out = join(own, `out-${key}`);
  rmSync(out, { recursive: true, force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'run', file, '-p', 'post', '--out', out, '-q', ...extra], { encoding: 'utf8' });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${label}: exit ${r.status}: ${r.stderr}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const eps = summary.events / wall;
  replay[`${key}_max_rss_mb`] = summary.max_rss_mb;
  line(label, eps, `${figure(key, eps)}, peak RSS ${summary.max_rss_mb} MiB, wall ${wall.toFixed(1)} s`);
  rmSync(out, { recursive: true, force: true });
  return { eps, rss: summary.max_rss_mb };
}
const w = String(WORKERS);
const a1 = run('end to end -> Arrow, 1 worker', 'e2e_arrow_w1', path, ['--no-db', '-w', '1']);
const an = run(`end to end -> Arrow, ${w} workers`, 'e2e_arrow', path, ['--no-db', '-w', w]);
replay.e2e_speedup = Number((an.eps / a1.eps).toFixed(3));
const t1 = run('end to end -> Arrow, 1 worker, time-ordered', 'e2e_arrow_w1_time', timePath, ['--no-db', '-w', '1']);
const tn = run(`end to end -> Arrow, ${w} workers, time-ordered`, 'e2e_arrow_time', timePath, ['--no-db', '-w', w]);
replay.e2e_time_to_host_w1 = Number((t1.eps / a1.eps).toFixed(3));
replay.e2e_time_to_host = Number((tn.eps / an.eps).toFixed(3));
run(`end to end -> Arrow + Parquet, ${w} workers`, 'e2e_parquet', path, ['--no-db', '--parquet', '-w', w]);
const big = run(`end to end -> Arrow + DuckDB file, ${w} workers`, 'e2e_duckdb', path, ['-w', w]);
const bigT = run(`end to end -> Arrow + DuckDB file, ${w} workers, time-ordered`, 'e2e_duckdb_time', timePath, ['-w', w]);
const small = run(`end to end -> Arrow + DuckDB, ${SMALL} events`, 'e2e_duckdb_small', trace(SMALL, false), ['-w', w]);
const smallT = run(`end to end -> Arrow + DuckDB, ${SMALL} events, time-ordered`, 'e2e_duckdb_small_time', trace(SMALL, true), ['-w', w]);
replay.rss_ratio_large_to_small = Number((big.rss / small.rss).toFixed(3));
replay.rss_ratio_large_to_small_time = Number((bigT.rss / smallT.rss).toFixed(3));
console.log(`two workers / one, end to end -> Arrow: ${(an.eps / a1.eps).toFixed(2)}; time-ordered / host-ordered: ${(tn.eps / an.eps).toFixed(2)} (1 worker ${(t1.eps / a1.eps).toFixed(2)})`);
console.log(`peak RSS ${EVENTS} vs ${SMALL} events (DuckDB): host-ordered ${big.rss} / ${small.rss} MiB = ${(big.rss / small.rss).toFixed(2)}, time-ordered ${bigT.rss} / ${smallT.rss} MiB = ${(bigT.rss / smallT.rss).toFixed(2)}`);

// 5. Peak RSS at the large size (targets: ≤ 1 GiB, within 20% of the figure at --events).
if (!SKIP.has('large')) {
  replay.large_events = LARGE;
  const huge = run(`end to end -> Arrow + DuckDB file, ${w} workers, ${LARGE} events`, 'e2e_duckdb_large', trace(LARGE, false), ['-w', w]);
  const hugeT = run(`end to end -> Arrow + DuckDB file, ${w} workers, ${LARGE} events, time-ordered`, 'e2e_duckdb_large_time', trace(LARGE, true), ['-w', w]);
  replay.rss_ratio_huge_to_large = Number((huge.rss / big.rss).toFixed(3));
  replay.rss_ratio_huge_to_large_time = Number((hugeT.rss / bigT.rss).toFixed(3));
  const verdict = (mb: number, r: number) => `${mb <= 1024 ? '≤' : '>'} 1 GiB, ${r <= 1.2 ? 'within' : 'not within'} 20%`;
  console.log(`peak RSS ${LARGE} vs ${EVENTS} events (DuckDB): host-ordered ${huge.rss} / ${big.rss} MiB = ${(huge.rss / big.rss).toFixed(2)} (${verdict(huge.rss, huge.rss / big.rss)}), time-ordered ${hugeT.rss} / ${bigT.rss} MiB = ${(hugeT.rss / bigT.rss).toFixed(2)} (${verdict(hugeT.rss, hugeT.rss / bigT.rss)})`);
}
replay.load_average_1m_end = loadavg()[0]!;
console.log(`load average ${loadavg()[0]!.toFixed(2)} at the end (${availableParallelism()} cores: above that, other work shared the machine)`);

const previous: Record<string, unknown> = existsSync(JSON_OUT) ? JSON.parse(readFileSync(JSON_OUT, 'utf8')) : {};
// Figures of an older layout (flat keys at the top) are replaced; other scripts' keys are kept.
const kept = Object.fromEntries(Object.entries(previous).filter(([, v]) => typeof v === 'object' && v !== null));
// This run's figures replace every key it measures (an oracle or import figure left from an
// earlier run would read as this run's).
for (const k of ['oracle', 'import'] as const) if (!SKIP.has(k)) delete kept[k];
writeFileSync(JSON_OUT, `${JSON.stringify({ ...kept, replay, startup }, null, 2)}\n`);
console.log(`figures written to ${JSON_OUT}`);

// 6. The oracle and the importers, each its own script in its own process (they merge their keys
// into the JSON file).
const child = (name: string, script: string, args: string[]): void => {
  console.log(`\n${name}: npm run bench:${name} -- ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts', script), ...args], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) {
    console.error(`bench: bench:${name} ${r.signal ? `killed by ${r.signal}` : `exited with ${r.status}`}`);
    process.exit(1);
  }
};
// As given when absolute, else from the project folder the children run in.
const jsonForChild = isAbsolute(JSON_OUT) ? JSON_OUT : relative(ROOT, resolve(JSON_OUT));
if (!SKIP.has('oracle')) child('oracle', 'bench-oracle.ts', ['--rows', String(ORACLE_ROWS), '--json', jsonForChild]);
if (!SKIP.has('import')) child('import', 'bench-import.ts', ['--rows', String(IMPORT_ROWS), '--lines', String(IMPORT_LINES), '--json', jsonForChild]);

if (AGAINST) {
  const old = JSON.parse(readFileSync(AGAINST, 'utf8')) as Record<string, unknown>;
  const final = JSON.parse(readFileSync(JSON_OUT, 'utf8')) as Record<string, unknown>;
  const now: Record<string, unknown> = Object.fromEntries(['replay', 'startup', 'oracle', 'import'].filter((k) => k in final).map((k) => [k, final[k]]));
  const leaves = (o: unknown, prefix: string, into: Map<string, number>): Map<string, number> => {
    if (typeof o === 'number') into.set(prefix, o);
    else if (typeof o === 'object' && o !== null) for (const [k, v] of Object.entries(o)) leaves(v, prefix ? `${prefix}.${k}` : k, into);
    return into;
  };
  // An older file with flat figures: read them as the `replay` group.
  const oldGroups = 'replay' in old ? old : { ...old, replay: old };
  const a = leaves(oldGroups, '', new Map());
  const b = leaves(now, '', new Map());
  console.log(`\ncompared with ${AGAINST} (new / old; for times and memory, _s, seconds, _mb, _mib, lower is better):`);
  const num = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));
  console.log(`${'figure'.padEnd(56)} ${'old'.padStart(14)} ${'new'.padStart(14)} ${'new/old'.padStart(8)}`);
  for (const [k, v] of b) {
    const o = a.get(k);
    if (o === undefined || /events$|workers$|load_average/.test(k)) continue;
    console.log(`${k.padEnd(56)} ${num(o).padStart(14)} ${num(v).padStart(14)} ${(o === 0 ? NaN : v / o).toFixed(2).padStart(8)}`);
  }
}
