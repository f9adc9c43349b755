// The nightly job end to end through the real CLI: two simulated nights with history, a night
// killed midway and rerun, the named queries and every output format of `sql`, config errors.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { NAMED_QUERIES } from '../../src/nightly/store.js';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin/ras-replay.js');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A project with the x86 suite, its pre/post golden files, and a config over them. */
function project(): { dir: string; config: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ras-nightly-'));
  mkdirSync(join(dir, 'golden'), { recursive: true });
  cpSync(join(ROOT, 'traces/x86.csv'), join(dir, 'x86.csv'));
  for (const p of ['pre', 'post']) cpSync(join(ROOT, `golden/x86/${p}.golden`), join(dir, 'golden', `${p}.golden`));
  const config = join(dir, 'ras-replay.config.json');
  writeFileSync(config, JSON.stringify({
    output: 'out', retention: 5, profiles: ['pre', 'post'], workers: 1,
    traces: [{ name: 'x86', trace: 'x86.csv', golden: 'golden/{profile}.golden', ideal: true }],
    compare: [['pre', 'post']],
  }));
  return { dir, config, out: join(dir, 'out') };
}

const summaryOf = (out: string, night: string) => {
  const s = JSON.parse(readFileSync(join(out, 'nights', night, 'summary.json'), 'utf8'));
  return { diffs: s.diffs.map((d: { result: { seconds: number } }) => ({ ...d, result: { ...d.result, seconds: 0 } })), compares: s.compares, regressed: s.regressed };
};

describe('ras-replay nightly', () => {
  it('records two nights of history; a regression on the second exits 1 and shows in the store and the report', async () => {
    const { dir, config, out } = project();
    const n1 = run(['nightly', '-c', config, '--night', '2026-11-20', '-q']);
    expect(n1.stderr).toBe('');
    expect(n1.code).toBe(0);
    // The verdict comes first, then where the report is, then what each line kind means (once).
    expect(n1.stdout.split('\n')[0]).toMatch(/^night 2026-11-20: no regression \(\d+ golden-gated diffs clean\)$/);
    expect(n1.stdout.match(/^lines: /gm)).toHaveLength(1);
    expect(n1.stdout).toMatch(/report: .*nights\/2026-11-20\/report.html/);
    expect(n1.stdout).toMatch(/compare {2}x86: applying post instead of pre .*turns 7 vmcore incomplete into complete/);
    // The kernel "changes": event 1005 now expected to get AO (the golden file disagrees with the outcome).
    const g = join(dir, 'golden/post.golden');
    writeFileSync(g, readFileSync(g, 'utf8').replace('\n1005\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t2140/2140:7:4:12\n', '\n1005\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t2140/2140:7:5:12\n'));
    const junit = join(dir, 'nightly.xml');
    const md = join(dir, 'summary.md');
    const n2 = run(['nightly', '-c', config, '--night', '2026-11-21', '-q', '--junit', junit, '--markdown', md]);
    expect(n2.code).toBe(1);
    expect(n2.stdout.split('\n')[0]).toMatch(/^night 2026-11-21: REGRESSED \(1 of \d+ golden-gated diffs\)$/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<failure/);
    expect(readFileSync(md, 'utf8')).toMatch(/^# ras-replay nightly 2026-11-21: REGRESSED/);
    expect(n2.stdout).toMatch(/REGRESSED x86 × post vs golden: 126 events, 1 differences/);
    expect(n2.stdout).toMatch(/night 2026-11-21: REGRESSED/);
    expect(readFileSync(join(out, 'latest'), 'utf8')).toBe('2026-11-21\n');
    const store = join(out, 'store.duckdb');
    const q = (sql: string) => JSON.parse(`[${run(['sql', '--store', store, '--format', 'json', sql]).stdout.trim().split('\n').join(',')}]`);
    expect(q('SELECT night, regressed FROM nights ORDER BY night')).toEqual([{ night: '2026-11-20', regressed: false }, { night: '2026-11-21', regressed: true }]);
    expect(q("SELECT night, trace, profile, golden, differences FROM night_summary WHERE gate AND regressed")).toEqual([{ night: '2026-11-21', trace: 'x86', profile: 'post', golden: 'golden', differences: 1 }]);
    const top = q('SELECT * FROM top_regressing_paths');
    expect(top).toEqual([expect.objectContaining({ profile: 'post', golden: 'golden', before: 0, after: 1, change: 1 })]);
    // Outcomes of both nights are queryable as one table.
    expect(q('SELECT night, count(*) AS n FROM outcomes GROUP BY night ORDER BY night')).toEqual([{ night: '2026-11-20', n: 252 }, { night: '2026-11-21', n: 252 }]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('2026-11-21');
    expect(html).toMatch(/<svg/);
    // A complete night is not run twice by accident: it is reported as recorded.
    const again = run(['nightly', '-c', config, '--night', '2026-11-21', '-q']);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/night 2026-11-21: REGRESSED \(1 of \d+ golden-gated diffs\) \(already complete/);
    const js = run(['nightly', '-c', config, '--night', '2026-11-21', '-q', '--format', 'json']);
    const doc = JSON.parse(js.stdout);
    expect(doc).toMatchObject({ night: '2026-11-21', regressed: true, already_complete: true });
    expect(doc.diffs.filter((d: { regressed: boolean }) => d.regressed)).toEqual([expect.objectContaining({ trace: 'x86', profile: 'post', golden: 'golden', gate: true })]);
  });

  it('a night killed midway leaves the previous night intact and resumes to the same result', () => {
    const { config, out } = project();
    expect(run(['nightly', '-c', config, '--night', '2026-11-20', '-q']).code).toBe(0);
    const before = readdirSync(join(out, 'nights')).sort();
    const killed = run(['nightly', '-c', config, '--night', '2026-11-21', '-q'], { RAS_REPLAY_FAULT: 'nightly-kill-after:3' });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'nights', '2026-11-21'))).toBe(false);
    expect(existsSync(join(out, 'nights', '.2026-11-21.partial'))).toBe(true);
    expect(readFileSync(join(out, 'latest'), 'utf8')).toBe('2026-11-20\n');
    expect(existsSync(join(out, 'nights', '2026-11-20', 'report.html'))).toBe(true);
    const resumed = run(['nightly', '-c', config, '--night', '2026-11-21']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resumed 3 steps/);
    expect(resumed.stderr).toMatch(/resume {2}run x86/);
    expect(readdirSync(join(out, 'nights')).sort()).toEqual([...before, '2026-11-21'].sort());
    // The resumed night equals a clean run of the same night.
    const clean = run(['nightly', '-c', config, '--night', '2026-11-21', '--restart', '-q']);
    expect(clean.code).toBe(0);
    const after = summaryOf(out, '2026-11-21');
    expect(after.regressed).toBe(false);
    expect(JSON.stringify(after)).toBe(JSON.stringify(summaryOf(out, '2026-11-21')));
  });

  it('rejects a bad config naming the key', () => {
    const { dir, config } = project();
    const doc = JSON.parse(readFileSync(config, 'utf8'));
    writeFileSync(config, JSON.stringify({ ...doc, traces: [{ ...doc.traces[0], colour: 'red' }] }));
    const r = run(['nightly', '-c', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key traces\[0\]\.colour: value "red": expected one of the keys/);
    writeFileSync(config, JSON.stringify({ ...doc, traces: [{ ...doc.traces[0], golden: 'golden/pre.golden' }] }));
    expect(run(['nightly', '-c', config]).stderr).toMatch(/traces\[0\]\.golden: .*expected a path containing \{profile\}/);
    expect(existsSync(join(dir, 'out', 'nights'))).toBe(false);
  });
});

describe('ras-replay sql', () => {
  const { config, out } = project();
  const ready = (() => run(['nightly', '-c', config, '--night', '2026-11-20', '-q']))();
  const store = join(out, 'store.duckdb');

  it('runs every named query', () => {
    expect(ready.code).toBe(0);
    const list = run(['sql', '--store', store, '--list']).stdout;
    for (const name of Object.keys(NAMED_QUERIES)) {
      expect(list).toContain(name);
      const r = run(['sql', '--store', store, '--query', name, '--format', 'csv']);
      expect(r.stderr, name).toBe('');
      expect(r.code, name).toBe(0);
    }
    const pan = run(['sql', '--store', store, '--query', 'panic-by-path', '--format', 'csv']).stdout.split('\n');
    expect(pan[0]).toBe('trace,profile,path,events,panics,panic_rate');
    // Processor context corrupt always panics (severity.c: PCC -> MCE_PANIC_SEVERITY): rate 1 on that path.
    expect(pan.join('\n')).toMatch(/^x86,pre,x86\.mce\.panic\.pcc,(\d+),\1,1$/m);
    // Panics per profile summed over paths: the 17 rows with panic true in golden/x86/pre.golden.
    const prePanics = pan.slice(1).filter((l) => l.startsWith('x86,pre,')).reduce((n, l) => n + Number(l.split(',')[4]), 0);
    expect(prePanics).toBe(17);
    // Every listed path panicked at least once and its rate is panics / events.
    for (const l of pan.slice(1).filter(Boolean)) {
      const f = l.split(',');
      expect(Number(f[4])).toBeGreaterThan(0);
      expect(Number(f[5])).toBeCloseTo(Number(f[4]) / Number(f[3]), 5);
    }
    const kill = run(['sql', '--store', store, '--query', 'kill-accuracy', '--format', 'csv']).stdout;
    // 72: the distinct (event, pid) pairs signalled in golden/x86/pre.golden: 67 before rows 1117-1125, which
    // add 1120/3270, 1121/3270, 1122/3280, 1124/3300 and 1125/3310; none over- or under-killed.
    expect(kill).toMatch(/^x86,pre,golden,72,0,0,1,1$/m);
  });

  it('writes table, csv, json and parquet, and reads SQL from a file and stdin', async () => {
    // Panics per profile: 17 rows with panic true in golden/x86/pre.golden and in post.golden.
    const sql = "SELECT profile, count(*) AS events, sum(panic::INT) AS panics FROM outcomes GROUP BY profile ORDER BY profile";
    const t = run(['sql', '--store', store, '--format', 'table', sql]).stdout;
    expect(t.split('\n')[0]).toMatch(/^profile\s+events\s+panics$/);
    expect(t).toMatch(/\(2 rows\)/);
    expect(run(['sql', '--store', store, '--format', 'csv', sql]).stdout).toBe('profile,events,panics\npost,126,17\npre,126,17\n');
    expect(run(['sql', '--store', store, '--format', 'json', sql]).stdout).toBe('{"profile":"post","events":126,"panics":17}\n{"profile":"pre","events":126,"panics":17}\n');
    const pq = join(out, 'q.parquet');
    expect(run(['sql', '--store', store, '--format', 'parquet', '-o', pq, sql]).code).toBe(0);
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    expect((await con.runAndReadAll(`SELECT * FROM '${pq}' ORDER BY profile`)).getRowsJson()).toEqual([['post', '126', 17], ['pre', '126', 17]]);
    const f = join(out, 'q.sql');
    writeFileSync(f, `${sql};\n`);
    expect(run(['sql', '--store', store, '--format', 'csv', '-f', f]).stdout).toBe('profile,events,panics\npost,126,17\npre,126,17\n');
    const stdin = spawnSync(process.execPath, [BIN, 'sql', '--store', store, '--format', 'csv', '-'], { input: sql, encoding: 'utf8' });
    expect(stdin.stdout).toBe('profile,events,panics\npost,126,17\npre,126,17\n');
  });

  it("shows DuckDB's message and the query position, exit 2", () => {
    const r = run(['sql', '--store', store, 'SELECT nope FROM outcomes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SQL error: Binder Error: Referenced column "nope" not found/);
    // One line (every user mistake is one line), with DuckDB's caret after the query text.
    expect(r.stderr).toMatch(/LINE 1: SELECT nope FROM outcomes \^\n$/);
    expect(run(['sql', '--store', store, '--query', 'nope']).stderr).toMatch(/--query "nope": expected one of panic-by-path/);
  });
});
