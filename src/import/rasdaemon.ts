// rasdaemon's SQLite store (ras-mc_event.db; schema from rasdaemon's ras-record.c / db/ras-record.c,
// docs/import.md §rasdaemon). Columns drift between rasdaemon versions, so every table is probed
// with PRAGMA table_info and only the columns that exist are read. The database is read with
// sql.js (SQLite compiled to WebAssembly), entirely in memory.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../io/errors.js';
import { RowWheres } from './builder.js';
import {
  ArmPoint, correlate, defaultHost, ErrPoint, ExtlogPoint, fileError, finishEvents, ImportResult, isMfResult,
  MCI_UC, McePoint, McPoint, MfPoint, PointSet, SigPoint,
} from './common.js';
import { SqliteFile, SqliteUnsupported, type SqlValue } from './sqlite-file.js';

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
  /** 'sqljs': read with sql.js only (tests compare the two readers); default: the file reader, sql.js for what it does not handle. */
  reader?: 'auto' | 'sqljs';
}

/** Imports read by each path since the process started (tests check that the file reader was used). */
export const readerUse = { file: 0, sqljs: 0 };

export async function importRasdaemon(file: string, host: string | undefined, opts: RasdaemonOptions = {}): Promise<ImportResult> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw fileError(file, e);
  }
  if (bytes.length < 16 || bytes.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw new InputError(`${file}: not an SQLite database (the file does not start with "SQLite format 3\\0"): expected rasdaemon's ras-mc_event.db`, file);
  }
  const SQL = await loadSqlJs();
  if (opts.reader !== 'sqljs') {
    try {
      const r = readDb(fileSource(SQL, bytes), file, host);
      readerUse.file++;
      return r;
    } catch (e) {
      // A bad value is the answer; anything else (SqliteUnsupported, or a check this reader lacks
      // tripping over damage) is read again with SQLite itself, which decides what the file means.
      if (e instanceof InputError) throw e;
    }
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
function fileSource(SQL: SqlJs, bytes: Uint8Array): RowSource {
  const f = new SqliteFile(bytes);
  const schema = f.schema();
  const present = new Set<string>();
  for (const r of schema) if (r.type === 'table') present.add(r.name);
  const info = new Map<string, { root: number; names: string[]; alias: number }>();
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

function readDb(src: RowSource, file: string, hostOpt: string | undefined): ImportResult {
  const warnings: string[] = [];
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
