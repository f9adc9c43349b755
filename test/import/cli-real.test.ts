// `import`, `explain` and `run --jsonl` on what real machines print, through the real CLI:
// nothing lost silently (an empty trace every command reads; RAS-looking lines not understood are
// counted and, with --verbose, listed with their line numbers) and imported Arrow traces explained
// next to the log lines they came from.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-import-real-'));
/** Each test spawns the CLI several times (DuckDB for the observed outcomes): room on a loaded machine. */
const SLOW = 240_000;

describe('import: nothing lost silently', () => {
  it('a log without a RAS event gives an empty trace that run and diff --observed read, and says so', () => {
    const log = join(dir, 'quiet.log');
    writeFileSync(log, '[    0.000000] Linux version 6.6.0 (builder@host) #1 SMP\n[    1.000000] random: crng init done\n');
    const out = join(dir, 'quiet.arrows');
    const imp = cli(['import', log, '-o', out]);
    expect(imp.code).toBe(0);
    expect(imp.stderr).toContain('no RAS event found in 2 line(s); wrote an empty trace');
    expect(JSON.parse(imp.stdout)).toMatchObject({ format: 'kernel-log', events: 0, lines: 2, not_understood: 0 });
    const run = cli(['run', out, '-p', 'post', '--jsonl']);
    expect([run.code, run.stdout]).toEqual([0, '']);
    const diff = cli(['diff', out, '--observed', join(dir, 'quiet.observed.parquet'), '-p', 'post', '--json']);
    expect(diff.code).toBe(0);
    expect(JSON.parse(diff.stdout)).toMatchObject([{ profile: 'post', events: 0, agreement: null }]);
  }, SLOW);

  it('RAS-looking lines not understood are counted, and --verbose lists them with line numbers', () => {
    const log = join(dir, 'odd.log');
    // Line 2 is a (made-up) driver message that looks like RAS; line 3 a real memory_failure() line.
    writeFileSync(log, [
      '[  10.000000] Booting node',
      '[  11.000000] foo_edac: EDAC frobnicator lost track of the scrubber',
      '[  12.000000] Memory failure: 0x1234: recovery action for free buddy page: Recovered',
    ].join('\n'));
    const imp = cli(['import', log, '-o', join(dir, 'odd.arrows'), '--verbose']);
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ events: 1, not_understood: 1 });
    expect(imp.stderr).toContain(`ras-replay: not understood: ${log}: line 2: [  11.000000] foo_edac: EDAC frobnicator lost track of the scrubber`);
    expect(imp.stderr).toContain('1 line(s) look like RAS messages but were not understood');
  }, SLOW);
});

describe('imported Arrow traces are first-class', () => {
  it('explain shows the observed outcome and the source lines; run --jsonl replays the Arrow trace', () => {
    // Andi Kleen's 2009 hwpoison test log (the corpus's 16-x86-2009-early-kill-then-late-kills.log,
    // lines 13-15 there): the x86 fault handler's "MCE: Killing …" after the page was poisoned.
    const log = join(dir, 'late.log');
    writeFileSync(log, [
      '[   58.092010] MCE 0xb4365: dirty LRU page recovery: Recovered',
      '[   58.116054] MCE: Killing copy_to_user_te:3768 due to hardware memory corruption fault at 7fffcab7d000',
    ].join('\n'));
    const out = join(dir, 'late.arrows');
    expect(cli(['import', log, '-o', out]).code).toBe(0);
    const x = cli(['explain', out, '-e', '2', '-p', 'post']);
    expect(x.code).toBe(0);
    expect(x.stdout).toContain(`event 2 observed (${join(dir, 'late.observed.parquet')}): panic=- mf=-/- signals=3768:7/4`);
    expect(x.stdout).toContain(`event 2 (${log}: line 2) under profile post`);
    expect(x.stdout).toContain('path: access.hwpoison_fault');
    const j = cli(['run', out, '-p', 'post', '--jsonl']);
    expect(j.code).toBe(0);
    const rows = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event_id: number; path: string; signals: { pid: number; si_code: number }[] });
    expect(rows.map((r) => r.event_id)).toEqual([1, 2]);
    // do_sigbus: force_sig_mceerr(BUS_MCEERR_AR) to the faulting task.
    expect(rows[1]!.signals.map((s) => [s.pid, s.si_code])).toEqual([[3768, 4]]);
  }, SLOW);
});
