// The long fuzz run's plan (scripts/fuzz.ts): options, the time share of each target, the seed of
// each slice of each job, and the merge of the jobs' per-target figures into one table. Pure
// functions, so that test/fuzz/plan.test.ts checks them without running a target.
import { Command, CommanderError } from 'commander';
import { addStats, emptyStats, TargetStats } from './check.js';

export type Shares = 'time' | 'cost';

export interface FuzzOptions {
  /** Wall-clock bound (minutes); null with `--budget inputs=N` alone. */
  minutes: number | null;
  /** Inputs in all (over every job and target); null: run for `minutes`. */
  inputs: number | null;
  jobs: number;
  targets: string[];
  seed: number;
  shares: Shares;
  /** Base slice (seconds): a target of share 1 runs this long before the next one. */
  slice: number;
  save: string;
  json: string;
  /** Seconds without a finished slice after which a job is taken to hang (and is killed). */
  hang: number;
  /** `target seed index` of an in-flight note: write that input again and exit. */
  extract: string | null;
}

const positive = (flag: string, v: string, whole = false): number => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n) || (whole && !Number.isSafeInteger(n))) throw new Error(`${flag} ${v}: expected a positive ${whole ? 'whole number' : 'number'}`);
  return n;
};

/** `--help`: the usage text, thrown so that the caller prints it and exits 0 (not an error). */
export class FuzzHelp extends Error {}

/** `npm run fuzz -- …` arguments (without node and the script). Throws Error with one line on bad ones, FuzzHelp for --help. */
export function parseFuzzArgs(argv: string[], targetNames: string[]): FuzzOptions {
  const c = new Command('fuzz')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .option('--minutes <n>', 'how long to run (default 1, or unbounded with --budget)')
    .option('--budget <spec>', 'stop after this many inputs in all: inputs=N')
    .option('--jobs <n>', 'child processes, each with its own seed stream', '1')
    .option('--target <names>', `only these targets (comma-separated): ${targetNames.join(', ')}`)
    .option('--seed <n>', 'first random seed', '1')
    .option('--shares <how>', 'time share per target: time (equal slices) or cost (slices ∝ 1/√cost: cheap targets get more time)', 'time')
    .option('--slice <s>', 'seconds per slice of a share-1 target', '5')
    .option('--hang <s>', 'seconds without a finished slice before a job is killed as hung', '180')
    .option('--save <dir>', 'save failing inputs here', 'artifacts/fuzz-failures')
    .option('--json <file>', 'the results as JSON', 'artifacts/fuzz-results.json')
    .option('--extract <note>', 'write the input of an in-flight note ("target seed index") to --save and exit');
  let o: Record<string, string | undefined>;
  try {
    o = c.parse(argv, { from: 'user' }).opts();
  } catch (e) {
    if (e instanceof CommanderError && e.code === 'commander.helpDisplayed') throw new FuzzHelp(c.helpInformation());
    if (e instanceof CommanderError) throw new Error(e.message.replace(/^error: /, ''));
    throw e;
  }
  let inputs: number | null = null;
  if (o.budget !== undefined) {
    const m = /^inputs=(\d+)$/.exec(o.budget);
    if (!m || !(Number(m[1]) > 0)) throw new Error(`--budget ${o.budget}: expected inputs=N (N > 0)`);
    inputs = Number(m[1]);
  }
  const minutes = o.minutes !== undefined ? positive('--minutes', o.minutes) : inputs === null ? 1 : null;
  const jobs = positive('--jobs', o.jobs!, true);
  if (jobs > 16) throw new Error(`--jobs ${o.jobs}: expected at most 16`);
  const targets = o.target ? o.target.split(',').map((n) => {
    if (!targetNames.includes(n)) throw new Error(`--target ${n}: expected one of ${targetNames.join(', ')}`);
    return n;
  }) : [...targetNames];
  const seed = Number(o.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed ${o.seed}: expected a whole number ≥ 0`);
  if (o.shares !== 'time' && o.shares !== 'cost') throw new Error(`--shares ${o.shares}: expected time or cost`);
  return {
    minutes, inputs, jobs, targets, seed, shares: o.shares, slice: positive('--slice', o.slice!), hang: positive('--hang', o.hang!),
    save: o.save!, json: o.json!, extract: o.extract ?? null,
  };
}

/** Slice length (ms) of a target: equal for `time`, ∝ 1/√cost (the cheapest at the full slice) for `cost`. */
export function sliceMs(cost: number, shares: Shares, sliceS: number, minCost = 1): number {
  const w = shares === 'time' ? 1 : Math.sqrt(minCost / cost);
  return Math.round(sliceS * 1000 * w);
}

/**
 * The seed of slice `i` of job `job` of `jobs`: the streams of two jobs never share a seed
 * (seed + job, seed + job + jobs, …), and job 0 of a one-job run gives the seeds of the old loop.
 */
export const sliceSeed = (seed: number, job: number, jobs: number, i: number): number => seed + job + i * jobs;

/** The inputs job `job` of `jobs` tries under `--budget inputs=N` (the jobs' shares add up to N). */
export const jobInputs = (inputs: number, job: number, jobs: number): number => Math.floor(inputs / jobs) + (job < inputs % jobs ? 1 : 0);

/** Per-target figures of every job (and every restart of one) merged into one row per target, in `order`. */
export function mergeJobStats(parts: TargetStats[][], order: string[]): TargetStats[] {
  const by = new Map(order.map((t) => [t, emptyStats(t)]));
  for (const part of parts) {
    for (const s of part) {
      if (!by.has(s.target)) by.set(s.target, emptyStats(s.target));
      addStats(by.get(s.target)!, s);
    }
  }
  return [...by.values()];
}

export interface Row {
  target: string;
  inputs: number;
  accepted: number;
  rejected: number;
  failed: number;
  max_ms: number;
  leftovers: number;
  /** Inputs per second of wall time spent in the target (one job's rate; jobs run side by side). */
  per_s: number;
  /** Inputs per CPU-second of the process (the figure that holds on a loaded machine). */
  per_cpu_s: number;
}

export function rows(stats: TargetStats[]): Row[] {
  return stats.map((x) => ({
    target: x.target, inputs: x.inputs, accepted: x.accepted, rejected: x.rejected, failed: x.failed, max_ms: Math.round(x.maxMs), leftovers: x.leftovers.length,
    per_s: x.ms > 0 ? Math.round((x.inputs * 1000) / x.ms) : 0, per_cpu_s: x.cpuMs > 0 ? Math.round((x.inputs * 1000) / x.cpuMs) : 0,
  }));
}

export function formatRows(rs: Row[]): string {
  const head = `${'target'.padEnd(20)} ${'inputs'.padStart(9)} ${'accepted'.padStart(9)} ${'rejected'.padStart(9)} ${'failed'.padStart(6)} ${'slowest'.padStart(9)} ${'leftovers'.padStart(9)} ${'inputs/s'.padStart(8)} ${'/cpu-s'.padStart(7)}`;
  const line = (r: Row) => `${r.target.padEnd(20)} ${String(r.inputs).padStart(9)} ${String(r.accepted).padStart(9)} ${String(r.rejected).padStart(9)} ${String(r.failed).padStart(6)} ${`${r.max_ms} ms`.padStart(9)} ${String(r.leftovers).padStart(9)} ${String(r.per_s).padStart(8)} ${String(r.per_cpu_s).padStart(7)}`;
  return [head, ...rs.map(line)].join('\n') + '\n';
}
