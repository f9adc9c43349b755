// Crash safety at random points: the real CLI is SIGKILLed at a random moment of `run` (Arrow +
// DuckDB + Parquet), `import`, `golden accept` and `nightly`, then checked: every file at a final name is complete and valid,
// the DuckDB database opens with its previous complete state (the runs it had), a rerun gives
// outcome files identical to an uninterrupted run, and once the rerun is done no temporary file is
// left in the output folder or in $TMPDIR. SIGINT and SIGTERM stop with a one-line message.
// RAS_KILLS=N sets the kills per command (CI: 3; long mode: 20 or more).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RecordBatchReader } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { Duck } from '../../src/oracle/duck.js';
import { Rng } from './lib/mutate.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/ras-replay.js');
const KILLS = Number(process.env.RAS_KILLS ?? 3);
const base = mkdtempSync(join(tmpdir(), 'ras-fuzz-kill-'));
/** The children's own $TMPDIR, so their leftovers can be counted on a shared machine. */
const childTmp = join(base, 'tmp');
mkdirSync(childTmp);
const env = { ...process.env, CI: 'true', NO_COLOR: '1', TMPDIR: childTmp };

function runCli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Start the CLI and SIGKILL it after `ms`; resolves with how it ended. */
function killAfter(args: string[], ms: number, signal: NodeJS.Signals = 'SIGKILL', ready?: () => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env });
    let stderr = '';
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    let t: NodeJS.Timeout;
    const poll = () => { t = ready && !ready() ? setTimeout(poll, 20) : setTimeout(() => c.kill(signal), ms); };
    poll();
    c.on('exit', (code, sig) => { clearTimeout(t); res({ code, signal: sig, stderr }); });
  });
}

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else out.push(p.slice(dir.length + 1));
    }
  };
  walk(dir);
  return out.sort();
}

/** A final Arrow stream must read to its end-of-stream marker. */
function arrowComplete(p: string): boolean {
  const b = readFileSync(p);
  if (b.length < 8 || b.readUInt32LE(b.length - 8) !== 0xffffffff || b.readUInt32LE(b.length - 4) !== 0) return false;
  for (const x of RecordBatchReader.from(b)) void x;
  return true;
}

const temps = (names: string[]) => names.filter((f) => /\.tmp-\d+|\.scratch|\.duckdb-spill/.test(f));

describe('SIGKILL at random points', () => {
  const trace = join(ROOT, 'traces/x86.csv');
  const ref = join(base, 'ref');
  let refMs = 0;
  beforeAll(() => {
    const t0 = Date.now();
    const r = runCli(['run', trace, '-p', 'pre', '-p', 'post', '-o', ref, '--parquet', '-q', '-w', '1']);
    refMs = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);

  it(`run (Arrow + DuckDB + Parquet): ${KILLS} kills, then a rerun equals the uninterrupted run`, async () => {
    const rng = new Rng(0xdead);
    const out = join(base, 'run');
    // A first complete run: the database's previous complete state is one run.
    expect(runCli(['run', trace, '-p', 'pre', '-p', 'post', '-o', out, '--parquet', '-q', '-w', '1']).code).toBe(0);
    for (let k = 0; k < KILLS; k++) {
      // The folder holds a run (the first one, or a killed rerun that got to its end): a rerun into it
      // needs --replace (runs are never mixed in one folder), which removes the earlier outputs first.
      const r = await killAfter(['run', trace, '-p', 'pre', '-p', 'post', '-o', out, '--parquet', '-q', '-w', '1', '--replace'], 200 + rng.int(Math.max(1, refMs)));
      const names = files(out);
      for (const f of names.filter((n) => n.endsWith('.arrows'))) expect(arrowComplete(join(out, f)), `${f} after kill ${k} (${r.signal ?? r.code})`).toBe(true);
      if (!existsSync(join(out, 'ras.duckdb'))) continue; // killed after --replace removed the earlier run, before a new database
      const db = await Duck.open(join(out, 'ras.duckdb'), { readOnly: true });
      try {
        // The schema commits as one transaction: all of the run tables or none (a kill during
        // `--replace`, after the earlier run was removed, may leave a database with no table yet).
        const tables = Number(await db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('runs', 'run_profiles', 'hosts', 'outcome_rows', 'signal_rows', 'trace_events')"));
        expect([0, 6], `tables in the database after kill ${k} (${r.signal ?? r.code})`).toContain(tables);
        if (tables === 0) continue;
        const runs = Number(await db.scalar('SELECT count(*) FROM runs'));
        // Each run either committed whole (its outcomes all there) or not at all.
        expect(Number(await db.scalar('SELECT count(*) FROM outcome_rows'))).toBe(runs * 126 * 2 /* traces/x86.csv rows × 2 profiles */);
        // A Parquet file at its final name holds what the uninterrupted run's file holds.
        for (const f of names.filter((n) => n.endsWith('.parquet'))) {
          const q = (p: string) => `SELECT count(*) FROM read_parquet('${p}')`;
          expect(Number(await db.scalar(q(join(out, f)))), f).toBe(Number(await db.scalar(q(join(ref, f)))));
        }
      } finally {
        db.close();
      }
    }
    const r = runCli(['run', trace, '-p', 'pre', '-p', 'post', '-o', out, '--parquet', '-q', '-w', '1', '--replace']);
    expect(r.code, r.stderr).toBe(0);
    const names = files(out);
    expect(temps(names), 'temporaries left in the output folder after the rerun').toEqual([]);
    for (const f of files(ref).filter((n) => n.endsWith('.arrows'))) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(ref, f))), `${f} equals the uninterrupted run`).toBe(true);
    }
    expect(readdirSync(childTmp).filter((f) => f.startsWith('ras-replay-')), 'ras-replay folders left in $TMPDIR').toEqual([]);
  }, 900_000);

  it(`import: ${KILLS} kills leave no trace at the final name unless complete`, async () => {
    const rng = new Rng(0xbeef);
    const dir = join(base, 'imp');
    mkdirSync(dir);
    const out = join(dir, 'x86.arrows');
    for (let k = 0; k < KILLS; k++) {
      await killAfter(['import', 'test/fixtures/import/trace-cmd.txt', '-o', out], 200 + rng.int(Math.max(1, refMs)));
      if (existsSync(out)) {
        expect(arrowComplete(out)).toBe(true);
        expect(existsSync(join(dir, 'x86.observed.parquet')), 'the trace appears only with its observed outcomes').toBe(true);
      }
    }
    const r = runCli(['import', 'test/fixtures/import/trace-cmd.txt', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(arrowComplete(out)).toBe(true);
    expect(statSync(out).size).toBeGreaterThan(0);
  }, 900_000);

  it(`golden accept: ${KILLS} kills leave every golden file whole; a rerun equals an uninterrupted accept`, async () => {
    const { cpSync, writeFileSync } = await import('node:fs');
    const rng = new Rng(0xacce);
    // A root with the x86 suite whose post golden file has one row changed: `golden check --update
    // new` (CI unset) puts the replayed row in post.golden.pending for review.
    const mk = (name: string) => {
      const root = join(base, name);
      mkdirSync(join(root, 'traces'), { recursive: true });
      cpSync(join(ROOT, 'traces/x86.csv'), join(root, 'traces/x86.csv'));
      cpSync(join(ROOT, 'golden/x86'), join(root, 'golden/x86'), { recursive: true });
      const g = join(root, 'golden/x86/post.golden');
      const lines = readFileSync(g, 'utf8').split('\n');
      const i = lines.findIndex((l) => /^\d+\t/.test(l));
      const cells = lines[i]!.split('\t');
      cells[1] = cells[1] === 'true' ? 'false' : 'true'; // the panic column
      lines[i] = cells.join('\t');
      writeFileSync(g, lines.join('\n'));
      const c = spawnSync(process.execPath, [BIN, 'golden', 'check', '--root', root, '-s', 'x86', '-p', 'post', '--update', 'new'], { cwd: ROOT, encoding: 'utf8', env: { ...env, CI: '' } });
      expect(existsSync(`${g}.pending`), c.stdout + c.stderr).toBe(true);
      return root;
    };
    const refRoot = mk('gold-ref');
    const acc = (root: string) => ['golden', 'accept', '--root', root, '-s', 'x86', '-p', 'post', '--all'];
    expect(spawnSync(process.execPath, [BIN, ...acc(refRoot)], { cwd: ROOT, env: { ...env, CI: '' } }).status).toBe(0);
    const { parseGolden } = await import('../../src/oracle/golden.js');
    const root = mk('gold');
    const dir = join(root, 'golden/x86');
    for (let k = 0; k < KILLS; k++) {
      await new Promise<void>((res) => {
        const c = spawn(process.execPath, [BIN, ...acc(root)], { cwd: ROOT, env: { ...env, CI: '' } });
        const t = setTimeout(() => c.kill('SIGKILL'), 200 + rng.int(Math.max(1, refMs)));
        c.on('exit', () => { clearTimeout(t); res(); });
      });
      for (const f of readdirSync(dir).filter((n) => /\.golden(\.pending)?$/.test(n))) parseGolden(readFileSync(join(dir, f), 'utf8'), f);
    }
    expect(spawnSync(process.execPath, [BIN, ...acc(root)], { cwd: ROOT, env: { ...env, CI: '' } }).status).toBeLessThan(3);
    expect(readFileSync(join(dir, 'post.golden'), 'utf8')).toBe(readFileSync(join(refRoot, 'golden/x86/post.golden'), 'utf8'));
    expect(existsSync(join(dir, 'post.golden.pending'))).toBe(false);
    // Temporaries of a killed write are removed by the next command that reads the file.
    spawnSync(process.execPath, [BIN, 'golden', 'check', '--root', root, '-s', 'x86', '-p', 'post', '--update', 'all'], { cwd: ROOT, env: { ...env, CI: '' } });
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-')).filter((n) => n.startsWith('post.golden'))).toEqual([]);
  }, 900_000);

  it('SIGTERM and SIGINT stop with a one-line message and exit 128 + signal', async () => {
    for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      // A signal before main() has installed its handlers (the loader still starting) ends the
      // process the default way; so the signal goes once the run has made its output folder.
      let seen = false;
      for (let attempt = 0; attempt < 3; attempt++) {
        const out = join(base, `sig-${sig}-${attempt}`);
        const r = await killAfter(['run', trace, '-p', 'pre', '-p', 'post', '-o', out, '--parquet', '-q', '-w', '1'], 0, sig, () => existsSync(out));
        if (r.code === 0) continue; // finished first
        expect(r.code, r.stderr).toBe(code);
        expect(r.stderr).toMatch(new RegExp(`^ras-replay: stopped by ${sig}: .*\\n$`));
        seen = true;
        break;
      }
      expect(seen, `a ${sig} delivered while the run was running`).toBe(true);
    }
  }, 300_000);
});

describe('SIGKILL of nightly at random points', () => {
  // A small night (a few seconds): the x86 suite under pre and post against its golden files and the
  // ideal policy, a compare, a policy sweep and a bisect: every kind of step but `generate` (a
  // generated trace costs half a minute here; it is one more child writing one file atomically).
  const project = (name: string) => {
    const dir = join(base, name);
    mkdirSync(join(dir, 'golden'), { recursive: true });
    writeFileSync(join(dir, 'x86.csv'), readFileSync(join(ROOT, 'traces/x86.csv')));
    for (const p of ['pre', 'post']) writeFileSync(join(dir, 'golden', `${p}.golden`), readFileSync(join(ROOT, `golden/x86/${p}.golden`)));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      output: 'out', retention: 1, profiles: ['pre', 'post'], workers: 1,
      traces: [{ name: 'x86', trace: 'x86.csv', golden: 'golden/{profile}.golden', ideal: true }],
      compare: [['pre', 'post']], policy: [{ trace: 'x86', sweep: 'threshold=1..20/4' }], bisect: [{ trace: 'x86', a: 'pre', b: 'post' }],
    }));
    return { dir, out: join(dir, 'out') };
  };
  const nightly = (dir: string, night: string, extra: string[] = []) => ['nightly', '-c', join(dir, 'config.json'), '--night', night, '-q', ...extra];
  const runIn = (dir: string, args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const killIn = (dir: string, args: string[], ms: number) => new Promise<{ pid: number; code: number | null; signal: NodeJS.Signals | null }>((res) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: 'ignore' });
    const t = setTimeout(() => c.kill('SIGKILL'), ms);
    c.on('exit', (code, signal) => { clearTimeout(t); res({ pid: c.pid!, code, signal }); });
  });
  /** Processes started by the nightly `pid` (its `run` and `gen` children carry RAS_REPLAY_PARENT_PID). */
  const childrenOf = (pid: number): number[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(`RAS_REPLAY_PARENT_PID=${pid}`);
    } catch {
      return false; // gone meanwhile, or not ours
    }
  }).map(Number);
  /** Every night-keyed table of the store; the columns that differ between equal runs (times, durations) left out. */
  const TABLES: Record<string, string> = {
    nights: 'night, tool_version, config, regressed, folder',
    night_runs: '* EXCLUDE (seconds)',
    path_counts: '*', diff_totals: '*', diff_results: '*', compare_changes: '*', examples: '*', policy_results: '*', bisect_runs: '*', bisect_results: '*',
  };
  /** A night's rows, table by table, sorted, with its folder and date written as placeholders. */
  const nightRows = async (db: Duck, dir: string, night: string): Promise<Record<string, string[]>> => {
    const out: Record<string, string[]> = {};
    for (const [t, cols] of Object.entries(TABLES)) {
      const rows = await db.rows(`SELECT ${cols} FROM ${t} WHERE night = '${night}'`);
      out[t] = rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).split(dir).join('<dir>').split(night).join('<night>')).sort();
    }
    return out;
  };
  const ref = { night: '2026-11-20', rows: {} as Record<string, string[]>, ms: 0 };
  beforeAll(async () => {
    const p = project('nightly-ref');
    const t0 = Date.now();
    const r = runIn(p.dir, nightly(p.dir, ref.night));
    ref.ms = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    const db = await Duck.open(join(p.out, 'store.duckdb'), { readOnly: true });
    try {
      ref.rows = await nightRows(db, p.dir, ref.night);
    } finally {
      db.close();
    }
    for (const [t, rows] of Object.entries(ref.rows)) expect(rows.length, `${t} rows of an uninterrupted night`).toBeGreaterThan(0);
  }, 300_000);

  it(`nightly: ${KILLS} kills; the store keeps whole nights; a rerun records what an uninterrupted night does`, async () => {
    const rng = new Rng(0x5eed);
    const p = project('nightly');
    const nights = join(p.out, 'nights');
    const night = '2026-11-21';
    // The previous complete state: one whole night.
    expect(runIn(p.dir, nightly(p.dir, ref.night)).code).toBe(0);
    const checkWhole = async (when: string) => {
      // A night folder at its final name is complete; the previous night is untouched.
      for (const d of readdirSync(nights).filter((n) => /^\d{4}-\d{2}-\d{2}$/.test(n))) {
        const s = JSON.parse(readFileSync(join(nights, d, 'summary.json'), 'utf8')) as { night: string };
        expect(s.night, `${d}/summary.json ${when}`).toBe(d);
        expect(readFileSync(join(nights, d, 'report.html'), 'utf8'), `${d}/report.html ${when}`).toMatch(/<\/html>\s*$/);
        expect(existsSync(join(nights, d, 'runs', 'x86', 'ras.duckdb')), `${d}: its run database ${when}`).toBe(true);
      }
      // Retention keeps one night: the previous one goes once the new one is complete.
      expect(existsSync(join(nights, ref.night)) || existsSync(join(nights, night)), `the previous night ${when}`).toBe(true);
      const latest = readFileSync(join(p.out, 'latest'), 'utf8').trim();
      // (`--restart` replacing a night renames the old one away, then the new one in: between the two
      // renames, the night is the whole partial one.)
      expect(existsSync(join(nights, latest)) || existsSync(join(nights, `.${latest}.partial`, 'summary.json')), `latest (${latest}) names a whole night ${when}`).toBe(true);
      expect(readFileSync(join(p.out, 'report.html'), 'utf8'), `report.html ${when}`).toMatch(/<\/html>\s*$/);
      // The store opens; every night it records is whole (all of its rows, as an uninterrupted night has).
      const db = await Duck.open(join(p.out, 'store.duckdb'), { readOnly: true });
      try {
        const recorded = (await db.rows('SELECT night FROM nights ORDER BY night')).map((r) => String(r.night));
        expect(recorded[0], `the previous night in the store ${when}`).toBe(ref.night);
        expect([[ref.night], [ref.night, night]], `nights in the store ${when}`).toContainEqual(recorded);
        for (const n of recorded) expect(await nightRows(db, p.dir, n), `night ${n} in the store ${when}`).toEqual(ref.rows);
      } finally {
        db.close();
      }
    };
    const tally = { killed: 0, finished: 0, restarts: 0, orphansStopped: 0 };
    for (let k = 0; k < KILLS; k++) {
      // Once the night has completed, the next kills hit `--restart` (which replaces it).
      const again = existsSync(join(nights, night)) ? ['--restart'] : [];
      if (again.length) tally.restarts++;
      // Within an uninterrupted night's time (even kills), or up to twice it (odd ones: a resumed
      // night restarts the tool first, so some come too late and the night completes; the next
      // kills hit `--restart` and retention).
      const span = (k % 2 === 0 ? 1 : 2) * ref.ms;
      const r = await killIn(p.dir, nightly(p.dir, night, again), 300 + rng.int(Math.max(1, span)));
      if (r.signal === 'SIGKILL') tally.killed++;
      else {
        expect(r.code, `a night not killed (kill ${k}) ends well`).toBe(0);
        tally.finished++;
      }
      // A child the nightly had started (a run, say) stops within a moment instead of writing on.
      let orphans = childrenOf(r.pid);
      if (orphans.length) tally.orphansStopped++;
      for (let w = 0; w < 50 && orphans.length; w++) {
        await new Promise((res) => setTimeout(res, 100));
        orphans = childrenOf(r.pid);
      }
      expect(orphans, `children of the killed nightly still running 5 s after kill ${k}`).toEqual([]);
      await checkWhole(`after kill ${k} (${again.join(' ')} ${r.signal ?? `exit ${r.code}`})`);
    }
    console.log(`nightly kills: ${JSON.stringify(tally)} (uninterrupted night ${ref.ms} ms)`);
    expect(tally.killed, 'kills that landed while the night ran').toBeGreaterThan(0);
    const r = runIn(p.dir, nightly(p.dir, night));
    expect(r.code, r.stderr).toBe(0);
    await checkWhole('after the rerun');
    expect(readFileSync(join(p.out, 'latest'), 'utf8')).toBe(`${night}\n`);
    expect(readFileSync(join(p.out, 'report.html'), 'utf8'), 'report.html is the night\'s report').toBe(readFileSync(join(nights, night, 'report.html'), 'utf8'));
    expect(readdirSync(nights).filter((d) => !d.startsWith('.')), 'retention keeps one night').toEqual([night]);
    const db = await Duck.open(join(p.out, 'store.duckdb'), { readOnly: true });
    try {
      expect((await db.rows('SELECT night FROM nights ORDER BY night')).map((x) => String(x.night))).toEqual([ref.night, night]);
    } finally {
      db.close();
    }
    // No temporaries: in the output folder (partial nights, locks, temp files) and in $TMPDIR.
    expect(files(p.out).filter((f) => /\.tmp-\d+|\.partial|\.lock|\.old|\.removing|\.scratch|\.duckdb-spill|\.ras-replay-duck-/.test(f)), 'temporaries left in the output folder').toEqual([]);
    expect(readdirSync(childTmp).filter((f) => f.startsWith('ras-replay-')), 'ras-replay folders left in $TMPDIR').toEqual([]);
  }, 1_800_000);
});
