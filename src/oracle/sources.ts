// Where the oracle reads outcomes and expectations from, as DuckDB relations with one shape:
//   act(event_id, host, profile, panic, panic_msg, reboot_loop, vmcore, mf_type, mf_result, mf_ret,
//       poisoned, unmapped, guest_action, path)        one row per event, for one profile
//   act_sig(event_id, pid, tid, signo, si_code, addr_lsb)
//   exp(event_id, panic, reboot_loop, vmcore, mf_type, mf_result)     '*' = unchecked, NULL = '-'
//   exp_sig(event_id, pid, tid, signo, si_code, addr_lsb, lsb_any)   tid NULL = any thread
// Outcomes come from a run's output folder (its DuckDB file or its Parquet), a DuckDB file, an
// outcomes Parquet file (signals next to it), `run --jsonl` output, or a trace replayed on the spot.
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { scratchDir } from '../io/atomic.js';
import { InputError } from '../io/errors.js';
import { parquetGlob, parquetTree } from '../io/layout.js';
import { loadProfile } from '../io/profile-file.js';
import { Duck, lit, num } from './duck.js';
import { goldenEventsWithPos, readGoldenDigest } from './golden-digest.js';
import { GOLDEN_MAGIC, Golden, GoldenRow, parseGolden, Redaction, REDACTABLE } from './golden.js';

export const OUTCOME_COLS = ['event_id', 'host', 'profile', 'panic', 'panic_msg', 'reboot_loop', 'vmcore', 'mf_type', 'mf_result',
  'mf_ret', 'poisoned', 'unmapped', 'guest_action', 'path'] as const;
const OUTCOME_SELECT = `event_id::UBIGINT AS event_id, host::VARCHAR AS host, profile::VARCHAR AS profile, panic, panic_msg::VARCHAR AS panic_msg,
  reboot_loop, vmcore::VARCHAR AS vmcore, mf_type::VARCHAR AS mf_type, mf_result::VARCHAR AS mf_result, mf_ret::INTEGER AS mf_ret,
  poisoned, unmapped, guest_action::VARCHAR AS guest_action, path::VARCHAR AS path`;
const SIGNAL_SELECT = 'event_id::UBIGINT AS event_id, pid::UINTEGER AS pid, tid::UINTEGER AS tid, signo::UTINYINT AS signo, si_code::UTINYINT AS si_code, addr_lsb::UTINYINT AS addr_lsb';

const JSONL_COLUMNS = `{event_id: 'UBIGINT', host: 'VARCHAR', profile: 'VARCHAR', panic: 'BOOLEAN', panic_msg: 'VARCHAR', reboot_loop: 'BOOLEAN',
  vmcore: 'VARCHAR', mf_type: 'VARCHAR', mf_result: 'VARCHAR', mf_ret: 'INTEGER', poisoned: 'BOOLEAN', unmapped: 'BOOLEAN',
  guest_action: 'VARCHAR', path: 'VARCHAR',
  signals: 'STRUCT(seq UTINYINT, pid UINTEGER, tid UINTEGER, signo UTINYINT, si_code UTINYINT, addr UBIGINT, addr_lsb UTINYINT)[]'}`;

const TRACE_EXT = /\.(csv|csv\.gz|arrows|arrow)$/;

/** Outcome sources registered in a session: `<prefix>` and `<prefix>_sig` views per profile. */
export class OutcomeSource {
  private cleanup: string[] = [];
  /** Relation text of all outcomes / signals of the source (every profile). */
  all = '';
  allSig = '';
  /** The run the rows come from, when the source records runs. */
  runId: number | null = null;
  constructor(readonly spec: string) {}

  /** Profiles present in the source. */
  async profiles(db: Duck): Promise<string[]> {
    return (await db.rows(`SELECT DISTINCT profile FROM ${this.all} ORDER BY profile`)).map((r) => String(r.profile));
  }

  /** Create views `name` and `name_sig` holding one profile's outcomes and signals. */
  async view(db: Duck, name: string, profile: string): Promise<void> {
    await db.run(`CREATE OR REPLACE TEMP VIEW ${name} AS SELECT * FROM ${this.all} WHERE profile = ${lit(profile)}`);
    await db.run(`CREATE OR REPLACE TEMP VIEW ${name}_sig AS SELECT ${SIGNAL_SELECT} FROM ${this.allSig} WHERE profile = ${lit(profile)}`);
  }

  dispose(): void {
    for (const d of this.cleanup) rmSync(d, { recursive: true, force: true });
    this.cleanup = [];
  }

  /**
   * Register the source in the session. A trace is replayed first under `replayProfiles` (into a
   * temporary folder removed by dispose()).
   */
  async open(db: Duck, replayProfiles: string[] = []): Promise<void> {
    const spec = this.spec;
    if (!existsSync(spec)) throw new InputError(`${spec}: no such file or folder: expected outcomes (a run's --out folder, .duckdb, .parquet, .jsonl) or a trace`, spec);
    if (statSync(spec).isDirectory()) {
      const dbFile = join(spec, 'ras.duckdb');
      if (existsSync(dbFile)) return this.openDuckdb(db, dbFile);
      if (existsSync(parquetTree(spec, 'outcomes'))) return this.openParquet(db, parquetGlob(spec, 'outcomes'), parquetGlob(spec, 'signals'), true);
      throw new InputError(`${spec}: neither ras.duckdb nor parquet/outcomes/ in this folder: expected the --out folder of \`ras-replay run\``, spec);
    }
    if (spec.endsWith('.duckdb')) return this.openDuckdb(db, spec);
    if (spec.endsWith('.parquet')) {
      const sig = spec.includes('/outcomes/') ? spec.replace('/outcomes/', '/signals/') : join(dirname(spec), basename(spec).replace(/outcomes/, 'signals'));
      if (sig === spec || !existsSync(sig)) throw new InputError(`${spec}: no signals Parquet next to it (looked for ${sig}): expected the outcomes/ and signals/ files that \`run --parquet\` writes`, spec);
      return this.openParquet(db, spec, sig, spec.includes('/profile='));
    }
    if (spec.endsWith('.jsonl') || spec.endsWith('.ndjson')) return this.openJsonl(db, spec);
    if (TRACE_EXT.test(spec)) {
      if (!replayProfiles.length) throw new InputError(`${spec}: a trace: name the profile(s) to replay it under (--profile)`, spec);
      const dir = scratchDir('ras-replay-diff-');
      this.cleanup.push(dir);
      // The engine loads only when a trace is replayed on the spot.
      const { runTrace } = await import('../engine/run.js');
      await runTrace({ trace: spec, profiles: replayProfiles.map((p) => loadProfile(p)), outDir: dir, db: join(dir, 'ras.duckdb'), parquet: false, shard: null, workers: 1 });
      return this.openDuckdb(db, join(dir, 'ras.duckdb'));
    }
    throw new InputError(`${spec}: unknown outcome source: expected a run's --out folder, a .duckdb, .parquet or .jsonl file, or a trace (.csv, .csv.gz, .arrows, .arrow)`, spec);
  }

  private async openDuckdb(db: Duck, file: string): Promise<void> {
    const alias = `src${OutcomeSource.seq++}`;
    try {
      await db.run(`ATTACH ${lit(file)} AS ${alias} (READ_ONLY)`);
    } catch (e) {
      throw new InputError(`${file}: cannot open as a DuckDB database: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
    }
    const tables = (await db.rows(`SELECT table_name FROM duckdb_tables() WHERE database_name = ${lit(alias)}
      UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = ${lit(alias)}`)).map((r) => String(r.table_name));
    for (const t of ['outcomes', 'signals', 'runs']) {
      if (!tables.includes(t)) throw new InputError(`${file}: no ${t} table or view: expected a database written by \`ras-replay run\``, file);
    }
    // The latest run per profile: a database may hold many runs of the same trace.
    this.all = `(SELECT ${OUTCOME_SELECT} FROM ${alias}.outcomes o WHERE run_id = (SELECT max(run_id) FROM ${alias}.outcomes i WHERE i.profile = o.profile))`;
    this.allSig = `(SELECT profile::VARCHAR AS profile, * EXCLUDE (profile) FROM ${alias}.signals s WHERE run_id = (SELECT max(run_id) FROM ${alias}.outcomes i WHERE i.profile = s.profile))`;
    this.runId = num(await db.scalar(`SELECT max(run_id) FROM ${alias}.runs`)) || null;
  }

  /**
   * One profile's outcomes with each row's position (`pos`) in the order the `view` relation reads
   * them, when that is known without a pass over the rows: a Parquet source (hive-partitioned by
   * profile) holding the profile in exactly one file, whose file_row_number is that order. Null
   * otherwise (the diff then reads the golden set whole).
   */
  async positional(db: Duck, profile: string): Promise<string | null> {
    if (!this.parquet?.hive) return null;
    const files = await db.rows(`SELECT DISTINCT filename FROM read_parquet(${lit(this.parquet.outcomes)}, hive_partitioning = true, filename = true)
      WHERE profile::VARCHAR = ${lit(profile)} LIMIT 2`);
    if (files.length !== 1) return null;
    return `(SELECT file_row_number AS pos, ${OUTCOME_SELECT} FROM read_parquet(${lit(String(files[0]!.filename))}, hive_partitioning = true, file_row_number = true)
      WHERE profile::VARCHAR = ${lit(profile)})`;
  }

  private parquet: { outcomes: string; hive: boolean } | null = null;

  private async openParquet(db: Duck, outcomes: string, signals: string, hive: boolean): Promise<void> {
    this.parquet = { outcomes, hive };
    const opt = hive ? ', hive_partitioning = true' : '';
    try {
      await db.rows(`SELECT * FROM read_parquet(${lit(outcomes)}${opt}) LIMIT 0`);
    } catch (e) {
      throw new InputError(`${outcomes}: cannot read as outcome Parquet: ${(e as Error).message}`, outcomes, undefined, undefined, { cause: e });
    }
    this.all = `(SELECT ${OUTCOME_SELECT} FROM read_parquet(${lit(outcomes)}${opt}))`;
    this.allSig = `(SELECT profile::VARCHAR AS profile, * EXCLUDE (profile) FROM read_parquet(${lit(signals)}${opt}))`;
  }

  private async openJsonl(db: Duck, file: string): Promise<void> {
    const t = `jsonl${OutcomeSource.seq++}`;
    try {
      await db.run(`CREATE TEMP TABLE ${t} AS SELECT * FROM read_json(${lit(file)}, format = 'newline_delimited', columns = ${JSONL_COLUMNS})`);
    } catch (e) {
      throw new InputError(`${file}: cannot read as \`run --jsonl\` output: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
    }
    this.all = `(SELECT ${OUTCOME_SELECT} FROM ${t})`;
    this.allSig = `(SELECT profile, event_id, s.* FROM (SELECT profile, event_id, unnest(signals) AS s FROM ${t}))`;
  }

  static seq = 0;
}

/** The signals file of a Parquet golden set, beside its events file: X.parquet -> X.signals.parquet. */
export function goldenSignalsFile(events: string): string {
  return events.replace(/\.parquet$/, '.signals.parquet');
}

/** The golden file's kind by name: text (`.golden`) or Parquet (`.parquet`). */
export function goldenKind(file: string): 'text' | 'parquet' {
  if (file.endsWith('.parquet')) return 'parquet';
  if (file.endsWith('.golden')) return 'text';
  throw new InputError(`${file}: unknown golden file type: expected .golden (text) or .parquet`, file);
}

export interface GoldenSource {
  file: string;
  kind: 'text' | 'parquet';
  /** Header metadata (text: `# key: value` lines; Parquet: key-value metadata). */
  meta: Record<string, string>;
  redact: Set<Redaction>;
  rows: number;
  /** The parsed text golden (text only). */
  text: Golden | null;
  /**
   * A fresh block digest of a Parquet set (golden-digest.ts): its relation and the golden events
   * with their positions; null without one.
   */
  digest: { blocks: string; events: string } | null;
}

/** Register a golden file as the relations `exp` and `exp_sig`. */
export async function openGolden(db: Duck, file: string): Promise<GoldenSource> {
  if (!existsSync(file)) throw new InputError(`${file}: no such golden file`, file);
  const kind = goldenKind(file);
  if (kind === 'text') {
    const g = parseGolden(readFileSync(file, 'utf8'), file);
    await loadGoldenRows(db, g.rows.values());
    return { file, kind, meta: g.meta, redact: g.redact, rows: g.rows.size, text: g, digest: null };
  }
  let meta: Record<string, string> = {};
  try {
    const kv = await db.rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${lit(file)})`);
    meta = Object.fromEntries(kv.map((r) => [String(r.k), String(r.v)]));
  } catch (e) {
    throw new InputError(`${file}: cannot read as Parquet: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
  }
  if (meta.golden !== GOLDEN_MAGIC) throw new InputError(`${file}: key-value metadata golden = ${JSON.stringify(meta.golden ?? null)}: expected "${GOLDEN_MAGIC}" (a file written by \`ras-replay golden create\`)`, file);
  const cols = (await db.rows(`SELECT name, type FROM parquet_schema(${lit(file)})`)).map((r) => String(r.name));
  // Two layouts: the events file with its signals in a file beside it (named by the `signals`
  // metadata key), and the earlier single file with a `signals` list column (still read).
  const split = meta.signals !== undefined;
  const need = ['event_id', 'panic', 'reboot_loop', 'vmcore', 'mf_type', 'mf_result', ...(split ? [] : ['signals'])];
  for (const c of need) {
    if (!cols.includes(c)) throw new InputError(`${file}: no column ${c}: expected a golden Parquet file (${need.join(', ')})`, file, undefined, c);
  }
  await db.run(`CREATE OR REPLACE TEMP VIEW exp AS SELECT event_id::UBIGINT AS event_id, panic, reboot_loop, vmcore::VARCHAR AS vmcore,
    mf_type::VARCHAR AS mf_type, mf_result::VARCHAR AS mf_result FROM read_parquet(${lit(file)})`);
  let digest: GoldenSource['digest'] = null;
  if (split) {
    const sig = join(dirname(file), meta.signals!);
    // A plain file name beside the golden file: an empty name (or '.', '..') is its own folder,
    // whose "schema" DuckDB reads without error and whose columns then do not exist.
    const name = meta.signals!;
    if (name === '' || name === '.' || name === '..' || name.includes('/') || !existsSync(sig) || !statSync(sig).isFile()) {
      throw new InputError(`${file}: its signals file ${JSON.stringify(meta.signals)} (key-value metadata "signals") is not beside it: expected ${sig}`, file);
    }
    const sigCols = (await db.rows(`SELECT name FROM parquet_schema(${lit(sig)})`)).map((r) => String(r.name));
    for (const c of ['event_id', 'pid', 'tid', 'signo', 'si_code', 'addr_lsb', 'lsb_any']) {
      if (!sigCols.includes(c)) throw new InputError(`${sig}: no column ${c}: expected the signals of golden set ${file} (event_id, pid, tid, signo, si_code, addr_lsb, lsb_any)`, sig, undefined, c);
    }
    await db.run(`CREATE OR REPLACE TEMP VIEW exp_sig AS SELECT event_id::UBIGINT AS event_id, pid::UINTEGER AS pid, tid::UINTEGER AS tid,
      signo::UTINYINT AS signo, si_code::UTINYINT AS si_code, addr_lsb::UTINYINT AS addr_lsb, lsb_any FROM read_parquet(${lit(sig)})`);
    const blocks = await readGoldenDigest(db, file, sig);
    if (blocks) digest = { blocks, events: goldenEventsWithPos(file) };
  } else {
    await db.run(`CREATE OR REPLACE TEMP VIEW exp_sig AS SELECT event_id, s.pid, s.tid, s.signo, s.si_code, s.addr_lsb, s.lsb_any
      FROM (SELECT event_id::UBIGINT AS event_id, unnest(signals) AS s FROM read_parquet(${lit(file)}) WHERE len(signals) > 0)`);
  }
  const redact = new Set((meta.redact ?? '').split(',').map((x) => x.trim()).filter((x) => (REDACTABLE as readonly string[]).includes(x)) as Redaction[]);
  const rows = num(await db.scalar(`SELECT num_rows FROM parquet_file_metadata(${lit(file)})`));
  return { file, kind, meta, redact, rows, text: null, digest };
}

/**
 * Rows for a golden relation pair (`name`, `name_sig`) through a temp NDJSON file read by DuckDB.
 * (The node-api appender is not used: after it, the run's low-level appenders in the same process
 * crashed natively; read_json is as fast for these sizes.)
 */
export class GoldenTableWriter {
  private readonly dir = scratchDir('ras-replay-gold-');
  private readonly rowsFile = join(this.dir, 'rows.ndjson');
  private readonly sigFile = join(this.dir, 'sig.ndjson');
  private readonly rowsFd = openSync(this.rowsFile, 'w');
  private readonly sigFd = openSync(this.sigFile, 'w');
  private rowBuf: string[] = [];
  private sigBuf: string[] = [];
  rows = 0;
  signals = 0;

  add(r: GoldenRow): void {
    const str = (v: string) => (v === '-' ? 'null' : JSON.stringify(v));
    this.rowBuf.push(`{"event_id":${r.eventId},"panic":${r.panic},"reboot_loop":${r.rebootLoop},"vmcore":${JSON.stringify(r.vmcore)},"mf_type":${str(r.mfType)},"mf_result":${str(r.mfResult)}}\n`);
    for (const g of r.signals) {
      this.sigBuf.push(`{"event_id":${r.eventId},"pid":${g.pid},"tid":${g.tid ?? 'null'},"signo":${g.signo},"si_code":${g.siCode},"addr_lsb":${g.lsb ?? 'null'},"lsb_any":${g.lsbAny === true}}\n`);
      this.signals++;
    }
    this.rows++;
    if (this.rowBuf.length >= 8192) this.flush();
  }

  private flush(): void {
    if (this.rowBuf.length) writeSync(this.rowsFd, this.rowBuf.join(''));
    if (this.sigBuf.length) writeSync(this.sigFd, this.sigBuf.join(''));
    this.rowBuf = [];
    this.sigBuf = [];
  }

  /** Create the temp tables `name` and `name_sig` and remove the scratch files. */
  async load(db: Duck, name: string): Promise<void> {
    this.flush();
    closeSync(this.rowsFd);
    closeSync(this.sigFd);
    try {
      await db.run(`CREATE OR REPLACE TEMP TABLE ${name} AS SELECT * FROM read_json(${lit(this.rowsFile)}, format = 'newline_delimited',
        columns = {event_id: 'UBIGINT', panic: 'BOOLEAN', reboot_loop: 'BOOLEAN', vmcore: 'VARCHAR', mf_type: 'VARCHAR', mf_result: 'VARCHAR'})`);
      await db.run(`CREATE OR REPLACE TEMP TABLE ${name}_sig AS SELECT * FROM read_json(${lit(this.sigFile)}, format = 'newline_delimited',
        columns = {event_id: 'UBIGINT', pid: 'UINTEGER', tid: 'UINTEGER', signo: 'UTINYINT', si_code: 'UTINYINT', addr_lsb: 'UTINYINT', lsb_any: 'BOOLEAN'})`);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Golden rows into the temp tables `exp` and `exp_sig` (text golden sets: small). */
export async function loadGoldenRows(db: Duck, rows: Iterable<GoldenRow>, exp = 'exp'): Promise<void> {
  const w = new GoldenTableWriter();
  for (const r of rows) w.add(r);
  await w.load(db, exp);
}
