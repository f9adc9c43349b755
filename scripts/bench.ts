// ras-replay benchmark: every figure measured in the same run on the same generated trace.
//   npm run bench -- [--events 20000000] [--json bench.json] [--workers N]
// Prints events/s for: trace generation; a bare Arrow read touching every column (the baseline);
// decode (Arrow -> validated columns); the model alone on 1 and N workers; end-to-end `run` to Arrow,
// to Arrow + Parquet, to Arrow + DuckDB file; and the end-to-end peak RSS at two trace sizes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RecordBatchReader } from 'apache-arrow';
import { fileChunks } from '../src/io/arrow-util.js';
import { newTraceDicts, TraceDecoder } from '../src/io/arrow-trace.js';
import { EventColumns } from '../src/columns/events.js';
import { OutcomeColumns, SignalColumns } from '../src/columns/outcomes.js';
import { BatchReplayer } from '../src/engine/run.js';
import { WorkerPool } from '../src/engine/workers.js';
import { builtinProfile } from '../src/model/profiles.js';
import { writeSimpleFleet } from '../src/gen/simple-fleet.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const EVENTS = Number(arg('events', '20000000'));
const WORKERS = Number(arg('workers', String(Math.max(2, availableParallelism()))));
const JSON_OUT = arg('json', 'bench-results.json');
const MODEL_ROWS = Math.min(EVENTS, Number(arg('model-events', '4000000')));
const dir = join(tmpdir(), 'ras-replay-bench');
mkdirSync(dir, { recursive: true });
const ROOT = resolve(import.meta.dirname, '..');

const results: Record<string, unknown> = { events: EVENTS, workers: WORKERS, node: process.version, date: new Date().toISOString() };
const rate = (n: number, s: number) => n / s;
const fmt = (r: number) => `${(r / 1e6).toFixed(2)}M/s`;
const line = (name: string, r: number, extra = '') => console.log(`${name.padEnd(44)} ${fmt(r).padStart(10)}  ${extra}`);

function trace(events: number): string {
  const path = join(dir, `fleet-${events}.arrows`);
  if (!existsSync(path)) {
    const t = performance.now();
    writeSimpleFleet(path, { events, seed: 42 });
    const s = (performance.now() - t) / 1000;
    if (events === EVENTS) {
      results.generate_events_per_s = rate(events, s);
      line('generate (simple seeded fleet, .arrows)', rate(events, s));
    }
  }
  return path;
}

const path = trace(EVENTS);

// 1. Baseline: a bare Arrow stream read that touches every column's typed array.
{
  const t = performance.now();
  let n = 0;
  let sum = 0;
  for (const batch of RecordBatchReader.from(fileChunks(path))) {
    n += batch.numRows;
    for (const child of batch.data.children) sum += touch(child.values as ArrayBufferView) + (child.dictionary ? child.dictionary.length : 0);
  }
  const s = (performance.now() - t) / 1000;
  results.baseline_events_per_s = rate(n, s);
  line('baseline: bare Arrow read, every column', rate(n, s), `(${n} rows, checksum ${sum % 1000})`);
}
const base = results.baseline_events_per_s as number;

/** Read every 32-bit word of a column's value buffer (monomorphic: one Int32Array loop). */
function touch(v: ArrayBufferView): number {
  const words = new Int32Array(v.buffer, v.byteOffset, v.byteLength >> 2);
  let s = 0;
  for (let i = 0; i < words.length; i++) s = (s + words[i]!) | 0;
  const bytes = new Uint8Array(v.buffer, v.byteOffset + (words.length << 2), v.byteLength & 3);
  for (let i = 0; i < bytes.length; i++) s = (s + bytes[i]!) | 0;
  return s & 1;
}

// 2. Decode: Arrow -> validated EventColumns.
const kept: EventColumns[] = [];
const dicts = newTraceDicts();
{
  const dec = new TraceDecoder(path, dicts);
  const cols = new EventColumns(65536);
  let n = 0;
  let b = 0;
  const t = performance.now();
  for (const batch of RecordBatchReader.from(fileChunks(path))) {
    const target = n < MODEL_ROWS ? new EventColumns(batch.numRows) : cols;
    dec.decode(batch, b++, target);
    if (n < MODEL_ROWS) kept.push(target);
    n += batch.numRows;
  }
  const s = (performance.now() - t) / 1000;
  results.decode_events_per_s = rate(n, s);
  line('decode: Arrow -> validated columns', rate(n, s), `ratio to baseline ${(rate(n, s) / base).toFixed(2)}`);
}

// 3. Model only, pre-decoded columns in memory.
const profile = builtinProfile('post');
const keptRows = kept.reduce((a, c) => a + c.n, 0);
{
  const r = new BatchReplayer(profile, dicts.mappers, path);
  const out = new OutcomeColumns(65536);
  const sig = new SignalColumns();
  const t = performance.now();
  kept.forEach((c, b) => r.run(c, b, out, sig));
  const s = (performance.now() - t) / 1000;
  results.model_1_events_per_s = rate(keptRows, s);
  line('model only, 1 worker', rate(keptRows, s), `ratio to baseline ${(rate(keptRows, s) / base).toFixed(2)} (${keptRows} rows)`);
}
{
  const pool = new WorkerPool(WORKERS, [profile], 65536, path);
  const sigs = [new SignalColumns()];
  await pool.replay(-1, dicts.mappers, sigs); // warm-up: start the workers (cols.n = 0)
  let s = 0;
  for (let b = 0; b < kept.length; b++) {
    const c = kept[b]!;
    copyInto(c, pool.cols);
    const t = performance.now();
    await pool.replay(b, dicts.mappers, sigs);
    s += (performance.now() - t) / 1000;
  }
  await pool.close();
  results.model_n_events_per_s = rate(keptRows, s);
  const one = results.model_1_events_per_s as number;
  line(`model only, ${WORKERS} workers`, rate(keptRows, s), `ratio to 1 worker ${(rate(keptRows, s) / one).toFixed(2)}`);
  results.model_speedup = rate(keptRows, s) / one;
}

function copyInto(src: EventColumns, dst: EventColumns): void {
  dst.n = src.n;
  for (const [k, buf] of Object.entries(src.buffers())) {
    const d = dst.buffers()[k]!;
    new Uint8Array(d).set(new Uint8Array(buf as ArrayBuffer).subarray(0, Math.min(buf.byteLength, d.byteLength)));
  }
}
kept.length = 0;

// 4. End to end, as a user runs it (one profile, so events/s counts trace events).
function run(label: string, key: string, file: string, extra: string[]): { eps: number; rss: number } {
  const out = join(dir, `out-${key}`);
  rmSync(out, { recursive: true, force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/ras-replay.js'), 'run', file, '-p', 'post', '--out', out, '-q', ...extra], { encoding: 'utf8' });
  const wall = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${label}: exit ${r.status}: ${r.stderr}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const eps = summary.events / wall;
  results[`${key}_events_per_s`] = eps;
  results[`${key}_max_rss_mb`] = summary.max_rss_mb;
  line(label, eps, `ratio to baseline ${(eps / base).toFixed(2)}, peak RSS ${summary.max_rss_mb} MiB, wall ${wall.toFixed(1)} s`);
  return { eps, rss: summary.max_rss_mb };
}
run('end to end -> Arrow, 1 worker', 'e2e_arrow_w1', path, ['--no-db', '-w', '1']);
run(`end to end -> Arrow, ${WORKERS} workers`, 'e2e_arrow', path, ['--no-db', '-w', String(WORKERS)]);
run('end to end -> Arrow + Parquet', 'e2e_parquet', path, ['--no-db', '--parquet', '-w', '1']);
const big = run('end to end -> Arrow + DuckDB file', 'e2e_duckdb', path, ['-w', '1']);
const smallEvents = Math.max(1000, Math.floor(EVENTS / 10));
const small = run(`end to end -> Arrow + DuckDB, ${smallEvents} events`, 'e2e_duckdb_small', trace(smallEvents), ['-w', '1']);
results.rss_ratio_large_to_small = big.rss / small.rss;
console.log(`peak RSS ${EVENTS} vs ${smallEvents} events: ${big.rss} / ${small.rss} MiB = ${(big.rss / small.rss).toFixed(2)}`);

writeFileSync(JSON_OUT, `${JSON.stringify(results, null, 2)}\n`);
console.log(`figures written to ${JSON_OUT}`);
