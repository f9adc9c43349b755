// rasdaemon's SQLite store (ras-mc_event.db; schema from rasdaemon's ras-record.c / db/ras-record.c,
// docs/import.md §rasdaemon). Columns drift between rasdaemon versions, so every table is probed
// with PRAGMA table_info and only the columns that exist are read. The database is read with
// sql.js (SQLite compiled to WebAssembly), entirely in memory.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../io/errors.js';
import {
  ArmPoint, correlate, defaultHost, ErrPoint, ExtlogPoint, fileError, finalize, ImportResult, isMfResult,
  MCI_UC, McePoint, McPoint, MfPoint, PointSet, SigPoint,
} from './common.js';

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

/** rasdaemon's cpuvendor is the kernel's X86_VENDOR_* (arch/x86/include/asm/processor.h): AMD 2, Hygon 9. */
const AMD_VENDORS = new Set([2, 9]);

/** rasdaemon's timestamp: "%Y-%m-%d %H:%M:%S %z" in local time. */
function parseTimestamp(v: unknown): bigint | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?: ([+-])(\d\d)(\d\d))?$/.exec(v.trim());
  if (!m) return null;
  let ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (m[7]) ms -= (m[7] === '-' ? -1 : 1) * ((+m[8]!) * 60 + +m[9]!) * 60_000;
  return BigInt(ms) * 1_000_000n;
}

function toBig(v: unknown): bigint | null {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt.asUintN(64, BigInt(v));
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^-?\d+$/.test(s)) return BigInt.asUintN(64, BigInt(s));
    if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(s);
  }
  return null;
}

function toInt(v: unknown): number | null {
  // A REAL column value (SQLite stores what it is given: 1e300, Infinity) is an integer only when finite.
  const b = typeof v === 'bigint' ? v : typeof v === 'number' ? (Number.isFinite(v) ? BigInt(Math.trunc(v)) : null) : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? BigInt(v.trim()) : null;
  return b === null ? null : Number(BigInt.asIntN(64, b));
}

/** An address column: rasdaemon writes 0 or all-ones (~0ull, stored as -1) when the record had none. */
function toAddr(v: unknown): bigint | null {
  const b = toBig(v);
  return b === null || b === 0n || b === (1n << 64n) - 1n ? null : b;
}

export async function importRasdaemon(file: string, host: string | undefined): Promise<ImportResult> {
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
  let db: SqlDatabase;
  try {
    db = new SQL.Database(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    db.exec('SELECT name FROM sqlite_master LIMIT 1');
  } catch (e) {
    throw new InputError(`${file}: cannot read the SQLite database: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
  }
  try {
    return readDb(db, file, host);
  } catch (e) {
    if (e instanceof InputError || e instanceof TypeError || e instanceof RangeError) throw e;
    // sql.js raises plain errors for a damaged file ("database disk image is malformed").
    throw new InputError(`${file}: cannot read the SQLite database: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
  } finally {
    db.close();
  }
}

function readDb(db: SqlDatabase, file: string, hostOpt: string | undefined): ImportResult {
  const warnings: string[] = [];
  const present = new Set((db.exec("SELECT name FROM sqlite_master WHERE type = 'table'")[0]?.values ?? []).map((r) => String(r[0])));
  const columns = new Map<TableName, string[]>();
  for (const t of Object.keys(TABLES) as TableName[]) {
    if (!present.has(t)) {
      warnings.push(`${file}: table ${t} is absent (${t === 'signal_event' ? 'signals not recorded: observed signals are null' : 'this rasdaemon was built without it or never recorded one'})`);
      continue;
    }
    const info = db.exec(`PRAGMA table_info("${t}")`)[0]?.values ?? [];
    const have = new Set(info.map((r) => String(r[1])));
    const spec = TABLES[t];
    const missing = spec.need.filter((c) => !have.has(c));
    if (missing.length) {
      throw new InputError(
        `${file}: table ${t} has columns (${[...have].join(', ')}): expected the rasdaemon layout with ${spec.need.join(', ')}` +
        ` (missing ${missing.join(', ')})`, file, `table ${t}`, missing[0]);
    }
    const lacking = spec.use.filter((c) => !have.has(c) && c !== 'id');
    if (lacking.length) warnings.push(`${file}: table ${t} has no column ${lacking.join(', ')} (older rasdaemon): read without ${lacking.length > 1 ? 'them' : 'it'}`);
    columns.set(t, [...spec.need, ...spec.use].filter((c) => have.has(c)));
  }

  const seq = { n: 0 };
  const rows = function* (t: TableName): Generator<{ where: string; get: (c: string) => unknown }> {
    const cols = columns.get(t);
    if (!cols) return;
    const stmt = db.prepare(`SELECT rowid, ${cols.map((c) => `"${c}"`).join(', ')} FROM "${t}" ORDER BY rowid`);
    try {
      while (stmt.step()) {
        const v = stmt.get(null, { useBigInt: true });
        const idx = new Map<string, unknown>(cols.map((c, i) => [c, v[i + 1]]));
        const id = idx.get('id') ?? v[0];
        yield { where: `${file}: table ${t} row ${String(id)}`, get: (c) => idx.get(c) ?? null };
      }
    } finally {
      stmt.free();
    }
  };
  const time = (r: { where: string; get: (c: string) => unknown }): bigint | null => {
    const t = parseTimestamp(r.get('timestamp'));
    if (t === null) {
      throw new InputError(`${r.where}: column timestamp: value ${JSON.stringify(String(r.get('timestamp')))}: expected rasdaemon's "YYYY-MM-DD HH:MM:SS +ZZZZ"`, file, r.where, 'timestamp');
    }
    if (t === 0n) warnings.push(`${r.where}: timestamp is rasdaemon's 1970-01-01 fallback (uptime not converted): event time is unknown`);
    return t;
  };

  const errors: ErrPoint[] = [];
  for (const r of rows('mce_record')) {
    const status = toBig(r.get('status'));
    if (status === null) throw new InputError(`${r.where}: column status: value ${JSON.stringify(String(r.get('status')))}: expected the MCi_STATUS integer`, file, r.where, 'status');
    const p: McePoint = {
      kind: 'mce', tNs: time(r)!, seq: seq.n++, where: r.where, status,
      mcgstatus: toBig(r.get('mcgstatus')) ?? 0n, addr: toBig(r.get('addr')), mcgcap: toBig(r.get('mcgcap')),
      cs: toInt(r.get('cs')), cpu: toInt(r.get('cpu')), bank: toInt(r.get('bank')),
      amd: AMD_VENDORS.has(toInt(r.get('cpuvendor')) ?? -1),
    };
    if (!columns.get('mce_record')!.includes('mcgstatus')) warnings.push(`${r.where}: no mcgstatus: MCG_STATUS taken as 0 (RIPV clear)`);
    errors.push(p);
  }
  for (const r of rows('arm_event')) {
    const p: ArmPoint = {
      kind: 'arm', tNs: time(r)!, seq: seq.n++, where: r.where, pa: toAddr(r.get('phy_fault_addr')),
      errorType: typeof r.get('error_type') === 'string' ? (r.get('error_type') as string) : null,
    };
    errors.push(p);
  }
  for (const r of rows('mc_event')) {
    const p: McPoint = {
      kind: 'mc', tNs: time(r)!, seq: seq.n++, where: r.where, errType: String(r.get('err_type') ?? ''),
      pa: toAddr(r.get('address')), label: typeof r.get('label') === 'string' ? (r.get('label') as string) : null,
    };
    errors.push(p);
  }
  for (const r of rows('extlog_event')) {
    const sev = toInt(r.get('severity'));
    if (sev === null) throw new InputError(`${r.where}: column severity: value ${JSON.stringify(String(r.get('severity')))}: expected the CPER severity 0-3`, file, r.where, 'severity');
    const p: ExtlogPoint = { kind: 'extlog', tNs: time(r)!, seq: seq.n++, where: r.where, sev, pa: toAddr(r.get('address')) };
    errors.push(p);
  }
  const mfs: MfPoint[] = [];
  let staleTable = false;
  for (const r of rows('memory_failure_event')) {
    const pfn = toBig(r.get('pfn'));
    const type = String(r.get('page_type') ?? '');
    const result = String(r.get('action_result') ?? '');
    if (pfn === null) throw new InputError(`${r.where}: column pfn: value ${JSON.stringify(String(r.get('pfn')))}: expected a page frame number ("0x%llx")`, file, r.where, 'pfn');
    if (!isMfResult(result)) throw new InputError(`${r.where}: column action_result: value ${JSON.stringify(result)}: expected Ignored, Failed, Delayed or Recovered`, file, r.where, 'action_result');
    staleTable = true;
    mfs.push({ tNs: time(r)!, seq: seq.n++, where: r.where, pfn, type, result });
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
  for (const r of rows('signal_event')) {
    const sig = toInt(r.get('sig'));
    const code = toInt(r.get('code'));
    const pid = toInt(r.get('pid'));
    if (sig === null || code === null || pid === null) {
      const c = sig === null ? 'sig' : code === null ? 'code' : 'pid';
      throw new InputError(`${r.where}: column ${c}: value ${JSON.stringify(String(r.get(c)))}: expected an integer`, file, r.where, c);
    }
    sigs.push({ tNs: time(r)!, seq: seq.n++, where: r.where, sig, code, pid, comm: String(r.get('comm') ?? ''), res: toInt(r.get('res')) });
  }

  // The host's architecture: from the records when there are any; else from which tables this
  // rasdaemon build created (mce_record only on x86 builds, arm_event on arm builds).
  let arch: PointSet['arch'] = null;
  let archObserved = false;
  if (errors.some((p) => p.kind === 'mce' || p.kind === 'extlog')) { arch = 'x86_64'; archObserved = true; } else if (errors.some((p) => p.kind === 'arm')) { arch = 'arm64'; archObserved = true; } else if (present.has('mce_record') !== present.has('arm_event')) arch = present.has('mce_record') ? 'x86_64' : 'arm64';
  const ps: PointSet = {
    file, host: defaultHost(file, hostOpt), hostObserved: hostOpt !== undefined && hostOpt !== '', errors, mfs, sigs,
    signalsTraced: columns.has('signal_event'), arch, archObserved,
  };
  return finalize(correlate(ps, warnings), file, 'rasdaemon', warnings);
}
