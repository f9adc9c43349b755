// The contract of every fuzz input, and the loop that drives a target: the library call returns,
// or throws InputError whose message names the input (its file name or path) on one line. Anything
// else — another exception type, a message that names nothing, a call slower than the bound — is a
// failure, reported with the mutations that produced it.
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '../../../src/io/errors.js';
import { Rng } from './mutate.js';
import { Input, prepare, Target } from './targets.js';

export interface Failure {
  target: string;
  how: string[];
  error: string;
  /** Where the failing input was saved (long mode), or null. */
  saved: string | null;
}

export interface TargetStats {
  target: string;
  inputs: number;
  accepted: number;
  rejected: number;
  /** Inputs that broke the contract (`failures` keeps the first few of them). */
  failed: number;
  failures: Failure[];
  maxMs: number;
  /** Wall and CPU time spent in this target (generation and checks). */
  ms: number;
  cpuMs: number;
  /** Temporary files and folders left after a slice of this target ($TMPDIR, the work folder). */
  leftovers: string[];
}

export const emptyStats = (target: string): TargetStats => ({ target, inputs: 0, accepted: 0, rejected: 0, failed: 0, failures: [], maxMs: 0, ms: 0, cpuMs: 0, leftovers: [] });

/** Add `b` into `a` (same target): counts and times summed, the slowest kept, failures up to `keep`. */
export function addStats(a: TargetStats, b: TargetStats, keep = 20): TargetStats {
  a.inputs += b.inputs; a.accepted += b.accepted; a.rejected += b.rejected; a.failed += b.failed;
  a.maxMs = Math.max(a.maxMs, b.maxMs); a.ms += b.ms; a.cpuMs += b.cpuMs;
  a.failures.push(...b.failures.slice(0, Math.max(0, keep - a.failures.length)));
  a.leftovers.push(...b.leftovers.filter((f) => !a.leftovers.includes(f)));
  return a;
}

/** RSS bound of a fuzz process (MiB): past it after an input, that input fails ("memory"). */
export const RSS_BOUND_MB = 2048;

let checked = 0;

/** One input: null if the contract held, else the reason. */
export async function checkOne(t: Target, input: Input, dir: string, slowMs: number, rssMb = RSS_BOUND_MB): Promise<{ verdict: 'accepted' | 'rejected' | 'failed'; reason?: string; ms: number }> {
  const r = await checkContract(t, input, dir, slowMs);
  // Reading the RSS costs more than a cheap input: it is read after every input that took 2 ms or
  // more (growing past the bound takes far longer) and after every 16th (a slow leak).
  if (r.verdict !== 'failed' && (r.ms >= 2 || (++checked & 15) === 0)) {
    const rss = process.memoryUsage.rss() / 2 ** 20;
    if (rss > rssMb) return { verdict: 'failed', reason: `memory: ${rss.toFixed(0)} MiB resident after the input (bound ${rssMb} MiB)`, ms: r.ms };
  }
  return r;
}

async function checkContract(t: Target, input: Input, dir: string, slowMs: number): Promise<{ verdict: 'accepted' | 'rejected' | 'failed'; reason?: string; ms: number }> {
  const t0 = performance.now();
  try {
    await t.run(input, dir);
  } catch (e) {
    const ms = performance.now() - t0;
    if (!(e instanceof InputError)) return { verdict: 'failed', reason: `${(e as Error)?.constructor?.name ?? typeof e}: ${(e as Error)?.stack ?? String(e)}`, ms };
    const name = basename(input.file);
    const msg = e.message;
    // The message must name the place: the input file (or, for SQL, say it is an SQL error).
    if (!msg.includes(name) && !msg.startsWith('SQL error') && !msg.startsWith('sql:')) return { verdict: 'failed', reason: `InputError without the file name ${name}: ${msg}`, ms };
    if (ms > slowMs) return { verdict: 'failed', reason: `slow: ${ms.toFixed(0)} ms (bound ${slowMs} ms)`, ms };
    return { verdict: 'rejected', ms };
  }
  const ms = performance.now() - t0;
  if (ms > slowMs) return { verdict: 'failed', reason: `slow: ${ms.toFixed(0)} ms (bound ${slowMs} ms)`, ms };
  return { verdict: 'accepted', ms };
}

export interface DriveOptions {
  seed: number;
  /** Stop after this many inputs... */
  maxInputs: number;
  /** ...or at this time (ms since epoch). */
  until?: number;
  slowMs?: number;
  rssMb?: number;
  /** Save failing inputs here (and the in-flight note, `<target>.in-flight`). */
  saveDir?: string;
  /** Stop at the first failure (CI). */
  stopOnFailure?: boolean;
  /** The job number of a `--jobs N` run (names its in-flight note). */
  job?: number;
  /** Stop before the next input once this says so (SIGINT/SIGTERM of a long run). */
  stop?: () => boolean;
}

/**
 * The input in flight, as a note `target seed index` rewritten in place (one small positioned
 * write per input, not the input's bytes): a run killed from outside on a hang leaves it, and
 * `regenerate` (npm run fuzz -- --extract NOTE) writes that input's bytes again.
 */
class InFlight {
  private fd: number;
  private buf = Buffer.alloc(160);
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  set(target: string, seed: number, index: number): void {
    this.buf.fill(0x20);
    this.buf.write(`${target} ${seed} ${index}`);
    writeSync(this.fd, this.buf, 0, this.buf.length, 0);
  }
  close(): void {
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }
}

/** The inputs of `drive(t, …, { seed })` are a pure function of (target, seed): the index-th again. */
export function regenerate(t: Target, dir: string, seed: number, index: number): Input {
  const rng = new Rng(seed);
  let input = t.gen(rng, dir);
  for (let i = 0; i < index; i++) input = t.gen(rng, dir);
  return input;
}

/** Temporary names a command may leave in a folder it wrote (writeFileAtomic, merge, DuckDB). */
const TEMP_NAME = /\.tmp-\d+-\d+|\.tmp$|^\.ras-replay-duck-/;

function tempsIn(dir: string, depth = 2): string[] {
  const out: string[] = [];
  let ents;
  try { ents = readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of ents) {
    const p = join(dir, e.name);
    if (TEMP_NAME.test(e.name)) out.push(p);
    else if (e.isDirectory() && depth > 0) out.push(...tempsIn(p, depth - 1));
  }
  return out;
}

export const inFlightName = (target: string, job?: number): string => `${target}${job === undefined ? '' : `.job${job}`}.in-flight`;

export async function drive(t: Target, dir: string, o: DriveOptions): Promise<TargetStats> {
  const rng = new Rng(o.seed);
  const st = emptyStats(t.name);
  const work = join(dir, `w-${t.name}`);
  mkdirSync(work, { recursive: true });
  const before = new Set([...tmpLeftovers(), ...tempsIn(dir, 3)]);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let inFlight: InFlight | null = null;
  if (o.saveDir) {
    mkdirSync(o.saveDir, { recursive: true });
    inFlight = new InFlight(join(o.saveDir, inFlightName(t.name, o.job)));
  }
  try {
    while (st.inputs < o.maxInputs && (o.until === undefined || Date.now() < o.until) && !o.stop?.()) {
      const input = t.gen(rng, dir);
      inFlight?.set(t.name, o.seed, st.inputs);
      const r = await checkOne(t, input, dir, o.slowMs ?? 10_000, o.rssMb);
      st.inputs++;
      st.maxMs = Math.max(st.maxMs, r.ms);
      if (r.verdict === 'accepted') st.accepted++;
      else if (r.verdict === 'rejected') st.rejected++;
      else {
        st.failed++;
        let saved: string | null = null;
        if (o.saveDir && st.failures.length < 20) {
          saved = join(o.saveDir, `${t.name}-${o.seed}-${st.inputs - 1}-${input.file.replace(/[/\\]/g, '_')}`);
          writeFileSync(saved, input.bytes);
        }
        if (st.failures.length < 20) st.failures.push({ target: t.name, how: input.how, error: r.reason!, saved });
        if (o.stopOnFailure) break;
      }
    }
  } finally {
    t.finish?.();
    inFlight?.close();
  }
  const c = process.cpuUsage(c0);
  st.ms = performance.now() - t0;
  st.cpuMs = (c.user + c.system) / 1000;
  st.leftovers = [...tmpLeftovers().map((f) => join(tmpdir(), f)), ...tempsIn(dir, 3)].filter((f) => !before.has(f) && !before.has(basename(f)));
  return st;
}

/** A scratch folder for a fuzz session, with the seeds prepared. */
export async function session(targets: Target[]): Promise<{ dir: string; dispose: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ras-replay-fuzz-'));
  await prepare(dir, targets);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Entries of `$TMPDIR` that ras-replay creates (spill folders, scratch files). */
export function tmpLeftovers(): string[] {
  return readdirSync(tmpdir()).filter((f) => /^ras-replay-(duck|gold|rasdaemon)-/.test(f));
}
