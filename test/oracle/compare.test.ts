// `compare pre post` on the curated suites reproduces, in numbers, the seeds' claims: the counts of
// every transition equal those derived independently from the golden files (golden/<suite>/pre vs
// post, written from the kernel source), and the seeds' own scenarios sit in the claimed transitions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareFiles } from '../../src/oracle/commands.js';
import { GoldenRow, parseGolden } from '../../src/oracle/golden.js';
import { cli, ROOT } from '../helpers.js';

const label = (s: { signo: number; siCode: number }) =>
  s.signo === 9 ? 'SIGKILL' : s.signo === 7 && s.siCode === 4 ? 'AR' : s.signo === 7 && s.siCode === 5 ? 'AO' : s.siCode === 128 ? 'SI_KERNEL' : s.siCode === 3 ? 'BUS_OBJERR' : `sig${s.signo}/${s.siCode}`;

/** Transition counts between two golden files, in compare's vocabulary. */
function goldenTransitions(suite: string, a: string, b: string): Map<string, number> {
  const read = (p: string) => parseGolden(readFileSync(join(ROOT, 'golden', suite, `${p}.golden`), 'utf8'), p).rows;
  const ga = read(a);
  const gb = read(b);
  const out = new Map<string, number>();
  const add = (k: string) => out.set(k, (out.get(k) ?? 0) + 1);
  const labels = (r: GoldenRow) => {
    const m = new Map<number, Set<string>>();
    for (const s of r.signals) m.set(s.pid, (m.get(s.pid) ?? new Set()).add(label(s)));
    return new Map([...m].map(([pid, set]) => [pid, [...set].sort().join('+')]));
  };
  for (const [id, x] of ga) {
    const y = gb.get(id)!;
    if (x.panic !== y.panic) add(x.panic ? 'panic → survived' : 'survived → panic');
    if (x.rebootLoop !== y.rebootLoop) add(x.rebootLoop ? 'reboot loop removed' : 'reboot loop added');
    if (x.vmcore !== y.vmcore) add(`vmcore ${x.vmcore} → ${y.vmcore}`);
    const la = labels(x);
    const lb = labels(y);
    for (const pid of new Set([...la.keys(), ...lb.keys()])) {
      const f = la.get(pid) ?? 'none';
      const t = lb.get(pid) ?? 'none';
      if (f !== t) add(`${f} → ${t}`);
    }
  }
  return out;
}

describe('compare pre → post on the curated suites', () => {
  for (const suite of ['x86', 'arm64']) {
    it(`${suite}: every transition count equals the golden files'`, async () => {
      const r = await compareFiles({ source: join(ROOT, 'traces', `${suite}.csv`), a: 'pre', b: 'post', examples: 1000 });
      const mine = new Map(r.changes.filter((c) => c.kind !== 'path' && c.kind !== 'mf_result').map((c) => [c.what, c.count]));
      expect(mine).toEqual(goldenTransitions(suite, 'pre', 'post'));
    });
  }

  it("reproduces each seed's claim on its own scenarios", async () => {
    const arm = await compareFiles({ source: join(ROOT, 'traces/arm64.csv'), a: 'pre', b: 'post', examples: 1000 });
    const x86 = await compareFiles({ source: join(ROOT, 'traces/x86.csv'), a: 'pre', b: 'post', examples: 1000 });
    const has = (r: typeof arm, what: string, id: number) => r.changes.find((c) => c.what === what)?.examples.includes(BigInt(id)) ?? false;
    // Seed 000: the reproducer's early-kill process gets AR (code 4) instead of AO (code 5)…
    expect(has(arm, 'AO → AR', 2000)).toBe(true);
    // …and unhandled synchronous errors no longer loop: the reboot loops go.
    expect(arm.changes.find((c) => c.what === 'reboot loop removed')!.count).toBeGreaterThan(0);
    expect(arm.summary).toMatch(/turns 3 AO into AR/);
    // Seed 002: PG_hwpoison before mce_panic makes the vmcore complete.
    expect(has(x86, 'vmcore incomplete → complete', 1006)).toBe(true);
    // Seed 003: device memory without struct page: mappers are signalled after, nothing before.
    expect(has(x86, 'none → AO', 1074)).toBe(true);
    expect(has(arm, 'none → AR', 2021)).toBe(true);
    // Seed 004: arm64 copy_mc: kernel-mode consumption in copy_from_user no longer panics.
    expect(has(arm, 'panic → survived', 2040)).toBe(true);
  });

  it('prints the summary on the command line', () => {
    const r = cli(['compare', join(ROOT, 'traces/arm64.csv'), '-a', 'pre', '-b', 'post']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\npost vs pre: \d+ of 90 events changed\n {2}applying post instead of pre .*removes 12 reboot loops/);
    // The switches post adds to pre: exactly the seed changes (profiles.ts POST_SEED_SWITCHES).
    const head = r.stdout.slice(0, r.stdout.indexOf('\n\n'));
    expect(head.split('\n')[0]).toBe('switches that differ from pre to post:');
    expect([...head.matchAll(/^ {2}(\w+): off → on/gm)].map((m) => m[1])).toEqual(['ghes_sync_ar', 'mce_panic_hwpoison', 'ghes_task_work', 'ghes_sync_force_kill', 'mf_pfn_no_struct_page', 'arm64_copy_mc']);
    expect(cli(['compare', join(ROOT, 'traces/arm64.csv'), '-a', 'pre', '-b', 'pre']).code).toBe(2);
  });

  it('across a stable line names the backported switches, their commits and point releases', () => {
    // linux-6.6 is v6.6.0; linux-6.6.y (6.6.143) carries seed 002 from 6.6.16 ("[PATCH 6.6 012/322]",
    // 6.6.16-rc1 review, 2 Feb 2024) and aaf99ac2ceb7 from 6.6.88 ("[PATCH 6.6 195/393]", 23 Apr 2025).
    const r = cli(['compare', join(ROOT, 'traces/x86.csv'), '-a', 'linux-6.6', '-b', 'linux-6.6.y']);
    expect(r.code).toBe(0);
    const head = r.stdout.slice(0, r.stdout.indexOf('\n\n'));
    expect([...head.matchAll(/^ {2}(\w+): off → on/gm)].map((m) => m[1])).toEqual(['mce_panic_hwpoison', 'kill_accessing_not_found_ok']);
    expect(head).toContain('commit 1d11b153d23b');
    expect(head).toContain('linux-6.6.y: backported to 6.6.y in 6.6.16');
    expect(head).toContain('linux-6.6.y: backported to 6.6.y in 6.6.88');
    // Seed 002 turns the kdump capture of a fatal MCE on a user page complete (kernel-model §7).
    expect(r.stdout).toMatch(/vmcore incomplete → complete/);
  });
});
