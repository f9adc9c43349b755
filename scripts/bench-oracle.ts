// ras-replay oracle benchmark: the golden diff over a large Parquet outcome set, measured in one run.
//   npm run bench:oracle -- [--rows 100000000] [--json bench-oracle.json]
// Signals on 1% of events (a fleet trace is mostly corrected errors; consumed UEs are rare).
// Generates outcomes and signals as `run --parquet` lays them out (DuckDB, zstd), creates a Parquet
// golden set from them (`golden create --from outcomes`), mutates a few outcomes, then times
// `ras-replay diff` in a child process (wall time and peak RSS) and prints rows/s against the
// ≥ 20M rows/s target, plus a DuckDB scan of the same files as the baseline.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Duck } from '../src/oracle/duck.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const ROWS = Number(arg('rows', '100000000'));
const JSON_OUT = arg('json', 'bench-oracle-results.json');
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/ras-replay.js');
const dir = join(tmpdir(), 'ras-replay-bench-oracle', String(ROWS));
mkdirSync(dir, { recursive: true });
const results: Record<string, unknown> = { rows: ROWS, node: process.version, date: new Date().toISOString() };
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
    ${mut ? 'CASE WHEN i % 10000019 = 7 THEN 5 ELSE 4 END' : '4'}::UTINYINT AS si_code, 0::UBIGINT AS addr, 12::UTINYINT AS addr_lsb
    FROM range(${ROWS}) r(i) WHERE i % 100 = 0`;

const db = await Duck.open(':memory:', { memoryLimit: '4GB' });
for (const [name, mut] of [['a', false], ['b', true]] as const) {
  for (const [t, q] of [['outcomes', outcomes(mut)], ['signals', signals(mut)]] as const) {
    const d = join(dir, name, 'parquet', t, 'profile=pre', 'shard=0');
    if (existsSync(join(d, 'part-0.parquet'))) continue;
    mkdirSync(d, { recursive: true });
    const t0 = performance.now();
    await db.run(`COPY (${q}) TO '${join(d, 'part-0.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
    line(`write ${name}/${t} Parquet`, `${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
// Baseline: DuckDB reads the compared columns of both sides once.
{
  const t0 = performance.now();
  await db.run(`SELECT count(*), sum(panic::INT), sum(reboot_loop::INT) FROM read_parquet('${join(dir, 'b/parquet/outcomes/*/*/*.parquet')}')`);
  const s = (performance.now() - t0) / 1000;
  results.baseline_scan_rows_per_s = ROWS / s;
  line('baseline: DuckDB scan of the outcome columns', fmt(ROWS / s));
}
db.close();

function timed(args: string[]): { s: number; rssMb: number; stdout: string; code: number | null } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const s = (performance.now() - t0) / 1000;
  const rss = Number(r.stderr.trim().split('\n').pop()) / 1024;
  return { s, rssMb: rss, stdout: r.stdout, code: r.status };
}

const golden = join(dir, 'golden.parquet');
if (!existsSync(golden)) {
  const c = timed(['golden', 'create', '--from', 'outcomes', join(dir, 'a'), '-o', golden]);
  results.golden_create_rows_per_s = ROWS / c.s;
  line('golden create --from outcomes (Parquet)', fmt(ROWS / c.s), `peak RSS ${c.rssMb.toFixed(0)} MiB`);
}
const d = timed(['diff', join(dir, 'b'), '-g', golden, '--json']);
const r = JSON.parse(d.stdout);
results.diff_rows_per_s = ROWS / d.s;
results.diff_peak_rss_mb = d.rssMb;
results.diff_join = r.join;
results.diff_counts = r.total.counts;
line(`diff ${ROWS} rows vs Parquet golden (${r.join} join)`, fmt(ROWS / d.s), `${d.s.toFixed(1)} s, exit ${d.code}, peak RSS ${d.rssMb.toFixed(0)} MiB`);
line('  target ≥ 20M rows/s', (ROWS / d.s >= 20e6 ? 'met' : 'MISSED'), `ratio to baseline scan ${((ROWS / d.s) / (results.baseline_scan_rows_per_s as number)).toFixed(2)}`);
const dc = timed(['diff', join(dir, 'b'), '-g', golden, '--by', 'path', '--json']);
results.diff_by_path_rows_per_s = ROWS / dc.s;
line('diff --by path', fmt(ROWS / dc.s), `${dc.s.toFixed(1)} s, peak RSS ${dc.rssMb.toFixed(0)} MiB`);
writeFileSync(JSON_OUT, JSON.stringify(results, null, 2));
console.log(`results: ${JSON_OUT}`);
