// `diff --observed` on the real-log corpus (test/fixtures/real/): every log imported, replayed under
// the built-in profile nearest to the kernel that printed it, and each observed fact (panic,
// memory_failure() page type and result, signals) compared with the replay, by the rules of
// src/oracle/observed.ts diffObserved (checked against it below). The agreement figures are pinned
// per fact, and every remaining disagreement is listed with the reason it remains, from the kernel
// source or the log (the same table is in test/fixtures/real/README.md). A model or importer change
// that moves a figure, fixes a listed disagreement or adds one fails here: update the table with
// the reason, never the figure alone.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayEvents, type OutcomeRow } from '../../src/engine/replay-events.js';
import { importSource, type ImportResult, type ObservedRow, type SourceFormat } from '../../src/import/index.js';
import { TraceStreamWriter } from '../../src/io/arrow-trace.js';
import { builtinProfile } from '../../src/model/profiles.js';
import { diffObserved, writeObserved } from '../../src/oracle/observed.js';

const DIR = resolve(__dirname, '../fixtures/real');

/**
 * The profile nearest to each log's kernel (log number -> profile, why). Logs not listed are from
 * kernels older than v5.10 (or state no version and predate it), the oldest profile, replayed under
 * linux-5.10: no profile is near them, and their disagreements say so.
 */
const NEAREST: Record<string, [string, string]> = {
  '01': ['linux-5.17', 'the fix 046545a661af (posted 2022-01) was backported to 5.17.y in May 2022: the log is of a 5.17-era kernel before it'],
  '03': ['linux-6.17', 'posted 2025-10-16 on a v6.18-rc tree with the KSM series applied; v6.17 is the last release before'],
  '04': ['linux-6.17', 'as 03'],
  '05': ['linux-6.17', 'as 03'],
  '06': ['linux-6.3', 'tested 2023-05-22 (v6.4-rc): v6.3'],
  '07': ['linux-5.10', '5.10.0-rc3'],
  '08': ['linux-6.11', 'posted 2024-09-04 (v6.11-rc)'],
  '14': ['linux-6.11', 'posted 2024-09-29, before the device-dax fix it discusses'],
  '22': ['linux-6.5', 'posted 2023-10-07 (v6.6-rc), the transcript before the series'],
  '23': ['linux-6.8', 'the transcript after the series, whose synchronous-error si_code change (ghes_sync_ar) is in v6.8'],
  '24': ['linux-6.7', 'v6.7-rc8'],
  '25': ['linux-7.3', 'the panic_on_unrecoverable series under review landed in v7.3 (mf_kernel_page_unrecoverable)'],
  '26': ['linux-6.6', 'WSL2 guest kernel (6.6 line), 2026'],
  '27': ['linux-6.16', 'Bazzite 2026-08'],
  '33': ['linux-6.14', '6.14.0-rc2-next-20250210'],
  '34': ['linux-6.16', '6.16.0-rc3'],
  '36': ['linux-5.19', 'Proxmox, 2022-09'],
};

type Fact = 'panic' | 'memory_failure' | 'signals';

/**
 * Every disagreement left under the nearest profile: "NN line L fact" (L: the first line of the
 * event's `where`) -> class and reason. Classes: kernel-differs (the log's kernel behaves unlike
 * every profile), not-expressible (the trace has no column for what the kernel did), unknowable
 * (the log does not state the input the outcome depends on; none is left).
 */
const DISAGREEMENTS: Record<string, string> = {
  '09 line 12 memory_failure': 'kernel-differs: a 2015 (v4.x) kernel: memory_failure() gave a free buddy page MF_DELAYED; since v5.10 take_page_off_buddy() makes it MF_RECOVERED, which every profile replays',
  ...Object.fromEntries([2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((l) => [`14 line ${l} signals`,
    'kernel-differs: the thread\'s device-dax bug (dax_set_mapping() sets a misaligned pgoff), so collect_procs() finds no vma: memory_failure_dev_pagemap() reports "dax page: Recovered" with no kill, kill_me_maybe returns on 0 and the task re-executes into the next machine check; the model replays a correct rmap, so kill_procs sends the consumer BUS_MCEERR_AR'])),
  '17 line 1 signals': 'kernel-differs: a 2014 (v3.16) kernel: "dirty mlocked LRU page: Recovered" was reported while memory_failure() failed ("still referenced by 1 users"), so the machine check code printed "Memory error not recovered" and sent SIGBUS; the patch in the thread fixes that status, and every profile reports the result it returns',
  '37 line 11 signals': 'kernel-differs: a 2019 (v5.3-era) instrumented kernel with the bug the thread fixes: a device-dax page mapped twice got tk->size_shift 0 for one mapping, so kill_procs() sent SIGKILL ("forcibly killing") before the SIGBUS; later kernels (every profile) send one SIGBUS',
};

/** The agreement figures (agree, checked) per fact under the nearest profiles, and under post. */
const FIGURES = {
  nearest: { panic: [54, 54], memory_failure: [39, 40], signals: [53, 65] },
  post: { panic: [53, 54], memory_failure: [30, 40], signals: [51, 65] },
};

function formatOf(t: { importer?: string; format: string }): SourceFormat | null {
  if (t.importer === undefined) return t.format === 'mcelog' ? 'mcelog' : 'kernel-log';
  if (t.importer === 'ftrace' || t.importer === 'mcelog' || t.importer === 'kernel-log') return t.importer;
  return null;
}

const ALREADY = new Set(['already poisoned', 'already poisoned page']);

/** Per fact: null (not observed) or whether the replay agrees, by diffObserved's rules. */
function compare(o: ObservedRow, a: OutcomeRow): Record<Fact, boolean | null> {
  return {
    panic: o.panic === null ? null : o.panic === a.panic,
    memory_failure: o.mfResult === null ? null
      : o.mfResult === a.mf_result && (o.mfType === a.mf_type || (o.mfType !== null && a.mf_type !== null && ALREADY.has(o.mfType) && ALREADY.has(a.mf_type))),
    signals: o.signals === null ? null
      : o.signals.length === a.signals.length && o.signals.every((x) => a.signals.some((y) => (y.pid === x.pid || y.tid === x.pid) && y.signo === x.signo && (x.siCode === null || y.si_code === x.siCode))),
  };
}

interface Log { base: string; n: string; result: ImportResult }
const logs: Log[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'ras-real-observed-'));

beforeAll(async () => {
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.truth.json')).sort()) {
    const base = f.replace(/\.truth\.json$/, '');
    const t = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { importer?: string; format: string };
    const format = formatOf(t);
    logs.push({ base, n: base.slice(0, 2), result: await importSource(join(DIR, `${base}.log`), format === null ? {} : { format }) });
  }
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tally(profileOf: (n: string) => string): { figures: Record<Fact, [number, number]>; disagree: string[] } {
  const figures: Record<Fact, [number, number]> = { panic: [0, 0], memory_failure: [0, 0], signals: [0, 0] };
  const disagree: string[] = [];
  for (const { n, result } of logs) {
    const rows = new Map(replayEvents(result.events, [builtinProfile(profileOf(n))]).map((r) => [r.event_id, r]));
    result.observed.forEach((o, i) => {
      const line = /: lines? (\d+)/.exec(result.events[i]!.where)?.[1] ?? '?';
      for (const [fact, ok] of Object.entries(compare(o, rows.get(o.eventId)!)) as [Fact, boolean | null][]) {
        if (ok === null) continue;
        figures[fact][1]++;
        if (ok) figures[fact][0]++;
        else disagree.push(`${n} line ${line} ${fact}`);
      }
    });
  }
  return { figures, disagree };
}

const nearest = (n: string): string => NEAREST[n]?.[0] ?? 'linux-5.10';

describe('diff --observed on the real-log corpus', () => {
  it('under the nearest profiles: the pinned figures, and exactly the listed disagreements', () => {
    const { figures, disagree } = tally(nearest);
    expect(disagree.sort()).toEqual(Object.keys(DISAGREEMENTS).sort());
    expect(figures).toEqual(FIGURES.nearest);
  });

  it('under post (the seed profile, no release): the pinned figures', () => {
    expect(tally(() => 'post').figures).toEqual(FIGURES.post);
  });

  it('every listed disagreement has a class and a reason', () => {
    for (const [k, why] of Object.entries(DISAGREEMENTS)) expect(why, k).toMatch(/^(kernel-differs|not-expressible|unknowable): .{40,}/);
  });

  it('the comparison is diffObserved\'s: its totals for logs 01, 14 and 25 under their profiles', async () => {
    for (const n of ['01', '14', '25']) {
      const { base, result } = logs.find((l) => l.n === n)!;
      const trace = join(scratch, `${base}.arrows`);
      const obs = join(scratch, `${base}.observed.parquet`);
      const w = new TraceStreamWriter(trace);
      for (const e of result.events) w.add(e);
      w.close();
      await writeObserved(obs, result.observed, result.events);
      const [r] = await diffObserved(trace, obs, [nearest(n)]);
      const mine: Record<Fact, [number, number]> = { panic: [0, 0], memory_failure: [0, 0], signals: [0, 0] };
      const rows = new Map(replayEvents(result.events, [builtinProfile(nearest(n))]).map((x) => [x.event_id, x]));
      for (const o of result.observed) {
        for (const [fact, ok] of Object.entries(compare(o, rows.get(o.eventId)!)) as [Fact, boolean | null][]) {
          if (ok === null) continue;
          mine[fact][1]++;
          if (ok) mine[fact][0]++;
        }
      }
      expect([[r!.total.panicAgree, r!.total.panicChecked], [r!.total.mfAgree, r!.total.mfChecked], [r!.total.signalsAgree, r!.total.signalsChecked]], base)
        .toEqual([mine.panic, mine.memory_failure, mine.signals]);
    }
  }, 120_000);
});
