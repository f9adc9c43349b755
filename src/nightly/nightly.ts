// `ras-replay nightly`: every trace × profile of a config, golden diffs, compares, history, report.
//
// A night is built in `<output>/nights/.<night>.partial/` and renamed to `<output>/nights/<night>/`
// when complete, so a crash never leaves a half night where a whole one is expected. Every step
// writes its result atomically and is skipped when its result exists: a rerun after a crash resumes
// where the crash happened (`--restart` starts the night afresh). The store (history) is updated in
// one transaction per night, idempotently, before the rename. Folders leave their final names by a
// rename first (`.<night>.old` when `--restart` replaces a night, `.<night>.removing` for
// retention), so a kill never leaves half a night at a final name; the next command removes them.
// Children (`run`, `gen`) stop when the nightly that started them is gone (RAS_REPLAY_PARENT_PID).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/atomic.js';
import { jsonText } from '../io/json.js';
import { InputError } from '../io/errors.js';
import { loadProfile } from '../io/profile-file.js';
import type { Profile } from '../model/profiles.js';
import { TOOL_VERSION } from '../engine/run.js';
import { compareFiles, diffFiles } from '../oracle/commands.js';
import type { CompareResult } from '../oracle/compare.js';
import type { DiffResult } from '../oracle/diff.js';
import { createFromIdeal } from '../oracle/golden-create.js';
import { Duck } from '../oracle/duck.js';
import { writeReport } from '../report/html.js';
import { BisectSpec, loadConfig, NightlyConfig, PolicySweepSpec, TraceSpec } from './config.js';
import { BisectRecord, BisectRow, ingestNight, NightRecord, PolicyRow } from './store.js';
import { reportData } from './report-data.js';

// From the sources this module is src/nightly/nightly.ts; in the prebuilt bundle, a chunk in dist/.
const BIN = fileURLToPath(new URL(import.meta.url.endsWith('.mjs') ? '../bin/ras-replay.js' : '../../bin/ras-replay.js', import.meta.url));

export interface NightlyOptions {
  config: string;
  night?: string;
  restart?: boolean;
  log?: (line: string) => void;
}

export interface NightlySummary {
  night: string;
  folder: string;
  report: string;
  regressed: boolean;
  resumedSteps: number;
  lines: string[];
  alreadyComplete?: boolean;
  /** What the night recorded: its diffs (gated and distance) and compares. */
  record: NightRecord;
}

const json = (v: unknown) => jsonText(v, 2);
const revive = (_k: string, v: unknown) => (typeof v === 'string' && /^[0-9]+$/.test(v) && (_k === 'eventId') ? BigInt(v) : v);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Fault injection for the crash tests: RAS_REPLAY_FAULT=nightly-kill-after:N kills the process after N new steps. */
function faultAfter(): number | null {
  const m = /^nightly-kill-after:(\d+)$/.exec(process.env.RAS_REPLAY_FAULT ?? '');
  return m ? Number(m[1]) : null;
}

/** Run ras-replay in a child process (isolation: a native crash fails the step, not the night); its stdout. */
function child(args: string[], what: string): string {
  const env = { ...process.env, RAS_REPLAY_PARENT_PID: String(process.pid) };
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    const msg = `${what} failed (exit ${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).map((l) => l.replace(/^ras-replay: /, '')).join(' | ')}`;
    if (r.status === 2) throw new InputError(msg);
    throw new Error(msg);
  }
  return r.stdout;
}

export async function runNightly(o: NightlyOptions): Promise<NightlySummary> {
  const cfg = loadConfig(o.config);
  const log = o.log ?? (() => {});
  const night = o.night ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(night)) throw new InputError(`--night ${JSON.stringify(night)}: expected a date YYYY-MM-DD`);
  const profiles = cfg.profiles.map((p) => ({ ref: p, name: loadProfile(p).name }));
  // Bisect profiles are loaded before anything runs: a bad name fails the night at once, naming the key.
  const bisects = cfg.bisect.map((x, i) => {
    const load = (key: 'a' | 'b') => {
      try {
        return loadProfile(x[key]);
      } catch (e) {
        throw new InputError(`${cfg.file}: key bisect[${i}].${key}: ${(e as Error).message}`, cfg.file, undefined, `bisect[${i}].${key}`, { cause: e });
      }
    };
    const a = load('a');
    const b = load('b');
    if (a.name === b.name) throw new InputError(`${cfg.file}: key bisect[${i}]: profiles A and B are both named ${JSON.stringify(a.name)}`, cfg.file, undefined, `bisect[${i}]`);
    return { spec: x, a, b };
  });
  for (const t of cfg.traces) {
    if (t.trace && !existsSync(t.trace)) throw new InputError(`${cfg.file}: trace ${t.name}: ${t.trace}: no such file`, cfg.file);
    if (t.golden) {
      for (const p of profiles) {
        const g = t.golden.replace('{profile}', p.name);
        if (!existsSync(g)) throw new InputError(`${cfg.file}: trace ${t.name}: no golden file ${g} for profile ${p.name}`, cfg.file);
      }
    }
  }
  const nights = join(cfg.output, 'nights');
  const final = join(nights, night);
  const partial = join(nights, `.${night}.partial`);
  const old = join(nights, `.${night}.old`);
  mkdirSync(nights, { recursive: true });
  removeRemoving(nights);
  const lock = join(nights, `.${night}.lock`);
  const holder = lockHolder(lock);
  if (existsSync(final) && !o.restart) {
    // A complete night is not run twice: report it as recorded. What a killed `--restart` of it left
    // (its partial night, lock, the folder it was replacing) goes, unless that process still runs;
    // and the night is published if the kill came between its rename and its publication.
    if (holder === null) {
      for (const d of [partial, old, lock]) rmSync(d, { recursive: true, force: true });
      publish(cfg.output, night, true);
      applyRetention(nights, cfg.retention, log);
    }
    const rec = JSON.parse(readFileSync(join(final, 'summary.json'), 'utf8'), revive) as NightRecord;
    log(`night ${night} is already complete (--restart runs it again)`);
    return { night, folder: final, report: join(final, 'report.html'), regressed: rec.regressed, resumedSteps: 0, lines: summaryLines(rec), alreadyComplete: true, record: rec };
  }
  if (holder !== null) throw new InputError(`${lock}: night ${night} is being run by process ${holder}`, lock);
  writeFileAtomic(lock, String(process.pid));
  try {
    rmSync(old, { recursive: true, force: true });
    if (o.restart) rmSync(partial, { recursive: true, force: true });
    const resumed = existsSync(partial);
    mkdirSync(partial, { recursive: true });
    const startedFile = join(partial, 'started.json');
    if (!existsSync(startedFile)) writeFileAtomic(startedFile, json({ started_at: new Date().toISOString(), tool_version: TOOL_VERSION }));
    const startedAt = String((JSON.parse(readFileSync(startedFile, 'utf8')) as { started_at: string }).started_at);
    let resumedSteps = 0;
    let newSteps = 0;
    const kill = faultAfter();
    /** Run a step unless its result file exists; returns the result. */
    const step = async <T>(file: string, label: string, work: () => Promise<T> | T): Promise<T> => {
      if (existsSync(file)) {
        resumedSteps++;
        log(`resume  ${label} (done before)`);
        return JSON.parse(readFileSync(file, 'utf8'), revive) as T;
      }
      const t0 = performance.now();
      const r = await work();
      writeFileAtomic(file, json(r));
      log(`done    ${label} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      newSteps++;
      if (kill !== null && newSteps >= kill) process.kill(process.pid, 'SIGKILL');
      return r;
    };
    if (resumed) log(`resuming night ${night} from ${partial}`);
    for (const d of ['traces', 'runs', 'golden', 'diffs', 'compare', 'policy', 'bisect']) mkdirSync(join(partial, d), { recursive: true });

    const record: NightRecord = {
      night, startedAt, finishedAt: '', toolVersion: TOOL_VERSION, config: resolve(cfg.file), regressed: false, folder: final,
      runs: [], diffs: [], compares: [], policies: [], bisects: [],
    };
    for (const t of cfg.traces) {
      const traceFile = await traceOf(t, partial, step);
      const runDir = join(partial, 'runs', t.name);
      const run = await step(join(partial, 'runs', `${t.name}.json`), `run ${t.name} × ${profiles.map((p) => p.name).join(', ')}`, () => {
        rmSync(runDir, { recursive: true, force: true });
        const a = ['run', traceFile, '--out', runDir, '-q', '-w', String(cfg.workers), ...profiles.flatMap((p) => ['-p', p.ref])];
        const s = JSON.parse(child(a, `run ${t.name}`)) as { events: number; seconds: number; trace_sha256: string };
        return { events: s.events, seconds: s.seconds, traceSha256: s.trace_sha256 };
      });
      record.runs.push({ trace: t.name, traceFile, traceSha256: run.traceSha256, profiles: profiles.map((p) => p.name), events: run.events, seconds: run.seconds, db: join(final, 'runs', t.name, 'ras.duckdb'), readDb: join(runDir, 'ras.duckdb') });
      const explainTrace = /\.csv(\.gz)?$/.test(traceFile) ? traceFile : undefined;
      const goldens: { name: string; gate: boolean; file: (p: string) => string }[] = [];
      if (t.golden) goldens.push({ name: 'golden', gate: true, file: (p) => t.golden!.replace('{profile}', p) });
      if (t.ideal) {
        const ideal = join(partial, 'golden', `${t.name}.ideal.parquet`);
        await step(`${ideal}.json`, `ideal golden set for ${t.name}`, () => createFromIdeal(traceFile, ideal));
        goldens.push({ name: 'ideal', gate: false, file: () => ideal });
      }
      for (const g of goldens) {
        for (const p of profiles) {
          const res = await step(join(partial, 'diffs', `${t.name}__${p.name}__${g.name}.json`), `diff ${t.name} × ${p.name} vs ${g.name}`,
            () => diffFiles({ outcomes: runDir, golden: g.file(p.name), profile: p.name, by: ['path'], trace: explainTrace, examples: 3 }));
          record.diffs.push({ trace: t.name, golden: g.name, gate: g.gate, result: res as DiffResult });
          if (g.gate && res.regression) record.regressed = true;
        }
      }
      for (const [k, ps] of cfg.policy.entries()) {
        if (ps.trace !== t.name) continue;
        const rows = await step(join(partial, 'policy', `${t.name}__${k}.json`), `policy ${t.name}${ps.sweep ? ` ${ps.sweep}` : ''}`, () => policyRows(traceFile, ps));
        record.policies!.push({ trace: t.name, rows });
      }
      for (const [k, x] of bisects.entries()) {
        if (x.spec.trace !== t.name) continue;
        const rec = await step(join(partial, 'bisect', `${t.name}__${k}.json`), `bisect ${t.name}: ${x.a.name} → ${x.b.name}`, () => bisectRecord(traceFile, x.spec, x.a, x.b));
        record.bisects!.push(rec);
      }
      for (const [a, b] of cfg.compare) {
        const pa = loadProfile(a).name;
        const pb = loadProfile(b).name;
        const res = await step(join(partial, 'compare', `${t.name}__${pa}__${pb}.json`), `compare ${t.name}: ${pa} → ${pb}`, () => compareFiles({ source: runDir, a: pa, b: pb }));
        record.compares.push({ trace: t.name, result: res as CompareResult });
      }
    }
    record.finishedAt = new Date().toISOString();
    writeFileAtomic(join(partial, 'summary.json'), json({ ...record, runs: record.runs.map(({ readDb: _r, ...x }) => x) }));
    // History, then the report (its trend reads the history), then the night becomes visible.
    const store = await Duck.open(join(cfg.output, 'store.duckdb'), { memoryLimit: '1GB' });
    try {
      await ingestNight(store, record);
      await writeReport(join(partial, 'report.html'), await reportData(store, night, record.finishedAt));
    } finally {
      store.close();
    }
    // --restart of a complete night: the old one leaves its final name by a rename (whole), then goes.
    if (existsSync(final)) renameSync(final, old);
    renameSync(partial, final);
    rmSync(old, { recursive: true, force: true });
    publish(cfg.output, night, false);
    const report = join(final, 'report.html');
    applyRetention(nights, cfg.retention, log);
    return { night, folder: final, report, regressed: record.regressed, resumedSteps, lines: summaryLines(record), record };
  } finally {
    rmSync(lock, { force: true });
  }
}

async function traceOf(t: TraceSpec, partial: string, step: <T>(file: string, label: string, work: () => Promise<T> | T) => Promise<T>): Promise<string> {
  if (t.trace) return t.trace;
  const g = t.generate!;
  const out = join(partial, 'traces', `${t.name}.arrows`);
  await step(`${out}.json`, `generate ${t.name} (${g.mix}, ${g.hosts} hosts, ${g.days} days, seed ${g.seed})`, () => {
    child(['gen', '--mix', g.mix, ...(g.mixFile ? ['--mix-file', g.mixFile] : []), '--hosts', String(g.hosts), '--days', String(g.days), '--seed', String(g.seed), '-o', out], `generate ${t.name}`);
    return { file: out };
  });
  return out;
}

/** One sweep of page-offline policies over a trace, as stored rows. */
async function policyRows(trace: string, ps: PolicySweepSpec): Promise<PolicyRow[]> {
  const p = await import('../oracle/policy.js');
  const { runPolicies } = await import('../oracle/policy-run.js');
  let specs = p.defaultPolicies();
  if (ps.families) specs = specs.filter((s) => ps.families!.includes(s.family));
  specs = p.sweepSpecs(specs, ps.sweep ? p.parseSweep(ps.sweep).values : null);
  const rep = await runPolicies(trace, specs);
  return rep.results.map((r) => ({
    policy: r.policy.name, family: r.policy.family, threshold: r.policy.threshold, windowS: r.policy.windowS, action: r.policy.action, unit: r.policy.granularity,
    ues: r.ues, prevented: r.prevented, fatalUes: r.fatalUes, fatalPrevented: r.fatalPrevented, pagesOfflined: r.pagesOfflined, bytesOfflined: r.bytesOfflined, offlinesWithoutUe: r.offlinesWithoutUe,
  }));
}

/** A bisect A → B over a trace (in-process: it is replay and attribution, no native code), as stored. */
async function bisectRecord(trace: string, spec: BisectSpec, a: Profile, b: Profile): Promise<BisectRecord> {
  const { bisect } = await import('../oracle/bisect.js');
  const r = await bisect({ trace, a, b });
  const flip = new Map(r.flips.map((f) => [f.name, f]));
  const stableText = (name: string) => Object.entries(flip.get(name)!.stable).map(([line, rel]) => `${line}.y from ${rel}`).join(', ');
  const rows: BisectRow[] = [...r.singles, ...r.interactions].map((g) => {
    const fl = g.flips.map((n) => flip.get(n)!);
    const both = fl.length > 1;
    const dir = (d: string) => g.changes.filter((c) => c.direction === d).reduce((s, c) => s + c.count, 0);
    return {
      switch: fl[0]!.name, partner: both ? fl[1]!.name : null,
      title: fl.map((f) => f.title).join(' + '),
      commit: both ? fl.map((f) => f.commit ?? '—').join(' + ') : fl[0]!.commit,
      mainline: both ? fl.map((f) => f.mainline ?? '—').join(' + ') : fl[0]!.mainline,
      stable: fl.map((f) => stableText(f.name) || (both ? '—' : '')).join(both ? ' + ' : ''),
      from: fl.map((f) => f.from).join(' + '), to: fl.map((f) => f.to).join(' + '),
      events: g.events, better: dir('better'), worse: dir('worse'), changed: dir('changed'),
      examples: g.paths.flatMap((p) => p.examples.map((e) => String(e.eventId))).slice(0, 5).join(' '),
    };
  });
  return {
    trace: spec.trace, a: r.a, b: r.b, events: r.events, changedEvents: r.changedEvents, flips: r.flips.length,
    explainedBySingle: r.explainedBySingle, explainedByPair: r.explainedByPair, unexplained: r.unexplained.events,
    unexplainedReasons: r.unexplained.reasons.map((x) => `${x.count}: ${x.reason}`).join('; '), rows,
  };
}

function summaryLines(r: NightRecord): string[] {
  const lines: string[] = [];
  for (const d of r.diffs) {
    const c = d.result.total.counts;
    const diffs = Object.values(c).reduce((a, b) => a + b, 0);
    const tag = d.gate ? (d.result.regression ? 'REGRESSED' : 'ok       ') : 'distance ';
    lines.push(`${tag} ${d.trace} × ${d.result.profile} vs ${d.golden}: ${d.result.total.events} events, ${diffs} differences (unexpected panics ${c.unexpected_panic}, si_code ${c.si_code_wrong + c.lsb_wrong}, over-kill ${c.over_kill}, under-kill ${c.under_kill}, reboot loops ${c.reboot_loop_new})`);
  }
  for (const c of r.compares) lines.push(`compare  ${c.trace}: ${c.result.summary}`);
  for (const p of r.policies ?? []) {
    const best = [...p.rows].sort((a, b) => b.prevented - a.prevented || a.pagesOfflined - b.pagesOfflined)[0];
    if (best) lines.push(`policy   ${p.trace}: ${p.rows.length} policies; most UEs prevented: ${best.policy} (${best.prevented} of ${best.ues}, ${best.pagesOfflined} pages offlined)`);
  }
  for (const x of r.bisects ?? []) {
    const top = x.rows.find((g) => g.partner === null);
    lines.push(`bisect   ${x.trace}: ${x.a} → ${x.b}: ${x.changedEvents} events differ, ${x.flips} switches differ; explained by one switch ${x.explainedBySingle}, by an interaction of two ${x.explainedByPair}, unexplained ${x.unexplained}${top ? `; most: ${top.switch} (${top.events} events)` : ''}`);
  }
  return lines;
}

/**
 * `<output>/latest` names the night and `<output>/report.html` is its report. `repair`: only when
 * `latest` is missing or names an earlier night (a rerun of a night that was killed after its
 * rename and before this; a complete night run again leaves a later `latest` alone).
 */
function publish(output: string, night: string, repair: boolean): void {
  const latestFile = join(output, 'latest');
  if (repair) {
    let latest = '';
    try {
      latest = readFileSync(latestFile, 'utf8').trim();
    } catch {
      // missing: publish
    }
    if (latest >= night && existsSync(join(output, 'nights', latest))) return;
  }
  writeFileAtomic(latestFile, `${night}\n`);
  writeFileAtomic(join(output, 'report.html'), readFileSync(join(output, 'nights', night, 'report.html')));
}

/** The pid in a night's lock file if that process runs (and is not this one), else null. */
function lockHolder(lock: string): number | null {
  let pid = 0;
  try {
    pid = Number(readFileSync(lock, 'utf8'));
  } catch {
    return null;
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : null;
}

/** Folders that retention had renamed away and not finished removing (the process was killed). */
function removeRemoving(nights: string): void {
  for (const d of readdirSync(nights)) if (/^\.\d{4}-\d{2}-\d{2}\.removing$/.test(d)) rmSync(join(nights, d), { recursive: true, force: true });
}

/**
 * Keep the newest `keep` complete nights; remove older folders (the store keeps their history). A
 * folder leaves its final name by a rename before it is removed, so a kill never leaves half a night.
 */
function applyRetention(nights: string, keep: number, log: (l: string) => void): void {
  const done = readdirSync(nights).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
  for (const d of done.slice(0, Math.max(0, done.length - keep))) {
    const gone = join(nights, `.${d}.removing`);
    renameSync(join(nights, d), gone);
    rmSync(gone, { recursive: true, force: true });
    log(`retention: removed ${join(nights, d)}`);
  }
}

export type { NightlyConfig };
