// ras-replay oracle benchmark: the golden diff over a large Parquet outcome set, measured in one run.
//   npm run bench:oracle -- [--rows 100000000] [--json bench-results.json]
// Signals on 1% of events (a fleet trace is mostly corrected errors; consumed UEs are rare).
// Generates outcomes and signals as `run --parquet` lays them out (DuckDB, zstd), then times, each
// in a child process (wall time, peak RSS): `golden create --from outcomes` (Parquet) and
// `ras-replay diff` of mutated outcomes against it. Each is printed as rows/s and peak RSS and as a
// ratio to a plain DuckDB scan of the same files (its own process, measured in the same run), with
// the targets (diff ≥ 20M rows/s, golden create ≤ 1 GiB). Figures go to bench-results.json under
// "oracle", merged with what is there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Duck } from '../src/oracle/duck.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const ROWS = Number(arg('rows', '100000000'));
const JSON_OUT = arg('json', 'bench-results.json');
const ROOT = resolve(import.meta.dirname, '..');
// --bin: another build's CLI (e.g. an older checkout), to compare builds on the same files.
const BIN = resolve(arg('bin', join(ROOT, 'bin/ras-replay.js')));
const dir = join(tmpdir(), 'ras-replay-bench-oracle', `v2-${ROWS}`);
mkdirSync(dir, { recursive: true });
const results: Record<string, unknown> = { rows: ROWS, node: process.version, date: new Date().toISOString(), bin: BIN };
const fmt = (r: number) => `${(r / 1e6).toFixed(2)}M/s`;
const line = (name: string, v: string, extra = '') => console.log(`${name.padEnd(48)} ${v.padStart(12)}  ${extra}`);

const outcomes = (mut: boolean) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host,
    ${mut ? '(i % 97 = 0 OR i % 10000019 = 5)' : 'i % 97 = 0'} AS panic, NULL::VARCHAR AS panic_msg, false AS reboot_loop,
    CASE WHEN i % 97 = 0 THEN 'incomplete' ELSE 'none' END AS vmcore,
    CASE WHEN i % 7 = 0 THEN 'dirty LRU page' END AS mf_type, CASE WHEN i % 7 = 0 THEN 'Recovered' END AS mf_result,
    CASE WHEN i % 7 = 0 THEN 0 END AS mf_ret, i % 7 = 0 AS poisoned, i % 7 = 0 AS unmapped, 'none' AS guest_action,
    CASE WHEN i % 7 = 0 THEN 'x86.mce.ar.user.kill_me_maybe' ELSE 'x86.mca.corrected' END AS path FROM range(${ROWS}) r(i)`;
const signals = (mut: boolean) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host, 0::UTINYINT AS seq,
    (1000 + i % 50)::UINTEGER AS pid, (1000 + i % 50)::UINTEGER AS tid, 7::UTINYINT AS signo,
    ${mut ? 'CASE WHEN i % 10000000 = 700 THEN 5 ELSE 4 END' : '4'}::UTINYINT AS si_code, 0::UBIGINT AS addr, 12::UTINYINT AS addr_lsb
    FROM range(${ROWS}) r(i) WHERE i % 100 = 0`;

const db = await Duck.open(':memory:', { memoryLimit: '4GB' });
for (const [name, mut] of [['a', false], ['b', true]] as const) {
  for (const [t, q] of [['outcomes', outcomes(mut)], ['signals', signals(mut)]] as const) {
    const d = join(dir, name, 'parquet', t, 'profile=pre', 'shard=0');
    if (existsSync(join(d, 'part-0.parquet'))) continue;
    mkdirSync(d, { recursive: true });
    const t0 = performance.now();
    // Written beside its final name and renamed: a bench killed here leaves no partial file to reuse.
    await db.run(`COPY (${q}) TO '${join(d, 'part-0.parquet.tmp')}' (FORMAT parquet, COMPRESSION zstd)`);
    renameSync(join(d, 'part-0.parquet.tmp'), join(d, 'part-0.parquet'));
    line(`write ${name}/${t} Parquet`, `${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
db.close();

/** A command in a child process: wall time and peak RSS (GNU time). */
function timed(args: string[], bin: string[] = [BIN]): { s: number; rssMb: number; stdout: string; stderr: string; code: number | null } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, cwd: ROOT });
  const s = (performance.now() - t0) / 1000;
  const lines = r.stderr.trim().split('\n');
  const rss = Number(lines.pop()) / 1024;
  return { s, rssMb: rss, stdout: r.stdout, stderr: lines.join('\n'), code: r.status };
}

/**
 * The baseline: a plain DuckDB scan (its own process, default settings) reading `columns` of every
 * row of the given Parquet files, as the measured command reads them.
 */
function scan(files: { glob: string; columns: string[]; hive?: boolean }[]): { s: number; rssMb: number } {
  const q = files.map((f) => `(SELECT count(*) AS n, ${f.columns.map((c) => `count(${c})`).join(' + ')} AS v FROM read_parquet('${f.glob}'${f.hive ? ', hive_partitioning = true' : ''}))`);
  const js = `import { DuckDBInstance } from '@duckdb/node-api';
    const i = await DuckDBInstance.create(':memory:'); const c = await i.connect();
    await c.runAndReadAll(${JSON.stringify(`SELECT ${q.map((x, k) => `(SELECT n + v FROM ${x} t${k})`).join(' + ')}`)});`;
  const r = timed(['--input-type=module', '-e', js], []);
  if (r.code !== 0) throw new Error(`baseline scan failed: ${r.stderr}`);
  return { s: r.s, rssMb: r.rssMb };
}

const OUT_COLS = ['event_id', 'panic', 'reboot_loop', 'vmcore', 'mf_type', 'mf_result'];
const SIG_COLS = ['event_id', 'pid', 'tid', 'signo', 'si_code', 'addr_lsb'];
const report = (name: string, t: { s: number; rssMb: number }, base: { s: number; rssMb: number }) => {
  const rate = ROWS / t.s;
  const baseRate = ROWS / base.s;
  line(name, fmt(rate), `${t.s.toFixed(1)} s, peak RSS ${t.rssMb.toFixed(0)} MiB; baseline scan ${fmt(baseRate)}, ${base.rssMb.toFixed(0)} MiB: ratio ${(rate / baseRate).toFixed(2)} (rows/s), ${(t.rssMb / base.rssMb).toFixed(2)} (RSS)`);
  return {
    rows_per_s: rate, seconds: t.s, peak_rss_mib: t.rssMb,
    baseline_scan_rows_per_s: baseRate, baseline_scan_peak_rss_mib: base.rssMb,
    ratio_rows_per_s: rate / baseRate, ratio_peak_rss: t.rssMb / base.rssMb,
  };
};

// golden create --from outcomes: against a scan of the outcome and signal files it reads.
const golden = join(dir, 'golden.parquet');
rmSync(golden, { force: true });
rmSync(join(dir, 'golden.signals.parquet'), { force: true });
const createBase = scan([
  { glob: join(dir, 'a/parquet/outcomes/*/*/*.parquet'), columns: [...OUT_COLS, 'profile'], hive: true },
  { glob: join(dir, 'a/parquet/signals/*/*/*.parquet'), columns: [...SIG_COLS, 'profile'], hive: true },
]);
const c = timed(['golden', 'create', '--from', 'outcomes', join(dir, 'a'), '-o', golden]);
if (c.code !== 0) throw new Error(`golden create failed: ${c.stderr}`);
results.golden_create = report('golden create --from outcomes (Parquet)', c, createBase);
line('  target peak RSS ≤ 1024 MiB', c.rssMb <= 1024 ? 'met' : 'MISSED');

// diff: against a scan of both sides' files (outcomes and signals, golden events and signals).
const diffBase = scan([
  { glob: join(dir, 'b/parquet/outcomes/*/*/*.parquet'), columns: [...OUT_COLS, 'profile'], hive: true },
  { glob: join(dir, 'b/parquet/signals/*/*/*.parquet'), columns: [...SIG_COLS, 'profile'], hive: true },
  { glob: golden, columns: OUT_COLS },
  // A build writing the one-file layout has no signals file (its signals are in the events file).
  ...(existsSync(join(dir, 'golden.signals.parquet')) ? [{ glob: join(dir, 'golden.signals.parquet'), columns: [...SIG_COLS, 'lsb_any'] }] : []),
]);
const d = timed(['diff', join(dir, 'b'), '-g', golden, '--json']);
const r = JSON.parse(d.stdout);
results.diff = { ...report(`diff ${ROWS} rows vs Parquet golden (${r.join} join)`, d, diffBase), join: r.join, counts: r.total.counts, exit: d.code };
line('  target ≥ 20M rows/s', ROWS / d.s >= 20e6 ? 'met' : 'MISSED');
const dc = timed(['diff', join(dir, 'b'), '-g', golden, '--by', 'path', '--json']);
results.diff_by_path = report('diff --by path', dc, diffBase);

// bench-results.json is shared with `npm run bench`: merge under "oracle".
let all: Record<string, unknown> = {};
if (existsSync(JSON_OUT)) {
  try {
    all = JSON.parse(readFileSync(JSON_OUT, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new Error(`${JSON_OUT}: not JSON: fix or remove it`);
  }
}
all.oracle = results;
writeFileSync(JSON_OUT, `${JSON.stringify(all, null, 2)}\n`);
console.log(`figures written to ${JSON_OUT} (key "oracle")`);
