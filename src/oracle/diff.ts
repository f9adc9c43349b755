// The diff of outcomes against expectations (docs/trace-format.md §4), computed in DuckDB over the
// relations of sources.ts (act, act_sig, exp, exp_sig).
//
// Categories, per event present on both sides (decision table):
//   unexpected_panic   expected to survive, panicked                      panic avoidance
//   missed_panic       expected to panic, did not                         panic avoidance
//   si_code_wrong      a signalled pid got other (signo, si_code)s than expected   si_code correctness
//   lsb_wrong          same (signo, si_code)s, other addr_lsb                       si_code correctness
//   thread_wrong       the right pid, not the expected thread                       kill accuracy
//   over_kill          a pid signalled that was not expected to be (innocent)      kill accuracy
//   under_kill         an expected pid not signalled (silent data corruption risk)  kill accuracy
//   reboot_loop_new    an unhandled sync error re-faults where none was expected
//   reboot_loop_gone   an expected reboot loop did not happen
//   vmcore_incomplete  expected a complete vmcore, got an incomplete one or none
//   vmcore_mismatch    any other vmcore difference
//   mf_mismatch        mf_type or mf_result differs where the golden file checks them
// and per event present on one side only: no_golden (an outcome without expectation) and
// no_outcome (an expectation without outcome). Every category is a regression: a golden file is
// what the stack must do, and a difference is fixed or deliberately accepted.
// Kill accuracy counts pids per event: precision = tp / (tp + over_kill), recall = tp / (tp + under_kill).
//
// Speed: when both sides list the same events in the same order (a golden set made from these
// outcomes, a generated trace in event_id order), the sides are read side by side with a
// POSITIONAL JOIN (one streaming pass, no hash table: bounded memory); otherwise a hash join.
// With a golden digest (golden-digest.ts) only the outcomes are read whole, and the golden set
// only in the blocks whose digest differs (digestDiff).
import { InputError } from '../io/errors.js';
import { Duck, ident, num, Row } from './duck.js';
import { compareSignals, GoldenSignal, Redaction, signalToken } from './golden.js';
import { BLOCK_BITS, blockDigestSql, eventDigestSql, signalDigestSql } from './golden-digest.js';

export const EVENT_CATEGORIES = [
  'unexpected_panic', 'missed_panic', 'reboot_loop_new', 'reboot_loop_gone', 'vmcore_incomplete', 'vmcore_mismatch', 'mf_mismatch',
  'no_golden', 'no_outcome',
] as const;
export const SIGNAL_CATEGORIES = ['si_code_wrong', 'lsb_wrong', 'thread_wrong', 'over_kill', 'under_kill'] as const;
/** Every category, in reporting order (docs/trace-format.md §4's order). */
export const CATEGORIES = [
  'unexpected_panic', 'missed_panic', 'si_code_wrong', 'lsb_wrong', 'over_kill', 'under_kill', 'thread_wrong',
  'reboot_loop_new', 'reboot_loop_gone', 'vmcore_incomplete', 'vmcore_mismatch', 'mf_mismatch', 'no_golden', 'no_outcome',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** How each category is reported to people (grouped as docs/trace-format.md §4 groups them). */
export const CATEGORY_INFO: Record<Category, { group: string; text: string }> = {
  unexpected_panic: { group: 'panic avoidance', text: 'expected to survive, panicked' },
  missed_panic: { group: 'panic avoidance', text: 'expected to panic, did not' },
  si_code_wrong: { group: 'si_code correctness', text: 'signal with a wrong signo/si_code' },
  lsb_wrong: { group: 'si_code correctness', text: 'signal with a wrong addr_lsb' },
  thread_wrong: { group: 'kill accuracy', text: 'right process, wrong thread' },
  over_kill: { group: 'kill accuracy', text: 'innocent process signalled (over-kill)' },
  under_kill: { group: 'kill accuracy', text: 'expected process not signalled (under-kill)' },
  reboot_loop_new: { group: 'reboot loops', text: 'reboot loop not expected' },
  reboot_loop_gone: { group: 'reboot loops', text: 'expected reboot loop did not happen' },
  vmcore_incomplete: { group: 'vmcore', text: 'complete vmcore expected, not produced' },
  vmcore_mismatch: { group: 'vmcore', text: 'other vmcore difference' },
  mf_mismatch: { group: 'memory_failure', text: 'mf_type/mf_result differ' },
  no_golden: { group: 'coverage', text: 'event without expectation' },
  no_outcome: { group: 'coverage', text: 'expectation without outcome' },
};

export interface DiffCounts {
  events: number;
  expected_panics: number;
  panics: number;
  true_kill: number;
  precision: number | null;
  recall: number | null;
  counts: Record<Category, number>;
}

export interface DiffExample {
  category: Category;
  eventId: bigint;
  host: string | null;
  path: string | null;
  expected: string;
  actual: string;
  explain?: string[];
}

export interface DiffResult {
  outcomes: string;
  golden: string;
  profile: string;
  by: string[];
  join: 'positional' | 'hash';
  total: DiffCounts;
  groups: { key: Record<string, string | null>; counts: DiffCounts }[];
  examples: DiffExample[];
  regression: boolean;
  seconds: number;
}

export interface DiffOptions {
  by?: string[];
  examples?: number;
  /** A relation with event_id and trace columns, for --by on trace columns. */
  traceRelation?: string | null;
  traceColumns?: readonly string[];
  /**
   * The positional join split into this many event_id ranges, each on its own connection (run in
   * parallel); 1: one query. Both sides are sorted by event_id when the positional join applies.
   */
  ranges?: number;
  /** A fresh golden digest (golden-digest.ts): blocks whose sums match are not read. */
  digest?: DigestInput | null;
}

const OUTCOME_GROUP_COLS = ['host', 'profile', 'panic', 'panic_msg', 'reboot_loop', 'vmcore', 'mf_type', 'mf_result', 'mf_ret', 'poisoned', 'unmapped', 'guest_action', 'path'];

const EVENT_FLAGS: Record<(typeof EVENT_CATEGORIES)[number], string> = {
  unexpected_panic: 'on_both AND a_panic AND NOT g_panic',
  missed_panic: 'on_both AND NOT a_panic AND g_panic',
  reboot_loop_new: 'on_both AND a_rl AND NOT g_rl',
  reboot_loop_gone: 'on_both AND NOT a_rl AND g_rl',
  vmcore_incomplete: "on_both AND g_vm = 'complete' AND a_vm <> 'complete'",
  vmcore_mismatch: "on_both AND a_vm <> g_vm AND g_vm <> 'complete'",
  mf_mismatch: "on_both AND ((g_mft IS DISTINCT FROM '*' AND g_mft IS DISTINCT FROM a_mft) OR (g_mfr IS DISTINCT FROM '*' AND g_mfr IS DISTINCT FROM a_mfr))",
  no_golden: 'g_id IS NULL',
  no_outcome: 'a_id IS NULL',
};

/**
 * Signal pairs per (event, pid): expected vs actual signals and their categories. Multisets are
 * compared by count and a sum of per-signal hashes (order-free: no per-group sort), the wildcard
 * lsb (`*`) by leaving lsb out of the hash for that pid, and threads by an anti-join.
 */
const signalPairs = (act_sig = 'act_sig', exp_sig = 'exp_sig') => `
WITH e AS (
  SELECT event_id, pid, count(*) AS n, sum(hash(signo, si_code)::HUGEINT) AS codes,
    sum(hash(signo, si_code, addr_lsb)::HUGEINT) AS lsbs, bool_or(lsb_any) AS lsb_any
  FROM ${exp_sig} GROUP BY event_id, pid),
a AS (
  SELECT event_id, pid, count(*) AS n, sum(hash(signo, si_code)::HUGEINT) AS codes, sum(hash(signo, si_code, addr_lsb)::HUGEINT) AS lsbs
  FROM ${act_sig} GROUP BY event_id, pid),
t AS (
  SELECT DISTINCT event_id, pid FROM ${exp_sig} x WHERE tid IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${act_sig} y WHERE y.event_id = x.event_id AND y.pid = x.pid AND y.tid = x.tid))
SELECT event_id, pid,
  e.pid IS NULL AS over_kill, a.pid IS NULL AS under_kill, (e.pid IS NOT NULL AND a.pid IS NOT NULL) AS tp,
  (e.pid IS NOT NULL AND a.pid IS NOT NULL AND (e.n <> a.n OR e.codes <> a.codes)) AS si_code_wrong,
  (e.pid IS NOT NULL AND a.pid IS NOT NULL AND e.n = a.n AND e.codes = a.codes AND NOT e.lsb_any AND e.lsbs <> a.lsbs) AS lsb_wrong,
  (e.pid IS NOT NULL AND a.pid IS NOT NULL AND t.pid IS NOT NULL) AS thread_wrong
FROM e FULL OUTER JOIN a USING (event_id, pid) LEFT JOIN t USING (event_id, pid)`;

function emptyCounts(): DiffCounts {
  return {
    events: 0, expected_panics: 0, panics: 0, true_kill: 0, precision: null, recall: null,
    counts: Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>,
  };
}

function finish(c: DiffCounts): DiffCounts {
  const tp = c.true_kill;
  const over = c.counts.over_kill;
  const under = c.counts.under_kill;
  c.precision = tp + over ? tp / (tp + over) : null;
  c.recall = tp + under ? tp / (tp + under) : null;
  return c;
}

export function isRegression(c: DiffCounts): boolean {
  return CATEGORIES.some((k) => c.counts[k] > 0);
}

/**
 * Diff the relations act/act_sig against exp/exp_sig already registered in `db`.
 */
export async function diffRelations(db: Duck, meta: { outcomes: string; golden: string; profile: string }, opts: DiffOptions = {}): Promise<DiffResult> {
  const t0 = performance.now();
  const by = opts.by ?? [];
  const traceCols = new Set(opts.traceColumns ?? []);
  for (const b of by) {
    if (!OUTCOME_GROUP_COLS.includes(b) && !traceCols.has(b)) {
      throw new InputError(`--by ${JSON.stringify(b)}: expected an outcome column (${OUTCOME_GROUP_COLS.join(', ')})${traceCols.size ? ` or a trace column (${[...traceCols].join(', ')})` : ' (trace columns need --trace with a .csv or .parquet trace)'}`);
    }
  }
  const traceBy = by.filter((b) => !OUTCOME_GROUP_COLS.includes(b));
  const actRel = traceBy.length && opts.traceRelation
    ? `(SELECT act.*, ${traceBy.map((b) => `t.${ident(b)}::VARCHAR AS ${ident(b)}`).join(', ')} FROM act LEFT JOIN ${opts.traceRelation} t USING (event_id))`
    : 'act';
  const groupSel = by.map((b) => `${ident(b)}::VARCHAR AS ${ident(`k_${b}`)}`);
  const a = `SELECT event_id AS a_id, panic AS a_panic, reboot_loop AS a_rl, vmcore AS a_vm, mf_type AS a_mft, mf_result AS a_mfr${groupSel.length ? `, ${groupSel.join(', ')}` : ''} FROM ${actRel}`;
  const g = 'SELECT event_id AS g_id, panic AS g_panic, reboot_loop AS g_rl, vmcore AS g_vm, mf_type AS g_mft, mf_result AS g_mfr FROM exp';
  const keys = by.map((b) => ident(`k_${b}`));
  const n = opts.examples ?? 3;
  // Each joined row's event categories as one bit mask (every flag evaluated once per row), then a
  // hash aggregate by (group keys, mask): nearly every row falls in mask 0, so there are few groups.
  // The n smallest event ids per mask (other than 0) are the examples: no second pass looks them up.
  // Every category needs some compared field to differ: the mask is computed only where one does.
  const differs = 'a_id IS DISTINCT FROM g_id OR a_panic IS DISTINCT FROM g_panic OR a_rl IS DISTINCT FROM g_rl OR a_vm IS DISTINCT FROM g_vm OR a_mft IS DISTINCT FROM g_mft OR a_mfr IS DISTINCT FROM g_mfr';
  const mask = `CASE WHEN ${differs} THEN ${EVENT_CATEGORIES.map((c, k) => `(CASE WHEN ${EVENT_FLAGS[c]} THEN ${1 << k} ELSE 0 END)`).join(' | ')} ELSE 0 END`;
  const eventAgg = (join: string, withPos = false) => `
    SELECT ${keys.length ? `${keys.join(', ')}, ` : ''} cat, count(*) AS n,
      count(*) FILTER (WHERE a_id IS DISTINCT FROM g_id${withPos ? ' OR a_pos IS DISTINCT FROM g_pos' : ''}) AS misaligned,
      count(a_id) AS events,
      count(*) FILTER (WHERE on_both AND g_panic) AS expected_panics,
      count(*) FILTER (WHERE a_panic) AS panics,
      min(coalesce(a_id, g_id)) AS lo, max(coalesce(a_id, g_id)) AS hi,
      min(coalesce(a_id, g_id), ${Math.max(n, 1)}) FILTER (WHERE cat <> 0) AS first
    FROM (SELECT *, ${mask} AS cat FROM (SELECT *, (a_id IS NOT NULL AND g_id IS NOT NULL) AS on_both FROM (${join})))
    GROUP BY ALL`;
  let joinKind: 'positional' | 'hash' = 'positional';
  // The golden digest's fast path (outcome columns only: a trace column is not in the outcomes).
  const fast = opts.digest && !traceBy.length ? await digestDiff(db, opts.digest, by, eventAgg) : null;
  let ev: Row[];
  let sg: Row[];
  if (fast) {
    ({ ev, sg } = fast);
  } else {
    ev = foldMasks(await positionalRanges(db, a, g, eventAgg, opts.ranges ?? 2), by);
    if (ev.some((r) => num(r.misaligned) > 0)) {
      joinKind = 'hash';
      ev = foldMasks(await db.rows(eventAgg(`SELECT * FROM (${a}) FULL OUTER JOIN (${g}) ON a_id = g_id`)), by);
    }
    // Signals: only events on both sides take part (one-sided events are counted as coverage).
    const oneSided = ev.some((r) => num(r.no_golden) + num(r.no_outcome) > 0);
    await db.run(`CREATE OR REPLACE TEMP TABLE sig_pairs AS SELECT * FROM (${signalPairs()}) sp
      ${oneSided ? 'WHERE event_id IN (SELECT event_id FROM act) AND event_id IN (SELECT event_id FROM exp)' : ''}`);
    sg = await db.rows(signalAgg(by, by.length ? `(SELECT sp.*, ${keyOf('x', by)} FROM sig_pairs sp LEFT JOIN ${actRel} x USING (event_id))` : 'sig_pairs'));
  }

  const total = emptyCounts();
  const groups = new Map<string, { key: Record<string, string | null>; counts: DiffCounts }>();
  const exampleIds = new Map<Category, Set<bigint>>();
  const group = (r: Row) => {
    const key: Record<string, string | null> = {};
    for (const b of by) key[b] = r[`k_${b}`] === null || r[`k_${b}`] === undefined ? null : String(r[`k_${b}`]);
    const k = JSON.stringify(key);
    let gr = groups.get(k);
    if (!gr) groups.set(k, (gr = { key, counts: emptyCounts() }));
    return gr.counts;
  };
  const addEx = (c: Category, ids: unknown) => {
    if (!Array.isArray(ids)) return;
    let s = exampleIds.get(c);
    if (!s) exampleIds.set(c, (s = new Set()));
    for (const id of ids) s.add(BigInt(id as bigint));
  };
  for (const r of ev) {
    for (const c of [total, ...(by.length ? [group(r)] : [])]) {
      c.events += num(r.events);
      c.expected_panics += num(r.expected_panics);
      c.panics += num(r.panics);
      for (const k of EVENT_CATEGORIES) c.counts[k] += num(r[k]);
    }
  }
  for (const r of sg) {
    for (const c of [total, ...(by.length ? [group(r)] : [])]) {
      c.true_kill += num(r.true_kill);
      for (const k of SIGNAL_CATEGORIES) c.counts[k] += num(r[k]);
    }
  }
  finish(total);
  for (const gr of groups.values()) finish(gr.counts);
  if (n > 0) {
    for (const c of EVENT_CATEGORIES) {
      if (!total.counts[c]) continue;
      // The n smallest ids of the category: among the n smallest of each mask holding it (no second join).
      addEx(c, ev.flatMap((r) => (r[`first_${c}`] ?? []) as bigint[]).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).slice(0, n));
    }
    for (const c of SIGNAL_CATEGORIES) {
      if (!total.counts[c]) continue;
      addEx(c, (await db.rows(`SELECT DISTINCT event_id FROM sig_pairs WHERE ${c} ORDER BY event_id LIMIT ${n}`)).map((r) => r.event_id));
    }
  }
  const examples = await collectExamples(db, exampleIds, n);
  return {
    ...meta,
    by,
    join: joinKind,
    total,
    groups: [...groups.values()].sort((x, y) => JSON.stringify(x.key).localeCompare(JSON.stringify(y.key))),
    examples,
    regression: isRegression(total),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The group keys of `--by` read from relation alias `x` (k_<column>, as text). */
const keyOf = (x: string, by: readonly string[]) => by.map((b) => `${x}.${ident(b)}::VARCHAR AS ${ident(`k_${b}`)}`).join(', ');

/** The signal aggregate (true kills and each signal category) of a sig_pairs relation, per group. */
function signalAgg(by: readonly string[], rel: string): string {
  const keys = by.map((b) => ident(`k_${b}`));
  return `SELECT ${keys.length ? `${keys.join(', ')}, ` : ''} count(*) FILTER (WHERE tp) AS true_kill,
    ${SIGNAL_CATEGORIES.map((c) => `count(*) FILTER (WHERE ${c}) AS ${c}`).join(', ')}
    FROM ${rel} ${keys.length ? 'GROUP BY ALL' : ''}`;
}

/** The digest's fast path: what it needs (golden-digest.ts). */
export interface DigestInput {
  /** The golden digest relation (b, n, panics, h, sn, sh, pids). */
  blocks: string;
  /** The golden events with `pos`, their position in the events file. */
  golden: string;
  /** The outcomes (act's columns) with `pos`, their position in the order act is read. */
  outcomes: string;
  /** The golden set's redactions, applied to the outcomes before hashing. */
  redact: ReadonlySet<Redaction>;
}

/** At most this many event-id ranges hold the blocks read in full (nearer ones are merged). */
const MAX_RANGES = 16;

/**
 * Runs of consecutive block numbers, merged across the smallest gaps until at most `max` are left.
 * Each is [first block, last block]; the blocks between merged runs are read in full too.
 */
export function blockRanges(blocks: readonly bigint[], max = MAX_RANGES): [bigint, bigint][] {
  const r: [bigint, bigint][] = [];
  for (const b of blocks) {
    const last = r[r.length - 1];
    if (last && b === last[1] + 1n) last[1] = b;
    else r.push([b, b]);
  }
  while (r.length > max) {
    let k = 0;
    for (let i = 1; i < r.length - 1; i++) if (r[i + 1]![0] - r[i]![1] < r[k + 1]![0] - r[k]![1]) k = i;
    r[k]![1] = r[k + 1]![1];
    r.splice(k + 1, 1);
  }
  return r;
}

/**
 * The diff through the golden digest: the outcomes are hashed per block of event ids as the golden
 * set was when written (the sums include each row's position), and only the blocks whose sums
 * differ are joined with the golden set, in full, as the positional join would; every other block
 * holds the golden rows at the golden positions, so it has no difference and its counts are the
 * outcomes' (events, panics) and the digest's (true kills: one per signalled (event, pid)).
 * Null when the rows read do not sit at the same positions with the same ids on both sides (an
 * event added or missing, another order): the caller then diffs the whole sets, whose join kind
 * that decides. Outputs are those of the whole diff: the same categories, counts and examples.
 */
async function digestDiff(db: Duck, d: DigestInput, by: readonly string[], eventAgg: (join: string, withPos?: boolean) => string): Promise<{ ev: Row[]; sg: Row[] } | null> {
  const keySel = by.map((b) => `${ident(b)}::VARCHAR AS ${ident(`k_${b}`)}`);
  const keys = by.map((b) => ident(`k_${b}`));
  const groupSel = keySel.length ? `, ${keySel.join(', ')}` : '';
  try {
    await db.run(`CREATE OR REPLACE TEMP TABLE dg_act AS ${eventDigestSql(d.outcomes, d.redact, keySel)}`);
    const dirty = (await db.rows(`SELECT coalesce(o.b, g.b) AS b FROM (${blockDigestSql('SELECT * FROM dg_act', signalDigestSql('act_sig', d.redact))}) o
      FULL OUTER JOIN ${d.blocks} g ON o.b = g.b
      WHERE o.b IS NULL OR g.b IS NULL OR o.n <> g.n OR o.h <> g.h OR o.sn <> g.sn OR o.sh <> g.sh ORDER BY 1`)).map((r) => BigInt(r.b as bigint));
    const ranges = blockRanges(dirty);
    const inBlocks = (col: string) => (ranges.length ? `(${ranges.map(([lo, hi]) => `${col} BETWEEN ${lo} AND ${hi}`).join(' OR ')})` : 'false');
    const inIds = (col: string) => (ranges.length ? `(${ranges.map(([lo, hi]) => `(${col} >= ${lo << BigInt(BLOCK_BITS)} AND ${col} < ${(hi + 1n) << BigInt(BLOCK_BITS)})`).join(' OR ')})` : 'false');
    // One scan per range (a range predicate prunes Parquet row groups; an OR of them does not).
    const ranged = (rel: string, sel: string) => ranges.map(([lo, hi]) => `SELECT ${sel} FROM ${rel} WHERE event_id >= ${lo << BigInt(BLOCK_BITS)} AND event_id < ${(hi + 1n) << BigInt(BLOCK_BITS)}`);
    let ev: Row[] = [];
    let sg: Row[] = [];
    if (ranges.length) {
      // Each range reads the Parquet footers again: cached, they are parsed once.
      await db.run('SET parquet_metadata_cache = true');
      const as = ranged(d.outcomes, `event_id AS a_id, pos AS a_pos, panic AS a_panic, reboot_loop AS a_rl, vmcore AS a_vm, mf_type AS a_mft, mf_result AS a_mfr${groupSel}`);
      const gs = ranged(d.golden, 'event_id AS g_id, pos AS g_pos, panic AS g_panic, reboot_loop AS g_rl, vmcore AS g_vm, mf_type AS g_mft, mf_result AS g_mfr');
      const rows = await db.rows(as.map((x, i) => `(${eventAgg(`SELECT * FROM (${x}) POSITIONAL JOIN (${gs[i]})`, true)})`).join(' UNION ALL '));
      if (rows.some((r) => num(r.misaligned) > 0)) return null;
      ev = foldMasks(rows, by);
      // Aligned: no event is on one side only, so every signal takes part.
      await db.run(`CREATE OR REPLACE TEMP TABLE sig_pairs AS SELECT * FROM (${signalPairs(`(SELECT * FROM act_sig WHERE ${inIds('event_id')})`, `(SELECT * FROM exp_sig WHERE ${inIds('event_id')})`)}) sp`);
      const actIn = `(${ranged(d.outcomes, '*').join(' UNION ALL ')})`;
      sg = await db.rows(signalAgg(by, by.length ? `(SELECT sp.*, ${keyOf('x', by)} FROM sig_pairs sp LEFT JOIN ${actIn} x USING (event_id))` : 'sig_pairs'));
    } else {
      await db.run(`CREATE OR REPLACE TEMP TABLE sig_pairs AS SELECT * FROM (${signalPairs()}) sp WHERE false`);
    }
    // The blocks not read: the outcomes' counts, no category, a true kill per signalled (event, pid).
    const clean = await db.rows(`SELECT ${keys.length ? `${keys.join(', ')}, ` : ''} sum(n) AS events, sum(panics) AS panics FROM dg_act WHERE NOT ${inBlocks('b')} ${keys.length ? 'GROUP BY ALL' : ''}`);
    for (const r of clean) ev.push({ ...r, expected_panics: r.panics, misaligned: 0 });
    if (!by.length) {
      sg.push(...(await db.rows(`SELECT sum(pids) AS true_kill FROM ${d.blocks} WHERE NOT ${inBlocks('b')}`)));
      return { ev, sg };
    }
    // By group: each signalled (event, pid)'s group is its event's, found by a join of the pids per
    // signalled event (one row each) with the outcomes. Split into up to 4 event id ranges (a range
    // predicate prunes row groups on both sides), each probing a hash table of its own signals.
    const s = (await db.rows('SELECT count(*) AS n, min(event_id) AS lo, max(event_id) AS hi FROM act_sig'))[0]!;
    const k = Math.min(4, Math.max(1, Math.ceil(num(s.n) / 131072)));
    const lo = s.lo === null ? 0n : BigInt(s.lo as bigint);
    const step = s.hi === null ? 1n : (BigInt(s.hi as bigint) - lo) / BigInt(k) + 1n;
    const part = (j: number) => [j > 0 ? `event_id >= ${lo + step * BigInt(j)}` : null, j < k - 1 ? `event_id < ${lo + step * BigInt(j + 1)}` : null].filter(Boolean).join(' AND ') || 'true';
    const joins = Array.from({ length: k }, (_, j) => `(SELECT ${keys.join(', ')}, sum(np) AS true_kill FROM (SELECT s.np, ${keyOf('x', by)}
      FROM (SELECT event_id, count(DISTINCT pid) AS np FROM act_sig WHERE NOT ${inIds('event_id')} AND ${part(j)} GROUP BY event_id) s
      LEFT JOIN (SELECT event_id, ${by.map(ident).join(', ')} FROM act WHERE ${part(j)}) x USING (event_id)) GROUP BY ALL)`);
    sg.push(...(await db.rows(joins.join(' UNION ALL '))));
    return { ev, sg };
  } finally {
    await db.run('DROP TABLE IF EXISTS dg_act');
  }
}

/**
 * Rows of (group keys, category mask, counts, lo, hi) folded into one row per group: the counts
 * summed, each category's count, its lo/hi event ids (`lo_<category>`, `hi_<category>`) and the
 * smallest ids of its masks (`first_<category>`, up to n per mask: the examples).
 */
function foldMasks(rows: Row[], by: readonly string[]): Row[] {
  const out = new Map<string, Row>();
  for (const r of rows) {
    const key = JSON.stringify(by.map((b) => r[`k_${b}`] ?? null));
    let o = out.get(key);
    if (!o) {
      o = { misaligned: 0, events: 0, expected_panics: 0, panics: 0 };
      for (const b of by) o[`k_${b}`] = r[`k_${b}`] ?? null;
      for (const c of EVENT_CATEGORIES) o[c] = 0;
      out.set(key, o);
    }
    for (const f of ['misaligned', 'events', 'expected_panics', 'panics']) o[f] = num(o[f]) + num(r[f]);
    const cat = num(r.cat);
    EVENT_CATEGORIES.forEach((c, k) => {
      if (!(cat & (1 << k))) return;
      o![c] = num(o![c]) + num(r.n);
      const first = Array.isArray(r.first) ? (r.first as unknown[]).map((x) => BigInt(x as bigint)) : [];
    const lo = BigInt(r.lo as bigint);
      const hi = BigInt(r.hi as bigint);
      const plo = o![`lo_${c}`] as bigint | undefined;
      const phi = o![`hi_${c}`] as bigint | undefined;
      o![`lo_${c}`] = plo === undefined || lo < plo ? lo : plo;
      o![`hi_${c}`] = phi === undefined || hi > phi ? hi : phi;
      o![`first_${c}`] = [...((o![`first_${c}`] ?? []) as bigint[]), ...first];
    });
  }
  return [...out.values()];
}

/**
 * The event aggregate over the positional join of `a` and `g`, split into `k` event_id ranges run
 * on parallel connections. A range's rows sit at the same positions on both sides only when both
 * are sorted by event_id and hold the same ids; any other case shows as `misaligned` rows and the
 * caller falls back to the hash join. The first range is open below and the last above, so every
 * row is in exactly one range. Temp views are per connection: the session's are recreated on each
 * (a session holding temp tables, e.g. a text golden set, runs as one query).
 */
async function positionalRanges(db: Duck, a: string, g: string, agg: (join: string) => string, k: number): Promise<Row[]> {
  const whole = () => db.rows(agg(`SELECT * FROM (${a}) POSITIONAL JOIN (${g})`));
  if (k <= 1) return whole();
  const temps = await db.rows(`SELECT (SELECT count(*) FROM duckdb_tables() WHERE temporary) AS tables`);
  if (num(temps[0]!.tables) > 0) return whole();
  const views = (await db.rows(`SELECT sql FROM duckdb_views() WHERE temporary AND NOT internal ORDER BY view_oid`)).map((r) => String(r.sql));
  const b = await db.rows(`SELECT min(g_id) AS lo, max(g_id) AS hi, count(*) AS n FROM (${g})`);
  const lo = b[0]!.lo === null ? null : BigInt(b[0]!.lo as bigint);
  const hi = b[0]!.hi === null ? null : BigInt(b[0]!.hi as bigint);
  if (lo === null || hi === null || num(b[0]!.n) < 1_000_000) return whole();
  const step = (hi - lo) / BigInt(k) + 1n;
  const cut = (j: number) => lo + step * BigInt(j);
  const cons = await Promise.all(Array.from({ length: k }, () => db.connect()));
  try {
    for (const c of cons) for (const v of views) await c.run(v);
    const parts = await Promise.all(cons.map(async (c, j) => {
      const w = (col: string) => [j > 0 ? `${col} >= ${cut(j)}` : null, j < k - 1 ? `${col} < ${cut(j + 1)}` : null].filter(Boolean).join(' AND ');
      const r = await c.runAndReadAll(agg(`SELECT * FROM (SELECT * FROM (${a}) WHERE ${w('a_id')}) POSITIONAL JOIN (SELECT * FROM (${g}) WHERE ${w('g_id')})`));
      return r.getRowObjectsJS() as Row[];
    }));
    return parts.flat();
  } finally {
    for (const c of cons) c.closeSync();
  }
}

/** Expected and actual rows, in golden-row syntax, for the example events. */
async function collectExamples(db: Duck, ids: Map<Category, Set<bigint>>, n: number): Promise<DiffExample[]> {
  if (n === 0) return [];
  const all = new Set<bigint>();
  for (const [, s] of ids) for (const id of [...s].sort((x, y) => (x < y ? -1 : 1)).slice(0, n)) all.add(id);
  if (!all.size) return [];
  const list = [...all].map(String).join(', ');
  const act = new Map((await db.rows(`SELECT * FROM act WHERE event_id IN (${list})`)).map((r) => [BigInt(r.event_id as bigint), r]));
  const exp = new Map((await db.rows(`SELECT * FROM exp WHERE event_id IN (${list})`)).map((r) => [BigInt(r.event_id as bigint), r]));
  const sigs = async (rel: string) => {
    const m = new Map<bigint, GoldenSignal[]>();
    for (const r of await db.rows(`SELECT * FROM ${rel} WHERE event_id IN (${list})`)) {
      const id = BigInt(r.event_id as bigint);
      const arr = m.get(id) ?? [];
      arr.push({ pid: Number(r.pid), tid: r.tid === null ? null : Number(r.tid), signo: Number(r.signo), siCode: Number(r.si_code),
        lsb: r.addr_lsb === null ? null : Number(r.addr_lsb), lsbAny: r.lsb_any === true });
      m.set(id, arr);
    }
    return m;
  };
  const actSig = await sigs('act_sig');
  const expSig = await sigs('exp_sig');
  const line = (r: Row | undefined, s: GoldenSignal[] | undefined) => {
    if (!r) return '(missing)';
    const toks = (s ?? []).sort(compareSignals).map(signalToken);
    return [String(r.event_id), String(r.panic), String(r.reboot_loop), String(r.vmcore), r.mf_type === null ? '-' : String(r.mf_type),
      r.mf_result === null ? '-' : String(r.mf_result), toks.length ? toks.join(' ') : '-'].join('\t');
  };
  const out: DiffExample[] = [];
  for (const c of CATEGORIES) {
    const s = ids.get(c);
    if (!s) continue;
    for (const id of [...s].sort((x, y) => (x < y ? -1 : 1)).slice(0, n)) {
      const ar = act.get(id);
      out.push({
        category: c, eventId: id, host: ar ? String(ar.host) : null, path: ar ? String(ar.path) : null,
        expected: line(exp.get(id), expSig.get(id)), actual: line(ar, actSig.get(id)),
      });
    }
  }
  return out;
}

