// rasdaemon's SQLite store (ras-mc_event.db; schema from rasdaemon's ras-record.c / db/ras-record.c,
// docs/import.md §rasdaemon). Columns drift between rasdaemon versions, so every table is probed
// with PRAGMA table_info and only the columns that exist are read. The database is read by our
// SQLite file reader (sqlite-file.ts, pages as they are reached) into typed columns
// (readColumns); what that reader does not handle, by sql.js (SQLite compiled to WebAssembly),
// row by row (readDb).
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { grown } from '../columns/events.js';
import { InputError } from '../io/errors.js';
import { RowWheres } from './builder.js';
import {
  ArmPoint, correlate, defaultHost, ErrPoint, ExtlogPoint, fileError, finishEvents, Group, GroupEvents, ImportResult, isAlreadyPoisoned, isMfResult,
  LINK_WINDOW_NS, MCI_ADDRV, MCI_UC, McePoint, McPoint, MERGE_WINDOW_NS, MfPoint, NO_SIGS, NS_PER_S, PointSet, SigPoint,
} from './common.js';
import { serialSize, SqliteFile, SqliteUnsupported, type SqlValue } from './sqlite-file.js';

// sql.js ships no type declarations: the few calls used here, typed locally.
export interface SqlStatement {
  step(): boolean;
  get(params?: unknown, config?: { useBigInt?: boolean }): unknown[];
  bind(values?: unknown[]): boolean;
  run(values?: unknown[]): void;
  free(): boolean;
}
export interface SqlDatabase {
  exec(sql: string): { columns: string[]; values: unknown[][] }[];
  prepare(sql: string): SqlStatement;
  run(sql: string, params?: unknown[]): SqlDatabase;
  export(): Uint8Array;
  close(): void;
}
export interface SqlJs {
  Database: new (data?: Uint8Array) => SqlDatabase;
}

const require = createRequire(import.meta.url);
let sqlJs: Promise<SqlJs> | null = null;

/** Load sql.js once; the WebAssembly binary sits next to its JS in node_modules/sql.js/dist. */
export function loadSqlJs(): Promise<SqlJs> {
  if (!sqlJs) {
    const init = require('sql.js') as (config: { locateFile: (f: string) => string }) => Promise<SqlJs>;
    const dist = dirname(require.resolve('sql.js'));
    sqlJs = init({ locateFile: (f) => join(dist, f) });
  }
  return sqlJs;
}

export const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * The tables read and their columns. `need`: all must exist, or the table's layout is not one this
 * importer knows (InputError naming the table and the expected columns). `use`: read when present.
 */
const TABLES = {
  mce_record: { need: ['timestamp', 'status'], use: ['id', 'mcgcap', 'mcgstatus', 'addr', 'cs', 'ip', 'cpu', 'bank', 'cpuvendor', 'walltime'] },
  arm_event: { need: ['timestamp'], use: ['id', 'error_count', 'mpidr', 'error_type', 'phy_fault_addr', 'virt_fault_addr'] },
  mc_event: { need: ['timestamp', 'err_type'], use: ['id', 'err_msg', 'label', 'address'] },
  extlog_event: { need: ['timestamp', 'severity'], use: ['id', 'etype', 'address'] },
  memory_failure_event: { need: ['timestamp', 'pfn', 'page_type', 'action_result'], use: ['id'] },
  signal_event: { need: ['timestamp', 'sig', 'code', 'pid'], use: ['id', 'comm', 'res', 'errorno', 'grp'] },
} as const;
type TableName = keyof typeof TABLES;
/** Columns of `use` that only the warning about an older layout names: not decoded. */
const NOT_READ = new Set(['ip', 'walltime', 'error_count', 'mpidr', 'virt_fault_addr', 'err_msg', 'etype', 'errorno', 'grp']);
const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** rasdaemon's cpuvendor is the kernel's X86_VENDOR_* (arch/x86/include/asm/processor.h): AMD 2, Hygon 9. */
const AMD_VENDORS = new Set([2, 9]);

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const d2 = (v: string, i: number): number => (v.charCodeAt(i) - 48) * 10 + v.charCodeAt(i + 1) - 48;
let lastStamp = '';
let lastNs: bigint | null = null;

/** The start of lastStamp's day in ms (its zone applied), when lastStamp is in the usual spelling. */
let dayMs = 0;
/** Whether `b`, in the usual spelling, has the date and zone of `v` (checked as usual: same length). */
function sameDay(v: string, b: string): boolean {
  const n = v.length;
  if (b.length !== n || !lastUsual) return false;
  for (let i = 0; i < 10; i++) if (v.charCodeAt(i) !== b.charCodeAt(i)) return false;
  for (let i = 19; i < n; i++) if (v.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}
/** lastStamp was in the usual spelling (dayMs is its day). */
let lastUsual = false;

/** rasdaemon's timestamp: "%Y-%m-%d %H:%M:%S %z" in local time. */
function parseTimestamp(v: unknown): bigint | null {
  if (typeof v !== 'string') return null;
  if (v === lastStamp) return lastNs;
  const n = v.length;
  let ns: bigint | null;
  // The usual spelling, checked character by character (the regex below, for anything else).
  if ((n === 19 || n === 25) && isDigit(v.charCodeAt(0)) && isDigit(v.charCodeAt(1)) && isDigit(v.charCodeAt(2)) && isDigit(v.charCodeAt(3)) &&
    v.charCodeAt(4) === 45 && isDigit(v.charCodeAt(5)) && isDigit(v.charCodeAt(6)) && v.charCodeAt(7) === 45 && isDigit(v.charCodeAt(8)) &&
    isDigit(v.charCodeAt(9)) && v.charCodeAt(10) === 32 && isDigit(v.charCodeAt(11)) && isDigit(v.charCodeAt(12)) && v.charCodeAt(13) === 58 &&
    isDigit(v.charCodeAt(14)) && isDigit(v.charCodeAt(15)) && v.charCodeAt(16) === 58 && isDigit(v.charCodeAt(17)) && isDigit(v.charCodeAt(18)) &&
    (n === 19 || (v.charCodeAt(19) === 32 && (v.charCodeAt(20) === 43 || v.charCodeAt(20) === 45) && isDigit(v.charCodeAt(21)) &&
      isDigit(v.charCodeAt(22)) && isDigit(v.charCodeAt(23)) && isDigit(v.charCodeAt(24))))) {
    // Date.UTC is linear in the time of day: the day's start (and zone) is computed once per day.
    if (!sameDay(v, lastStamp)) {
      dayMs = Date.UTC(d2(v, 0) * 100 + d2(v, 2), d2(v, 5) - 1, d2(v, 8));
      if (n === 25) dayMs -= (v.charCodeAt(20) === 45 ? -1 : 1) * (d2(v, 21) * 60 + d2(v, 23)) * 60_000;
    }
    ns = BigInt(dayMs + d2(v, 11) * 3_600_000 + d2(v, 14) * 60_000 + d2(v, 17) * 1000) * 1_000_000n;
    lastUsual = true;
  } else {
    lastUsual = false;
    const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?: ([+-])(\d\d)(\d\d))?$/.exec(v.trim());
    if (!m) {
      ns = null;
    } else {
      let ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
      if (m[7]) ms -= (m[7] === '-' ? -1 : 1) * ((+m[8]!) * 60 + +m[9]!) * 60_000;
      ns = BigInt(ms) * 1_000_000n;
    }
  }
  lastStamp = v;
  lastNs = ns;
  return ns;
}

const MAX_U64 = (1n << 64n) - 1n;

function toBig(v: unknown): bigint | null {
  if (typeof v === 'number') {
    if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) return BigInt(v);
    return Number.isInteger(v) ? BigInt.asUintN(64, BigInt(v)) : null;
  }
  if (typeof v === 'bigint') return v >= 0n && v <= MAX_U64 ? v : BigInt.asUintN(64, v);
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^-?\d+$/.test(s)) return BigInt.asUintN(64, BigInt(s));
    if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(s);
  }
  return null;
}

/** toBig of a column whose value often repeats row after row (MCG_STATUS, MCG_CAP, a status): the last result is kept. */
class LastBig {
  private last: unknown = undefined;
  private out: bigint | null = null;

  of(v: unknown): bigint | null {
    if (v === this.last && v !== undefined) return this.out;
    this.out = toBig(v);
    this.last = v;
    return this.out;
  }
}

function toInt(v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v === 0 ? 0 : v; // -0 is 0 (as Number(BigInt(-0)))
  // A REAL column value (SQLite stores what it is given: 1e300, Infinity) is an integer only when finite.
  const b = typeof v === 'bigint' ? v : typeof v === 'number' ? (Number.isFinite(v) ? BigInt(Math.trunc(v)) : null) : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? BigInt(v.trim()) : null;
  return b === null ? null : Number(BigInt.asIntN(64, b));
}

/** An address column: rasdaemon writes 0 or all-ones (~0ull, stored as -1) when the record had none. */
function toAddr(v: unknown): bigint | null {
  const b = toBig(v);
  return b === null || b === 0n || b === (1n << 64n) - 1n ? null : b;
}

/**
 * Where the rows come from: the file read directly (SqliteFile), or sql.js. `scan` calls `row` once
 * per row in rowid order with `vals[k]` = column `cols[k]` (a reused array) and the row's id.
 */
interface RowSource {
  /** Names of the tables in sqlite_schema. */
  present: Set<string>;
  /** Column names of a present table, in declaration order (PRAGMA table_info). */
  columns(t: string): string[];
  scan(t: string, cols: readonly string[], row: (id: unknown, vals: SqlValue[]) => void): void;
}

export interface RasdaemonOptions {
  /**
   * Default: the file reader into columns (readColumns), sql.js for what the file reader does not
   * handle. 'rows': the file reader, row by row as from sql.js (readDb); 'sqljs': sql.js only.
   * Tests compare the three.
   */
  reader?: 'auto' | 'rows' | 'sqljs';
}

/** Imports read by each path since the process started (tests check that the file reader was used). */
export const readerUse = { file: 0, sqljs: 0 };

export async function importRasdaemon(file: string, host: string | undefined, opts: RasdaemonOptions = {}): Promise<ImportResult> {
  // The file is read a few pages at a time by the file reader (SqliteFile), whole only for sql.js.
  let fd: number;
  let size: number;
  const head = Buffer.alloc(16);
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw fileError(file, e);
  }
  try {
    try {
      size = fstatSync(fd).size;
      readSync(fd, head, 0, 16, 0);
    } catch (e) {
      throw fileError(file, e);
    }
    if (size < 16 || head.toString('latin1') !== SQLITE_MAGIC) {
      throw new InputError(`${file}: not an SQLite database (the file does not start with "SQLite format 3\\0"): expected rasdaemon's ras-mc_event.db`, file);
    }
    const SQL = await loadSqlJs();
    if (opts.reader !== 'sqljs') {
      try {
        const src = fileSource(SQL, { fd, size });
        const r = opts.reader === 'rows' ? readDb(src, file, host) : readColumns(src, file, host);
        readerUse.file++;
        return r;
      } catch (e) {
        // A bad value is the answer; anything else (SqliteUnsupported, or a check this reader lacks
        // tripping over damage) is read again with SQLite itself, which decides what the file means.
        if (e instanceof InputError) throw e;
      }
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw fileError(file, e);
    }
    let db: SqlDatabase;
    try {
      db = new SQL.Database(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
      db.exec('SELECT name FROM sqlite_master LIMIT 1');
    } catch (e) {
      throw new InputError(`${file}: cannot read the SQLite database: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
    }
    try {
      const r = readDb(sqlJsSource(db), file, host);
      readerUse.sqljs++;
      return r;
    } catch (e) {
      if (e instanceof InputError || e instanceof TypeError || e instanceof RangeError) throw e;
      // sql.js raises plain errors for a damaged file ("database disk image is malformed").
      throw new InputError(`${file}: cannot read the SQLite database: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
    } finally {
      db.close();
    }
  } finally {
    closeSync(fd);
  }
}

function sqlJsSource(db: SqlDatabase): RowSource {
  return {
    present: new Set((db.exec("SELECT name FROM sqlite_master WHERE type = 'table'")[0]?.values ?? []).map((r) => String(r[0]))),
    columns: (t) => (db.exec(`PRAGMA table_info("${t}")`)[0]?.values ?? []).map((r) => String(r[1])),
    scan(t, cols, row) {
      const vals: SqlValue[] = new Array(cols.length).fill(null);
      const stmt = db.prepare(`SELECT rowid, ${cols.map((c) => `"${c}"`).join(', ')} FROM "${t}" ORDER BY rowid`);
      try {
        while (stmt.step()) {
          const v = stmt.get(null, { useBigInt: true }) as SqlValue[];
          for (let k = 0; k < cols.length; k++) vals[k] = v[k + 1] ?? null;
          row(v[0], vals);
        }
      } finally {
        stmt.free();
      }
    },
  };
}

/** SQLite's rule for a rowid alias: the one PRIMARY KEY column, declared with type INTEGER exactly. */
const REAL_AFFINITY = /REAL|FLOA|DOUB/i;
const NOT_REAL_AFFINITY = /INT|CHAR|CLOB|TEXT/i;

/**
 * The file read by SqliteFile. The schema's CREATE TABLE statements of the tables read are run in
 * an empty sql.js database, so that column names and order are SQLite's own parse of them
 * (PRAGMA table_xinfo there); the rows come from the file's b-trees. Whatever would make a value
 * read here differ from SQLite's (generated or REAL-affinity columns, a default of a column added
 * later, a rowid alias other than a plain INTEGER PRIMARY KEY) throws SqliteUnsupported.
 */
/** A table as the file reader reads it: its root page, column names, and the rowid alias column (-1: none). */
interface TableInfo {
  root: number;
  names: string[];
  alias: number;
}

/** The file reader's RowSource, with the reader and the tables for the columnar read. */
interface FileSource extends RowSource {
  sqlite: SqliteFile;
  table(t: string): TableInfo | undefined;
}

function fileSource(SQL: SqlJs, source: Uint8Array | { fd: number; size: number }): FileSource {
  const f = new SqliteFile(source);
  const schema = f.schema();
  const present = new Set<string>();
  for (const r of schema) if (r.type === 'table') present.add(r.name);
  const info = new Map<string, TableInfo>();
  const scratch = new SQL.Database();
  try {
    for (const r of schema) {
      if (r.type !== 'table' || !(r.name in TABLES)) continue;
      if (info.has(r.name)) throw new SqliteUnsupported(`table ${r.name} twice in sqlite_schema`);
      if (r.sql === null || !/^CREATE TABLE /i.test(r.sql) || /\bWITHOUT\s+ROWID\b|\bDESC\b/i.test(r.sql) || r.rootpage < 1) throw new SqliteUnsupported(`table ${r.name}: schema not handled`);
      try {
        scratch.run(r.sql);
      } catch (e) {
        throw new SqliteUnsupported(`table ${r.name}: ${(e as Error).message}`);
      }
      const rows = scratch.exec(`PRAGMA table_xinfo("${r.name}")`)[0]?.values ?? [];
      const names: string[] = [];
      let pks = 0;
      let alias = -1;
      for (const [cid, name, type, , dflt, pk, hidden] of rows as [number, string, string, unknown, unknown, number, number][]) {
        if (cid !== names.length || hidden !== 0 || dflt !== null) throw new SqliteUnsupported(`table ${r.name}: column ${name} is generated, hidden or has a default`);
        if (/^(rowid|oid|_rowid_)$/i.test(name)) throw new SqliteUnsupported(`table ${r.name}: a column named ${name}`);
        const t = String(type);
        if (REAL_AFFINITY.test(t) && !NOT_REAL_AFFINITY.test(t)) throw new SqliteUnsupported(`table ${r.name}: column ${name} has REAL affinity`);
        if (pk) { pks++; if (t.toUpperCase() === 'INTEGER') alias = names.length; }
        names.push(String(name));
      }
      info.set(r.name, { root: r.rootpage, names, alias: pks === 1 ? alias : -1 });
    }
  } finally {
    scratch.close();
  }
  return {
    present,
    sqlite: f,
    table: (t) => info.get(t),
    columns: (t) => info.get(t)?.names ?? [],
    scan(t, cols, row) {
      const ti = info.get(t)!;
      const at = cols.map((c) => ti.names.indexOf(c));
      const vals: SqlValue[] = new Array(cols.length).fill(null);
      const n = cols.length;
      f.scan(ti.root, (rowid) => {
        if (f.ncols > ti.names.length) throw new SqliteUnsupported(`table ${t} row ${rowid}: more values than columns`);
        for (let k = 0; k < n; k++) {
          const i = at[k]!;
          // A rowid alias column is stored as NULL: its value is the rowid.
          vals[k] = i === ti.alias ? (f.value(i) ?? rowid) : f.value(i);
        }
        row(rowid, vals);
      });
    },
  };
}

/**
 * The columns read of each present table (need and use, in that order, as the table has them),
 * with the warnings of absent tables and older layouts; an unknown layout is an InputError.
 */
function tableColumns(src: Pick<RowSource, 'present' | 'columns'>, file: string, warnings: string[]): Map<TableName, string[]> {
  const present = src.present;
  const columns = new Map<TableName, string[]>();
  for (const t of Object.keys(TABLES) as TableName[]) {
    if (!present.has(t)) {
      warnings.push(`${file}: table ${t} is absent (${t === 'signal_event' ? 'signals not recorded: observed signals are null' : 'this rasdaemon was built without it or never recorded one'})`);
      continue;
    }
    const have = new Set(src.columns(t));
    const spec = TABLES[t];
    const missing = spec.need.filter((c) => !have.has(c));
    if (missing.length) {
      throw new InputError(
        `${file}: table ${t} has columns (${[...have].join(', ')}): expected the rasdaemon layout with ${spec.need.join(', ')}` +
        ` (missing ${missing.join(', ')})`, file, `table ${t}`, missing[0]);
    }
    const lacking = spec.use.filter((c) => !have.has(c) && c !== 'id');
    if (lacking.length) warnings.push(`${file}: table ${t} has no column ${lacking.join(', ')} (older rasdaemon): read without ${lacking.length > 1 ? 'them' : 'it'}`);
    columns.set(t, [...spec.need, ...spec.use].filter((c) => have.has(c) && !NOT_READ.has(c)));
  }
  return columns;
}

function readDb(src: RowSource, file: string, hostOpt: string | undefined): ImportResult {
  const warnings: string[] = [];
  const present = src.present;
  const columns = tableColumns(src, file, warnings);

  let seq = 0;
  // Per table: its columns read, and for a column name its index in `vals` (-1: not read, value null).
  let cols: readonly string[] = [];
  const at = (c: string): number => cols.indexOf(c);
  // The current row's `where` ("FILE: table T row ID"), as a number until it is spelled.
  const whereOf = new RowWheres(file, TABLE_NAMES);
  let where = 0;
  const whereText = (): string => whereOf.spell(where);
  let vals: SqlValue[] = [];
  const val = (k: number): SqlValue => (k < 0 ? null : vals[k] ?? null);
  const scan = (t: TableName, fn: () => void): void => {
    const c = columns.get(t);
    if (!c) return;
    cols = c;
    const idAt = at('id');
    const ti = TABLE_NAMES.indexOf(t);
    src.scan(t, c, (rowid, v) => {
      vals = v;
      where = whereOf.code(ti, (idAt < 0 ? null : v[idAt]) ?? rowid);
      fn();
    });
  };
  let tsAt = -1;
  const time = (): bigint => {
    const t = parseTimestamp(val(tsAt));
    if (t === null) {
      throw new InputError(`${whereText()}: column timestamp: value ${JSON.stringify(String(val(tsAt)))}: expected rasdaemon's "YYYY-MM-DD HH:MM:SS +ZZZZ"`, file, whereText(), 'timestamp');
    }
    if (t === 0n) warnings.push(`${whereText()}: timestamp is rasdaemon's 1970-01-01 fallback (uptime not converted): event time is unknown`);
    return t;
  };
  const bad = (c: string, k: number, expected: string): never => {
    throw new InputError(`${whereText()}: column ${c}: value ${JSON.stringify(String(val(k)))}: expected ${expected}`, file, whereText(), c);
  };

  const errors: ErrPoint[] = [];
  {
    const c = columns.get('mce_record');
    const noMcgstatus = c !== undefined && !c.includes('mcgstatus');
    let kStatus = -1; let kMcgstatus = -1; let kAddr = -1; let kMcgcap = -1; let kCs = -1; let kCpu = -1; let kBank = -1; let kVendor = -1;
    if (c) {
      cols = c;
      tsAt = at('timestamp'); kStatus = at('status'); kMcgstatus = at('mcgstatus'); kAddr = at('addr'); kMcgcap = at('mcgcap');
      kCs = at('cs'); kCpu = at('cpu'); kBank = at('bank'); kVendor = at('cpuvendor');
    }
    const lastStatus = new LastBig();
    const lastMcgstatus = new LastBig();
    const lastMcgcap = new LastBig();
    scan('mce_record', () => {
      const status = lastStatus.of(val(kStatus));
      if (status === null) bad('status', kStatus, 'the MCi_STATUS integer');
      const p: McePoint = {
        kind: 'mce', tNs: time(), seq: seq++, where, status: status!,
        mcgstatus: lastMcgstatus.of(val(kMcgstatus)) ?? 0n, addr: toBig(val(kAddr)), mcgcap: lastMcgcap.of(val(kMcgcap)),
        cs: toInt(val(kCs)), cpu: toInt(val(kCpu)), bank: toInt(val(kBank)),
        amd: AMD_VENDORS.has(toInt(val(kVendor)) ?? -1),
      };
      if (noMcgstatus) warnings.push(`${whereText()}: no mcgstatus: MCG_STATUS taken as 0 (RIPV clear)`);
      errors.push(p);
    });
  }
  {
    let kPa = -1; let kType = -1;
    const c = columns.get('arm_event');
    if (c) { cols = c; tsAt = at('timestamp'); kPa = at('phy_fault_addr'); kType = at('error_type'); }
    scan('arm_event', () => {
      const et = val(kType);
      errors.push({ kind: 'arm', tNs: time(), seq: seq++, where, pa: toAddr(val(kPa)), errorType: typeof et === 'string' ? et : null } satisfies ArmPoint);
    });
  }
  {
    let kType = -1; let kAddr = -1; let kLabel = -1;
    const c = columns.get('mc_event');
    if (c) { cols = c; tsAt = at('timestamp'); kType = at('err_type'); kAddr = at('address'); kLabel = at('label'); }
    scan('mc_event', () => {
      const label = val(kLabel);
      errors.push({ kind: 'mc', tNs: time(), seq: seq++, where, errType: String(val(kType) ?? ''), pa: toAddr(val(kAddr)), label: typeof label === 'string' ? label : null } satisfies McPoint);
    });
  }
  {
    let kSev = -1; let kAddr = -1;
    const c = columns.get('extlog_event');
    if (c) { cols = c; tsAt = at('timestamp'); kSev = at('severity'); kAddr = at('address'); }
    scan('extlog_event', () => {
      const sev = toInt(val(kSev));
      if (sev === null) bad('severity', kSev, 'the CPER severity 0-3');
      errors.push({ kind: 'extlog', tNs: time(), seq: seq++, where, sev: sev!, pa: toAddr(val(kAddr)) } satisfies ExtlogPoint);
    });
  }
  const mfs: MfPoint[] = [];
  let staleTable = false;
  {
    let kPfn = -1; let kType = -1; let kResult = -1;
    const c = columns.get('memory_failure_event');
    if (c) { cols = c; tsAt = at('timestamp'); kPfn = at('pfn'); kType = at('page_type'); kResult = at('action_result'); }
    scan('memory_failure_event', () => {
      const pfn = toBig(val(kPfn));
      const type = String(val(kType) ?? '');
      const result = String(val(kResult) ?? '');
      if (pfn === null) bad('pfn', kPfn, 'a page frame number ("0x%llx")');
      if (!isMfResult(result)) throw new InputError(`${whereText()}: column action_result: value ${JSON.stringify(result)}: expected Ignored, Failed, Delayed or Recovered`, file, whereText(), 'action_result');
      staleTable = true;
      mfs.push({ tNs: time(), seq: seq++, where, pfn: pfn!, type, result });
    });
  }
  if (staleTable) {
    warnings.push(`${file}: memory_failure_event.page_type is rasdaemon's own translation of the tracepoint's number, with a table of the v5.x kernels (it still has "kernel slab page" and "different compound page after locking"); on kernels whose enum mf_action_page_type differs (v6.11+ adds "get hwpoison page" and "already poisoned page") the stored string can name the wrong page type`);
  }
  const uncorrected = (e: ErrPoint): boolean =>
    e.kind === 'mce' ? (e.status & MCI_UC) !== 0n : e.kind === 'mc' ? !/^Corrected$/i.test(e.errType) : e.kind === 'extlog' ? e.sev !== 2 : true;
  if (mfs.length === 0 && errors.some(uncorrected)) {
    // Since v6.19 the kernel's memory_failure_event is in the memory_failure trace system
    // (include/trace/events/memory-failure.h, TRACE_SYSTEM memory_failure), no longer ras:, so a
    // rasdaemon that subscribes to ras:memory_failure_event records none on those kernels.
    warnings.push(`${file}: uncorrected error records but no memory_failure_event row: on a v6.19–v7.2 kernel the tracepoint is memory_failure:memory_failure_event (no longer ras:), which this rasdaemon may not record; memory_failure() results are then unknown (mfType null), not absent`);
  }
  const sigs: SigPoint[] = [];
  {
    let kSig = -1; let kCode = -1; let kPid = -1; let kComm = -1; let kRes = -1;
    const c = columns.get('signal_event');
    if (c) { cols = c; tsAt = at('timestamp'); kSig = at('sig'); kCode = at('code'); kPid = at('pid'); kComm = at('comm'); kRes = at('res'); }
    scan('signal_event', () => {
      const sig = toInt(val(kSig));
      const code = toInt(val(kCode));
      const pid = toInt(val(kPid));
      if (sig === null) bad('sig', kSig, 'an integer');
      if (code === null) bad('code', kCode, 'an integer');
      if (pid === null) bad('pid', kPid, 'an integer');
      sigs.push({ tNs: time(), seq: seq++, where, sig: sig!, code: code!, pid: pid!, comm: String(val(kComm) ?? ''), res: toInt(val(kRes)) });
    });
  }

  // The host's architecture: from the records when there are any; else from which tables this
  // rasdaemon build created (mce_record only on x86 builds, arm_event on arm builds).
  let arch: PointSet['arch'] = null;
  let archObserved = false;
  if (errors.some((p) => p.kind === 'mce' || p.kind === 'extlog')) { arch = 'x86_64'; archObserved = true; } else if (errors.some((p) => p.kind === 'arm')) { arch = 'arm64'; archObserved = true; } else if (present.has('mce_record') !== present.has('arm_event')) arch = present.has('mce_record') ? 'x86_64' : 'arm64';
  const ps: PointSet = {
    file, host: defaultHost(file, hostOpt), hostObserved: hostOpt !== undefined && hostOpt !== '', errors, mfs, sigs,
    signalsTraced: columns.has('signal_event'), arch, archObserved, whereOf,
  };
  // correlate() empties the point arrays as it goes (the points are not needed once grouped).
  return finishEvents(correlate(ps, warnings), file, 'rasdaemon', warnings);
}

// ---------------------------------------------------------------------------------------------
// The columnar read (the default for a file the SQLite reader handles). readDb above builds an
// object per row and groups the objects; for a database of millions of rows that is most of the
// time (the objects outlive the young generation) and of the memory. Here each row is decoded
// straight into typed columns, a value equal in its stored bytes to the row before's is not
// decoded again (statuses, page types and names repeat; timestamps are parsed from their bytes),
// and the grouping rule of correlate() (common.ts) runs over the columns: times as whole
// milliseconds (rasdaemon's stamps have whole seconds; LINK/MERGE windows in ms are exact),
// addresses by their 4 KiB page number (pa >> 14 and pa >> 16 follow from it exactly). Only the
// objects of one group are made, when its event is built (GroupEvents, the last step correlate()
// shares), and are let go at once; a lone machine check record like an earlier one copies that
// one's event. Rows, checks, messages and warnings are readDb's, in readDb's order (every column
// of a row decoded before its checks, as readDb's source does); tests compare the two reads.
// ---------------------------------------------------------------------------------------------

const MERGE_MS = Number(MERGE_WINDOW_NS / 1_000_000n);
const LINK_MS = Number(LINK_WINDOW_NS / 1_000_000n);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const K_MCE = 0;
const K_ARM = 1;
const K_MC = 2;
const K_EXT = 3;
/** Stored bytes kept by Recent (longer values are decoded every time). */
const RECENT_BYTES = 48;

/**
 * The stored bytes of the last value read of one column and what they gave (a code): the same
 * serial type and bytes give the same value, so it is not decoded again.
 */
class Recent {
  private type = -1;
  private len = 0;
  private readonly bytes = new Uint8Array(RECENT_BYTES);
  code = 0;

  same(f: SqliteFile, i: number): boolean {
    if (f.serialType(i) !== this.type) return false;
    const n = this.len;
    if (n === 0) return true;
    const b = f.recordBytes;
    const o = f.offset(i);
    const k = this.bytes;
    for (let j = 0; j < n; j++) if (b[o + j] !== k[j]) return false;
    return true;
  }

  keep(f: SqliteFile, i: number, code: number): void {
    const t = f.serialType(i);
    const n = serialSize(t);
    this.code = code;
    if (n > RECENT_BYTES) { this.type = -1; return; }
    this.type = t;
    this.len = n;
    const b = f.recordBytes;
    const o = f.offset(i);
    const k = this.bytes;
    for (let j = 0; j < n; j++) k[j] = b[o + j]!;
  }
}

/** Whether b[o] is an ASCII digit. */
const digitAt = (b: Uint8Array, o: number): boolean => b[o]! >= 48 && b[o]! <= 57;
/** The two ASCII digits at b[o] as a number. */
const twoAt = (b: Uint8Array, o: number): number => (b[o]! - 48) * 10 + b[o + 1]! - 48;

/** parseTimestamp's usual spelling, "YYYY-MM-DD HH:MM:SS" or with " +ZZZZ", in the n bytes at b[o]. */
function usualStamp(b: Uint8Array, o: number, n: number): boolean {
  return (n === 19 || n === 25) && digitAt(b, o) && digitAt(b, o + 1) && digitAt(b, o + 2) && digitAt(b, o + 3) && b[o + 4] === 45 &&
    digitAt(b, o + 5) && digitAt(b, o + 6) && b[o + 7] === 45 && digitAt(b, o + 8) && digitAt(b, o + 9) && b[o + 10] === 32 &&
    digitAt(b, o + 11) && digitAt(b, o + 12) && b[o + 13] === 58 && digitAt(b, o + 14) && digitAt(b, o + 15) && b[o + 16] === 58 &&
    digitAt(b, o + 17) && digitAt(b, o + 18) &&
    (n === 19 || (b[o + 19] === 32 && (b[o + 20] === 43 || b[o + 20] === 45) && digitAt(b, o + 21) && digitAt(b, o + 22) && digitAt(b, o + 23) && digitAt(b, o + 24)));
}

/** Distinct values by code (statuses as bigints, names as strings). */
class Dict<T> {
  readonly values: T[] = [];
  private readonly codes = new Map<T, number>();

  code(v: T): number {
    let c = this.codes.get(v);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(v);
      this.codes.set(v, c);
    }
    return c;
  }
}

/** A column of toBig values (unsigned 64-bit or null): a safe integer as itself, NaN for null, -1 for one kept in `big`. */
class BigColumn {
  v = new Float64Array(0);
  private readonly big = new Map<number, bigint>();

  grow(cap: number): void { this.v = grown(this.v, cap); }

  set(i: number, b: bigint | null): void {
    if (b === null) this.v[i] = NaN;
    else if (b <= MAX_SAFE_BIG) this.v[i] = Number(b);
    else { this.v[i] = -1; this.big.set(i, b); }
  }

  /** A stored value as toBig gives it from a number already known to be a safe non-negative integer (no bigint made). */
  setSafe(i: number, x: number): void { this.v[i] = x; }

  get(i: number): bigint | null {
    const x = this.v[i]!;
    return Number.isNaN(x) ? null : x === -1 ? this.big.get(i)! : BigInt(x);
  }

  /** The 4 KiB page number of value i (pa >> 12, exact), NaN for null. */
  page(i: number): number {
    const x = this.v[i]!;
    return Number.isNaN(x) ? NaN : x === -1 ? Number(this.big.get(i)! >> 12n) : Math.floor(x / 4096);
  }
}
const MAX_SAFE_BIG = BigInt(MAX_SAFE);

const nullable = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** pfnMatches of an address by its 4 KiB page number (4K, 16K and 64K base pages). */
const pageMatches = (p12: number, pfn: number): boolean => p12 === pfn || Math.floor(p12 / 4) === pfn || Math.floor(p12 / 16) === pfn;

/** readDb for the file reader: the rows into columns, grouped over them (see above); the same result. */
function readColumns(src: FileSource, file: string, hostOpt: string | undefined): ImportResult {
  const warnings: string[] = [];
  const present = src.present;
  const columns = tableColumns(src, file, warnings);
  const f = src.sqlite;
  const whereOf = new RowWheres(file, TABLE_NAMES);
  const strs = new Dict<string>();
  const bigs = new Dict<bigint>();

  // The table being read: the index of a read column in the record (-1: not read), its value (the
  // rowid for the alias column, stored as NULL), and the row's where.
  let alias = -1;
  let rowid = 0;
  let where = 0;
  let cols: readonly string[] = [];
  let names: string[] = [];
  const at = (c: string): number => (cols.includes(c) ? names.indexOf(c) : -1);
  const val = (k: number): SqlValue => (k < 0 ? null : k === alias ? (f.value(k) ?? rowid) : f.value(k));
  const whereText = (): string => whereOf.spell(where);
  const scan = (t: TableName, setup: () => void, row: () => void): void => {
    const c = columns.get(t);
    if (!c) return;
    const ti = src.table(t)!;
    cols = c;
    names = ti.names;
    alias = ti.alias;
    const idAt = at('id');
    const tcode = TABLE_NAMES.indexOf(t);
    const n = names.length;
    setup();
    f.scan(ti.root, (id) => {
      if (f.ncols > n) throw new SqliteUnsupported(`table ${t} row ${id}: more values than columns`);
      rowid = id;
      where = whereOf.code(tcode, idAt < 0 ? rowid : val(idAt) ?? rowid);
      row();
    });
  };
  /** A column's code through its Recent: `decode` of the value when the stored bytes changed. */
  const cached = (r: Recent, k: number, decode: (v: SqlValue) => number): number => {
    if (k < 0) return decode(null);
    if (k !== alias && r.same(f, k)) return r.code;
    const c = decode(val(k));
    if (k !== alias) r.keep(f, k, c);
    return c;
  };
  const bigCode = (v: SqlValue): number => { const b = toBig(v); return b === null ? -1 : bigs.code(b); };
  const strCode = (v: SqlValue): number => strs.code(String(v ?? ''));
  const textCode = (v: SqlValue): number => (typeof v === 'string' ? strs.code(v) : -1);

  // Timestamps: "YYYY-MM-DD HH:MM:SS[ +ZZZZ]" read from the stored bytes (parseTimestamp's rule);
  // anything else through parseTimestamp itself. NaN: not a timestamp.
  const day = new Uint8Array(25);
  let dayLen = 0;
  let dayStart = 0;
  let tsAt = -1;
  const timeOf = (v: SqlValue): number => {
    const ns = parseTimestamp(v);
    return ns === null ? NaN : Number(ns / 1_000_000n);
  };
  const readTime = (): number => {
    const k = tsAt;
    if (k === alias) return timeOf(val(k));
    const t = f.serialType(k);
    const n = t >= 13 && t % 2 === 1 ? (t - 13) / 2 : -1;
    let ms: number;
    const b = f.recordBytes;
    const o = f.offset(k);
    if (usualStamp(b, o, n)) {
      // Date.UTC is linear in the time of day: the day's start (and zone) once per day.
      let sameDay = dayLen === n;
      for (let j = 0; sameDay && j < 10; j++) if (b[o + j] !== day[j]) sameDay = false;
      for (let j = 19; sameDay && j < n; j++) if (b[o + j] !== day[j]) sameDay = false;
      if (!sameDay) {
        dayStart = Date.UTC(twoAt(b, o) * 100 + twoAt(b, o + 2), twoAt(b, o + 5) - 1, twoAt(b, o + 8));
        if (n === 25) dayStart -= (b[o + 20] === 45 ? -1 : 1) * (twoAt(b, o + 21) * 60 + twoAt(b, o + 23)) * 60_000;
        for (let j = 0; j < n; j++) day[j] = b[o + j]!;
        dayLen = n;
      }
      ms = dayStart + twoAt(b, o + 11) * 3_600_000 + twoAt(b, o + 14) * 60_000 + twoAt(b, o + 17) * 1000;
    } else {
      ms = timeOf(f.value(k));
    }
    return ms;
  };
  /** readDb's time(): the row's time in ms, or the located InputError; rasdaemon's 1970 fallback warned. */
  const time = (ms: number): number => {
    if (Number.isNaN(ms)) {
      throw new InputError(`${whereText()}: column timestamp: value ${JSON.stringify(String(val(tsAt)))}: expected rasdaemon's "YYYY-MM-DD HH:MM:SS +ZZZZ"`, file, whereText(), 'timestamp');
    }
    if (ms === 0) warnings.push(`${whereText()}: timestamp is rasdaemon's 1970-01-01 fallback (uptime not converted): event time is unknown`);
    return ms;
  };
  const bad = (c: string, k: number, expected: string): never => {
    throw new InputError(`${whereText()}: column ${c}: value ${JSON.stringify(String(val(k)))}: expected ${expected}`, file, whereText(), c);
  };
  const int = (k: number): number => { const x = toInt(val(k)); return x === null ? NaN : x; };

  // Error reports, all four tables in one set of columns (index = seq): kind, time, where, the
  // page of the address pointPa gives (NaN: none); per kind: mce status, mcgstatus, mcgcap codes
  // (in bigs; -1 null), addr, cs, cpu, bank, amd; arm pa, error_type (strs); mc err_type, label
  // (strs), pa; extlog severity, pa.
  let ne = 0;
  let ecap = 0;
  let eKind = new Uint8Array(0);
  let eT = new Float64Array(0);
  let eWhere = new Float64Array(0);
  let eP12 = new Float64Array(0);
  let eC1 = new Int32Array(0);
  let eC2 = new Int32Array(0);
  let eC3 = new Int32Array(0);
  let eN1 = new Float64Array(0);
  let eN2 = new Float64Array(0);
  let eN3 = new Float64Array(0);
  let eAmd = new Uint8Array(0);
  const eA = new BigColumn();
  function ensureErrors(n: number): void {
    if (n <= ecap) return;
    ecap = n;
    eKind = grown(eKind, ecap); eT = grown(eT, ecap); eWhere = grown(eWhere, ecap); eP12 = grown(eP12, ecap);
      eC1 = grown(eC1, ecap); eC2 = grown(eC2, ecap); eC3 = grown(eC3, ecap); eN1 = grown(eN1, ecap); eN2 = grown(eN2, ecap);
    eN3 = grown(eN3, ecap); eAmd = grown(eAmd, ecap); eA.grow(ecap);
  }
  const addError = (kind: number, ms: number): number => {
    if (ne === ecap) ensureErrors(Math.max(1024, ecap * 2));
    const e = ne++;
    eKind[e] = kind;
    eT[e] = ms;
    eWhere[e] = where;
    return e;
  };
  /** toBig of value v into eA[e] (a safe non-negative integer stored as read: no bigint made). */
  const bigInto = (e: number, v: SqlValue): void => {
    if (typeof v === 'number' && v >= 0 && v <= MAX_SAFE && Number.isInteger(v)) eA.setSafe(e, v === 0 ? 0 : v);
    else eA.set(e, toBig(v));
  };
  /** toAddr of value v into eA[e]. */
  const addrInto = (e: number, v: SqlValue): void => {
    bigInto(e, v);
    const x = eA.v[e]!;
    if (x === 0 || (x === -1 && eA.get(e) === MAX_U64)) eA.v[e] = NaN;
  };
  let anyUncorrected = false;
  let nMce = 0;
  // The columns sized to the tables' rows (counted from the leaves), not grown as they fill. A
  // tree the count cannot walk is left to the scan, which meets the damage in readDb's order
  // (after the rows before it, whose bad values come first): its columns grow as they fill.
  const rowsOf = (...ts: TableName[]): number => ts.reduce((n, t) => {
    if (!columns.has(t)) return n;
    try {
      return n + f.rows(src.table(t)!.root);
    } catch {
      return n;
    }
  }, 0);
  ensureErrors(rowsOf('mce_record', 'arm_event', 'mc_event', 'extlog_event'));

  {
    let kStatus = -1; let kMcgstatus = -1; let kAddr = -1; let kMcgcap = -1; let kCs = -1; let kCpu = -1; let kBank = -1; let kVendor = -1;
    let noMcgstatus = false;
    const rStatus = new Recent();
    const rMcgstatus = new Recent();
    const rMcgcap = new Recent();
    // Per status code: UC, and ADDRV (whether addr is the report's address).
    const uc: boolean[] = [];
    const addrv: boolean[] = [];
    scan('mce_record', () => {
      tsAt = at('timestamp'); kStatus = at('status'); kMcgstatus = at('mcgstatus'); kAddr = at('addr'); kMcgcap = at('mcgcap');
      kCs = at('cs'); kCpu = at('cpu'); kBank = at('bank'); kVendor = at('cpuvendor');
      noMcgstatus = !cols.includes('mcgstatus');
    }, () => {
      const ms = readTime();
      const status = cached(rStatus, kStatus, bigCode);
      const mcgstatus = cached(rMcgstatus, kMcgstatus, bigCode);
      const mcgcap = cached(rMcgcap, kMcgcap, bigCode);
      const addr = val(kAddr);
      const cs = int(kCs);
      const cpu = int(kCpu);
      const bank = int(kBank);
      const vendor = toInt(val(kVendor));
      if (status < 0) bad('status', kStatus, 'the MCi_STATUS integer');
      const e = addError(K_MCE, time(ms));
      eC1[e] = status; eC2[e] = mcgstatus; eC3[e] = mcgcap;
      bigInto(e, addr);
      eN1[e] = cs; eN2[e] = cpu; eN3[e] = bank;
      eAmd[e] = AMD_VENDORS.has(vendor ?? -1) ? 1 : 0;
      if (uc[status] === undefined) {
        const s = bigs.values[status]!;
        uc[status] = (s & MCI_UC) !== 0n;
        addrv[status] = (s & MCI_ADDRV) !== 0n;
      }
      eP12[e] = addrv[status] ? eA.page(e) : NaN;
      if (uc[status]) anyUncorrected = true;
      nMce++;
      if (noMcgstatus) warnings.push(`${whereText()}: no mcgstatus: MCG_STATUS taken as 0 (RIPV clear)`);
    });
  }
  {
    let kPa = -1; let kType = -1;
    const rType = new Recent();
    scan('arm_event', () => { tsAt = at('timestamp'); kPa = at('phy_fault_addr'); kType = at('error_type'); }, () => {
      const ms = readTime();
      const type = cached(rType, kType, textCode);
      const pa = val(kPa);
      const e = addError(K_ARM, time(ms));
      addrInto(e, pa);
      eC1[e] = type;
      eP12[e] = eA.page(e);
      anyUncorrected = true;
    });
  }
  {
    let kType = -1; let kAddr = -1; let kLabel = -1;
    const rType = new Recent();
    const rLabel = new Recent();
    const corrected: boolean[] = [];
    scan('mc_event', () => { tsAt = at('timestamp'); kType = at('err_type'); kAddr = at('address'); kLabel = at('label'); }, () => {
      const ms = readTime();
      const type = cached(rType, kType, strCode);
      const label = cached(rLabel, kLabel, textCode);
      const pa = val(kAddr);
      const e = addError(K_MC, time(ms));
      eC1[e] = type;
      eC2[e] = label;
      addrInto(e, pa);
      eP12[e] = eA.page(e);
      corrected[type] ??= /^Corrected$/i.test(strs.values[type]!);
      if (!corrected[type]) anyUncorrected = true;
    });
  }
  {
    let kSev = -1; let kAddr = -1;
    scan('extlog_event', () => { tsAt = at('timestamp'); kSev = at('severity'); kAddr = at('address'); }, () => {
      const ms = readTime();
      const sev = int(kSev);
      const pa = val(kAddr);
      if (Number.isNaN(sev)) bad('severity', kSev, 'the CPER severity 0-3');
      const e = addError(K_EXT, time(ms));
      eN1[e] = sev;
      addrInto(e, pa);
      eP12[e] = eA.page(e);
      if (sev !== 2) anyUncorrected = true;
    });
  }

  // memory_failure_event rows (index + ne = seq): time, where, pfn (exact in mPfn; as a number
  // in mPfnNum, NaN beyond 2^53, where no address's page can equal it), page type and result (strs).
  let nm = 0;
  let mcap = 0;
  let mT = new Float64Array(0);
  let mWhere = new Float64Array(0);
  let mPfnNum = new Float64Array(0);
  let mType = new Int32Array(0);
  let mResult = new Int32Array(0);
  const mPfn = new BigColumn();
  let staleTable = false;
  let lookBack = false;
  const ensureMfs = (n: number): void => {
    if (n <= mcap) return;
    mcap = n;
    mT = grown(mT, mcap); mWhere = grown(mWhere, mcap); mPfnNum = grown(mPfnNum, mcap); mType = grown(mType, mcap); mResult = grown(mResult, mcap);
    mPfn.grow(mcap);
  };
  ensureMfs(rowsOf('memory_failure_event'));
  {
    let kPfn = -1; let kType = -1; let kResult = -1;
    const rType = new Recent();
    const rResult = new Recent();
    const results: boolean[] = [];
    scan('memory_failure_event', () => { tsAt = at('timestamp'); kPfn = at('pfn'); kType = at('page_type'); kResult = at('action_result'); }, () => {
      const ms = readTime();
      const pfn = toBig(val(kPfn));
      const type = cached(rType, kType, strCode);
      const result = cached(rResult, kResult, strCode);
      if (pfn === null) bad('pfn', kPfn, 'a page frame number ("0x%llx")');
      results[result] ??= isMfResult(strs.values[result]!);
      if (!results[result]) throw new InputError(`${whereText()}: column action_result: value ${JSON.stringify(strs.values[result])}: expected Ignored, Failed, Delayed or Recovered`, file, whereText(), 'action_result');
      staleTable = true;
      const t = time(ms);
      if (nm === mcap) ensureMfs(Math.max(256, mcap * 2));
      const m = nm++;
      mT[m] = t;
      mWhere[m] = where;
      mPfn.set(m, pfn);
      mPfnNum[m] = pfn! <= MAX_SAFE_BIG ? Number(pfn) : NaN;
      mType[m] = type;
      mResult[m] = result;
      if (isAlreadyPoisoned(strs.values[type]!)) lookBack = true;
    });
  }
  if (staleTable) {
    warnings.push(`${file}: memory_failure_event.page_type is rasdaemon's own translation of the tracepoint's number, with a table of the v5.x kernels (it still has "kernel slab page" and "different compound page after locking"); on kernels whose enum mf_action_page_type differs (v6.11+ adds "get hwpoison page" and "already poisoned page") the stored string can name the wrong page type`);
  }
  if (nm === 0 && anyUncorrected) {
    warnings.push(`${file}: uncorrected error records but no memory_failure_event row: on a v6.19–v7.2 kernel the tracepoint is memory_failure:memory_failure_event (no longer ras:), which this rasdaemon may not record; memory_failure() results are then unknown (mfType null), not absent`);
  }

  // signal_event rows (index + ne + nm = seq): time, where, sig, code, pid, res (NaN null), comm (strs).
  let ns = 0;
  let scap = 0;
  let sT = new Float64Array(0);
  let sWhere = new Float64Array(0);
  let sSig = new Float64Array(0);
  let sCode = new Float64Array(0);
  let sPid = new Float64Array(0);
  let sRes = new Float64Array(0);
  let sComm = new Int32Array(0);
  const ensureSigs = (n: number): void => {
    if (n <= scap) return;
    scap = n;
    sT = grown(sT, scap); sWhere = grown(sWhere, scap); sSig = grown(sSig, scap); sCode = grown(sCode, scap); sPid = grown(sPid, scap);
    sRes = grown(sRes, scap); sComm = grown(sComm, scap);
  };
  ensureSigs(rowsOf('signal_event'));
  {
    let kSig = -1; let kCode = -1; let kPid = -1; let kComm = -1; let kRes = -1;
    const rComm = new Recent();
    scan('signal_event', () => { tsAt = at('timestamp'); kSig = at('sig'); kCode = at('code'); kPid = at('pid'); kComm = at('comm'); kRes = at('res'); }, () => {
      const ms = readTime();
      const sig = int(kSig);
      const code = int(kCode);
      const pid = int(kPid);
      const comm = cached(rComm, kComm, strCode);
      const res = int(kRes);
      if (Number.isNaN(sig)) bad('sig', kSig, 'an integer');
      if (Number.isNaN(code)) bad('code', kCode, 'an integer');
      if (Number.isNaN(pid)) bad('pid', kPid, 'an integer');
      const t = time(ms);
      if (ns === scap) ensureSigs(Math.max(256, scap * 2));
      const s = ns++;
      sT[s] = t; sWhere[s] = where; sSig[s] = sig; sCode[s] = code; sPid[s] = pid; sRes[s] = res; sComm[s] = comm;
    });
  }

  // readDb's architecture rule.
  let arch: PointSet['arch'] = null;
  let archObserved = false;
  let anyX86 = false;
  let anyArm = false;
  for (let e = 0; e < ne && !anyX86; e++) {
    if (eKind[e] === K_MCE || eKind[e] === K_EXT) anyX86 = true;
    else if (eKind[e] === K_ARM) anyArm = true;
  }
  if (anyX86) { arch = 'x86_64'; archObserved = true; } else if (anyArm) { arch = 'arm64'; archObserved = true; } else if (present.has('mce_record') !== present.has('arm_event')) arch = present.has('mce_record') ? 'x86_64' : 'arm64';
  const ps: PointSet = {
    file, host: defaultHost(file, hostOpt), hostObserved: hostOpt !== undefined && hostOpt !== '', errors: [], mfs: [], sigs: [],
    signalsTraced: columns.has('signal_event'), arch, archObserved, whereOf,
  };

  // correlate()'s rules 1-3 over the columns (see there). Points in (time, seq) order.
  const inOrder = (n: number, t: Float64Array): Uint32Array | null => {
    for (let i = 1; i < n; i++) {
      if (t[i - 1]! > t[i]!) {
        const order = new Uint32Array(n);
        for (let j = 0; j < n; j++) order[j] = j;
        return order.sort((a, b) => t[a]! - t[b]! || a - b);
      }
    }
    return null;
  };
  // Groups: time, seq, first report (-1: a result alone), the next report of a group (by report),
  // the kinds in it, its address page (NaN: none) and the report that gave it (-1: none; -2: the
  // result's pfn), its result (-1: none), its signals (a list through sNext).
  const gcap = ne + nm;
  const gT = new Float64Array(gcap);
  const gFirst = new Int32Array(gcap);
  const gLast = new Int32Array(gcap);
  const gKinds = new Uint8Array(gcap);
  const gP12 = new Float64Array(gcap);
  const gPaFrom = new Int32Array(gcap);
  const gMf = new Int32Array(gcap).fill(-1);
  const gSig = new Int32Array(gcap).fill(-1);
  const gSigLast = new Int32Array(gcap);
  const eNext = new Int32Array(ne).fill(-1);
  const sNext = new Int32Array(ns).fill(-1);
  let ng = 0;
  {
    const order = inOrder(ne, eT);
    for (let r = 0; r < ne; r++) {
      const e = order ? order[r]! : r;
      const t = eT[e]!;
      const kind = eKind[e]!;
      const pa = eP12[e]!;
      let best = -1;
      if (kind !== K_MCE) {
        for (let i = ng - 1; i >= 0; i--) {
          if (t - gT[i]! > MERGE_MS) break;
          if ((gKinds[i]! & (1 << kind)) !== 0) continue;
          const gp = gP12[i]!;
          if (!Number.isNaN(pa) && !Number.isNaN(gp)) {
            if (pa === gp) { best = i; break; }
          } else if (best < 0) {
            best = i;
          }
        }
      }
      if (best >= 0) {
        eNext[gLast[best]!] = e;
        gLast[best] = e;
        gKinds[best]! |= 1 << kind;
        if (Number.isNaN(gP12[best]!) && !Number.isNaN(pa)) { gP12[best] = pa; gPaFrom[best] = e; }
      } else {
        const g = ng++;
        gT[g] = t; gFirst[g] = e; gLast[g] = e; gKinds[g] = 1 << kind; gP12[g] = pa; gPaFrom[g] = Number.isNaN(pa) ? -1 : e;
      }
    }
  }
  const nMain = ng;
  {
    const order = inOrder(nm, mT);
    const WINDOW_SCAN = 256;
    let byPfn: Map<number, number[]> | null = null;
    for (let r = 0; r < nm; r++) {
      const m = order ? order[r]! : r;
      const mt = mT[m]!;
      const pfn = mPfnNum[m]!;
      let best = -1;
      const from = mt - LINK_MS;
      const to = mt + MERGE_MS;
      let lo = 0;
      let hi = nMain;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (gT[mid]! < from) lo = mid + 1; else hi = mid;
      }
      let end = lo;
      hi = nMain;
      while (end < hi) {
        const mid = (end + hi) >> 1;
        if (gT[mid]! <= to) end = mid + 1; else hi = mid;
      }
      if (end - lo <= WINDOW_SCAN) {
        for (let i = lo; i < end; i++) if (gMf[i]! < 0 && !Number.isNaN(gP12[i]!) && pageMatches(gP12[i]!, pfn)) best = i;
      } else {
        if (!byPfn) {
          byPfn = new Map();
          for (let i = 0; i < nMain; i++) {
            const p = gP12[i]!;
            if (Number.isNaN(p)) continue;
            for (const key of [p, Math.floor(p / 4), Math.floor(p / 16)]) {
              const l = byPfn.get(key);
              if (l) { if (l[l.length - 1] !== i) l.push(i); } else byPfn.set(key, [i]);
            }
          }
        }
        for (const i of byPfn.get(pfn) ?? []) {
          if (gMf[i]! >= 0 || gT[i]! > to || gT[i]! < from) continue;
          if (best < 0 || gT[i]! >= gT[best]!) best = i;
        }
      }
      if (best < 0) {
        // A report without an address followed by a result: the result names the page.
        for (let i = nMain - 1; i >= 0; i--) {
          if (gT[i]! > mt + MERGE_MS) continue;
          if (mt - gT[i]! > LINK_MS) break;
          if (Number.isNaN(gP12[i]!) && gMf[i]! < 0) { best = i; break; }
        }
      }
      if (best >= 0) {
        gMf[best] = m;
      } else {
        const g = ng++;
        gT[g] = mt; gFirst[g] = -1; gLast[g] = -1; gKinds[g] = 0; gP12[g] = NaN; gPaFrom[g] = -2; gMf[g] = m;
      }
    }
  }
  // A group's seq: its first report's, or its result's.
  const gSeq = (g: number): number => (gFirst[g]! >= 0 ? gFirst[g]! : ne + gMf[g]!);
  // The groups in (t, seq) order: the reports' groups and the results' own, each already in it, merged.
  const groups = new Uint32Array(ng);
  {
    let a = 0;
    let b = nMain;
    for (let r = 0; r < ng; r++) {
      if (b >= ng || (a < nMain && (gT[a]! < gT[b]! || (gT[a] === gT[b] && gSeq(a) < gSeq(b))))) groups[r] = a++;
      else groups[r] = b++;
    }
  }
  {
    const order = inOrder(ns, sT);
    for (let r = 0; r < ns; r++) {
      const s = order ? order[r]! : r;
      const sig = sSig[s]!;
      const code = sCode[s]!;
      if (!(sig === 7 && (code === 3 || code === 4 || code === 5 || code === 128)) && !(sig === 9 && code === 128)) continue;
      const st = sT[s]!;
      const limit = st + MERGE_MS;
      let lo = 0;
      let hi = ng;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (gT[groups[mid]!]! <= limit) lo = mid + 1; else hi = mid;
      }
      const g = lo > 0 ? groups[lo - 1]! : -1;
      if (g >= 0 && st - gT[g]! <= LINK_MS) {
        if (gSig[g]! < 0) gSig[g] = s; else sNext[gSigLast[g]!] = s;
        gSigLast[g] = s;
      } else {
        warnings.push(`${whereOf.spell(sWhere[s]!)}: signal ${sig} code ${code} to ${strs.values[sComm[s]!]}:${sPid[s]} follows no memory error within ${LINK_WINDOW_NS / NS_PER_S} s; not attached to an event`);
      }
    }
  }

  // Each group's objects, made for its event and let go.
  // A time in whole seconds below 2^53 / 1953125 s (the year 2116) is exact in ns as a double.
  const nsOf = (ms: number): bigint => (ms < 4.6e12 && ms > -4.6e12 ? BigInt(ms * 1e6) : BigInt(ms) * 1_000_000n);
  const point = (e: number): ErrPoint => {
    const tNs = nsOf(eT[e]!);
    const seq = e;
    const where = eWhere[e]!;
    switch (eKind[e]) {
      case K_MCE: {
        const mg = eC2[e]!;
        const cap = eC3[e]!;
        return {
          kind: 'mce', tNs, seq, where, status: bigs.values[eC1[e]!]!, mcgstatus: mg < 0 ? 0n : bigs.values[mg]!, addr: eA.get(e),
          mcgcap: cap < 0 ? null : bigs.values[cap]!, cs: nullable(eN1[e]!), cpu: nullable(eN2[e]!), bank: nullable(eN3[e]!), amd: eAmd[e] === 1,
        } satisfies McePoint;
      }
      case K_ARM: {
        const ty = eC1[e]!;
        return { kind: 'arm', tNs, seq, where, pa: eA.get(e), errorType: ty < 0 ? null : strs.values[ty]! } satisfies ArmPoint;
      }
      case K_MC: {
        const label = eC2[e]!;
        return { kind: 'mc', tNs, seq, where, errType: strs.values[eC1[e]!]!, pa: eA.get(e), label: label < 0 ? null : strs.values[label]! } satisfies McPoint;
      }
      default:
        return { kind: 'extlog', tNs, seq, where, sev: eN1[e]!, pa: eA.get(e) } satisfies ExtlogPoint;
    }
  };
  /**
   * A machine check record's event, but for its time, place and address, is a function of its
   * status, MCG_STATUS, MCG_CAP, vendor, CPU, bank and whether it has an address (cs matters to
   * a synchronous error only, which GroupEvents does not copy): the event first built for each
   * such record, by (status, MCG_STATUS, MCG_CAP, vendor) and (CPU, bank, address or not), each
   * as a small integer (keyOf sets key1 and key2); keyOf is false when a value is beyond the bits
   * given here or the address is above 2^53 (a warning): such a record's event is built each time.
   */
  const copies = new Map<number, Map<number, number>>();
  let key1 = 0;
  let key2 = 0;
  const keyOf = (e: number): boolean => {
    if (eKind[e] !== K_MCE || eA.v[e] === -1) return false;
    const s = eC1[e]!;
    const mg = eC2[e]! + 1;
    const cap = eC3[e]! + 1;
    const cpu = Number.isNaN(eN2[e]!) ? 0 : eN2[e]! + 1;
    const bank = Number.isNaN(eN3[e]!) ? 0 : eN3[e]! + 1;
    if (s >= 512 || mg >= 512 || cap >= 512 || !(cpu >= 0 && cpu < 4096) || !(bank >= 0 && bank < 256)) return false;
    key1 = ((s * 512 + mg) * 512 + cap) * 2 + eAmd[e]!;
    key2 = ((cpu * 256 + bank) * 2) + (Number.isNaN(eA.v[e]!) ? 0 : 1);
    return true;
  };
  // Builder rows grow as events are built: most lone machine check records are copies (no row).
  const out = new GroupEvents(ps, nMce > 0, lookBack, Math.max(1024, ng), warnings, 1024);
  for (let r = 0; r < ng; r++) {
    const g = groups[r]!;
    const e0 = gFirst[g]!;
    const keyed = e0 >= 0 && eNext[e0]! < 0 && gMf[g]! < 0 && gSig[g]! < 0 && keyOf(e0);
    let byKey2: Map<number, number> | undefined;
    if (keyed) {
      byKey2 = copies.get(key1);
      if (!byKey2) copies.set(key1, byKey2 = new Map());
      const from = byKey2.get(key2);
      if (from !== undefined) {
        out.copyEvent(from, nsOf(eT[e0]!), e0, eWhere[e0]!, eA.v[e0]!);
        continue;
      }
    }
    const points: ErrPoint[] = [];
    let pa: bigint | null = null;
    for (let e = gFirst[g]!; e >= 0; e = eNext[e]!) {
      const p = point(e);
      points.push(p);
      if (gPaFrom[g] === e) pa = p.kind === 'mce' ? p.addr : p.pa;
    }
    const m = gMf[g]!;
    const mf: MfPoint | null = m < 0 ? null : {
      tNs: nsOf(mT[m]!), seq: ne + m, where: mWhere[m]!, pfn: mPfn.get(m)!, type: strs.values[mType[m]!]!, result: strs.values[mResult[m]!]!,
    };
    if (gPaFrom[g] === -2) pa = mf!.pfn << 12n;
    let sigs = NO_SIGS;
    for (let s = gSig[g]!; s >= 0; s = sNext[s]!) {
      const p: SigPoint = {
        tNs: nsOf(sT[s]!), seq: ne + nm + s, where: sWhere[s]!, sig: sSig[s]!, code: sCode[s]!, pid: sPid[s]!, comm: strs.values[sComm[s]!]!, res: nullable(sRes[s]!),
      };
      if (sigs === NO_SIGS) sigs = [p]; else sigs.push(p);
    }
    const group: Group = { t: nsOf(gT[g]!), seq: gSeq(g), points, pa, mf, mfOnly: gFirst[g]! < 0, sigs };
    if (byKey2) {
      const from = out.addCopyable(group);
      if (from >= 0) byKey2.set(key2, from);
    } else {
      out.add(group);
    }
  }
  return finishEvents(out.b, file, 'rasdaemon', warnings);
}
