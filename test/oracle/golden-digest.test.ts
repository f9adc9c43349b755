// The golden digest (X.digest.parquet): `golden create` writes it beside a Parquet set, a diff
// through it gives exactly the result of the whole diff (the same set without its digest) for
// planted changes of every category, with and without --by, a redacted set and more than
// MAX_RANGES blocks to read; an added or missing event, or rows in another order, fall back to the
// whole diff (its join kind too); a rewritten golden file makes the digest stale, and a damaged
// digest is not used.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffFiles } from '../../src/oracle/commands.js';
import { blockRanges, DiffResult } from '../../src/oracle/diff.js';
import { Duck } from '../../src/oracle/duck.js';
import { createFromOutcomes } from '../../src/oracle/golden-create.js';
import { goldenDigestFile, readGoldenDigest } from '../../src/oracle/golden-digest.js';
import { goldenSignalsFile, openGolden } from '../../src/oracle/sources.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-gold-digest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const N = 2_700_000; // 42 blocks of 65,536 event ids
const BLOCK = 65536;

// Panics flipped at one event in every other block: 21 runs of blocks to read, more than
// MAX_RANGES (16), so the nearest are merged (with the clean blocks between them).
const FLIPS = Array.from({ length: 21 }, (_, k) => 2 * k * BLOCK + 1234 + k);
const VMCORE = 300_001; // vmcore 'complete' (a: 'none' or 'incomplete') -> vmcore_mismatch or none
const MF = 7 * 50_000; // mf_result 'Failed' (a: 'Recovered')           -> mf_mismatch
const LOOP = 400_003; // reboot loop where none                       -> reboot_loop_new
// Signals (on every 7th event in a): si_code 5 at 700, lsb 21 at 7007, tid 2 at 14014, the signal
// of 21021 removed, an extra pid at 28028.
const outcomes = (mut: boolean) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host,
    ${mut ? `(i % 97 = 0) <> (i IN (${FLIPS}))` : 'i % 97 = 0'} AS panic, NULL::VARCHAR AS panic_msg, ${mut ? `i = ${LOOP}` : 'false'} AS reboot_loop,
    CASE ${mut ? `WHEN i = ${VMCORE} THEN 'complete'` : ''} WHEN i % 97 = 0 THEN 'incomplete' ELSE 'none' END AS vmcore,
    CASE WHEN i % 7 = 0 THEN 'dirty LRU page' END AS mf_type, CASE ${mut ? `WHEN i = ${MF} THEN 'Failed'` : ''} WHEN i % 7 = 0 THEN 'Recovered' END AS mf_result,
    CASE WHEN i % 7 = 0 THEN 0 END AS mf_ret, i % 7 = 0 AS poisoned, i % 7 = 0 AS unmapped, 'none' AS guest_action,
    CASE WHEN i % 7 = 0 THEN 'x86.mce.ar.user.kill_me_maybe' WHEN i % 5 = 0 THEN 'x86.mce.ao' ELSE 'x86.mca.corrected' END AS path
    FROM range(${N}) r(i)`;
const signals = (mut: boolean) => `SELECT i::UBIGINT AS event_id, 'h' || (i // 1000) AS host, 0::UTINYINT AS seq,
    (1000 + i % 50)::UINTEGER AS pid, ${mut ? 'CASE WHEN i = 14014 THEN 2 ELSE 1000 + i % 50 END' : '1000 + i % 50'}::UINTEGER AS tid, 7::UTINYINT AS signo,
    ${mut ? 'CASE WHEN i = 700 THEN 5 ELSE 4 END' : '4'}::UTINYINT AS si_code, 0::UBIGINT AS addr, ${mut ? 'CASE WHEN i = 7007 THEN 21 ELSE 12 END' : '12'}::UTINYINT AS addr_lsb
    FROM range(${N}) r(i) WHERE i % 7 = 0 ${mut ? `AND i <> 21021 UNION ALL SELECT 28028::UBIGINT, 'h28', 1::UTINYINT, 99999::UINTEGER, 99999::UINTEGER, 7::UTINYINT, 5::UTINYINT, 0::UBIGINT, 12::UTINYINT` : ''}`;

async function writeRun(name: string, q: string, sig: string): Promise<string> {
  const db = await Duck.open();
  try {
    for (const [t, sql] of [['outcomes', q], ['signals', sig]] as const) {
      const d = join(dir, name, 'parquet', t, 'profile=pre', 'shard=0');
      mkdirSync(d, { recursive: true });
      await db.run(`COPY (${sql}) TO '${join(d, 'part-0.parquet')}' (FORMAT parquet)`);
    }
  } finally {
    db.close();
  }
  return join(dir, name);
}

/** The same golden set copied without its digest: diffed whole. */
function withoutDigest(golden: string, name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  copyFileSync(golden, join(d, 'set.parquet'));
  copyFileSync(goldenSignalsFile(golden), join(d, 'set.signals.parquet'));
  return join(d, 'set.parquet');
}

const strip = (r: DiffResult) => ({ ...r, golden: '', seconds: 0 });

let a = '';
let b = '';
const golden = join(dir, 'g', 'set.parquet');
const redacted = join(dir, 'r', 'set.parquet');

beforeAll(async () => {
  a = await writeRun('a', outcomes(false), signals(false));
  b = await writeRun('b', outcomes(true), signals(true));
  await createFromOutcomes(a, golden);
  await createFromOutcomes(a, redacted, { redact: ['mf_type', 'tid', 'lsb'] });
}, 120_000);

describe('the golden digest', () => {
  it('is written beside a Parquet set by golden create, and is fresh', async () => {
    expect(existsSync(goldenDigestFile(golden))).toBe(true);
    const db = await Duck.open();
    try {
      expect(await readGoldenDigest(db, golden, goldenSignalsFile(golden))).not.toBeNull();
      const blocks = Number(await db.scalar(`SELECT count(*) FROM read_parquet('${goldenDigestFile(golden)}')`));
      expect(blocks).toBe(Math.ceil(N / BLOCK));
      expect((await openGolden(db, golden)).digest).not.toBeNull();
    } finally {
      db.close();
    }
  });

  it('gives the whole diff\'s result for changes of every category, with and without --by', async () => {
    const whole = withoutDigest(golden, 'g-whole');
    for (const [by, examples] of [[[], 3], [[], 0], [[], 25], [['path'], 3], [['path', 'vmcore'], 25]] as const) {
      const fast = await diffFiles({ outcomes: b, golden, by: [...by], examples });
      const slow = await diffFiles({ outcomes: b, golden: whole, by: [...by], examples });
      expect(strip(fast)).toEqual(strip(slow));
    }
    const r = await diffFiles({ outcomes: b, golden });
    expect(r.join).toBe('positional');
    // Each planted change, counted: the flips by whether a panicked there (i % 97 = 0).
    expect(r.total.counts).toMatchObject({
      unexpected_panic: FLIPS.filter((i) => i % 97 !== 0).length, missed_panic: FLIPS.filter((i) => i % 97 === 0).length,
      vmcore_mismatch: 1, mf_mismatch: 1, reboot_loop_new: 1,
      si_code_wrong: 1, lsb_wrong: 1, thread_wrong: 1, under_kill: 1, over_kill: 1, no_golden: 0, no_outcome: 0,
    });
    expect(r.total.events).toBe(N);
  }, 120_000);

  it('is clean against the outcomes it was made from', async () => {
    const r = await diffFiles({ outcomes: a, golden, by: ['path'] });
    expect(strip(r)).toEqual(strip(await diffFiles({ outcomes: a, golden: withoutDigest(golden, 'g-whole2'), by: ['path'] })));
    expect(r.regression).toBe(false);
    expect(r.total.true_kill).toBe(Math.ceil(N / 7));
  }, 120_000);

  it('applies the set\'s redactions to the outcomes', async () => {
    const whole = withoutDigest(redacted, 'r-whole');
    for (const by of [[], ['path']]) {
      const fast = await diffFiles({ outcomes: b, golden: redacted, by });
      expect(strip(fast)).toEqual(strip(await diffFiles({ outcomes: b, golden: whole, by })));
      // Redacted: the wrong lsb, the wrong thread and the other mf_result's page type are not checked.
      expect(fast.total.counts).toMatchObject({ lsb_wrong: 0, thread_wrong: 0, si_code_wrong: 1, mf_mismatch: 1 });
    }
  }, 120_000);

  it('falls back to the whole diff for an added or missing event, and for rows in another order', async () => {
    const whole = withoutDigest(golden, 'g-whole3');
    const gone = await writeRun('gone', `SELECT * FROM (${outcomes(true)}) WHERE event_id <> 777777
      UNION ALL SELECT * REPLACE (${N + 5}::UBIGINT AS event_id) FROM (${outcomes(true)}) WHERE event_id = 3`, signals(true));
    const swapped = await writeRun('swapped', `SELECT * FROM (${outcomes(false)}) ORDER BY CASE WHEN event_id = 1000 THEN 1001 WHEN event_id = 1001 THEN 1000 ELSE event_id END`, signals(false));
    for (const [run, join] of [[gone, 'hash'], [swapped, 'hash']] as const) {
      for (const by of [[], ['path']]) {
        const fast = await diffFiles({ outcomes: run, golden, by });
        expect(strip(fast)).toEqual(strip(await diffFiles({ outcomes: run, golden: whole, by })));
        expect(fast.join).toBe(join);
      }
    }
    const r = await diffFiles({ outcomes: gone, golden });
    expect(r.total.counts).toMatchObject({ no_golden: 1, no_outcome: 1 });
  }, 120_000);

  it('is stale, and not used, once a golden file is rewritten', async () => {
    const g = join(dir, 's', 'set.parquet');
    await createFromOutcomes(a, g);
    const digest = goldenDigestFile(g);
    copyFileSync(digest, `${digest}.keep`);
    // Another golden set at the same name (from b), with the digest of the first one put back.
    await createFromOutcomes(b, g);
    copyFileSync(`${digest}.keep`, digest);
    const db = await Duck.open();
    try {
      expect(await readGoldenDigest(db, g, goldenSignalsFile(g))).toBeNull();
    } finally {
      db.close();
    }
    // Diffed whole: a against b's set is the mirror image of the changes above.
    const r = await diffFiles({ outcomes: a, golden: g });
    expect(strip(r)).toEqual(strip(await diffFiles({ outcomes: a, golden: withoutDigest(g, 's-whole') })));
    expect(r.total.counts.si_code_wrong).toBe(1);
    // A damaged digest (a block's count changed, its metadata kept) is not used either.
    await createFromOutcomes(a, g);
    const db1 = await Duck.open();
    try {
      expect(await readGoldenDigest(db1, g, goldenSignalsFile(g))).not.toBeNull();
      const kv = (await db1.rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${digest}')`)).map((r) => `${r.k}: '${r.v}'`).join(', ');
      await db1.run(`COPY (SELECT * REPLACE (CASE WHEN b = 3 THEN n + 1 ELSE n END AS n) FROM read_parquet('${digest}')) TO '${digest}.bad' (FORMAT parquet, KV_METADATA {${kv}})`);
      copyFileSync(`${digest}.bad`, digest);
      expect(await readGoldenDigest(db1, g, goldenSignalsFile(g))).toBeNull();
    } finally {
      db1.close();
    }
    // Only the mtime changed: stale too.
    await createFromOutcomes(a, g);
    const t = new Date(Date.now() - 3600_000);
    utimesSync(goldenSignalsFile(g), t, t);
    const db2 = await Duck.open();
    try {
      expect(await readGoldenDigest(db2, g, goldenSignalsFile(g))).toBeNull();
    } finally {
      db2.close();
    }
  }, 120_000);
});

describe('blockRanges', () => {
  it('merges runs of consecutive blocks, then the nearest runs until at most max are left', () => {
    expect(blockRanges([])).toEqual([]);
    expect(blockRanges([1n, 2n, 3n, 7n, 9n, 10n])).toEqual([[1n, 3n], [7n, 7n], [9n, 10n]]);
    // Gaps 3 (3..7), 1 (7..9), 10 (10..21): the smallest gap goes first.
    expect(blockRanges([1n, 2n, 3n, 7n, 9n, 10n, 21n], 2)).toEqual([[1n, 10n], [21n, 21n]]);
    expect(blockRanges([5n, 50n], 1)).toEqual([[5n, 50n]]);
  });
});
