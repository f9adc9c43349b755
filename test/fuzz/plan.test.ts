// The long run's plan (test/fuzz/lib/plan.ts) and the harness's bookkeeping (check.ts): options,
// seeds of the jobs, time shares, the merged table, the in-flight note, leftovers and the memory
// bound. Expectations by hand: no target is fuzzed here beyond a few recorded inputs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOne, drive, emptyStats, inFlightName, regenerate, TargetStats } from './lib/check.js';
import { formatRows, FuzzHelp, jobInputs, mergeJobStats, parseFuzzArgs, rows, sliceMs, sliceSeed } from './lib/plan.js';
import { prepare, Target, TARGETS } from './lib/targets.js';

const NAMES = ['a', 'b', 'c'];

describe('fuzz options', () => {
  it('defaults: one job, one minute, every target, equal time', () => {
    expect(parseFuzzArgs([], NAMES)).toEqual({
      minutes: 1, inputs: null, jobs: 1, targets: NAMES, seed: 1, shares: 'time', slice: 5, hang: 180,
      save: 'artifacts/fuzz-failures', json: 'artifacts/fuzz-results.json', extract: null,
    });
  });

  it('--budget inputs=N alone has no time bound; with --minutes, both hold', () => {
    expect(parseFuzzArgs(['--budget', 'inputs=1000000', '--jobs', '2'], NAMES)).toMatchObject({ minutes: null, inputs: 1_000_000, jobs: 2 });
    expect(parseFuzzArgs(['--budget', 'inputs=50', '--minutes', '0.5'], NAMES)).toMatchObject({ minutes: 0.5, inputs: 50 });
    expect(parseFuzzArgs(['--target', 'c,a', '--shares', 'cost', '--seed', '0'], NAMES)).toMatchObject({ targets: ['c', 'a'], shares: 'cost', seed: 0 });
  });

  it.each([
    [['--budget', 'inputs=0'], /^--budget inputs=0: expected inputs=N/],
    [['--budget', '500'], /^--budget 500: expected inputs=N/],
    [['--jobs', '0'], /^--jobs 0: expected a positive whole number/],
    [['--jobs', '1.5'], /^--jobs 1.5: expected a positive whole number/],
    [['--jobs', '64'], /^--jobs 64: expected at most 16/],
    [['--minutes', '-1'], /^--minutes -1: expected a positive number/],
    [['--minutes', 'Infinity'], /^--minutes Infinity: expected a positive number/],
    [['--target', 'a,nosuch'], /^--target nosuch: expected one of a, b, c/],
    [['--shares', 'inputs'], /^--shares inputs: expected time or cost/],
    [['--seed', '-3'], /^--seed -3: expected a whole number/],
    [['--nosuch'], /unknown option '--nosuch'/],
  ])('%j is refused with one line naming the option', (argv, re) => {
    expect(() => parseFuzzArgs(argv, NAMES)).toThrow(re);
  });

  it('--help is the usage text (FuzzHelp: printed, exit 0), not an error', () => {
    for (const h of ['--help', '-h']) {
      let e: unknown;
      try { parseFuzzArgs([h], NAMES); } catch (x) { e = x; }
      expect(e, h).toBeInstanceOf(FuzzHelp);
      expect((e as Error).message).toMatch(/^Usage: fuzz \[options\]/);
      expect((e as Error).message).toContain('--budget <spec>');
    }
  });
});

describe('jobs and shares', () => {
  it('the seed streams of the jobs are disjoint, and one job gives seed, seed+1, …', () => {
    const seen = new Map<number, number>();
    for (const job of [0, 1]) for (let i = 0; i < 1000; i++) {
      const s = sliceSeed(7, job, 2, i);
      expect(seen.has(s), `seed ${s} of job ${job} also in job ${seen.get(s)}`).toBe(false);
      seen.set(s, job);
    }
    expect([0, 1, 2, 3].map((i) => sliceSeed(7, 0, 1, i))).toEqual([7, 8, 9, 10]);
  });

  it('a budget is split over the jobs and adds up', () => {
    expect([0, 1, 2].map((j) => jobInputs(10, j, 3))).toEqual([4, 3, 3]);
    expect([0, 1].map((j) => jobInputs(1_000_000, j, 2))).toEqual([500_000, 500_000]);
  });

  it('time shares: equal slices, or ∝ 1/√cost with the cheapest at the full slice', () => {
    expect([1, 8, 40].map((c) => sliceMs(c, 'time', 5))).toEqual([5000, 5000, 5000]);
    expect([1, 4, 100].map((c) => sliceMs(c, 'cost', 5))).toEqual([5000, 2500, 500]);
    expect(sliceMs(8, 'cost', 5, 2)).toBe(2500);
  });
});

describe('the merged table', () => {
  const st = (target: string, o: Partial<TargetStats>): TargetStats => ({ ...emptyStats(target), ...o });
  const fail = (target: string, k: number) => ({ target, how: [`m${k}`], error: `e${k}`, saved: null });

  it('sums counts and times per target over the jobs, keeps the slowest and the order', () => {
    const job0 = [st('a', { inputs: 100, accepted: 60, rejected: 40, maxMs: 12, ms: 1000, cpuMs: 500 }), st('b', { inputs: 3, rejected: 2, failed: 1, failures: [fail('b', 0)], maxMs: 900, ms: 2000, cpuMs: 1500 })];
    const job1 = [st('a', { inputs: 300, accepted: 100, rejected: 200, maxMs: 30, ms: 1000, cpuMs: 1500, leftovers: ['/t/x'] }), st('a', { inputs: 0, leftovers: ['/t/x', '/t/y'] })];
    const m = mergeJobStats([job0, job1], ['c', 'a', 'b']);
    expect(m.map((x) => x.target)).toEqual(['c', 'a', 'b']);
    expect(m[1]).toMatchObject({ inputs: 400, accepted: 160, rejected: 240, failed: 0, maxMs: 30, ms: 2000, cpuMs: 2000, leftovers: ['/t/x', '/t/y'] });
    expect(m[2]).toMatchObject({ inputs: 3, failed: 1, failures: [fail('b', 0)] });
    // 400 inputs in 2 s of wall time and 2 s of CPU: 200/s both; c never ran.
    const r = rows(m);
    expect(r[1]).toEqual({ target: 'a', inputs: 400, accepted: 160, rejected: 240, failed: 0, max_ms: 30, leftovers: 2, per_s: 200, per_cpu_s: 200 });
    expect(r[0]).toMatchObject({ inputs: 0, per_s: 0, per_cpu_s: 0 });
    expect(formatRows(r).split('\n')[2]).toMatch(/^a\s+400\s+160\s+240\s+0\s+30 ms\s+2\s+200\s+200$/);
  });

  it('keeps at most 20 failures per target but counts them all', () => {
    const parts = [0, 1, 2].map((j) => [st('a', { inputs: 10, failed: 10, failures: [...Array(10).keys()].map((k) => fail('a', j * 10 + k)) })]);
    const [a] = mergeJobStats(parts, ['a']);
    expect(a!.failed).toBe(30);
    expect(a!.failures.map((f) => f.error)).toEqual([...Array(20).keys()].map((k) => `e${k}`));
  });
});

describe('harness bookkeeping', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ras-fuzz-plan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const golden = TARGETS.find((t) => t.name === 'golden-text')!;

  it('the in-flight note names the input being checked, and regenerate gives its bytes again', async () => {
    await prepare(dir, [golden]);
    const save = join(dir, 'save');
    const seen: Buffer[] = [];
    const notes: string[] = [];
    const rec: Target = { ...golden, name: 'rec', async run(input) {
      seen.push(input.bytes);
      notes.push(readFileSync(join(save, inFlightName('rec', 1)), 'utf8').trim());
    } };
    const st = await drive(rec, dir, { seed: 99, maxInputs: 6, saveDir: save, job: 1 });
    expect(st.inputs).toBe(6);
    expect(notes).toEqual([0, 1, 2, 3, 4, 5].map((i) => `rec 99 ${i}`));
    for (const i of [0, 3, 5]) expect(regenerate(rec, dir, 99, i).bytes.equals(seen[i]!)).toBe(true);
  });

  it('a temporary left in the work folder is counted as a leftover of the target', async () => {
    const leaky: Target = { ...golden, name: 'leaky', async run(_input, d) { writeFileSync(join(d, 'out.arrows.tmp-4242-1'), ''); } };
    const st = await drive(leaky, dir, { seed: 1, maxInputs: 2 });
    expect(st.leftovers).toEqual([join(dir, 'out.arrows.tmp-4242-1')]);
    const again = await drive(leaky, dir, { seed: 1, maxInputs: 1 });
    expect(again.leftovers).toEqual([]); // already there before the slice: counted once
  });

  it('past the memory bound, inputs fail (the RSS is read at least every 16th input)', async () => {
    const rng = new (await import('./lib/mutate.js')).Rng(5);
    const reasons: string[] = [];
    for (let i = 0; i < 16; i++) {
      const r = await checkOne(golden, golden.gen(rng, dir), dir, 10_000, 1);
      if (r.verdict === 'failed') reasons.push(r.reason!);
    }
    expect(reasons.length).toBeGreaterThan(0);
    for (const x of reasons) expect(x).toMatch(/^memory: \d+ MiB resident after the input \(bound 1 MiB\)$/);
  });
});
