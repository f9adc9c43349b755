// The read-only SQLite file reader (src/import/sqlite-file.ts) against SQLite itself (sql.js) on
// databases built here: every row and value must be what `SELECT rowid, *` returns, on b-trees of
// several levels, with overflow pages, every integer serial type, REAL, BLOB, NUL bytes in text,
// and rows shorter than the table (a column added later). What the reader does not handle must
// be refused (SqliteUnsupported), never read differently.
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importRasdaemon, loadSqlJs, readerUse, SqlDatabase, SqlJs } from '../../src/import/rasdaemon.js';
import { SqliteFile, SqliteUnsupported, SqlValue } from '../../src/import/sqlite-file.js';
import type { ImportResult } from '../../src/import/index.js';

let SQL: SqlJs;
beforeAll(async () => { SQL = await loadSqlJs(); });

/** What an import gives (its events, observed rows, warnings), not how its builder holds them. */
const seen = (r: ImportResult): unknown => ({ events: r.events, observed: r.observed, warnings: r.warnings, format: r.format, lines: r.lines, count: r.table.count });

/** sql.js's values with integers in [-2^53, 2^53) as numbers (the reader's convention). */
function sqliteRows(db: SqlDatabase, table: string): SqlValue[][] {
  const st = db.prepare(`SELECT rowid, * FROM "${table}" ORDER BY rowid`);
  const out: SqlValue[][] = [];
  while (st.step()) {
    out.push((st.get(null, { useBigInt: true }) as SqlValue[]).map((v) =>
      typeof v === 'bigint' && v >= -(2n ** 53n) && v < 2n ** 53n ? Number(v) : v));
  }
  st.free();
  return out;
}

/** The reader over the whole file in memory, or (`fromFile`) over the file on disk, read a few pages at a time. */
function readerRows(bytes: Uint8Array, table: string, ncols: number, fromFile = false): SqlValue[][] {
  let fd = -1;
  if (fromFile) {
    const p = join(mkdtempSync(join(tmpdir(), 'ras-sqlite-file-')), 'db.sqlite');
    writeFileSync(p, bytes);
    fd = openSync(p, 'r');
  }
  try {
    return rowsOf(fd >= 0 ? new SqliteFile({ fd, size: bytes.length }) : new SqliteFile(bytes), table, ncols);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function rowsOf(f: SqliteFile, table: string, ncols: number): SqlValue[][] {
  const root = f.schema().find((r) => r.type === 'table' && r.name === table)!.rootpage;
  const out: SqlValue[][] = [];
  f.scan(root, (rowid) => {
    const row: SqlValue[] = [rowid];
    for (let i = 0; i < ncols; i++) row.push(f.value(i));
    out.push(row);
  });
  return out;
}

// Values of every storage class and integer width (serial types 1-9), text and blobs long enough
// to spill onto overflow pages (page size 4096 by default; 1024 below).
const INTS = [0, 1, -1, 127, -128, 32767, -32768, 8388607, -8388608, 2147483647, -2147483648, 2 ** 40, -(2 ** 40), 2 ** 47 - 1, 2 ** 53,
  9223372036854775807n, -9223372036854775808n, 0x9c00004000010090n - (1n << 64n)];
const valueAt = (i: number): unknown => {
  switch (i % 7) {
    case 0: return INTS[i % INTS.length]!;
    case 1: return i * 0.25 + 0.1;
    case 2: return `text ${i} ${'x'.repeat(i % 50 === 0 ? 9000 : i % 13)}`;
    case 3: return new Uint8Array(i % 40 === 3 ? 5000 : i % 5).fill(i & 0xff);
    case 4: return null;
    case 5: return `a\u0000b${i}`;
    default: return BigInt(i) * 1_000_000_007n;
  }
};

function build(pageSize: number, rows: number): { db: SqlDatabase; bytes: Uint8Array } {
  const db = new SQL.Database();
  db.run(`PRAGMA page_size = ${pageSize}`);
  db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, a, b INTEGER, c TEXT, d BLOB)');
  db.run('BEGIN');
  const st = db.prepare('INSERT INTO t (a, b, c, d) VALUES (?, ?, ?, ?)');
  for (let i = 0; i < rows; i++) st.run([valueAt(i), valueAt(i + 1), valueAt(i + 2), valueAt(i + 3)] as never);
  st.free();
  db.run('COMMIT');
  // Rows written before this have no value for e: it reads as NULL (no default).
  db.run('ALTER TABLE t ADD COLUMN e INTEGER');
  db.run('INSERT INTO t (a, e) VALUES (1, 42)');
  return { db, bytes: db.export() };
}

describe('SQLite file reader', () => {
  it('reads every row and value as SQLite does (multi-level b-tree, overflow pages, all serial types)', () => {
    for (const [pageSize, rows] of [[4096, 3000], [1024, 1200], [65536, 200]] as const) {
      const { db, bytes } = build(pageSize, rows);
      const want = sqliteRows(db, 't');
      db.close();
      expect(want.length).toBe(rows + 1);
      const got = readerRows(bytes, 't', 6);
      // The reader returns NULL for the INTEGER PRIMARY KEY alias (stored as NULL); the importer puts the rowid there.
      expect(got.map((r) => [r[0], ...r.slice(2)])).toEqual(want.map((r) => [r[0], ...r.slice(2)]));
      expect(got.every((r) => r[1] === null)).toBe(true);
      // Read from the file (pages as reached: interior pages kept, overflow pages outside the read-ahead).
      expect(readerRows(bytes, 't', 6, true)).toEqual(got);
    }
  });

  it('refuses what it does not handle', () => {
    const { db, bytes } = build(4096, 10);
    db.close();
    const wal = bytes.slice();
    wal[18] = 2;
    wal[19] = 2;
    expect(() => new SqliteFile(wal)).toThrow(SqliteUnsupported);
    const utf16 = bytes.slice();
    utf16[59] = 2;
    expect(() => new SqliteFile(utf16)).toThrow(SqliteUnsupported);
    expect(() => new SqliteFile(bytes.subarray(0, bytes.length - 100))).toThrow(SqliteUnsupported);
    // Non-ASCII text is left to SQLite's own decoding.
    const u = new SQL.Database();
    u.run("CREATE TABLE t (c TEXT); INSERT INTO t VALUES ('café')");
    const ub = u.export();
    u.close();
    const f = new SqliteFile(ub);
    const root = f.schema().find((r) => r.name === 't')!.rootpage;
    expect(() => f.scan(root, () => f.value(0))).toThrow(SqliteUnsupported);
  });

  it('a page reached twice (a damaged tree) is refused, not looped on', () => {
    const { db, bytes } = build(1024, 1200);
    db.close();
    const f = new SqliteFile(bytes);
    const root = f.schema().find((r) => r.name === 't')!.rootpage;
    const b = bytes.slice();
    const base = (root - 1) * 1024;
    expect(b[base]).toBe(0x05); // an interior page at the root
    // Point the right-most child back at the root.
    new DataView(b.buffer).setUint32(base + 8, root);
    expect(() => new SqliteFile(b).scan(root, () => undefined)).toThrow(SqliteUnsupported);
    expect(() => readerRows(b, 't', 6, true)).toThrow(SqliteUnsupported);
  });
});

// rasdaemon's CREATE TABLE statements (db/ras-record.c), and rows of every table.
const RAS: Record<string, string> = {
  mce_record: 'id INTEGER PRIMARY KEY, timestamp TEXT, mcgcap INTEGER, mcgstatus INTEGER, status INTEGER, addr INTEGER, misc INTEGER, ip INTEGER, tsc INTEGER, walltime INTEGER, ppin INTEGER, cpu INTEGER, cpuid INTEGER, apicid INTEGER, socketid INTEGER, cs INTEGER, bank INTEGER, cpuvendor INTEGER, microcode INTEGER, bank_name TEXT, error_msg TEXT, mcgstatus_msg TEXT, mcistatus_msg TEXT, mcastatus_msg TEXT, user_action TEXT, mc_location TEXT',
  arm_event: 'id INTEGER PRIMARY KEY, timestamp TEXT, error_count INTEGER, affinity INTEGER, mpidr INTEGER, running_state INTEGER, psci_state INTEGER, err_info BLOB, context_info BLOB, vendor_info BLOB, error_type TEXT, error_flags TEXT, error_info INTEGER, virt_fault_addr INTEGER, phy_fault_addr INTEGER',
  mc_event: 'id INTEGER PRIMARY KEY, timestamp TEXT, err_count INTEGER, err_type TEXT, err_msg TEXT, label TEXT, mc INTEGER, top_layer INTEGER, middle_layer INTEGER, lower_layer INTEGER, address INTEGER, grain INTEGER, syndrome INTEGER, driver_detail TEXT',
  extlog_event: 'id INTEGER PRIMARY KEY, timestamp TEXT, etype INTEGER, error_count INTEGER, severity INTEGER, address INTEGER, fru_id BLOB, fru_text TEXT, cper_data BLOB',
  memory_failure_event: 'id INTEGER PRIMARY KEY, timestamp TEXT, pfn TEXT, page_type TEXT, action_result TEXT',
  signal_event: 'id INTEGER PRIMARY KEY, timestamp TEXT, sig INTEGER, errorno INTEGER, code INTEGER, comm TEXT, pid INTEGER, grp INTEGER, res INTEGER',
};

describe('rasdaemon import: the file reader and sql.js give the same result', () => {
  it('on a database with every table, long texts and a thousand errors', async () => {
    const db = new SQL.Database();
    for (const [t, cols] of Object.entries(RAS)) db.run(`CREATE TABLE ${t} (${cols})`);
    db.run('BEGIN');
    const ts = (s: number): string => `2024-05-0${1 + Math.floor(s / 86400)} ${String(Math.floor(s / 3600) % 24).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} +0200`;
    for (let i = 0; i < 1000; i++) {
      const t = ts(i * 37);
      const pa = 0x2_0000_0000 + i * 0x1000;
      if (i % 4 === 0) {
        db.run('INSERT INTO mce_record (timestamp, mcgcap, mcgstatus, status, addr, cpu, bank, cs, cpuvendor, error_msg) VALUES (?, ?, 7, ?, ?, ?, 1, 51, ?, ?)',
          [t, 0x1000c14, 0xbd80000000100134n - (1n << 64n), pa, i % 64, i % 8 === 0 ? 2 : 0, 'Data CACHE Level-0 Read Error '.repeat(i % 100 === 0 ? 300 : 1)] as never);
        db.run('INSERT INTO memory_failure_event (timestamp, pfn, page_type, action_result) VALUES (?, ?, ?, ?)', [t, `0x${(pa / 4096).toString(16)}`, i % 3 ? 'dirty LRU page' : 'already poisoned page', 'Recovered']);
        db.run('INSERT INTO signal_event (timestamp, sig, errorno, code, comm, pid, grp, res) VALUES (?, 7, 0, 4, ?, ?, 0, 0)', [t, 'einj_mem_uc', 1000 + i]);
      } else if (i % 4 === 1) {
        db.run('INSERT INTO mc_event (timestamp, err_count, err_type, err_msg, label, address) VALUES (?, 1, ?, ?, ?, ?)', [t, i % 8 === 1 ? 'Corrected' : 'Uncorrected', 'APEI location', 'DIMM A1', pa]);
      } else if (i % 4 === 2) {
        db.run('INSERT INTO arm_event (timestamp, error_count, mpidr, error_type, phy_fault_addr, virt_fault_addr) VALUES (?, 1, 2164785152, ?, ?, 0)', [t, 'cache error', i % 3 ? pa : -1]);
      } else {
        db.run('INSERT INTO extlog_event (timestamp, etype, error_count, severity, address) VALUES (?, 2, 1, ?, ?)', [t, i % 4, pa]);
      }
    }
    db.run('COMMIT');
    const f = join(mkdtempSync(join(tmpdir(), 'ras-rasdaemon-')), 'ras-mc_event.db');
    writeFileSync(f, db.export());
    db.close();
    const before = readerUse.file;
    const viaFile = await importRasdaemon(f, 'h1');
    expect(readerUse.file).toBe(before + 1); // read by SqliteFile, not by the fallback
    const viaSqlJs = await importRasdaemon(f, 'h1', { reader: 'sqljs' });
    expect(viaFile.events.length).toBeGreaterThan(500);
    expect(seen(viaFile)).toEqual(seen(viaSqlJs));
    expect(seen(viaFile)).toEqual(seen(await importRasdaemon(f, 'h1', { reader: 'rows' })));
  });

  it('what the reader leaves to SQLite (non-ASCII text, a REAL column, a WAL header) is read by sql.js, with the same result', async () => {
    const cases: [string, (db: SqlDatabase) => void, (b: Uint8Array) => void][] = [
      ['non-ASCII comm', (db) => db.run("INSERT INTO signal_event (timestamp, sig, errorno, code, comm, pid, grp, res) VALUES ('2024-05-01 00:00:00 +0000', 7, 0, 4, 'jávà', 7, 0, 0)"), () => undefined],
      ['REAL column', (db) => { db.run('CREATE TABLE extlog_event (id INTEGER PRIMARY KEY, timestamp TEXT, severity REAL, address INTEGER)'); db.run("INSERT INTO extlog_event (timestamp, severity, address) VALUES ('2024-05-01 00:00:00 +0000', 1.0, 4096)"); }, () => undefined],
      ['WAL header', () => undefined, (b) => { b[18] = 2; b[19] = 2; }],
    ];
    for (const [what, fill, damage] of cases) {
      const db = new SQL.Database();
      for (const t of ['mce_record', 'memory_failure_event', 'signal_event']) db.run(`CREATE TABLE ${t} (${RAS[t]})`);
      db.run("INSERT INTO mce_record (timestamp, mcgcap, mcgstatus, status, addr, cpu, bank, cs) VALUES ('2024-05-01 00:00:00 +0000', 16780308, 7, -4791090002934561996, 8589934592, 1, 1, 51)");
      fill(db);
      const bytes = db.export();
      db.close();
      damage(bytes);
      const f = join(mkdtempSync(join(tmpdir(), 'ras-rasdaemon-')), 'ras-mc_event.db');
      writeFileSync(f, bytes);
      const before = readerUse.sqljs;
      const auto = await importRasdaemon(f, 'h2');
      expect(readerUse.sqljs, what).toBe(before + 1);
      expect(seen(auto), what).toEqual(seen(await importRasdaemon(f, 'h2', { reader: 'sqljs' })));
      expect(seen(auto), what).toEqual(seen(await importRasdaemon(f, 'h2', { reader: 'rows' })));
      expect(auto.events.length, what).toBeGreaterThan(0);
    }
  });
});

describe('rasdaemon import: the columnar read and the row read give the same result', () => {
  // Databases of every table with the grouping's cases: reports of one error in several tables,
  // rows out of time order, results and signals near and far, an error storm (more than 256
  // reports in a result's window), addresses at and above 2^53, repeated and odd values; with and
  // without an "already poisoned" result (without one, lone machine check records copy events).
  const STATUS = [0xbd80000000100134n, 0x9c00004000010090n, 0xbd000000000000c0n, 0x3c00004000010090n, 0xad80000000100134n, 0xfe00000000800400n, 0x9c00000000010090n];
  const PAGES = ['dirty LRU page', 'clean LRU page', 'already poisoned page', 'free buddy page', 'huge page', 'non struct page pfn', 'weird page'];
  const ODD: unknown[] = [null, -1, 2 ** 60, 2 ** 53 + 2, 9223372036854775807n, -9223372036854775808n, '0x10', '  42 ', 'x'];
  function generated(seed: number, rows: number, storm: boolean, odd: number, poisoned: boolean): string {
    const pages = poisoned ? PAGES : PAGES.filter((p) => !p.startsWith('already'));
    let x = seed;
    const rnd = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    const v = (good: unknown): unknown => (rnd() < odd ? pick(ODD) : good);
    const db = new SQL.Database();
    for (const [t, cols] of Object.entries(RAS)) db.run(`CREATE TABLE ${t} (${cols})`);
    db.run('BEGIN');
    let s = 1_700_000_000;
    let lastPa = 0;
    const zone = pick([' +0000', ' +0800', ' -0130', '']);
    const ins = (t: string, o: Record<string, unknown>): void => {
      const keys = Object.keys(o);
      db.run(`INSERT INTO ${t} (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`, keys.map((k) => { const y = o[k]; return typeof y === 'bigint' ? BigInt.asIntN(64, y) : y; }) as never);
    };
    for (let i = 0; i < rows; i++) {
      if (!storm || rnd() < 0.01) s += rnd() < 0.3 ? 0 : Math.floor(rnd() * 5);
      const back = rnd() < 0.05 ? -Math.floor(rnd() * 20) : 0;
      const ts = rnd() < 0.002 ? '1970-01-01 00:00:00 +0000' : `${new Date((s + back) * 1000).toISOString().slice(0, 19).replace('T', ' ')}${zone}`;
      const r = rnd();
      let pa = rnd() < 0.1 ? 0 : 0x100000000 + Math.floor(rnd() * (storm ? 16 : 0xfffff)) * 4096 + (rnd() < 0.5 ? 0x400 : 0);
      if (r >= 0.75 && rnd() < 0.8) pa = lastPa; else if (r < 0.75) lastPa = pa;
      if (r < 0.45) {
        ins('mce_record', { timestamp: ts, mcgcap: v(pick([0x1000c14, 0x14])), mcgstatus: v(pick([0, 5, 7, 4])), status: pick(STATUS), addr: v(pa), cpu: v(Math.floor(rnd() * 8)),
          cs: v(pick([0x33, 0x10, null])), bank: v(pick([1, 8, 4])), cpuvendor: v(pick([0, 0, 2, 9])) });
      } else if (r < 0.6) {
        ins('mc_event', { timestamp: ts, err_count: 1, err_type: v(pick(['Corrected', 'Uncorrected', 'Fatal', 'Deferred', 'Info'])), err_msg: 'm', label: v(pick(['DIMM A1', null])), address: v(pa) });
      } else if (r < 0.7) {
        ins('arm_event', { timestamp: ts, error_count: 1, mpidr: 0x81080000, error_type: v(pick(['cache error', null])), virt_fault_addr: 0, phy_fault_addr: v(rnd() < 0.2 ? -1 : pa) });
      } else if (r < 0.75) {
        ins('extlog_event', { timestamp: ts, etype: 2, error_count: 1, severity: pick([0, 1, 2, 3]), address: v(pa) });
      } else if (r < 0.9) {
        ins('memory_failure_event', { timestamp: ts, pfn: `0x${Math.floor(pa / 4096 / (rnd() < 0.1 ? 4 : 1)).toString(16)}`, page_type: v(pick(pages)), action_result: pick(['Recovered', 'Ignored', 'Failed', 'Delayed']) });
      } else {
        ins('signal_event', { timestamp: ts, sig: pick([7, 9, 11]), errorno: 0, code: pick([4, 5, 3, 128, 1]), comm: v(pick(['java', 'einj_mem_uc'])), pid: 1000 + Math.floor(rnd() * 100), grp: 0, res: v(pick([0, 0, 1, 2, 4])) });
      }
    }
    db.run('COMMIT');
    const f = join(mkdtempSync(join(tmpdir(), 'ras-rasdaemon-')), 'ras-mc_event.db');
    writeFileSync(f, db.export());
    db.close();
    return f;
  }

  it.each([[1, 3000, false, 0, true], [2, 3000, true, 0, true], [3, 2000, false, 0.02, true], [4, 1500, true, 0.02, true],
    [5, 3000, false, 0, false], [6, 3000, true, 0, false], [7, 2000, false, 0.02, false]])('seed %i: %i rows, storm %s, odd values %f, already poisoned %s', async (seed, rows, storm, odd, poisoned) => {
    const f = generated(seed, rows, storm, odd, poisoned);
    const before = readerUse.file;
    const columnar = await importRasdaemon(f, 'h3');
    expect(readerUse.file).toBe(before + 1);
    const byRows = await importRasdaemon(f, 'h3', { reader: 'rows' });
    expect(columnar.events.length).toBeGreaterThan(rows / 4);
    expect(columnar.warnings).toEqual(byRows.warnings);
    expect(seen(columnar)).toEqual(seen(byRows));
  });
});
