// A full disk: a small tmpfs (`mount -t tmpfs -o size=…`, root or CAP_SYS_ADMIN) as the output of
// `run` (Arrow + DuckDB + Parquet), of `import`, and as the nightly folder. Each command must exit 2
// with one line naming a file there and saying the disk is full (ENOSPC), leave nothing
// half-written at a final name and no temporary (in the folder or in $TMPDIR); the nightly store
// keeps its earlier nights whole, and a rerun once there is room completes the night. Without the
// right to mount, the tests are skipped with the reason.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { Duck } from '../../src/oracle/duck.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/ras-replay.js');
const base = mkdtempSync(join(tmpdir(), 'ras-full-disk-'));
const childTmp = join(base, 'tmp');
mkdirSync(childTmp);
const env = { ...process.env, CI: 'true', NO_COLOR: '1', TMPDIR: childTmp };

const cli = (args: string[], cwd = ROOT) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Mount a tmpfs of `size` on a fresh folder; null and the reason when mounting is refused. */
function mount(size: string): { dir: string } | { refused: string } {
  const dir = mkdtempSync(join(base, `mnt-${size}-`));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { refused: `mount -t tmpfs refused (needs root or CAP_SYS_ADMIN): ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}` };
  return { dir };
}
function umount(dir: string): void {
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
}
/** Run `body` on a tmpfs of `size`, unmounted whatever happens; skips the test when mounting is refused. */
async function onTmpfs(ctx: TestContext, size: string, body: (dir: string) => Promise<void> | void): Promise<void> {
  const m = mount(size);
  if ('refused' in m) return ctx.skip(m.refused);
  try {
    await body(m.dir);
  } finally {
    umount(m.dir);
  }
}

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else out.push(p.slice(dir.length + 1));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}
const bytes = (dir: string) => files(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
const TEMP = /\.tmp-\d+|\.scratch|\.duckdb-spill|\.ras-replay-duck-|\.lock$/;

/** Exit 2 and one line: `ras-replay: FILE: cannot write: the disk is full (ENOSPC…` with FILE under `dir`. */
function expectDiskFull(r: { code: number | null; stderr: string }, dir: string, what: string): void {
  expect(r.code, `${what}: ${r.stderr}`).toBe(2);
  expect(r.stderr.split('\n'), `${what}: one line`).toHaveLength(2);
  const m = /^ras-replay: (?:.*?: )?(\/\S+): cannot write: the disk is full \(ENOSPC: no space left on device\)/.exec(r.stderr);
  expect(m, `${what}: the message names the file and says the disk is full: ${r.stderr}`).not.toBeNull();
  expect(m![1]!.startsWith(`${dir}/`), `${what}: the named file ${m![1]} is on the full disk`).toBe(true);
  expect(m![1], `${what}: the final name, not a temporary`).not.toMatch(TEMP);
}
const noTmpdirLeftovers = (what: string) => expect(readdirSync(childTmp).filter((f) => f.startsWith('ras-replay-')), `${what}: ras-replay folders left in $TMPDIR`).toEqual([]);

describe('a full disk', () => {
  const trace = join(ROOT, 'traces/x86.csv');
  const runArgs = (out: string, extra: string[] = []) => ['run', trace, '-p', 'pre', '-p', 'post', '-o', out, '--parquet', '-q', '-w', '1', ...extra];

  it('run (Arrow + DuckDB + Parquet) into a tmpfs too small for its outputs: exit 2 naming the file, nothing left', async (ctx) => {
    // The outputs of an uninterrupted run take more than the largest disk tried, so each run fails
    // somewhere (DuckDB's log, its checkpoint, a Parquet export, an Arrow stream: sizes pick the place).
    const ref = join(base, 'ref');
    expect(cli(runArgs(ref)).code).toBe(0);
    const need = bytes(ref);
    expect(need, 'the uninterrupted run outputs').toBeGreaterThan(1 << 20);
    for (const size of ['16k', '64k', '256k', '1m']) {
      await onTmpfs(ctx, size, (dir) => {
        const r = cli(runArgs(join(dir, 'out')));
        expectDiskFull(r, dir, `run on ${size}`);
        // The run held nothing before: no file at all is left (the database it created goes too).
        expect(files(dir), `run on ${size}: files left`).toEqual([]);
        noTmpdirLeftovers(`run on ${size}`);
      });
    }
    // The Arrow streams alone on the full disk (the database elsewhere, created by the run: removed).
    await onTmpfs(ctx, '12k', (dir) => {
      const db = join(base, 'elsewhere.duckdb');
      const r = cli(['run', trace, '-p', 'pre', '-p', 'post', '-o', join(dir, 'out'), '--db', db, '-q', '-w', '1']);
      expectDiskFull(r, dir, 'run, Arrow on 12k');
      expect(r.stderr).toMatch(/part-0\.arrows: cannot write/);
      expect(files(dir)).toEqual([]);
      expect(existsSync(db), 'the database the failed run created').toBe(false);
      noTmpdirLeftovers('run, Arrow on 12k');
    });
  }, 600_000);

  it('import (strict and --bulk) onto a full tmpfs: exit 2 naming the file, nothing left', async (ctx) => {
    // test/fixtures/import/trace-cmd.txt imports to a 6.8 KB trace and a 3 KB observed Parquet file,
    // traces/x86.csv (--bulk) to a 17 KB trace: none fits in 4 KiB; the first two not in 8 KiB.
    const cases: [string, string[]][] = [
      ['4k', ['import', 'test/fixtures/import/trace-cmd.txt']],
      ['8k', ['import', 'test/fixtures/import/trace-cmd.txt']],
      ['8k', ['import', '--bulk', 'traces/x86.csv']],
      ['16k', ['import', '--bulk', 'traces/x86.csv']],
    ];
    for (const [size, args] of cases) {
      await onTmpfs(ctx, size, (dir) => {
        const r = cli([...args, '-o', join(dir, 'x.arrows')]);
        expectDiskFull(r, dir, `${args.join(' ')} on ${size}`);
        expect(files(dir), `${args.join(' ')} on ${size}: files left`).toEqual([]);
        noTmpdirLeftovers(`${args.join(' ')} on ${size}`);
      });
    }
  }, 300_000);

  it('nightly with its folder on a tmpfs filled to a few free sizes: exit 2, earlier nights whole, a rerun with room completes', async (ctx) => {
    await onTmpfs(ctx, '64m', async (dir) => {
      const proj = join(base, 'nightly');
      mkdirSync(join(proj, 'golden'), { recursive: true });
      writeFileSync(join(proj, 'x86.csv'), readFileSync(trace));
      for (const p of ['pre', 'post']) writeFileSync(join(proj, 'golden', `${p}.golden`), readFileSync(join(ROOT, `golden/x86/${p}.golden`)));
      const out = join(dir, 'n');
      writeFileSync(join(proj, 'config.json'), JSON.stringify({
        output: out, retention: 14, profiles: ['pre', 'post'], workers: 1,
        traces: [{ name: 'x86', trace: 'x86.csv', golden: 'golden/{profile}.golden', ideal: true }], compare: [['pre', 'post']],
      }));
      const nightly = (night: string) => cli(['nightly', '-c', join(proj, 'config.json'), '--night', night, '-q'], proj);
      expect(nightly('2026-11-01').code).toBe(0);
      /** Rows per table of one night: a whole night has what the first (uninterrupted) one has. */
      const TABLES = ['night_runs', 'path_counts', 'diff_totals', 'diff_results', 'compare_changes', 'examples'];
      const counts = async (db: Duck, night: string) => {
        const c: Record<string, number> = {};
        for (const t of TABLES) c[t] = Number(await db.scalar(`SELECT count(*) FROM ${t} WHERE night = '${night}'`));
        return c;
      };
      let db = await Duck.open(join(out, 'store.duckdb'), { readOnly: true });
      const whole = await counts(db, '2026-11-01');
      db.close();
      for (const [t, n] of Object.entries(whole)) expect(n, `${t} rows of a night`).toBeGreaterThan(0);
      // Free space left (KiB): below a run's database, inside the diffs, around the store and the report.
      const frees = [64, 1024, 2200, 2500, 4000];
      const done = ['2026-11-01'];
      const seen: string[] = [];
      for (const [i, free] of frees.entries()) {
        const night = `2026-11-${String(i + 2).padStart(2, '0')}`;
        const filler = join(dir, 'filler');
        const df = spawnSync('df', ['-k', '--output=avail', dir], { encoding: 'utf8' });
        const avail = Number(df.stdout.trim().split('\n').pop());
        writeFileSync(filler, Buffer.alloc(Math.max(0, avail - free) * 1024));
        const r = nightly(night);
        const what = `night ${night} with ${free} KiB free`;
        if (r.code !== 0) expectDiskFull(r, dir, what);
        seen.push(`${free} KiB: exit ${r.code}${r.code ? ` at ${/(\/\S+): cannot write/.exec(r.stderr)?.[1]?.slice(out.length + 1)}` : ''}`);
        // Whatever failed: every night at a final name is whole, the store opens with every night it
        // records whole, no temporary or lock is left.
        for (const d of readdirSync(join(out, 'nights')).filter((n) => /^\d{4}-\d{2}-\d{2}$/.test(n))) {
          expect(JSON.parse(readFileSync(join(out, 'nights', d, 'summary.json'), 'utf8')).night, `${what}: ${d}/summary.json`).toBe(d);
          expect(readFileSync(join(out, 'nights', d, 'report.html'), 'utf8'), `${what}: ${d}/report.html`).toMatch(/<\/html>\s*$/);
        }
        expect(files(out).filter((f) => TEMP.test(f)), `${what}: temporaries`).toEqual([]);
        noTmpdirLeftovers(what);
        rmSync(filler);
        db = await Duck.open(join(out, 'store.duckdb'), { readOnly: true });
        try {
          const recorded = (await db.rows('SELECT night FROM nights ORDER BY night')).map((x) => String(x.night));
          expect(recorded.slice(0, done.length), `${what}: the earlier nights in the store`).toEqual(done);
          for (const n of recorded) expect(await counts(db, n), `${what}: night ${n} in the store`).toEqual(whole);
        } finally {
          db.close();
        }
        // With room again, the night completes (resumed, or published if only that was left).
        const again = nightly(night);
        expect(again.code, `${what}, rerun with room: ${again.stderr}`).toBe(0);
        expect(readFileSync(join(out, 'latest'), 'utf8'), `${what}, rerun: latest`).toBe(`${night}\n`);
        done.push(night);
      }
      console.log(`nightly on a full disk: ${seen.join('; ')}`);
    });
  }, 900_000);
});
