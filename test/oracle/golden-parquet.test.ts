// Parquet golden sets at scale: golden create writes the events and their signals as two files, the
// diff reads both layouts (two files, and the earlier single file with a signals list) with the same
// counts, the positional join split into event_id ranges gives the counts and examples of one query,
// and a missing signals file is an input error. The mutations are planted, so every expected count
// and example follows from the construction (stated next to each).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffFiles } from '../../src/oracle/commands.js';
import { CATEGORIES, Category } from '../../src/oracle/diff.js';
import { Duck } from '../../src/oracle/duck.js';
import { GOLDEN_MAGIC } from '../../src/oracle/golden.js';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-gold-pq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const N = 1_000_003; // not a multiple of the range count: uneven ranges

// a: the accepted outcomes. b: a with planted changes:
//   panic at i = 500001, 600001, 700001, 800001 (none is a multiple of 97) -> unexpected_panic 4
//   no panic at i = 97000, 194000 (multiples of 97, panicking in a)       -> missed_panic 2
//   si_code 5 instead of 4 for i = 700 (a multiple of 7: signalled)      -> si_code_wrong 1
const PANIC_ADDED = [500001, 600001, 700001, 800001];
const PANIC_REMOVED = [97000, 194000];
const outcomes = (mut: boolean) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host,
    ${mut ? `((i % 97 = 0 AND i NOT IN (${PANIC_REMOVED})) OR i IN (${PANIC_ADDED}))` : 'i % 97 = 0'} AS panic, NULL::VARCHAR AS panic_msg, false AS reboot_loop,
    CASE WHEN i % 97 = 0 THEN 'incomplete' ELSE 'none' END AS vmcore,
    CASE WHEN i % 7 = 0 THEN 'dirty LRU page' END AS mf_type, CASE WHEN i % 7 = 0 THEN 'Recovered' END AS mf_result,
    CASE WHEN i % 7 = 0 THEN 0 END AS mf_ret, i % 7 = 0 AS poisoned, i % 7 = 0 AS unmapped, 'none' AS guest_action,
    CASE WHEN i % 7 = 0 THEN 'x86.mce.ar.user.kill_me_maybe' ELSE 'x86.mca.corrected' END AS path FROM range(${N}) r(i)`;
const signals = (mut: boolean) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host, 0::UTINYINT AS seq,
    (1000 + i % 50)::UINTEGER AS pid, (1000 + i % 50)::UINTEGER AS tid, 7::UTINYINT AS signo,
    ${mut ? 'CASE WHEN i = 700 THEN 5 ELSE 4 END' : '4'}::UTINYINT AS si_code, 0::UBIGINT AS addr, 12::UTINYINT AS addr_lsb
    FROM range(${N}) r(i) WHERE i % 7 = 0`;

const expected = (): Record<Category, number> => ({
  ...(Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>),
  unexpected_panic: 4, missed_panic: 2, si_code_wrong: 1,
});

const golden = join(dir, 'set.golden.parquet');
const oneFile = join(dir, 'old.golden.parquet');

beforeAll(async () => {
  const db = await Duck.open();
  try {
    for (const [name, mut] of [['a', false], ['b', true]] as const) {
      for (const [t, q] of [['outcomes', outcomes(mut)], ['signals', signals(mut)]] as const) {
        const d = join(dir, name, 'parquet', t, 'profile=pre', 'shard=0'); // a run folder's Parquet tree (src/io/layout.ts)
        mkdirSync(d, { recursive: true });
        await db.run(`COPY (${q}) TO '${join(d, 'part-0.parquet')}' (FORMAT parquet)`);
      }
    }
    // The earlier one-file layout: signals as a list column of the events file.
    await db.run(`COPY (SELECT o.event_id, o.panic, o.reboot_loop, o.vmcore, o.mf_type, o.mf_result,
        coalesce(s.signals, []) AS signals FROM (${outcomes(false)}) o LEFT JOIN (
          SELECT event_id, list(struct_pack(pid, tid, signo, si_code, addr_lsb, lsb_any := false)) AS signals FROM (${signals(false)}) GROUP BY event_id) s
        USING (event_id) ORDER BY o.event_id)
      TO '${oneFile}' (FORMAT parquet, KV_METADATA {golden: '${GOLDEN_MAGIC}', profile: 'pre', source: 'test'})`);
  } finally {
    db.close();
  }
}, 120_000);

describe('a Parquet golden set', () => {
  it('is written as an events file and a signals file beside it', async () => {
    const c = cli(['golden', 'create', '--from', 'outcomes', join(dir, 'a'), '-o', golden]);
    expect(c.stderr).toBe('');
    expect(JSON.parse(c.stdout)).toMatchObject({ rows: N, signals: Math.ceil(N / 7) });
    const sig = join(dir, 'set.golden.signals.parquet');
    expect(existsSync(sig)).toBe(true);
    const db = await Duck.open();
    try {
      const cols = (await db.rows(`SELECT name FROM parquet_schema('${golden}')`)).map((r) => String(r.name));
      expect(cols).not.toContain('signals');
      const kv = Object.fromEntries((await db.rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${golden}')`)).map((r) => [r.k, r.v]));
      expect(kv).toMatchObject({ golden: GOLDEN_MAGIC, signals: 'set.golden.signals.parquet', profile: 'pre' });
      expect(Number(await db.scalar(`SELECT count(*) FROM read_parquet('${sig}')`))).toBe(Math.ceil(N / 7));
    } finally {
      db.close();
    }
    // No scratch left in the output folder (DuckDB spills there while sorting).
    expect(readdirSync(dir).filter((f) => f.startsWith('.ras-replay-duck-') || f.includes('.tmp-'))).toEqual([]);
  }, 120_000);

  it('diffs with the planted counts, with one query or split into event_id ranges', async () => {
    const one = await diffFiles({ outcomes: join(dir, 'b'), golden, ranges: 1 });
    const three = await diffFiles({ outcomes: join(dir, 'b'), golden, ranges: 3 });
    for (const r of [one, three]) {
      expect(r.join).toBe('positional');
      expect(r.total.counts).toEqual(expected());
      expect(r.total.events).toBe(N);
      expect(r.total.true_kill).toBe(Math.ceil(N / 7));
      // Examples: the 3 smallest of 4 added panics, both removed ones, the one wrong si_code.
      expect(r.examples.filter((e) => e.category === 'unexpected_panic').map((e) => e.eventId)).toEqual(PANIC_ADDED.slice(0, 3).map(BigInt));
      expect(r.examples.filter((e) => e.category === 'missed_panic').map((e) => e.eventId)).toEqual(PANIC_REMOVED.map(BigInt));
      expect(r.examples.filter((e) => e.category === 'si_code_wrong').map((e) => e.eventId)).toEqual([700n]);
    }
    expect(three.examples).toEqual(one.examples);
  }, 120_000);

  it('gives the n smallest differing events of each category as examples, for any n', async () => {
    // The planted panics (PANIC_ADDED, in id order) and removals: n = 1 takes the first, n = 10 all.
    for (const [examples, added, removed] of [[1, PANIC_ADDED.slice(0, 1), PANIC_REMOVED.slice(0, 1)], [10, PANIC_ADDED, PANIC_REMOVED]] as const) {
      for (const ranges of [1, 3]) {
        const r = await diffFiles({ outcomes: join(dir, 'b'), golden, ranges, examples });
        expect(r.examples.filter((e) => e.category === 'unexpected_panic').map((e) => e.eventId)).toEqual(added.map(BigInt));
        expect(r.examples.filter((e) => e.category === 'missed_panic').map((e) => e.eventId)).toEqual(removed.map(BigInt));
      }
    }
  }, 120_000);

  it('in the earlier one-file layout is still read, with the same counts', async () => {
    const r = await diffFiles({ outcomes: join(dir, 'b'), golden: oneFile });
    expect(r.total.counts).toEqual(expected());
    // Every expected pid is signalled in b (the wrong si_code is still its pid): all true kills.
    expect(r.total.true_kill).toBe(Math.ceil(N / 7));
  }, 120_000);

  it('without its signals file is refused (exit 2)', () => {
    const lone = join(dir, 'lone');
    mkdirSync(lone, { recursive: true });
    const g = join(lone, 'x.parquet');
    expect(cli(['golden', 'create', '--from', 'outcomes', join(dir, 'a'), '-o', g]).stderr).toBe('');
    rmSync(join(lone, 'x.signals.parquet'));
    const d = cli(['diff', join(dir, 'b'), '-g', g]);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('its signals file "x.signals.parquet" (key-value metadata "signals") is not beside it');
  }, 120_000);
});
