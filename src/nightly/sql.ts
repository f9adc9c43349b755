// `ras-replay sql`: SQL over the store (history, diffs, compares) and the outcomes and signals of
// every retained night, plus any run outputs on Parquet attached with --attach.
//   tables/views of the store: nights, night_runs, path_counts, diff_totals, diff_results,
//     compare_changes, examples, panic_by_path, si_code_errors_by_path, kill_accuracy,
//     night_summary, top_regressing_paths (docs/store.md)
//   session views: outcomes, signals (night, trace columns added; Parquet sources as night 'attached')
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { tempNameFor } from '../io/atomic.js';
import { jsonText } from '../io/json.js';
import { InputError } from '../io/errors.js';
import type { StatementType as StatementTypeEnum } from '@duckdb/node-api';
import { duckdbApi } from '../io/duckdb-api.js';
import { parquetGlob } from '../io/layout.js';
import { Duck, lit, Row } from '../oracle/duck.js';
import { createStore, NAMED_QUERIES } from './store.js';

import type { SqlFormat } from './sql-formats.js';

const { StatementType } = duckdbApi;
type StatementType = StatementTypeEnum;

export { SQL_FORMATS, type SqlFormat } from './sql-formats.js';

export interface SqlSession {
  db: Duck;
  sources: string[];
}

/**
 * A store is a database with the store's tables (STORE_SCHEMA); a run's database (`run --db`) or
 * any other DuckDB file is refused by name instead of failing on a missing table later.
 */
export async function assertStore(db: Duck, store: string): Promise<void> {
  const have = new Set((await db.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")).map((r) => String(r.table_name)));
  if (have.has('nights') && have.has('night_runs')) return;
  // A run database (`run --out DIR` writes DIR/ras.duckdb: tables runs, outcome_rows, …) has no nights.
  const hint = have.has('runs') ? 'this is a run database (`ras-replay run --out DIR`), not a nightly store: use --attach DIR for a run folder written with --parquet' : 'expected a nightly store (`ras-replay nightly` writes nightly/store.duckdb)';
  throw new InputError(`--store ${store}: ${hint}`, store);
}

/**
 * Statements `sql` runs without --allow-write: queries only (SELECT, and what DuckDB parses as
 * one: FROM, WITH, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE), EXPLAIN without ANALYZE and CALL of
 * a table function; by the leading keyword first, then by DuckDB's statement type. COPY … TO, EXPORT, ATTACH, INSTALL/LOAD, SET, CREATE and the rest need the flag.
 */
const READ_ONLY_STATEMENTS = new Set([StatementType.SELECT, StatementType.EXPLAIN, StatementType.CALL]);

/** Open the store read-only and put every retained night's outcomes behind the `outcomes`/`signals` views. */
export async function openSqlSession(store: string, attach: string[] = []): Promise<SqlSession> {
  let db: Duck;
  if (existsSync(store)) {
    if (statSync(store).isDirectory()) throw new InputError(`--store ${store}: is a folder: expected the store's DuckDB file`, store);
    db = await Duck.open(store, { readOnly: true, memoryLimit: '2GB' });
    try {
      await assertStore(db, store);
    } catch (e) {
      db.close();
      throw e;
    }
  } else {
    // No night recorded yet: an empty store in memory, so the same names resolve.
    db = await Duck.open(':memory:');
    await createStore(db);
  }
  try {
    return await sessionViews(db, store, attach);
  } catch (e) {
    db.close();
    throw e;
  }
}

async function sessionViews(db: Duck, store: string, attach: string[]): Promise<SqlSession> {
  const parts: { o: string; s: string }[] = [];
  const sources: string[] = [];
  const runs = existsSync(store) ? await db.rows('SELECT night, trace, db FROM night_runs ORDER BY night, trace') : [];
  let k = 0;
  for (const r of runs) {
    const f = String(r.db);
    if (!existsSync(f)) continue; // removed by retention: its history stays in the store
    const alias = `night${k++}`;
    await db.run(`ATTACH ${lit(f)} AS ${alias} (READ_ONLY)`);
    const tag = `${lit(String(r.night))} AS night, ${lit(String(r.trace))} AS trace`;
    parts.push({
      o: `SELECT ${tag}, * EXCLUDE (vmcore, mf_type, mf_result, guest_action, path), vmcore::VARCHAR AS vmcore, mf_type::VARCHAR AS mf_type, mf_result::VARCHAR AS mf_result, guest_action::VARCHAR AS guest_action, path::VARCHAR AS path FROM ${alias}.outcomes`,
      s: `SELECT ${tag}, * FROM ${alias}.signals`,
    });
    sources.push(f);
  }
  for (const dir of attach) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`--attach ${JSON.stringify(dir)}: expected the --out folder of \`ras-replay run --parquet\` (or of shard jobs)`, dir);
    const o = parquetGlob(dir, 'outcomes');
    const s = parquetGlob(dir, 'signals');
    try {
      await db.rows(`SELECT * FROM read_parquet(${lit(o)}, hive_partitioning = true) LIMIT 0`);
    } catch (e) {
      throw new InputError(`--attach ${dir}: no outcome Parquet under parquet/outcomes/profile=…/shard=…/: ${(e as Error).message}`, dir);
    }
    const tag = `'attached' AS night, ${lit(dir)} AS trace, NULL::UINTEGER AS run_id`;
    parts.push({
      o: `SELECT ${tag}, * EXCLUDE (shard, vmcore, mf_type, mf_result, guest_action, path), vmcore::VARCHAR AS vmcore, mf_type::VARCHAR AS mf_type, mf_result::VARCHAR AS mf_result, guest_action::VARCHAR AS guest_action, path::VARCHAR AS path FROM read_parquet(${lit(o)}, hive_partitioning = true)`,
      s: `SELECT ${tag}, * EXCLUDE (shard) FROM read_parquet(${lit(s)}, hive_partitioning = true)`,
    });
    sources.push(dir);
  }
  if (parts.length) {
    await db.run(`CREATE OR REPLACE TEMP VIEW outcomes AS ${parts.map((p) => p.o).join(' UNION ALL BY NAME ')}`);
    await db.run(`CREATE OR REPLACE TEMP VIEW signals AS ${parts.map((p) => p.s).join(' UNION ALL BY NAME ')}`);
  } else {
    await db.run(`CREATE OR REPLACE TEMP VIEW outcomes AS SELECT NULL::VARCHAR AS night, NULL::VARCHAR AS trace, NULL::UINTEGER AS run_id, NULL::UBIGINT AS event_id,
      NULL::VARCHAR AS host, NULL::VARCHAR AS profile, NULL::BOOLEAN AS panic, NULL::VARCHAR AS panic_msg, NULL::BOOLEAN AS reboot_loop, NULL::VARCHAR AS vmcore,
      NULL::VARCHAR AS mf_type, NULL::VARCHAR AS mf_result, NULL::INTEGER AS mf_ret, NULL::BOOLEAN AS poisoned, NULL::BOOLEAN AS unmapped,
      NULL::VARCHAR AS guest_action, NULL::VARCHAR AS path WHERE false`);
    await db.run(`CREATE OR REPLACE TEMP VIEW signals AS SELECT NULL::VARCHAR AS night, NULL::VARCHAR AS trace, NULL::UINTEGER AS run_id, NULL::UBIGINT AS event_id,
      NULL::VARCHAR AS host, NULL::VARCHAR AS profile, NULL::UTINYINT AS seq, NULL::UINTEGER AS pid, NULL::UINTEGER AS tid, NULL::UTINYINT AS signo,
      NULL::UTINYINT AS si_code, NULL::UBIGINT AS addr, NULL::UTINYINT AS addr_lsb WHERE false`);
  }
  return { db, sources };
}

export function namedQuery(name: string): string {
  const q = NAMED_QUERIES[name];
  if (!q) throw new InputError(`--query ${JSON.stringify(name)}: expected one of ${Object.keys(NAMED_QUERIES).join(', ')} (see sql --list)`);
  return q.sql;
}

/** A SQL error as the user should see it: DuckDB's message (it carries the LINE and caret). */
export class SqlError extends InputError {}

function formatCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return `[${v.map(formatCell).join(', ')}]`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return jsonText(v);
  return String(v);
}

export function formatTable(rows: Row[], columns: string[]): string {
  const cells = [columns, ...rows.map((r) => columns.map((c) => formatCell(r[c])))];
  const w = columns.map((_, i) => Math.min(60, Math.max(...cells.map((r) => r[i]!.length))));
  const line = (r: string[]) => r.map((c, i) => (c.length > w[i]! ? `${c.slice(0, w[i]! - 1)}…` : c.padEnd(w[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), w.map((x) => '-'.repeat(x)).join('  '), ...cells.slice(1).map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}

/** Run one statement; write the result to stdout (table, csv, json) or a Parquet file. */
export async function runSql(s: SqlSession, sql: string, format: SqlFormat, out?: string, allowWrite = false): Promise<string> {
  const db = s.db;
  const q = sql.trim().replace(/;\s*$/, '');
  // Checked before DuckDB sees the statement: binding alone has effects for some (EXPORT DATABASE
  // creates its folder when prepared), and EXPLAIN ANALYZE runs what it explains.
  const lead = q.replace(/^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()+/, '');
  if (!allowWrite && !/^(?:select|with|from|values|table|describe|show|summarize|call)\b/i.test(lead) && !/^explain\b(?!\s+analy[sz]e\b)/i.test(lead)) {
    const word = /^\S*/.exec(lead)![0].slice(0, 30) || '(empty)';
    throw new SqlError(`sql: a statement starting with ${JSON.stringify(word)}: expected a query (SELECT, WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, CALL, EXPLAIN); statements that write files, attach databases, load extensions or change settings run only with --allow-write`);
  }
  let type: StatementType;
  try {
    // Bind first, so an error names the query position before anything is written.
    const p = await db.con.prepare(q);
    type = p.statementType;
    p.destroySync();
  } catch (e) {
    throw new SqlError(`SQL error: ${(e as Error).message}`);
  }
  if (!allowWrite && !READ_ONLY_STATEMENTS.has(type)) {
    throw new SqlError(`sql: a ${StatementType[type] ?? type} statement: expected a query (SELECT, EXPLAIN, CALL); statements that write files, attach databases, load extensions or change settings run only with --allow-write`);
  }
  try {
    if (format === 'parquet') {
      if (!out) throw new InputError('--format parquet writes a file: give --out FILE.parquet');
      const tmp = tempNameFor(out);
      try {
        await db.run(`COPY (${q}) TO ${lit(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
        renameSync(tmp, out);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      return '';
    }
    const r = await db.con.runAndReadAll(q);
    const rows = r.getRowObjectsJS() as Row[];
    const cols = r.columnNames();
    if (format === 'table') return formatTable(rows, cols);
    if (format === 'json') return rows.map((x) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v))).join('\n') + (rows.length ? '\n' : '');
    const esc = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    return [cols.map(esc).join(','), ...rows.map((x) => cols.map((c) => (x[c] === null || x[c] === undefined ? '' : esc(formatCell(x[c])))).join(','))].join('\n') + '\n';
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new SqlError(`SQL error: ${(e as Error).message}`);
  }
}
