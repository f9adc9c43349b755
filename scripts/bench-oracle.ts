// ras-replay oracle benchmark: the golden diff over a large Parquet outcome set, measured in one run.
//   npm run bench:oracle -- [--rows 100000000] [--json bench-results.json]
// Signals on 1% of events (a fleet trace is mostly corrected errors; consumed UEs are rare).
// Generates outcomes and signals as `run --parquet` lays them out (DuckDB, zstd), then times, each
// in a child process (wall time, peak RSS): `golden create --from outcomes` (Parquet) and
// `ras-replay diff` of mutated outcomes against it. Each is printed as rows/s and peak RSS and as a
// ratio to a plain DuckDB scan of the same files (its own process, measured in the same run), with
// the targets (diff ≥ 20M rows/s, golden create ≤ 1 GiB). Figures go to bench-results.json under
// "oracle", merged with what is there.
// Beside each: CPU time, load average, and the fixed cost (the same command on 100k rows). A child
// that dies (signal, unexpected exit code) stops the bench with its stderr tail; so does a diff that
// does not find exactly the planted differences.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Duck } from '../src/oracle/duck.js';
import { checkBenchArgs } from './bench-args.js';


checkBenchArgs(import.meta.filename, 'bench:oracle', ['rows', 'json', 'bin']);
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

const outcomes = (mut: boolean, rows: number) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host,
    ${mut ? '(i % 97 = 0 OR i % 10000019 = 5)' : 'i % 97 = 0'} AS panic, NULL::VARCHAR AS panic_msg, false AS reboot_loop,
    CASE WHEN i % 97 = 0 THEN 'incomplete' ELSE 'none' END AS vmcore,
    CASE WHEN i % 7 = 0 THEN 'dirty LRU page' END AS mf_type, CASE WHEN i % 7 = 0 THEN 'Recovered' END AS mf_result,
    CASE WHEN i % 7 = 0 THEN 0 END AS mf_ret, i % 7 = 0 AS poisoned, i % 7 = 0 AS unmapped, 'none' AS guest_action,
    CASE WHEN i % 7 = 0 THEN 'x86.mce.ar.user.kill_me_maybe' ELSE 'x86.mca.corrected' END AS path FROM range(${rows}) r(i)`;
const signals = (mut: boolean, rows: number) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host, 0::UTINYINT AS seq,
    (1000 + i % 50)::UINTEGER AS pid, (1000 + i % 50)::UINTEGER AS tid, 7::UTINYINT AS signo,
    ${mut ? 'CASE WHEN i % 10000000 = 700 THEN 5 ELSE 4 END' : '4'}::UTINYINT AS si_code, 0::UBIGINT AS addr, 12::UTINYINT AS addr_lsb
    FROM range(${rows}) r(i) WHERE i % 100 = 0`;

// A death of this process is reported too, with the step it was in (a silent stop is a bug).
let phase = 'write Parquet';
for (const sig of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`bench-oracle: ${sig} during ${phase}`);
    process.exit(128 + (sig === 'SIGHUP' ? 1 : sig === 'SIGINT' ? 2 : 15));
  });
}
let finished = false;
process.on('exit', (code) => {
  if (!finished) console.error(`bench-oracle: stopped with exit code ${code} during ${phase}`);
});

// The fixed cost: the same commands on FIXED_ROWS rows (start-up, DuckDB load, metadata queries).
const FIXED_ROWS = 100_000;
const small = join(tmpdir(), 'ras-replay-bench-oracle', `v2-${FIXED_ROWS}`);
const db = await Duck.open(':memory:', { memoryLimit: '4GB' });
for (const [base, rows] of [[dir, ROWS], [small, FIXED_ROWS]] as const) {
  for (const [name, mut] of [['a', false], ['b', true]] as const) {
    for (const [t, q] of [['outcomes', outcomes(mut, rows)], ['signals', signals(mut, rows)]] as const) {
      const d = join(base, name, 'parquet', t, 'profile=pre', 'shard=0');
      if (existsSync(join(d, 'part-0.parquet'))) continue;
      mkdirSync(d, { recursive: true });
      const t0 = performance.now();
      // Written beside its final name and renamed: a bench killed here leaves no partial file to reuse.
      await db.run(`COPY (${q}) TO '${join(d, 'part-0.parquet.tmp')}' (FORMAT parquet, COMPRESSION zstd)`);
      renameSync(join(d, 'part-0.parquet.tmp'), join(d, 'part-0.parquet'));
      line(`write ${rows} ${name}/${t} Parquet`, `${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
}
db.close();

/**
 * A command in a child process: wall time, CPU time (user + sys) and peak RSS (GNU time), and the
 * load average when it ended. A child killed by a signal, or exiting with a code not in `ok`, stops
 * the bench with its name, signal or exit code and the tail of its stderr (a death is never silent).
 */
function timed(name: string, args: string[], ok: number[] = [0], bin: string[] = [BIN]) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %M %U %S', process.execPath, ...bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, cwd: ROOT });
  const s = (performance.now() - t0) / 1000;
  const lines = (r.stderr ?? '').trimEnd().split('\n');
  const tm = /^TIME (\d+) ([\d.]+) ([\d.]+)$/.exec(lines.at(-1) ?? '');
  if (tm) lines.pop();
  // GNU time reports the child's own death on the line before its figures.
  const death = /^Command (terminated by signal \d+|exited with non-zero status \d+)$/.exec(lines.at(-1) ?? '');
  if (death) lines.pop();
  const code = /status (\d+)$/.exec(death?.[1] ?? '') ? Number(/status (\d+)$/.exec(death![1]!)![1]) : r.status === 0 ? 0 : r.status;
  const signal = /signal (\d+)$/.exec(death?.[1] ?? '')?.[1] ?? r.signal;
  const stderr = lines.join('\n');
  if (r.error || signal || !tm || code === null || !ok.includes(code)) {
    const why = r.error ? `could not run (${r.error.message})` : signal ? `killed by signal ${signal}` : `exited with code ${code}`;
    console.error(`${name}: ${why} after ${s.toFixed(1)} s; stderr tail:\n${stderr.split('\n').slice(-20).join('\n')}`);
    throw new Error(`${name}: ${why}`);
  }
  return { s, cpu: Number(tm[2]) + Number(tm[3]), rssMb: Number(tm[1]) / 1024, load: loadavg()[0]!, stdout: r.stdout, stderr, code };
}

/**
 * The baseline: a plain DuckDB scan (its own process, default settings) reading `columns` of every
 * row of the given Parquet files, as the measured command reads them.
 */
function scan(name: string, files: { glob: string; columns: string[]; hive?: boolean }[]) {
  const q = files.map((f) => `(SELECT count(*) AS n, ${f.columns.map((c) => `count(${c})`).join(' + ')} AS v FROM read_parquet('${f.glob}'${f.hive ? ', hive_partitioning = true' : ''}))`);
  const js = `import { DuckDBInstance } from '@duckdb/node-api';
    const i = await DuckDBInstance.create(':memory:'); const c = await i.connect();
    await c.runAndReadAll(${JSON.stringify(`SELECT ${q.map((x, k) => `(SELECT n + v FROM ${x} t${k})`).join(' + ')}`)});`;
  return timed(name, ['--input-type=module', '-e', js], [0], []);
}

type Timed = ReturnType<typeof timed>;
const OUT_COLS = ['event_id', 'panic', 'reboot_loop', 'vmcore', 'mf_type', 'mf_result'];
const SIG_COLS = ['event_id', 'pid', 'tid', 'signo', 'si_code', 'addr_lsb'];
/**
 * One figure: rows/s over the wall time, and over the wall time less the command's fixed cost
 * (the same command on FIXED_ROWS rows: node, module and DuckDB load, metadata queries).
 */
const report = (name: string, t: Timed, base: Timed, fixed?: Timed) => {
  const rate = ROWS / t.s;
  const baseRate = ROWS / base.s;
  const perRow = fixed && t.s > fixed.s ? ROWS / (t.s - fixed.s) : null;
  line(name, fmt(rate), `${t.s.toFixed(1)} s wall, ${t.cpu.toFixed(1)} s CPU, peak RSS ${t.rssMb.toFixed(0)} MiB, load ${t.load.toFixed(2)}; baseline scan ${fmt(baseRate)} (${base.s.toFixed(1)} s, ${base.cpu.toFixed(1)} s CPU), ${base.rssMb.toFixed(0)} MiB: ratio ${(rate / baseRate).toFixed(2)} (rows/s), ${(t.rssMb / base.rssMb).toFixed(2)} (RSS)`);
  if (fixed) line('  fixed cost / per-row rate without it', `${fixed.s.toFixed(2)} s`, `${fixed.cpu.toFixed(2)} s CPU; ${perRow === null ? '-' : fmt(perRow)}`);
  return {
    rows_per_s: rate, seconds: t.s, cpu_seconds: t.cpu, peak_rss_mib: t.rssMb, load_average: t.load,
    baseline_scan_rows_per_s: baseRate, baseline_scan_seconds: base.s, baseline_scan_cpu_seconds: base.cpu, baseline_scan_peak_rss_mib: base.rssMb,
    ratio_rows_per_s: rate / baseRate, ratio_peak_rss: t.rssMb / base.rssMb,
    ...(fixed ? { fixed_seconds: fixed.s, fixed_cpu_seconds: fixed.cpu, rows_per_s_less_fixed: perRow } : {}),
  };
};

// golden create --from outcomes: against a scan of the outcome and signal files it reads.
phase = 'golden create';
const golden = join(dir, 'golden.parquet');
const smallGolden = join(small, 'golden.parquet');
for (const g of [golden, smallGolden]) {
  rmSync(g, { force: true });
  rmSync(g.replace(/\.parquet$/, '.signals.parquet'), { force: true });
}
const createBase = scan('baseline scan (golden create)', [
  { glob: join(dir, 'a/parquet/outcomes/*/*/*.parquet'), columns: [...OUT_COLS, 'profile'], hive: true },
  { glob: join(dir, 'a/parquet/signals/*/*/*.parquet'), columns: [...SIG_COLS, 'profile'], hive: true },
]);
const cFixed = timed('golden create (fixed cost)', ['golden', 'create', '--from', 'outcomes', join(small, 'a'), '-o', smallGolden]);
const c = timed('golden create', ['golden', 'create', '--from', 'outcomes', join(dir, 'a'), '-o', golden]);
results.golden_create = report('golden create --from outcomes (Parquet)', c, createBase, cFixed);
line('  target peak RSS ≤ 1024 MiB', c.rssMb <= 1024 ? 'met' : 'MISSED');

// diff: against a scan of both sides' files (outcomes and signals, golden events and signals).
// Exit 1 is the diff's answer (regressions found: the planted ones); anything else is a failure.
phase = 'diff';
const diffBase = scan('baseline scan (diff)', [
  { glob: join(dir, 'b/parquet/outcomes/*/*/*.parquet'), columns: [...OUT_COLS, 'profile'], hive: true },
  { glob: join(dir, 'b/parquet/signals/*/*/*.parquet'), columns: [...SIG_COLS, 'profile'], hive: true },
  { glob: golden, columns: OUT_COLS },
  // A build writing the one-file layout has no signals file (its signals are in the events file).
  ...(existsSync(join(dir, 'golden.signals.parquet')) ? [{ glob: join(dir, 'golden.signals.parquet'), columns: [...SIG_COLS, 'lsb_any'] }] : []),
]);
const dFixed = timed('diff (fixed cost)', ['diff', join(small, 'b'), '-g', smallGolden, '--json'], [0, 1]);
const d = timed('diff', ['diff', join(dir, 'b'), '-g', golden, '--json'], [0, 1]);
const r = JSON.parse(d.stdout) as { join: string; seconds: number; total: { counts: Record<string, number> } };
results.diff = { ...report(`diff ${ROWS} rows vs Parquet golden (${r.join} join)`, d, diffBase, dFixed), join: r.join, counts: r.total.counts, exit: d.code, query_seconds: r.seconds };
line('  of which the diff\'s queries', `${r.seconds.toFixed(2)} s`);
line('  target ≥ 20M rows/s', ROWS / d.s >= 20e6 ? 'met' : 'MISSED');
// The planted differences (see outcomes() and signals()): the diff must find exactly those.
const planted = { unexpected_panic: 0, si_code_wrong: 0 };
for (let i = 5; i < ROWS; i += 10000019) if (i % 97 !== 0) planted.unexpected_panic++;
for (let i = 700; i < ROWS; i += 10000000) planted.si_code_wrong++;
for (const [k, v] of Object.entries(planted)) {
  if (r.total.counts[k] !== v) throw new Error(`diff found ${r.total.counts[k]} ${k}, planted ${v}`);
}
if (Object.entries(r.total.counts).some(([k, v]) => v !== 0 && !(k in planted)) || d.code !== 1) {
  throw new Error(`diff: unexpected counts ${JSON.stringify(r.total.counts)} (exit ${d.code})`);
}
line('  planted differences found', 'yes', JSON.stringify(planted));
phase = 'diff --by path';
const dc = timed('diff --by path', ['diff', join(dir, 'b'), '-g', golden, '--by', 'path', '--json'], [0, 1]);
const dcFixed = timed('diff --by path (fixed cost)', ['diff', join(small, 'b'), '-g', smallGolden, '--by', 'path', '--json'], [0, 1]);
results.diff_by_path = report('diff --by path', dc, diffBase, dcFixed);

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
finished = true;
