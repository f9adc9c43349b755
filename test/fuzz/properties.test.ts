// Model invariants and determinism as properties (fast-check) over traces drawn from the curated
// suites: any subsequence of their rows, regrouped onto 1-4 hosts (sorted with --sort's order), under
// every built-in profile. The invariants and their kernel sources:
// - a signal goes only to a process that maps the page or to the consumer (the event's pid): the
//   kill list is built from the page's mappings (mm/memory-failure.c collect_procs_anon/_file);
//   the consumer of a synchronous error is signalled in its own context even when the page is no
//   longer mapped (kill_accessing_process, kill_me_maybe in arch/x86/kernel/cpu/mce/core.c);
// - BUS_MCEERR_AR (si_code 4) only to the consuming process: kill_proc sends AR only when
//   t == current with MF_ACTION_REQUIRED, every other process gets BUS_MCEERR_AO;
// - addr_lsb of a BUS_MCEERR_* signal is the mapping's page shift (tk->size_shift: PAGE_SHIFT, or
//   the huge page's shift for hugetlb): 12 or the event's page_shift;
// - the replay of a trace equals the union of the replays of its host shards (hosts share nothing).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTraceCsv } from '../../src/io/csv-trace.js';
import { OutcomeRow, outcomeJson, replayEvents } from '../../src/engine/replay-events.js';
import { BUILTIN_PROFILES } from '../../src/model/profiles.js';
import { shardOfHost } from '../../src/engine/shard.js';

const ROOT = resolve(__dirname, '../..');
const SUITES = ['x86', 'arm64'].map((s) => readFileSync(join(ROOT, 'traces', `${s}.csv`), 'utf8'));
const RUNS = Number(process.env.RAS_PROP_RUNS ?? 40);

/** A CSV trace: the header, a subsequence of one suite's rows, hosts renamed onto `hosts` names. */
const traceArb = fc.record({
  suite: fc.integer({ min: 0, max: 1 }),
  keep: fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
  hosts: fc.integer({ min: 1, max: 4 }),
  salt: fc.nat(1000),
}).map(({ suite, keep, hosts, salt }) => {
  const [head, ...rows] = SUITES[suite]!.trimEnd().split('\n');
  // Rows carry quoted notes with commas: the host is the second field, before any quote.
  const picked = rows.filter((_, i) => keep[i % keep.length]).map((r) => r.replace(/^(\d+),([^,]*),/, (_m, id: string, h: string) => `${id},h${(h.length + salt + Number(id)) % hosts},`));
  return [head, ...picked].join('\n');
});

function check(rows: OutcomeRow[], events: ReturnType<typeof parseTraceCsv>): void {
  const byId = new Map(events.map((e) => [e.eventId, e]));
  for (const r of rows) {
    const e = byId.get(r.event_id)!;
    const mappers = new Set<number>();
    for (let i = 0; i < e.mappers.length; i += 2) mappers.add(e.mappers[i]!);
    for (const s of r.signals) {
      expect(s.pid === e.pid || mappers.has(s.pid), `${r.profile} event ${r.event_id}: signal to pid ${s.pid}, neither the consumer ${e.pid} nor a mapper`).toBe(true);
      if (s.signo === 7 && s.si_code === 4) expect(s.pid, `${r.profile} event ${r.event_id}: BUS_MCEERR_AR to a process other than the consumer`).toBe(e.pid);
      if (s.signo === 7 && (s.si_code === 4 || s.si_code === 5) && s.addr_lsb !== null) {
        expect([12, e.pageShift], `${r.profile} event ${r.event_id}: addr_lsb ${s.addr_lsb}`).toContain(s.addr_lsb);
      }
    }
  }
}

describe('model invariants over traces drawn from the suites', () => {
  it('signals only to mappers or the consumer, AR only to the consumer, addr_lsb = page shift', () => {
    fc.assert(fc.property(traceArb, (text) => {
      const events = parseTraceCsv(text, 'prop.csv', { sort: true });
      check(replayEvents(events, [...BUILTIN_PROFILES]), events);
    }), { numRuns: RUNS, seed: 15 });
  });

  it('a replay equals the union of its host shards, under every built-in profile', () => {
    fc.assert(fc.property(traceArb, fc.integer({ min: 2, max: 4 }), (text, n) => {
      const events = parseTraceCsv(text, 'prop.csv', { sort: true });
      const key = (r: OutcomeRow) => `${r.profile} ${r.event_id}`;
      const whole = replayEvents(events, [...BUILTIN_PROFILES]).map((r) => [key(r), outcomeJson(r)] as const);
      const parts = [...Array(n).keys()].flatMap((i) => replayEvents(events.filter((e) => shardOfHost(e.host, n) === i), [...BUILTIN_PROFILES]))
        .map((r) => [key(r), outcomeJson(r)] as const);
      expect(new Map(parts)).toEqual(new Map(whole));
      expect(parts.length).toBe(whole.length);
    }), { numRuns: RUNS, seed: 16 });
  });
});

describe('determinism of run', () => {
  // Batch boundaries follow the source (a CSV is cut every batchRows rows, an Arrow trace keeps its
  // own batches), so the files are compared by content: every row of every column, in order.
  it('the same trace as CSV and as Arrow, on 1, 2 and 4 workers, gives identical outcome and signal rows', async () => {
    const { mkdtempSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { runTrace } = await import('../../src/engine/run.js');
    const { TraceStreamWriter } = await import('../../src/io/arrow-trace.js');
    const { readTraceCsv } = await import('../../src/io/csv-trace.js');
    const d = mkdtempSync(join(tmpdir(), 'ras-fuzz-det-'));
    const csv = join(ROOT, 'traces/x86.csv');
    const arrows = join(d, 'x86.arrows');
    const w = new TraceStreamWriter(arrows);
    for (const e of readTraceCsv(csv)) w.add(e);
    w.close();
    const outs: string[] = [];
    for (const [trace, workers] of [[csv, 1], [arrows, 1], [arrows, 2], [arrows, 4], [csv, 2]] as const) {
      const out = join(d, `o-${outs.length}`);
      await runTrace({ trace, profiles: [...BUILTIN_PROFILES], outDir: out, db: null, parquet: false, shard: null, workers, sort: false, batchRows: 16 });
      outs.push(out);
    }
    const list = (o: string) => {
      const r: string[] = [];
      const walk = (p: string) => { for (const e of readdirSync(p, { withFileTypes: true })) { if (e.isDirectory()) walk(join(p, e.name)); else r.push(join(p, e.name).slice(o.length)); } };
      walk(o);
      return r.sort();
    };
    const { tableFromIPC } = await import('apache-arrow');
    const rowsOf = (p: string) => {
      const t = tableFromIPC(readFileSync(p));
      return JSON.stringify({ fields: t.schema.fields.map((f) => `${f.name}:${f.type}`), rows: t.toArray() }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    };
    const first = list(outs[0]!);
    expect(first.length).toBe(2 * BUILTIN_PROFILES.length);
    for (const o of outs.slice(1)) {
      expect(list(o)).toEqual(first);
      for (const f of first) expect(rowsOf(join(o, f)), `${o}${f}`).toBe(rowsOf(join(outs[0]!, f)));
    }
  }, 300_000);
});
