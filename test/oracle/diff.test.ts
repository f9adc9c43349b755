// The diff: each category detected on one crafted mutation of real outcomes (exact counts), a clean
// diff, JUnit XML a JUnit parser accepts, Markdown, and the 1M-row Parquet diff.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseJunit, type TestSuites } from 'junit2json';
import { readTraceCsv } from '../../src/io/csv-trace.js';
import { BUILTIN_PROFILES } from '../../src/model/profiles.js';
import { outcomeJson, OutcomeRow, replayEvents } from '../../src/engine/replay-events.js';
import { diffFiles } from '../../src/oracle/commands.js';
import { CATEGORIES, Category } from '../../src/oracle/diff.js';
import { parseGolden } from '../../src/oracle/golden.js';
import { Duck } from '../../src/oracle/duck.js';
import { cli, ROOT } from '../helpers.js';
import { goldenFileFor } from '../../src/oracle/golden-index.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-diff-'));

function outcomes(suite: string, profile: string): OutcomeRow[] {
  const events = readTraceCsv(join(ROOT, 'traces', `${suite}.csv`));
  return replayEvents(events, [BUILTIN_PROFILES.find((p) => p.name === profile)!]);
}

function writeJsonl(name: string, rows: OutcomeRow[]): string {
  const f = join(dir, name);
  writeFileSync(f, rows.map(outcomeJson).join('\n') + '\n');
  return f;
}

const golden = (suite: string, profile: string) => join(ROOT, 'golden', suite, `${profile}.golden`);

function only(c: Category, n = 1): Record<Category, number> {
  return Object.fromEntries(CATEGORIES.map((k) => [k, k === c ? n : 0])) as Record<Category, number>;
}

describe('diff against the curated golden files', () => {
  it('is clean for every suite under every built-in profile', async () => {
    for (const suite of ['x86', 'arm64']) {
      for (const p of BUILTIN_PROFILES) {
        const f = writeJsonl(`${suite}-${p.name}.jsonl`, outcomes(suite, p.name));
        // The file covering the profile (# profiles:), chosen without --profile from the outcomes' one profile.
        const r = await diffFiles({ outcomes: f, golden: goldenFileFor(ROOT, suite, p.name) });
        expect(r.regression, `${suite} × ${p.name}`).toBe(false);
        expect(r.total.counts).toEqual(Object.fromEntries(CATEGORIES.map((k) => [k, 0])));
        expect(r.join).toBe('positional');
      }
    }
  });

  describe('one crafted mutation per category, counted exactly', () => {
    type Mut = { cat: Category; suite: string; profile: string; pick: (o: OutcomeRow, g: ReturnType<typeof goldenRow>) => boolean; apply: (o: OutcomeRow, all: OutcomeRow[]) => void };
    const goldenRow = (suite: string, profile: string, id: bigint) => parseGolden(readFileSync(golden(suite, profile), 'utf8'), 'g').rows.get(id)!;
    const muts: Mut[] = [
      { cat: 'unexpected_panic', suite: 'x86', profile: 'pre', pick: (_o, g) => !g.panic, apply: (o) => { o.panic = true; } },
      { cat: 'missed_panic', suite: 'x86', profile: 'pre', pick: (_o, g) => g.panic, apply: (o) => { o.panic = false; } },
      { cat: 'si_code_wrong', suite: 'x86', profile: 'pre', pick: (o) => o.signals.length === 1 && o.signals[0]!.si_code === 4, apply: (o) => { o.signals[0]!.si_code = 5; } },
      { cat: 'lsb_wrong', suite: 'x86', profile: 'pre', pick: (o) => o.signals.length === 1 && o.signals[0]!.addr_lsb === 12, apply: (o) => { o.signals[0]!.addr_lsb = 21; } },
      { cat: 'over_kill', suite: 'x86', profile: 'pre', pick: (o) => o.signals.length === 0, apply: (o) => { o.signals.push({ seq: 0, pid: 99999, tid: 99999, signo: 7, si_code: 5, addr: 0, addr_lsb: 12 }); } },
      { cat: 'under_kill', suite: 'x86', profile: 'pre', pick: (o) => o.signals.length === 1, apply: (o) => { o.signals = []; } },
      { cat: 'thread_wrong', suite: 'x86', profile: 'pre', pick: (o, g) => o.signals.length === 1 && g.signals[0]?.tid !== null, apply: (o) => { o.signals[0]!.tid += 1; } },
      { cat: 'reboot_loop_new', suite: 'x86', profile: 'pre', pick: (_o, g) => !g.rebootLoop, apply: (o) => { o.reboot_loop = true; } },
      { cat: 'reboot_loop_gone', suite: 'arm64', profile: 'pre', pick: (_o, g) => g.rebootLoop, apply: (o) => { o.reboot_loop = false; } },
      { cat: 'vmcore_incomplete', suite: 'x86', profile: 'post', pick: (_o, g) => g.vmcore === 'complete', apply: (o) => { o.vmcore = 'incomplete'; } },
      { cat: 'vmcore_mismatch', suite: 'x86', profile: 'pre', pick: (_o, g) => g.vmcore === 'none', apply: (o) => { o.vmcore = 'incomplete'; } },
      { cat: 'mf_mismatch', suite: 'x86', profile: 'pre', pick: (o, g) => g.mfResult === 'Recovered' && o.mf_result === 'Recovered', apply: (o) => { o.mf_result = 'Failed'; } },
      { cat: 'no_golden', suite: 'x86', profile: 'pre', pick: () => true, apply: (o, all) => { all.push({ ...o, event_id: 999999n, signals: [] }); } },
      { cat: 'no_outcome', suite: 'x86', profile: 'pre', pick: () => true, apply: (o, all) => { all.splice(all.indexOf(o), 1); } },
    ];
    for (const m of muts) {
      it(m.cat, async () => {
        const rows = outcomes(m.suite, m.profile);
        const target = rows.find((o) => m.pick(o, goldenRow(m.suite, m.profile, o.event_id)));
        expect(target, 'a row to mutate').toBeDefined();
        m.apply(target!, rows);
        const r = await diffFiles({ outcomes: writeJsonl(`mut-${m.cat}.jsonl`, rows), golden: golden(m.suite, m.profile), examples: 2 });
        expect(r.total.counts).toEqual(only(m.cat));
        expect(r.regression).toBe(true);
        expect(r.examples.map((e) => [e.category, e.eventId])).toEqual([[m.cat, m.cat === 'no_golden' ? 999999n : target!.event_id]]);
        if (m.cat === 'over_kill') expect(r.total.precision).toBeCloseTo(r.total.true_kill / (r.total.true_kill + 1), 12);
        if (m.cat === 'under_kill') expect(r.total.recall).toBeCloseTo(r.total.true_kill / (r.total.true_kill + 1), 12);
      });
    }
  });

  it('groups by outcome and trace columns', async () => {
    const rows = outcomes('x86', 'pre');
    const t = rows.find((o) => o.signals.length === 1 && o.signals[0]!.si_code === 4)!;
    t.signals[0]!.si_code = 5;
    const f = writeJsonl('by.jsonl', rows);
    const r = await diffFiles({ outcomes: f, golden: golden('x86', 'pre'), by: ['path', 'context'], trace: join(ROOT, 'traces/x86.csv') });
    const bad = r.groups.filter((g) => g.counts.counts.si_code_wrong > 0);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.key.path).toBe(t.path);
    expect(r.groups.reduce((n, g) => n + g.counts.events, 0)).toBe(rows.length);
    expect(r.examples[0]!.explain!.some((l) => l.startsWith('  - '))).toBe(true);
  });
});

describe('diff on the command line', () => {
  it('exits 0 when clean, 1 on a regression with JUnit XML a JUnit parser accepts and a Markdown summary', async () => {
    const clean = cli(['diff', join(ROOT, 'traces/x86.csv'), '-p', 'post', '-g', golden('x86', 'post')]);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^ok: .* 126 events/);
    const rows = outcomes('x86', 'post');
    rows.find((o) => !o.panic)!.panic = true;
    rows.find((o) => o.signals.length === 1)!.signals = [];
    const junit = join(dir, 'diff.xml');
    const mdf = join(dir, 'diff.md');
    const r = cli(['diff', writeJsonl('cli.jsonl', rows), '-g', golden('x86', 'post'), '--junit', junit, '--markdown', mdf, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.total.counts.unexpected_panic).toBe(1);
    expect(j.total.counts.under_kill).toBe(1);
    const x = await parseJunit(readFileSync(junit, 'utf8'));
    expect(x!.tests).toBe(CATEGORIES.length);
    expect(x!.failures).toBe(2);
    expect(x && 'testsuite' in x).toBe(true);
    const cases = (x as TestSuites).testsuite![0]!.testcase!;
    expect(cases.filter((c) => c.failure).map((c) => c.failure![0]!.type).sort()).toEqual(['under_kill', 'unexpected_panic']);
    expect(readFileSync(mdf, 'utf8')).toMatch(/\| 126 \| 1 \| 0 \| 0 \| 0 \| 1 \|/);
  });

  it('names bad input and exits 2', () => {
    const bad = join(dir, 'bad.golden');
    writeFileSync(bad, '# ras-replay golden v1\nevent_id\tpanic\treboot_loop\tvmcore\tmf_type\tmf_result\tsignals\n1\tmaybe\tfalse\tnone\t-\t-\t-\n');
    const r = cli(['diff', join(ROOT, 'traces/x86.csv'), '-p', 'pre', '-g', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad.golden: line 3: column panic: value "maybe": expected true or false/);
    expect(cli(['diff', join(dir, 'nope.jsonl'), '-g', golden('x86', 'pre')]).code).toBe(2);
    expect(cli(['diff', join(ROOT, 'traces/x86.csv'), '-g', golden('x86', 'pre'), '--by', 'colour']).stderr).toMatch(/--by "colour": expected an outcome column/);
  });
});

describe('a 1M-row Parquet golden set', () => {
  it('is diffed by content in DuckDB with exact counts', async () => {
    const n = 1_000_000;
    const out = join(dir, 'big');
    const db = await Duck.open();
    // Outcomes as `run --parquet` lays them out; event 7·k consumed with an AR to pid 1000+k%50.
    const outcomes = (mut: boolean) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host, 'pre' AS profile,
        ${mut ? '(i % 97 = 0 OR i = 500001)' : 'i % 97 = 0'} AS panic, NULL::VARCHAR AS panic_msg, false AS reboot_loop,
        CASE WHEN i % 97 = 0 THEN 'incomplete' ELSE 'none' END AS vmcore,
        CASE WHEN i % 7 = 0 THEN 'dirty LRU page' END AS mf_type, CASE WHEN i % 7 = 0 THEN 'Recovered' END AS mf_result,
        CASE WHEN i % 7 = 0 THEN 0 END AS mf_ret, i % 7 = 0 AS poisoned, i % 7 = 0 AS unmapped, 'none' AS guest_action,
        CASE WHEN i % 7 = 0 THEN 'x86.mce.ar.user.kill_me_maybe' ELSE 'x86.mca.corrected' END AS path FROM range(${n}) r(i)`;
    const signals = (mut: boolean) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host, 'pre' AS profile, 0::UTINYINT AS seq,
        (1000 + i % 50)::UINTEGER AS pid, (1000 + i % 50)::UINTEGER AS tid, 7::UTINYINT AS signo,
        ${mut ? 'CASE WHEN i = 700 THEN 5 ELSE 4 END' : '4'}::UTINYINT AS si_code, 0::UBIGINT AS addr, 12::UTINYINT AS addr_lsb
        FROM range(${n}) r(i) WHERE i % 7 = 0 ${mut ? 'AND i <> 7007' : ''}`;
    for (const [name, mut] of [['a', false], ['b', true]] as const) {
      for (const [t, q] of [['outcomes', outcomes(mut)], ['signals', signals(mut)]] as const) {
        const d = join(out, name, 'parquet', t, 'profile=pre', 'shard=all'); // run --parquet's tree (src/io/layout.ts)
        mkdirSync(d, { recursive: true });
        await db.run(`COPY (SELECT * EXCLUDE (profile) FROM (${q})) TO '${join(d, 'part-0.parquet')}' (FORMAT parquet)`);
      }
    }
    db.close();
    const g = join(dir, 'big.golden.parquet');
    const created = cli(['golden', 'create', '--from', 'outcomes', join(out, 'a'), '-o', g]);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout).rows).toBe(n);
    const clean = await diffFiles({ outcomes: join(out, 'a'), golden: g });
    expect(clean.regression).toBe(false);
    expect(clean.total.events).toBe(n);
    const r = await diffFiles({ outcomes: join(out, 'b'), golden: g });
    expect(r.join).toBe('positional');
    expect({ ...r.total.counts }).toEqual({ ...only('unexpected_panic'), si_code_wrong: 1, under_kill: 1 });
    expect(r.total.true_kill).toBe(Math.ceil(n / 7) - 1);
  });
});
