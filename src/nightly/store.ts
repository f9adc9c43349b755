// The outcome store across nights (`<output>/store.duckdb`): what each night ran, its diffs per
// category and path, compares and examples; views for the common questions. Each night's outcomes
// and signals stay in that night's `ras.duckdb` (attached by `ras-replay sql`). Schema: docs/store.md.
import type { DiffResult } from '../oracle/diff.js';
import { CATEGORIES } from '../oracle/diff.js';
import type { CompareResult } from '../oracle/compare.js';
import { Duck, lit } from '../oracle/duck.js';

export const STORE_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS nights (night VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, tool_version VARCHAR,
    config VARCHAR, regressed BOOLEAN, folder VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS night_runs (night VARCHAR, trace VARCHAR, trace_file VARCHAR, trace_sha256 VARCHAR, profiles VARCHAR[],
    events UBIGINT, seconds DOUBLE, db VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS path_counts (night VARCHAR, trace VARCHAR, profile VARCHAR, path VARCHAR, events UBIGINT, panics UBIGINT,
    reboot_loops UBIGINT, signals UBIGINT)`,
  `CREATE TABLE IF NOT EXISTS diff_totals (night VARCHAR, trace VARCHAR, profile VARCHAR, golden VARCHAR, gate BOOLEAN, events UBIGINT,
    expected_panics UBIGINT, panics UBIGINT, true_kill UBIGINT, precision DOUBLE, recall DOUBLE, regressed BOOLEAN)`,
  `CREATE TABLE IF NOT EXISTS diff_results (night VARCHAR, trace VARCHAR, profile VARCHAR, golden VARCHAR, gate BOOLEAN, path VARCHAR,
    category VARCHAR, count UBIGINT)`,
  `CREATE TABLE IF NOT EXISTS compare_changes (night VARCHAR, trace VARCHAR, a VARCHAR, b VARCHAR, kind VARCHAR, what VARCHAR,
    direction VARCHAR, count UBIGINT, examples VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS policy_results (night VARCHAR, trace VARCHAR, policy VARCHAR, family VARCHAR, threshold UBIGINT,
    window_s DOUBLE, action VARCHAR, unit VARCHAR, ues UBIGINT, prevented UBIGINT, fatal_ues UBIGINT, fatal_prevented UBIGINT,
    pages_offlined UBIGINT, bytes_offlined UBIGINT, offlines_without_ue UBIGINT)`,
  `CREATE TABLE IF NOT EXISTS bisect_runs (night VARCHAR, trace VARCHAR, a VARCHAR, b VARCHAR, events UBIGINT, changed_events UBIGINT,
    flips UBIGINT, explained_single UBIGINT, explained_pair UBIGINT, unexplained UBIGINT, unexplained_reasons VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS bisect_results (night VARCHAR, trace VARCHAR, a VARCHAR, b VARCHAR, switch VARCHAR, partner VARCHAR,
    title VARCHAR, commit VARCHAR, mainline VARCHAR, stable VARCHAR, from_value VARCHAR, to_value VARCHAR, events UBIGINT,
    better UBIGINT, worse UBIGINT, changed UBIGINT, examples VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS examples (night VARCHAR, trace VARCHAR, profile VARCHAR, golden VARCHAR, category VARCHAR, event_id UBIGINT,
    host VARCHAR, path VARCHAR, expected VARCHAR, actual VARCHAR, explain VARCHAR[])`,
  // The common questions.
  `CREATE OR REPLACE VIEW panic_by_path AS SELECT night, trace, profile, path, events, panics,
    round(panics / greatest(events, 1), 6) AS panic_rate FROM path_counts`,
  `CREATE OR REPLACE VIEW si_code_errors_by_path AS SELECT night, trace, profile, golden, path,
    sum(count) FILTER (WHERE category IN ('si_code_wrong', 'lsb_wrong')) AS si_code_errors
    FROM diff_results WHERE path IS NOT NULL GROUP BY ALL HAVING si_code_errors > 0`,
  `CREATE OR REPLACE VIEW kill_accuracy AS SELECT night, trace, profile, golden, true_kill,
    (SELECT sum(count) FROM diff_results r WHERE r.night = t.night AND r.trace = t.trace AND r.profile = t.profile AND r.golden = t.golden
      AND r.path IS NULL AND r.category = 'over_kill') AS over_kill,
    (SELECT sum(count) FROM diff_results r WHERE r.night = t.night AND r.trace = t.trace AND r.profile = t.profile AND r.golden = t.golden
      AND r.path IS NULL AND r.category = 'under_kill') AS under_kill, precision, recall FROM diff_totals t`,
  `CREATE OR REPLACE VIEW night_summary AS SELECT night, trace, profile, golden, gate, regressed, events, panics, precision, recall,
    (SELECT sum(count) FROM diff_results r WHERE r.night = t.night AND r.trace = t.trace AND r.profile = t.profile AND r.golden = t.golden
      AND r.path IS NULL) AS differences FROM diff_totals t`,
  `CREATE OR REPLACE VIEW top_regressing_paths AS
    WITH n AS (SELECT night, row_number() OVER (ORDER BY night DESC) AS k FROM nights),
    cur AS (SELECT trace, profile, golden, path, sum(count) AS c FROM diff_results WHERE path IS NOT NULL AND night = (SELECT night FROM n WHERE k = 1) GROUP BY ALL),
    prev AS (SELECT trace, profile, golden, path, sum(count) AS c FROM diff_results WHERE path IS NOT NULL AND night = (SELECT night FROM n WHERE k = 2) GROUP BY ALL)
    SELECT trace, profile, golden, path, coalesce(prev.c, 0) AS before, coalesce(cur.c, 0) AS after, coalesce(cur.c, 0) - coalesce(prev.c, 0) AS change
    FROM cur FULL OUTER JOIN prev USING (trace, profile, golden, path) WHERE change > 0 ORDER BY change DESC, trace, profile, path`,
];

/** Named queries for `ras-replay sql --query NAME`. */
export const NAMED_QUERIES: Record<string, { about: string; sql: string }> = {
  'panic-by-path': {
    about: 'panic rate by decision path and profile, last night',
    sql: 'SELECT trace, profile, path, events, panics, panic_rate FROM panic_by_path WHERE night = (SELECT max(night) FROM nights) AND panics > 0 ORDER BY panics DESC, trace, profile, path',
  },
  'si-code-errors': {
    about: 'si_code and addr_lsb errors by path against each golden set, last night',
    sql: 'SELECT trace, profile, golden, path, si_code_errors FROM si_code_errors_by_path WHERE night = (SELECT max(night) FROM nights) ORDER BY si_code_errors DESC, trace, profile, path',
  },
  'kill-accuracy': {
    about: 'kill precision and recall by profile and golden set, last night',
    sql: 'SELECT trace, profile, golden, true_kill, over_kill, under_kill, round(precision, 4) AS precision, round(recall, 4) AS recall FROM kill_accuracy WHERE night = (SELECT max(night) FROM nights) ORDER BY trace, golden, profile',
  },
  'top-regressing-paths': {
    about: 'paths whose diff count grew since the night before',
    sql: 'SELECT * FROM top_regressing_paths LIMIT 50',
  },
  'regressions': {
    about: 'gated golden diffs that regressed, every night',
    sql: 'SELECT night, trace, profile, golden, differences FROM night_summary WHERE gate AND regressed ORDER BY night DESC, trace, profile',
  },
  'nights': {
    about: 'the recorded nights',
    sql: 'SELECT night, started_at, finished_at, regressed, folder FROM nights ORDER BY night DESC',
  },
};

export async function createStore(db: Duck): Promise<void> {
  for (const s of STORE_SCHEMA) await db.run(s);
}

export interface NightRecord {
  night: string;
  startedAt: string;
  finishedAt: string;
  toolVersion: string;
  config: string;
  regressed: boolean;
  folder: string;
  /** `db`: where the run's database will live; `readDb`: where it is while the night is being built. */
  runs: { trace: string; traceFile: string; traceSha256: string; profiles: string[]; events: number; seconds: number; db: string; readDb?: string }[];
  diffs: { trace: string; golden: string; gate: boolean; result: DiffResult }[];
  compares: { trace: string; result: CompareResult }[];
  /** Page-offline policy sweeps (docs/policy.md); absent in nights recorded before they existed. */
  policies?: { trace: string; rows: PolicyRow[] }[];
  /** Bisects of two profiles (docs/bisect.md); absent in nights recorded before they existed. */
  bisects?: BisectRecord[];
}

/** One bisect A → B of one night, as stored (plain numbers and strings). */
export interface BisectRecord {
  trace: string; a: string; b: string;
  events: number; changedEvents: number; flips: number; explainedBySingle: number; explainedByPair: number; unexplained: number;
  /** "N: reason; …" (docs/bisect.md, rule 6); empty when nothing is unexplained. */
  unexplainedReasons: string;
  rows: BisectRow[];
}

/**
 * One switch explaining events alone (partner null), or an interaction of two (switch + partner;
 * title, commit, mainline and stable then name both, joined by " + "). better/worse/changed count
 * changes: an event counts once for each thing that changed about it (compare's directions).
 */
export interface BisectRow {
  switch: string; partner: string | null; title: string; commit: string | null; mainline: string | null; stable: string;
  from: string; to: string; events: number; better: number; worse: number; changed: number; examples: string;
}

/** One policy's result of one night, as stored (plain numbers). */
export interface PolicyRow {
  policy: string; family: string; threshold: number; windowS: number; action: string; unit: string;
  ues: number; prevented: number; fatalUes: number; fatalPrevented: number; pagesOfflined: number; bytesOfflined: number; offlinesWithoutUe: number;
}

const sqlList = (xs: string[]) => `[${xs.map(lit).join(', ')}]::VARCHAR[]`;
const n = (v: number | null) => (v === null || Number.isNaN(v) ? 'NULL' : String(v));

/** Record one night (idempotent: the night's earlier rows are replaced), in one transaction. */
export async function ingestNight(db: Duck, r: NightRecord): Promise<void> {
  // Run databases are attached outside the transaction (DuckDB cannot detach inside one).
  for (let i = 0; i < r.runs.length; i++) await db.run(`ATTACH ${lit(r.runs[i]!.readDb ?? r.runs[i]!.db)} AS runsrc${i} (READ_ONLY)`);
  await db.run('BEGIN TRANSACTION');
  try {
    // The schema too: a kill while a new store is made leaves all of its tables or none.
    await createStore(db);
    for (const t of ['nights', 'night_runs', 'path_counts', 'diff_totals', 'diff_results', 'compare_changes', 'examples', 'policy_results', 'bisect_runs', 'bisect_results']) {
      await db.run(`DELETE FROM ${t} WHERE night = ${lit(r.night)}`);
    }
    await db.run(`INSERT INTO nights VALUES (${lit(r.night)}, ${lit(r.startedAt)}::TIMESTAMP, ${lit(r.finishedAt)}::TIMESTAMP, ${lit(r.toolVersion)},
      ${lit(r.config)}, ${r.regressed}, ${lit(r.folder)})`);
    for (let i = 0; i < r.runs.length; i++) {
      const x = r.runs[i]!;
      const src = `runsrc${i}`;
      await db.run(`INSERT INTO night_runs VALUES (${lit(r.night)}, ${lit(x.trace)}, ${lit(x.traceFile)}, ${lit(x.traceSha256)}, ${sqlList(x.profiles)},
        ${x.events}, ${x.seconds}, ${lit(x.db)})`);
      // Per path counts straight from the run's database (latest run per profile).
      await db.run(`INSERT INTO path_counts SELECT ${lit(r.night)}, ${lit(x.trace)}, o.profile, o.path::VARCHAR, count(*), count(*) FILTER (WHERE o.panic),
        count(*) FILTER (WHERE o.reboot_loop), coalesce(sum(s.n), 0)
        FROM ${src}.outcomes o LEFT JOIN (SELECT run_id, profile, event_id, count(*) AS n FROM ${src}.signals GROUP BY ALL) s USING (run_id, profile, event_id)
        WHERE o.run_id = (SELECT max(run_id) FROM ${src}.outcomes i WHERE i.profile = o.profile) GROUP BY ALL`);
    }
    for (const d of r.diffs) {
      const x = d.result;
      const key = `${lit(r.night)}, ${lit(d.trace)}, ${lit(x.profile)}, ${lit(d.golden)}, ${d.gate}`;
      await db.run(`INSERT INTO diff_totals VALUES (${key}, ${x.total.events}, ${x.total.expected_panics}, ${x.total.panics}, ${x.total.true_kill},
        ${n(x.total.precision)}, ${n(x.total.recall)}, ${x.regression})`);
      const vals: string[] = [];
      for (const c of CATEGORIES) vals.push(`(${key}, NULL, ${lit(c)}, ${x.total.counts[c]})`);
      for (const g of x.groups) for (const c of CATEGORIES) if (g.counts.counts[c]) vals.push(`(${key}, ${g.key.path === null || g.key.path === undefined ? 'NULL' : lit(g.key.path)}, ${lit(c)}, ${g.counts.counts[c]})`);
      await db.run(`INSERT INTO diff_results VALUES ${vals.join(', ')}`);
      for (const e of x.examples) {
        await db.run(`INSERT INTO examples VALUES (${lit(r.night)}, ${lit(d.trace)}, ${lit(x.profile)}, ${lit(d.golden)}, ${lit(e.category)}, ${e.eventId},
          ${e.host === null ? 'NULL' : lit(e.host)}, ${e.path === null ? 'NULL' : lit(e.path)}, ${lit(e.expected)}, ${lit(e.actual)}, ${sqlList(e.explain ?? [])})`);
      }
    }
    for (const c of r.compares) {
      for (const ch of c.result.changes) {
        await db.run(`INSERT INTO compare_changes VALUES (${lit(r.night)}, ${lit(c.trace)}, ${lit(c.result.a)}, ${lit(c.result.b)}, ${lit(ch.kind)},
          ${lit(ch.what)}, ${lit(ch.direction)}, ${ch.count}, ${lit(ch.examples.join(' '))})`);
      }
    }
    for (const p of r.policies ?? []) {
      const vals = p.rows.map((x) => `(${lit(r.night)}, ${lit(p.trace)}, ${lit(x.policy)}, ${lit(x.family)}, ${x.threshold}, ${x.windowS}, ${lit(x.action)}, ${lit(x.unit)},
        ${x.ues}, ${x.prevented}, ${x.fatalUes}, ${x.fatalPrevented}, ${x.pagesOfflined}, ${x.bytesOfflined}, ${x.offlinesWithoutUe})`);
      if (vals.length) await db.run(`INSERT INTO policy_results VALUES ${vals.join(', ')}`);
    }
    for (const x of r.bisects ?? []) {
      const key = `${lit(r.night)}, ${lit(x.trace)}, ${lit(x.a)}, ${lit(x.b)}`;
      await db.run(`INSERT INTO bisect_runs VALUES (${key}, ${x.events}, ${x.changedEvents}, ${x.flips}, ${x.explainedBySingle}, ${x.explainedByPair},
        ${x.unexplained}, ${lit(x.unexplainedReasons)})`);
      const nl = (v: string | null) => (v === null ? 'NULL' : lit(v));
      const vals = x.rows.map((g) => `(${key}, ${lit(g.switch)}, ${nl(g.partner)}, ${lit(g.title)}, ${nl(g.commit)}, ${nl(g.mainline)}, ${lit(g.stable)},
        ${lit(g.from)}, ${lit(g.to)}, ${g.events}, ${g.better}, ${g.worse}, ${g.changed}, ${lit(g.examples)})`);
      if (vals.length) await db.run(`INSERT INTO bisect_results VALUES ${vals.join(', ')}`);
    }
    await db.run('COMMIT');
  } catch (e) {
    await db.run('ROLLBACK');
    throw e;
  } finally {
    for (let i = 0; i < r.runs.length; i++) await db.run(`DETACH runsrc${i}`);
  }
}
