// Bisects in the nightly: the config names them, a resumable step runs each on the night's trace, the
// store keeps their rows per night, the report draws them, the console has a line per entry.
//
// The trace is two crafted cases of test/oracle/bisect.test.ts on distinct hosts (no state is shared):
//   events 1-6 (x86, seed 002; mce.ts mcePanic): SetPageHWPoison before mce_panic when a crash kernel
//     is loaded and the pfn is online RAM. Under pre + mce_panic_hwpoison events 1 (fatal #MC, anon,
//     kdump loaded) and 4 (fatal #MC on a kernel page) change: vmcore incomplete → complete (better)
//     and PG_hwpoison set (changed), each on 2 events; events 2, 3, 5, 6 do not change.
//   events 7-8 (arm64, seed 000; ghes.ts table): the synchronous SEA of event 7 (traces/arm64.csv
//     event 2002) goes ghes.queue_kick → ghes.task_work only with both ghes_sync_ar and
//     ghes_task_work; its other outcome fields are the same (golden/arm64/pre.golden and
//     linux-6.19.golden event 2002: not panicked, no loop, no vmcore, "dirty LRU page", Recovered,
//     SIGBUS BUS_MCEERR_AR lsb 12), but its SIGBUS comes from a different place: under pre from the
//     later page fault on the hwpoison entry (arm64 do_page_fault: si_addr the faulting address,
//     0xffffb0d77400), with the task work from kill_proc (mm/memory-failure.c add_to_kill: si_addr
//     page_address_in_vma, page-aligned 0xffffb0d77000). Two changes, both neither better nor worse:
//     the path and the signal address. Event 8, asynchronous, goes to the kworker under every profile.
// Commits, releases and backports are src/model/kernel-changes.ts's (its evidence column cites the
// pull requests and stable release shortlogs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/nightly/config.js';
import { runNightly } from '../../src/nightly/nightly.js';
import { cli, csv, ROOT } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ras-nightly-bisect-'));
  dirs.push(d);
  return d;
}

const ROWS: Record<string, string | number | boolean>[] = [
  { host: 'x1', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'fatal', sync: true, pa: '0x201c001c0', page: 'anon', context: 'user', pid: 2150, vaddr: '0x7f3a01c001c0' },
  { host: 'x2', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'fatal', sync: true, pa: '0x201c011c0', page: 'anon', context: 'user', pid: 2151, vaddr: '0x7f3a01c011c0', kdump: false },
  { host: 'x3', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'fatal', sync: true, pa: '0x201c021c0', page: 'dax', context: 'user', pid: 2152, vaddr: '0x7f3a01c021c0' },
  { host: 'x4', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'fatal', sync: false, pa: '0x2058001c0', page: 'kernel', context: 'none' },
  { host: 'x5', arch: 'x86_64', kind: 'error', notify: 'cmci', severity: 'corrected', sync: false, pa: '0x2004001c0', page: 'anon', context: 'none' },
  { host: 'x6', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'recoverable', sync: true, ripv: true, pa: '0x2010001c0', page: 'anon', context: 'user', pid: 2160, vaddr: '0x7f3a010001c0' },
  { host: 'a1', arch: 'arm64', kind: 'error', notify: 'sea', firmware_first: true, severity: 'recoverable', sync: true, pa: '0x4092d55d400', mem: 'ram', page: 'anon', context: 'user', pid: 3020, vaddr: '0xffffb0d77400', early_kill: 0 },
  { host: 'a2', arch: 'arm64', kind: 'error', notify: 'sci', firmware_first: true, severity: 'recoverable', sync: false, pa: '0x4092d56d400', mem: 'ram', page: 'anon', context: 'none' },
];

function setup(bisect: unknown): { dir: string; config: string } {
  const dir = tmp();
  writeFileSync(join(dir, 't.csv'), `${csv(ROWS)}\n`);
  writeFileSync(join(dir, 'pre-002.json'), JSON.stringify({ extends: 'pre', name: 'pre-002', switches: { mce_panic_hwpoison: true } }));
  writeFileSync(join(dir, 'pre-000.json'), JSON.stringify({ extends: 'pre', name: 'pre-000', switches: { ghes_sync_ar: true, ghes_task_work: true } }));
  const config = join(dir, 'ras-replay.config.json');
  writeFileSync(config, JSON.stringify({ output: 'out', profiles: ['pre'], workers: 1, traces: [{ name: 't', trace: 't.csv' }], bisect }));
  return { dir, config };
}

const sql = (dir: string, q: string) => {
  const r = cli(['sql', '--store', join(dir, 'out', 'store.duckdb'), '--format', 'json', q]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
};

describe('nightly bisects', () => {
  it('attributes each entry\'s differences, stores the rows, draws the section; a rerun replaces them', () => {
    const { dir, config } = setup([{ trace: 't', a: 'pre', b: 'pre-002.json' }, { trace: 't', a: 'pre', b: 'pre-000.json' }]);
    const r = cli(['nightly', '-c', config, '--night', '2026-11-21', '-q'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('bisect '));
    expect(lines).toEqual([
      'bisect   t: pre → pre-002: 2 events differ, 1 switches differ; explained by one switch 2, by an interaction of two 0, unexplained 0; most: mce_panic_hwpoison (2 events)',
      'bisect   t: pre → pre-000: 1 events differ, 2 switches differ; explained by one switch 0, by an interaction of two 1, unexplained 0',
    ]);
    expect(r.stdout).toMatch(/"bisect" which kernel change/);
    expect(sql(dir, 'SELECT night, trace, a, b, events::INT AS events, changed_events::INT AS changed, flips::INT AS flips, explained_single::INT AS single, explained_pair::INT AS pair, unexplained::INT AS unexplained, unexplained_reasons FROM bisect_runs ORDER BY b')).toEqual([
      { night: '2026-11-21', trace: 't', a: 'pre', b: 'pre-000', events: 8, changed: 1, flips: 2, single: 0, pair: 1, unexplained: 0, unexplained_reasons: '' },
      { night: '2026-11-21', trace: 't', a: 'pre', b: 'pre-002', events: 8, changed: 2, flips: 1, single: 2, pair: 0, unexplained: 0, unexplained_reasons: '' },
    ]);
    const rows = sql(dir, 'SELECT b, switch, partner, commit, mainline, stable, from_value, to_value, events::INT AS events, better::INT AS better, worse::INT AS worse, changed::INT AS changed, examples FROM bisect_results ORDER BY b');
    for (const x of rows) x.examples = String(x.examples).split(' ').sort().join(' ');
    expect(rows).toEqual([
      { b: 'pre-000', switch: 'ghes_sync_ar', partner: 'ghes_task_work', commit: 'a70297d22132 + c1f1fda14137', mainline: '6.8 + 6.17',
        stable: '5.10.y from 5.10.210, 5.15.y from 5.15.149, 6.1.y from 6.1.77 + —', from_value: 'false + false', to_value: 'true + true', events: 1, better: 0, worse: 0, changed: 2, examples: '7' },
      { b: 'pre-002', switch: 'mce_panic_hwpoison', partner: null, commit: '1d11b153d23b', mainline: '6.8',
        stable: '5.10.y from 5.10.210, 5.15.y from 5.15.149, 6.1.y from 6.1.77, 6.6.y from 6.6.16', from_value: 'false', to_value: 'true', events: 2, better: 2, worse: 0, changed: 2, examples: '1 4' },
    ]);
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(html).toContain('<section id="bisect">');
    expect(html).toContain('Which change did it (bisect A → B)');
    expect(html).toMatch(/<figure class="chart" id="chart-bisect">/);
    expect(html).toContain('<code>ghes_sync_ar + ghes_task_work</code>');
    expect(html).toContain('1d11b153d23b');
    expect(html).toContain('6.6.y from 6.6.16');

    // A --restart of the night replaces its rows (no duplicates).
    const again = cli(['nightly', '-c', config, '--night', '2026-11-21', '--restart', '-q'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(sql(dir, 'SELECT count(*)::INT AS n FROM bisect_results')).toEqual([{ n: 2 }]);
    expect(sql(dir, 'SELECT count(*)::INT AS n FROM bisect_runs')).toEqual([{ n: 2 }]);
  }, 240_000);

  it('resumes a night killed after the first bisect step without running it again', () => {
    const { dir, config } = setup([{ trace: 't', a: 'pre', b: 'pre-002.json' }, { trace: 't', a: 'pre', b: 'pre-000.json' }]);
    // Steps in order: run t, bisect[0], bisect[1]; killed after the second.
    const killed = spawnSync(process.execPath, [join(ROOT, 'bin/ras-replay.js'), 'nightly', '-c', config, '--night', '2026-11-22', '-q'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', RAS_REPLAY_FAULT: 'nightly-kill-after:2' } });
    expect(killed.signal).toBe('SIGKILL');
    const resumed = cli(['nightly', '-c', config, '--night', '2026-11-22'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/^nightly: resume {2}bisect t: pre → pre-002 \(done before\)$/m);
    expect(resumed.stderr).toMatch(/^nightly: done {4}bisect t: pre → pre-000 \(/m);
    expect(sql(dir, 'SELECT b, switch, events::INT AS events FROM bisect_results ORDER BY b')).toEqual([
      { b: 'pre-000', switch: 'ghes_sync_ar', events: 1 },
      { b: 'pre-002', switch: 'mce_panic_hwpoison', events: 2 },
    ]);
  }, 240_000);

  it('leaves the section out when the config has no bisect', () => {
    const { dir, config } = setup(undefined);
    const r = cli(['nightly', '-c', config, '--night', '2026-11-21', '-q'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^bisect /m);
    expect(readFileSync(join(dir, 'out', 'report.html'), 'utf8')).not.toContain('<section id="bisect">');
  }, 240_000);

  it('names the key of a bad bisect entry', async () => {
    const cases: [unknown, RegExp][] = [
      [[{ trace: 'fleet', a: 'pre', b: 'post' }], /key bisect\[0\]\.trace: value "fleet": expected the name of a trace in "traces" \(t\)/],
      [[{ trace: 't', a: 'pre' }], /key bisect\[0\]\.b: value undefined: expected a non-empty string/],
      [[{ trace: 't', a: 'pre', b: 'pre' }], /key bisect\[0\]\.b: value "pre": expected a profile other than A \("pre"\)/],
      [[{ trace: 't', a: 'pre', b: 'post', c: 1 }], /key bisect\[0\]\.c: value 1: expected one of the keys trace, a, b, \$comment \(unknown key\)/],
      [{ trace: 't' }, /key bisect: value \{"trace":"t"\}: expected a list of \{ "trace", "a", "b" \}/],
    ];
    for (const [bisect, msg] of cases) expect(() => loadConfig(setup(bisect).config)).toThrow(msg);
    // A profile that does not exist fails the night before any step runs, naming the key.
    await expect(runNightly({ config: setup([{ trace: 't', a: 'pre', b: 'linux-9.99' }]).config })).rejects.toThrow(/key bisect\[0\]\.b: .*linux-9\.99/);
    // …and the CLI says so on stderr with exit 2.
    const { dir, config } = setup([{ trace: 'fleet', a: 'pre', b: 'post' }]);
    const r = cli(['nightly', '-c', config], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key bisect\[0\]\.trace: value "fleet"/);
  }, 240_000);
});
