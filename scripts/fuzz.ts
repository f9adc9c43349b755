// `npm run fuzz -- --minutes N [--target a,b] [--seed S] [--save DIR]`: runs the fuzz targets of
// test/fuzz/ round-robin for N minutes (each target in slices of a few seconds), then prints per
// target the inputs tried, accepted, rejected with InputError, failures and the slowest input, and
// writes the same as JSON (fuzz-results.json). Exit 1 if any input failed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { drive, session, TargetStats, tmpLeftovers } from '../test/fuzz/lib/check.js';
import { TARGETS } from '../test/fuzz/lib/targets.js';

async function main(): Promise<void> {
  const o = new Command('fuzz')
    .option('--minutes <n>', 'how long to run', '1')
    .option('--target <names>', `only these targets (comma-separated): ${TARGETS.map((t) => t.name).join(', ')}`)
    .option('--seed <n>', 'first random seed', '1')
    .option('--save <dir>', 'save failing inputs here', 'artifacts/fuzz-failures')
    .option('--json <file>', 'the results as JSON', 'artifacts/fuzz-results.json')
    .parse(process.argv).opts<{ minutes: string; target?: string; seed: string; save: string; json: string }>();
  const minutes = Number(o.minutes);
  if (!(minutes > 0)) throw new Error(`--minutes ${o.minutes}: expected a positive number`);
  const targets = o.target ? o.target.split(',').map((n) => {
    const t = TARGETS.find((x) => x.name === n);
    if (!t) throw new Error(`--target ${n}: expected one of ${TARGETS.map((x) => x.name).join(', ')}`);
    return t;
  }) : TARGETS;
  // A private $TMPDIR, so the leftover count sees only this run's files (the machine is shared).
  const privateTmp = mkdtempSync(join(tmpdir(), 'ras-replay-fuzz-tmp-'));
  process.env.TMPDIR = privateTmp;
  const leftBefore = new Set(tmpLeftovers());
  const s = await session(targets);
  const end = Date.now() + minutes * 60_000;
  const totals = new Map<string, TargetStats>(targets.map((t) => [t.name, { target: t.name, inputs: 0, accepted: 0, rejected: 0, failures: [], maxMs: 0 }]));
  let seed = Number(o.seed);
  const t0 = Date.now();
  let lastPrint = 0;
  while (Date.now() < end) {
    for (const t of targets) {
      if (Date.now() >= end) break;
      // Slices of equal time per target: cheap targets get many more inputs than costly ones.
      const st = await drive(t, s.dir, { seed: seed++, maxInputs: Infinity, until: Math.min(end, Date.now() + 5_000), slowMs: 30_000, saveDir: o.save });
      const tot = totals.get(t.name)!;
      tot.inputs += st.inputs; tot.accepted += st.accepted; tot.rejected += st.rejected; tot.maxMs = Math.max(tot.maxMs, st.maxMs);
      tot.failures.push(...st.failures.slice(0, Math.max(0, 20 - tot.failures.length)));
      if (st.failures.length) (tot as TargetStats & { failed?: number }).failed = ((tot as TargetStats & { failed?: number }).failed ?? 0) + st.failures.length;
    }
    if (Date.now() - lastPrint > 60_000) {
      lastPrint = Date.now();
      const n = [...totals.values()].reduce((a, x) => a + x.inputs, 0);
      process.stderr.write(`fuzz: ${((Date.now() - t0) / 60_000).toFixed(1)} min, ${n} inputs\n`);
    }
  }
  s.dispose();
  const leftovers = tmpLeftovers().filter((f) => !leftBefore.has(f));
  const rows = [...totals.values()].map((x) => ({ target: x.target, inputs: x.inputs, accepted: x.accepted, rejected: x.rejected, failed: (x as TargetStats & { failed?: number }).failed ?? 0, max_ms: Math.round(x.maxMs) }));
  const total = rows.reduce((a, r) => a + r.inputs, 0);
  const failed = rows.reduce((a, r) => a + r.failed, 0);
  for (const r of rows) process.stdout.write(`${r.target.padEnd(22)} ${String(r.inputs).padStart(9)} inputs  ${String(r.accepted).padStart(8)} accepted  ${String(r.rejected).padStart(8)} rejected  ${String(r.failed).padStart(4)} failed  slowest ${r.max_ms} ms\n`);
  process.stdout.write(`total: ${total} inputs in ${((Date.now() - t0) / 60_000).toFixed(1)} min, ${failed} failed, ${leftovers.length} leftovers in $TMPDIR${leftovers.length ? ` (${leftovers.join(', ')})` : ''}\n`);
  for (const x of totals.values()) for (const f of x.failures.slice(0, 3)) process.stdout.write(`  ${f.target} [${f.how.join('+')}]${f.saved ? ` ${f.saved}` : ''}: ${f.error.split('\n').slice(0, 3).join(' | ')}\n`);
  rmSync(privateTmp, { recursive: true, force: true });
  writeFileSync(o.json, `${JSON.stringify({ minutes, total, failed, leftovers, targets: rows, failures: [...totals.values()].flatMap((x) => x.failures) }, null, 2)}\n`);
  process.exitCode = failed || leftovers.length ? 1 : 0;
}

main().then(() => process.exit(process.exitCode ?? 0), (e) => {
  process.stderr.write(`fuzz: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(70);
});
