// `npm run fuzz -- --minutes N [--jobs J] [--budget inputs=N] [--shares time|cost] [--target a,b]
// [--seed S] [--save DIR] [--json FILE]`: runs the fuzz targets of test/fuzz/ round-robin (each
// target in slices of a few seconds) in J child processes with disjoint seed streams, then prints
// one table: per target the inputs tried, accepted, rejected with InputError, failed, the slowest
// input, the temporary files left and the rate; the same goes to FILE as JSON. Exit 1 if any input
// failed or anything was left.
//
// The parent watches its children: a child that finishes no slice for --hang seconds is killed
// and its in-flight input counted as a hang, a child that dies (out of memory, a native crash) as
// a crash; both inputs are written again from their in-flight note (`--extract`) and the job
// goes on from its next slice.
import { ChildProcess, fork } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drive, emptyStats, inFlightName, regenerate, session, TargetStats } from '../test/fuzz/lib/check.js';
import { formatRows, FuzzHelp, FuzzOptions, jobInputs, mergeJobStats, parseFuzzArgs, rows, sliceMs, sliceSeed } from '../test/fuzz/lib/plan.js';
import { TARGETS } from '../test/fuzz/lib/targets.js';

const SCRIPT = fileURLToPath(import.meta.url);
const NAMES = TARGETS.map((t) => t.name);

/** What the parent tells a child (in RAS_FUZZ_CHILD). */
interface ChildPlan {
  job: number;
  startSlice: number;
  /** Stop at this time (ms since epoch), or null. */
  until: number | null;
  /** Stop after this many inputs, or null. */
  maxInputs: number | null;
}

type ChildMessage =
  | { type: 'start'; slice: number; target: string; seed: number }
  | { type: 'slice'; slice: number; stats: TargetStats }
  | { type: 'done' };

/** Set by SIGINT/SIGTERM (or the parent's `stop`): finish the input in flight, report, exit. */
let stopping = false;

const send = (m: ChildMessage): Promise<void> => new Promise((res) => process.send!(m, () => res()));

async function child(o: FuzzOptions, plan: ChildPlan): Promise<void> {
  const targets = o.targets.map((n) => TARGETS.find((t) => t.name === n)!);
  const minCost = Math.min(...targets.map((t) => t.cost));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { stopping = true; });
  process.on('message', (m: { type?: string }) => { if (m?.type === 'stop') stopping = true; });
  const s = await session(targets);
  try {
    let slice = plan.startSlice;
    let n = 0;
    const more = () => !stopping && (plan.until === null || Date.now() < plan.until) && (plan.maxInputs === null || n < plan.maxInputs);
    // Slice k of the job runs target k mod T (so a restart at slice k resumes the same rotation).
    while (more()) {
      const t = targets[slice % targets.length]!;
      const seed = sliceSeed(o.seed, plan.job, o.jobs, slice);
      await send({ type: 'start', slice, target: t.name, seed });
      const sliceEnd = Date.now() + sliceMs(t.cost, o.shares, o.slice, minCost);
      const st = await drive(t, s.dir, {
        seed, maxInputs: plan.maxInputs === null ? Infinity : plan.maxInputs - n, until: plan.until === null ? sliceEnd : Math.min(plan.until, sliceEnd),
        slowMs: 30_000, saveDir: o.save, job: plan.job, stop: () => stopping,
      });
      n += st.inputs;
      await send({ type: 'slice', slice, stats: st });
      slice++;
    }
  } finally {
    s.dispose();
  }
  await send({ type: 'done' });
  process.disconnect();
}

/** `--extract "target seed index"`: the input of an in-flight note, written to --save. */
async function extract(o: FuzzOptions, note: string): Promise<string> {
  const [name, seed, index] = note.trim().split(/\s+/);
  const t = TARGETS.find((x) => x.name === name);
  if (!t || !(Number(seed) >= 0) || !(Number(index) >= 0)) throw new Error(`--extract ${JSON.stringify(note)}: expected "target seed index" (an in-flight note)`);
  const s = await session([t]);
  try {
    const input = regenerate(t, s.dir, Number(seed), Number(index));
    mkdirSync(o.save, { recursive: true });
    const p = join(o.save, `${t.name}-${seed}-${index}-${input.file.replace(/[/\\]/g, '_')}`);
    writeFileSync(p, input.bytes);
    return p;
  } finally {
    s.dispose();
  }
}

interface JobResult {
  parts: TargetStats[];
  /** The $TMPDIR of each run of the job that exited by itself (the leftover check looks there). */
  cleanTmps: string[];
  restarts: number;
}

/** The running children (told to stop on SIGINT/SIGTERM of the parent). */
const live = new Set<ChildProcess>();

/** One job: a child process, restarted after a hang or a crash at its next slice. */
function runJob(o: FuzzOptions, job: number, root: string, end: number | null, onSlice: (n: number) => void): Promise<JobResult> {
  const res: JobResult = { parts: [], cleanTmps: [], restarts: 0 };
  let startSlice = 0;
  let left = o.inputs === null ? null : jobInputs(o.inputs, job, o.jobs);
  return new Promise((resolve, reject) => {
    const start = () => {
      const tmp = join(root, `job${job}-${res.restarts}`);
      mkdirSync(tmp, { recursive: true });
      const plan: ChildPlan = { job, startSlice, until: end, maxInputs: left };
      if (stopping) { resolve(res); return; }
      const c = fork(SCRIPT, process.argv.slice(2), { env: { ...process.env, TMPDIR: tmp, RAS_FUZZ_CHILD: JSON.stringify(plan) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      live.add(c);
      let current: { slice: number; target: string; seed: number } | null = null;
      let last = Date.now();
      let done = false;
      let hung = false;
      // The bound runs from the start of the slice in flight; before the first one (loading, the
      // seeds' setup) it is at least 10 minutes.
      const watch = setInterval(() => {
        const bound = current || res.parts.length ? o.hang : Math.max(o.hang, 600);
        if (Date.now() - last > bound * 1000) { hung = true; c.kill('SIGKILL'); }
      }, 1000);
      c.on('message', (m: ChildMessage) => {
        if (m.type === 'start') { current = m; last = Date.now(); }
        else if (m.type === 'slice') {
          last = Date.now();
          res.parts.push(m.stats);
          startSlice = m.slice + 1;
          if (left !== null) left -= m.stats.inputs;
          onSlice(m.stats.inputs);
          current = null;
        } else if (m.type === 'done') done = true;
      });
      c.on('error', reject);
      c.on('exit', (code, signal) => {
        clearInterval(watch);
        live.delete(c);
        if (done && code === 0) { res.cleanTmps.push(tmp); resolve(res); return; }
        // A hang or a crash: the input in flight fails; the job goes on from its next slice.
        const target = current?.target ?? 'harness';
        const notePath = join(o.save, inFlightName(target, job));
        const note = existsSync(notePath) ? readFileSync(notePath, 'utf8').trim() : null;
        const st = emptyStats(target);
        st.inputs = 1; st.failed = 1;
        const why = hung ? `hang: the slice did not finish within ${o.hang} s of its start` : `crash: the job exited with ${signal ?? `code ${code}`}`;
        st.failures.push({ target, how: [hung ? 'hang' : 'crash'], error: `${why}; in flight: ${note ?? '(no note)'}`, saved: note });
        res.parts.push(st);
        res.restarts++;
        if (current) startSlice = current.slice + 1;
        const more = !stopping && (end === null || Date.now() < end) && (left === null || left > 0) && res.restarts <= 20;
        if (more) start(); else resolve(res);
      });
    };
    start();
  });
}

async function main(): Promise<void> {
  const o = parseFuzzArgs(process.argv.slice(2), NAMES);
  const childPlan = process.env.RAS_FUZZ_CHILD;
  if (childPlan) return child(o, JSON.parse(childPlan) as ChildPlan);
  if (o.extract) { process.stdout.write(`${await extract(o, o.extract)}\n`); return; }

  // A private $TMPDIR per job, so the leftover count sees only this run's files (the machine is
  // shared); in memory where there is a tmpfs: rewriting an input file per input on a disk (ext4
  // with discard) cost more CPU than parsing it.
  const root = mkdtempSync(join(memTmp() ?? tmpdir(), 'ras-replay-fuzz-tmp-'));
  const t0 = Date.now();
  const end = o.minutes === null ? null : t0 + o.minutes * 60_000;
  const loadStart = loadavg();
  // SIGINT/SIGTERM: the jobs finish their input in flight and report; the table covers what ran.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (!stopping) process.stderr.write(`fuzz: ${sig}: stopping after the inputs in flight\n`);
      stopping = true;
      for (const c of live) if (c.connected) c.send({ type: 'stop' });
    });
  }
  let n = 0;
  let lastPrint = t0;
  const jobs = await Promise.all([...Array(o.jobs).keys()].map((k) => runJob(o, k, root, end, (x) => {
    n += x;
    if (Date.now() - lastPrint > 60_000) {
      lastPrint = Date.now();
      process.stderr.write(`fuzz: ${((Date.now() - t0) / 60_000).toFixed(1)} min, ${n} inputs, load ${loadavg()[0]!.toFixed(1)}\n`);
    }
  })));
  const minutes = (Date.now() - t0) / 60_000;
  const loadEnd = loadavg();
  const stats = mergeJobStats(jobs.map((j) => j.parts), o.targets);
  // Hang and crash inputs: written again from their in-flight notes.
  for (const f of stats.flatMap((s) => s.failures)) {
    if (!f.how.includes('hang') && !f.how.includes('crash')) continue;
    if (!f.saved) continue;
    try { f.saved = await extractInChild(f.saved); } catch (e) { f.saved = `(not extracted: ${(e as Error).message})`; }
  }
  // What the children left in their $TMPDIR after a clean exit (their session folders are removed).
  // (tsx-N is the TypeScript loader's compile cache of the children, not ras-replay's.)
  const after = jobs.flatMap((j) => j.cleanTmps.flatMap((d) => readdirSync(d).filter((f) => !/^tsx-\d+$/.test(f)).map((f) => join(d, f))));
  const rs = rows(stats);
  const total = rs.reduce((a, r) => a + r.inputs, 0);
  const failed = rs.reduce((a, r) => a + r.failed, 0);
  const leftovers = [...new Set([...stats.flatMap((s) => s.leftovers), ...after])];
  process.stdout.write(formatRows(rs));
  const load = `load average ${loadStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${loadEnd.map((x) => x.toFixed(2)).join(' ')} at the end`;
  process.stdout.write(`total: ${total} inputs in ${minutes.toFixed(1)} min (${Math.round(total / (minutes * 60))}/s) with ${o.jobs} job${o.jobs > 1 ? 's' : ''}${stopping ? ' (stopped by a signal)' : ''}, ${failed} failed, ${leftovers.length} leftovers${leftovers.length ? ` (${leftovers.slice(0, 5).join(', ')})` : ''}; ${load}\n`);
  for (const x of stats) for (const f of x.failures.slice(0, 3)) process.stdout.write(`  ${f.target} [${f.how.join('+')}]${f.saved ? ` ${f.saved}` : ''}: ${f.error.split('\n').slice(0, 3).join(' | ')}\n`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(dirname(o.json), { recursive: true });
  writeFileSync(o.json, `${JSON.stringify({ minutes, stopped: stopping, jobs: o.jobs, shares: o.shares, seed: o.seed, total, failed, leftovers, load_start: loadStart, load_end: loadEnd, targets: rs, failures: stats.flatMap((x) => x.failures) }, null, 2)}\n`);
  process.exitCode = failed || leftovers.length ? 1 : 0;
}

function memTmp(): string | null {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return statSync('/dev/shm').isDirectory() ? '/dev/shm' : null;
  } catch {
    return null;
  }
}

/** `--extract` in a child of its own (the seeds of one target only). */
function extractInChild(note: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = process.argv.slice(2).filter((a, i, xs) => a !== '--extract' && xs[i - 1] !== '--extract');
    const c = fork(SCRIPT, [...args, '--extract', note], { env: { ...process.env, RAS_FUZZ_CHILD: '' }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    c.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`extract exited with ${code}`))));
  });
}


main().then(() => process.exit(process.exitCode ?? 0), (e) => {
  if (e instanceof FuzzHelp) {
    process.stdout.write(e.message);
    process.exit(0);
  }
  process.stderr.write(`fuzz: ${(e as Error).message}\n`);
  if (!(e instanceof Error) || !/^--/.test(e.message)) process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(e instanceof Error && /^--/.test(e.message) ? 2 : 70);
});
