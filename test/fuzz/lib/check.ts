// The contract of every fuzz input, and the loop that drives a target: the library call returns,
// or throws InputError whose message names the input (its file name or path) on one line. Anything
// else — another exception type, a message that names nothing, a call slower than the bound — is a
// failure, reported with the mutations that produced it.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  failures: Failure[];
  maxMs: number;
}

/** One input: null if the contract held, else the reason. */
export async function checkOne(t: Target, input: Input, dir: string, slowMs: number): Promise<{ verdict: 'accepted' | 'rejected' | 'failed'; reason?: string; ms: number }> {
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
  /** Save failing inputs here. */
  saveDir?: string;
  /** Stop at the first failure (CI). */
  stopOnFailure?: boolean;
}

export async function drive(t: Target, dir: string, o: DriveOptions): Promise<TargetStats> {
  const rng = new Rng(o.seed);
  const st: TargetStats = { target: t.name, inputs: 0, accepted: 0, rejected: 0, failures: [], maxMs: 0 };
  const work = join(dir, `w-${t.name}`);
  mkdirSync(work, { recursive: true });
  while (st.inputs < o.maxInputs && (o.until === undefined || Date.now() < o.until)) {
    const input = t.gen(rng, dir);
    // The input in flight, so that a hang (the run killed from outside) leaves it for a look.
    if (o.saveDir) {
      mkdirSync(o.saveDir, { recursive: true });
      writeFileSync(join(o.saveDir, `${t.name}.in-flight`), input.bytes);
    }
    const r = await checkOne(t, input, dir, o.slowMs ?? 10_000);
    st.inputs++;
    st.maxMs = Math.max(st.maxMs, r.ms);
    if (r.verdict === 'accepted') st.accepted++;
    else if (r.verdict === 'rejected') st.rejected++;
    else {
      let saved: string | null = null;
      if (o.saveDir && st.failures.length < 20) {
        mkdirSync(o.saveDir, { recursive: true });
        saved = join(o.saveDir, `${t.name}-${st.inputs}-${input.file.replace(/[/\\]/g, '_')}`);
        writeFileSync(saved, input.bytes);
      }
      st.failures.push({ target: t.name, how: input.how, error: r.reason!, saved });
      if (o.stopOnFailure) break;
    }
  }
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
