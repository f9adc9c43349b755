// bisect on crafted traces: a single-switch change attributed to that switch with exact counts, a
// two-switch interaction found and named, an identical profile pair giving an empty report, the
// pair-search cap reported, and the CLI's formats and errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bisect, BisectResult } from '../../src/oracle/bisect.js';
import { cli, csv, profile } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bisect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function trace(name: string, rows: Record<string, string | number | boolean>[]): string {
  const f = join(dir, name);
  writeFileSync(f, `${csv(rows)}\n`);
  return f;
}

const changes = (g: { changes: { what: string; direction: string; count: number }[] }) =>
  Object.fromEntries(g.changes.map((c) => [c.what, [c.count, c.direction]]));

describe('bisect: one switch', () => {
  // seed 002 (x86/mce: set PG_hwpoison page flag to avoid the capture kernel panic; mce.ts
  // mcePanic): before mce_panic, `kexec_crash_loaded() && ADDRV && online pfn` -> SetPageHWPoison,
  // so makedumpfile skips the page and the vmcore is complete instead of incomplete. Of the six
  // events (one host each, so no state carries over):
  //   1 fatal PCC #MC on an anon page, kdump loaded          -> changes (incomplete -> complete)
  //   2 the same with no crash kernel (kdump=false)          -> vmcore none either way: no change
  //   3 the same on a DAX page (ZONE_DEVICE, not online RAM) -> no SetPageHWPoison: no change
  //   4 fatal #MC found asynchronously on a kernel page      -> changes (seed 002's own case)
  //   5 a corrected error                                    -> no panic: no change
  //   6 SRAR in user space on an anon page                   -> recovered, no panic: no change
  // So 2 events differ, both explained by mce_panic_hwpoison alone: 2 × "vmcore incomplete ->
  // complete" (better) and 2 × PG_hwpoison set, on the paths of a PCC panic.
  const rows: Record<string, string | number | boolean>[] = [
    { host: 'x1', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'fatal', sync: true, pa: '0x201c001c0', page: 'anon', context: 'user', pid: 2150, vaddr: '0x7f3a01c001c0' },
    { host: 'x2', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'fatal', sync: true, pa: '0x201c011c0', page: 'anon', context: 'user', pid: 2151, vaddr: '0x7f3a01c011c0', kdump: false },
    { host: 'x3', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'fatal', sync: true, pa: '0x201c021c0', page: 'dax', context: 'user', pid: 2152, vaddr: '0x7f3a01c021c0' },
    { host: 'x4', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'fatal', sync: false, pa: '0x2058001c0', page: 'kernel', context: 'none' },
    { host: 'x5', arch: 'x86_64', kind: 'error', notify: 'cmci', severity: 'corrected', sync: false, pa: '0x2004001c0', page: 'anon', context: 'none' },
    { host: 'x6', arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'recoverable', sync: true, ripv: true, pa: '0x2010001c0', page: 'anon', context: 'user', pid: 2160, vaddr: '0x7f3a010001c0' },
  ];
  let r: BisectResult;
  it('attributes both changed events to mce_panic_hwpoison', async () => {
    const f = trace('seed002.csv', rows);
    r = await bisect({ trace: f, a: profile('pre'), b: profile('pre', { name: 'pre-002', switches: { mce_panic_hwpoison: true } }) });
    expect(r.events).toBe(6);
    expect(r.flips.map((x) => [x.name, x.from, x.to, x.commit, x.mainline])).toEqual([['mce_panic_hwpoison', 'false', 'true', '1d11b153d23b', '6.8']]);
    expect(r.changedEvents).toBe(2);
    expect(r.explainedBySingle).toBe(2);
    expect(r.explainedByPair).toBe(0);
    expect(r.unexplained.events).toBe(0);
    expect(r.singles.map((g) => [g.flips, g.events])).toEqual([[['mce_panic_hwpoison'], 2]]);
    expect(changes(r.singles[0]!)).toEqual({ 'vmcore incomplete → complete': [2, 'better'], 'PG_hwpoison set': [2, 'changed'] });
    const ids = r.singles[0]!.paths.flatMap((p) => p.examples.map((e) => e.eventId)).sort();
    expect(ids).toEqual([1n, 4n]);
    for (const p of r.singles[0]!.paths) expect(p.from).toBe(p.to); // same decision path, different dump
  });
  it('gives the example its explain steps under A and with the switch flipped', () => {
    const ex = r.singles[0]!.paths.flatMap((p) => p.examples).find((e) => e.eventId === 1n)!;
    expect(ex.explainA.join('\n')).toContain('vmcore incomplete');
    expect(ex.explainFlipped.join('\n')).toContain('SetPageHWPoison before panic');
    expect(ex.explainFlipped.join('\n')).toContain('vmcore complete');
    expect(ex.touched).toEqual(['mce_panic_hwpoison']);
  });
});

describe('bisect: an interaction of two switches', () => {
  // Seed 000's late consumer (traces/arm64.csv event 2002; ghes.ts table): a synchronous SEA,
  // recoverable, dirty anon page, consumer with an mm, early_kill=0.
  //   pre (no patch):          memory_failure_queue(pfn, 0) + kick in the consumer: path ghes.queue_kick
  //   + ghes_sync_ar only:     MF_ACTION_REQUIRED, still through the kick:            ghes.queue_kick
  //   + ghes_task_work only:   the task work needs MF_ACTION_REQUIRED, and the kick is gone -> kworker
  //   + both (seed 000):       task_work_add(memory_failure_cb) with MF_AR:           ghes.task_work
  // Neither flip alone reaches B's path, both together do: one event, interaction of the pair.
  // The asynchronous record (event 2, notify sci, sync=false) goes to the kworker with flags 0
  // under all four: unchanged.
  const rows: Record<string, string | number | boolean>[] = [
    { host: 'a1', arch: 'arm64', kind: 'error', notify: 'sea', firmware_first: true, severity: 'recoverable', sync: true, pa: '0x4092d55d400', mem: 'ram', page: 'anon', context: 'user', pid: 3020, vaddr: '0xffffb0d77400', early_kill: 0 },
    { host: 'a2', arch: 'arm64', kind: 'error', notify: 'sci', firmware_first: true, severity: 'recoverable', sync: false, pa: '0x4092d56d400', mem: 'ram', page: 'anon', context: 'none' },
  ];
  it('names ghes_sync_ar + ghes_task_work', async () => {
    const f = trace('seed000.csv', rows);
    const b = profile('pre', { name: 'pre-000', switches: { ghes_sync_ar: true, ghes_task_work: true } });
    const r = await bisect({ trace: f, a: profile('pre'), b });
    expect(r.flips.map((x) => x.name)).toEqual(['ghes_sync_ar', 'ghes_task_work']);
    expect(r.changedEvents).toBe(1);
    expect(r.explainedBySingle).toBe(0);
    expect(r.singles).toEqual([]);
    expect(r.explainedByPair).toBe(1);
    expect(r.interactions.map((g) => [g.flips, g.events])).toEqual([[['ghes_sync_ar', 'ghes_task_work'], 1]]);
    const p = r.interactions[0]!.paths;
    expect(p.map((x) => [x.from, x.to, x.count])).toEqual([['ghes.queue_kick', 'ghes.task_work', 1]]);
    expect(p[0]!.examples[0]!.touched).toEqual(['ghes_sync_ar', 'ghes_task_work']);
    expect(p[0]!.examples[0]!.explainFlipped.join('\n')).toContain('task_work_add(memory_failure_cb)');
    expect(r.unexplained.events).toBe(0);
    expect(r.explainedBySet).toBe(0);
    expect(r.interactions[0]!.minimal).toBe(true);
    expect(r.pairSearch.pairsTested).toBe(1);
  });
  it('reports events over the pair cap as unexplained, with the reason', async () => {
    const f = trace('seed000-capped.csv', rows);
    const b = profile('pre', { name: 'pre-000', switches: { ghes_sync_ar: true, ghes_task_work: true } });
    const r = await bisect({ trace: f, a: profile('pre'), b, maxPairs: 0 });
    expect(r.explainedByPair).toBe(0);
    expect(r.unexplained.events).toBe(1);
    expect(r.pairSearch.capped).toBe(1);
    expect(r.unexplained.reasons).toEqual([{ reason: 'pair search capped: more than 0 distinct pairs in the trace', count: 1 }]);
  });
});

describe('bisect: no difference', () => {
  it('linux-6.6 against pre (the same switches) gives an empty report', async () => {
    // profiles.ts: pre is "mainline v6.6" and linux-6.6 is derived with no overrides.
    const r = await bisect({ trace: 'traces/x86.csv', a: profile('pre'), b: profile('linux-6.6') });
    expect(r.events).toBeGreaterThan(0);
    expect([r.flips, r.changedEvents, r.singles, r.interactions, r.unexplained.events]).toEqual([[], 0, [], [], 0]);
    const c = cli(['bisect', 'traces/x86.csv', '-a', 'pre', '-b', 'linux-6.6']);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('linux-6.6 behaves as pre on every event');
  });
});

describe('bisect CLI', () => {
  it('every differing event is explained once, by a pair, by a larger set, or left unexplained (--json)', () => {
    const c = cli(['bisect', 'traces/arm64.csv', '-a', 'linux-6.6', '-b', 'linux-6.19', '--json']);
    expect(c.code, c.stderr).toBe(0);
    const r = JSON.parse(c.stdout) as BisectResult;
    expect(r.changedEvents).toBeGreaterThan(0);
    expect(r.explainedBySingle + r.explainedByPair + r.explainedBySet + r.unexplained.events).toBe(r.changedEvents);
    expect(r.unexplained.reasons.reduce((s, x) => s + x.count, 0)).toBe(r.unexplained.events);
    // The seed 000 pair is among the interactions (as in the crafted case above).
    expect(r.interactions.map((g) => g.flips.join('+'))).toContain('ghes_sync_ar+ghes_task_work');
  });
  it('writes Markdown to a file and to stdout', () => {
    const md = join(dir, 'b.md');
    const c = cli(['bisect', 'traces/arm64.csv', '-a', 'linux-6.6', '-b', 'linux-6.19', '--markdown', md]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('bisect linux-6.6 → linux-6.19');
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('| switch | change | commit | release | events | changes |');
    expect(text).toContain('`ghes_sync_ar` false → true + `ghes_task_work` false → true');
    const s = cli(['bisect', 'traces/arm64.csv', '-a', 'linux-6.6', '-b', 'linux-6.19', '--markdown']);
    expect(s.stdout).toBe(text);
  });
  it('exits 2 on bad input', () => {
    const u = cli(['bisect', 'traces/arm64.csv', '-a', 'pre', '-b', 'linux-9.9']);
    expect([u.code, u.stderr]).toEqual([2, expect.stringContaining('profile "linux-9.9": kernel version "9.9"')]);
    const p = cli(['bisect', 'traces/arm64.csv', '-a', 'pre', '-b', 'post', '--pair-cap', '1']);
    expect([p.code, p.stderr]).toEqual([2, expect.stringContaining('--pair-cap "1": expected a whole number ≥ 2')]);
    const n = cli(['bisect', join(dir, 'missing.csv'), '-a', 'pre', '-b', 'post']);
    expect([n.code, n.stderr]).toEqual([2, expect.stringContaining('missing.csv: no such trace file')]);
  });
});
