// rasdaemon importer, on databases built here with sql.js from the CREATE TABLE statements that
// rasdaemon itself issues ("CREATE TABLE IF NOT EXISTS <t> (<name> <type>, ...)", ras-record.c),
// in the current layout and in an older one.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importSource } from '../../src/import/index.js';
import { loadSqlJs, SqlJs } from '../../src/import/rasdaemon.js';
import { InputError } from '../../src/io/errors.js';
import { ARCH, CONTEXT, NOTIFY, PAGE, SEVERITY } from '../../src/model/enums.js';

// Column lists of rasdaemon's db/ras-record.c (current) and ras-record.c of v0.6.x (old).
const SCHEMA_CURRENT: Record<string, string[]> = {
  mc_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'err_count INTEGER', 'err_type TEXT', 'err_msg TEXT', 'label TEXT', 'mc INTEGER',
    'top_layer INTEGER', 'middle_layer INTEGER', 'lower_layer INTEGER', 'address INTEGER', 'grain INTEGER', 'syndrome INTEGER', 'driver_detail TEXT'],
  arm_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'error_count INTEGER', 'affinity INTEGER', 'mpidr INTEGER', 'running_state INTEGER',
    'psci_state INTEGER', 'err_info BLOB', 'context_info BLOB', 'vendor_info BLOB', 'error_type TEXT', 'error_flags TEXT', 'error_info INTEGER',
    'virt_fault_addr INTEGER', 'phy_fault_addr INTEGER'],
  extlog_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'etype INTEGER', 'error_count INTEGER', 'severity INTEGER', 'address INTEGER',
    'fru_id BLOB', 'fru_text TEXT', 'cper_data BLOB'],
  mce_record: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'mcgcap INTEGER', 'mcgstatus INTEGER', 'status INTEGER', 'addr INTEGER', 'misc INTEGER',
    'ip INTEGER', 'tsc INTEGER', 'walltime INTEGER', 'ppin INTEGER', 'cpu INTEGER', 'cpuid INTEGER', 'apicid INTEGER', 'socketid INTEGER',
    'cs INTEGER', 'bank INTEGER', 'cpuvendor INTEGER', 'microcode INTEGER', 'bank_name TEXT', 'error_msg TEXT', 'mcgstatus_msg TEXT',
    'mcistatus_msg TEXT', 'mcastatus_msg TEXT', 'user_action TEXT', 'mc_location TEXT'],
  memory_failure_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'pfn TEXT', 'page_type TEXT', 'action_result TEXT'],
  signal_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'sig INTEGER', 'errorno INTEGER', 'code INTEGER', 'comm TEXT', 'pid INTEGER',
    'grp INTEGER', 'res INTEGER'],
};
const SCHEMA_OLD: Record<string, string[]> = {
  mc_event: SCHEMA_CURRENT.mc_event!,
  arm_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'error_count INTEGER', 'affinity INTEGER', 'mpidr INTEGER', 'running_state INTEGER', 'psci_state INTEGER'],
  mce_record: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'mcgcap INTEGER', 'mcgstatus INTEGER', 'status INTEGER', 'addr INTEGER', 'misc INTEGER',
    'ip INTEGER', 'tsc INTEGER', 'walltime INTEGER', 'cpu INTEGER', 'cpuid INTEGER', 'apicid INTEGER', 'socketid INTEGER', 'cs INTEGER',
    'bank INTEGER', 'cpuvendor INTEGER', 'bank_name TEXT', 'error_msg TEXT', 'mcgstatus_msg TEXT', 'mcistatus_msg TEXT', 'mcastatus_msg TEXT',
    'user_action TEXT', 'mc_location TEXT'],
  memory_failure_event: SCHEMA_CURRENT.memory_failure_event!,
};

let SQL: SqlJs;
beforeAll(async () => { SQL = await loadSqlJs(); });

type Row = Record<string, string | number | bigint | null>;

/** Write a database: tables created as rasdaemon creates them, rows inserted as it binds them (int64 signed). */
function makeDb(schema: Record<string, string[]>, rows: Record<string, Row[]>): string {
  const db = new SQL.Database();
  for (const [t, cols] of Object.entries(schema)) db.run(`CREATE TABLE IF NOT EXISTS ${t} (${cols.join(', ')})`);
  for (const [t, rs] of Object.entries(rows)) {
    for (const r of rs) {
      const keys = Object.keys(r);
      const vals = keys.map((k) => { const v = r[k]!; return typeof v === 'bigint' ? BigInt.asIntN(64, v) : v; });
      db.run(`INSERT INTO ${t} (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`, vals);
    }
  }
  const f = join(mkdtempSync(join(tmpdir(), 'ras-rasdaemon-')), 'ras-mc_event.db');
  writeFileSync(f, db.export());
  db.close();
  return f;
}

const utcNs = (y: number, mo: number, d: number, h: number, mi: number, s: number): bigint => BigInt(Date.UTC(y, mo - 1, d, h, mi, s)) * 1_000_000n;

async function inputError(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

describe('rasdaemon importer', () => {
  it('x86: mce_record SRAR + memory_failure_event + signal_event become one event with observed outcome', async () => {
    const f = makeDb(SCHEMA_CURRENT, {
      mce_record: [
        { timestamp: '2024-03-05 10:11:12 +0800', mcgcap: 0x1000c14, mcgstatus: 7, status: 0xbd80000000100134n, addr: 0x3f9c7b400, misc: 0x86,
          ip: 0x7f3a1b2c3d4e, tsc: 0x2f8e3b4c5d6, walltime: 1709604672, ppin: 0, cpu: 3, cpuid: 0x50654, apicid: 6, socketid: 0, cs: 0x33, bank: 1,
          cpuvendor: 0, microcode: 0x2006906, bank_name: 'Intel MC1', error_msg: 'Data CACHE Level-0 Read Error', mcgstatus_msg: 'RIPV EIPV MCIP',
          mcistatus_msg: 'Uncorrected_error Error_enabled MISCV ADDRV SRAR', mcastatus_msg: '', user_action: '', mc_location: '' },
        { timestamp: '2024-03-05 10:20:00 +0800', mcgcap: 0x1000c14, mcgstatus: 0, status: 0x9c00004000010090n, addr: 0x1a2b3c000, cpu: 0, bank: 8, cs: 0 },
        { timestamp: '2024-03-05 10:30:00 +0800', mcgcap: 0x1000c14, mcgstatus: 0, status: 0x1c00004000010090n, addr: 0x1a2b3c000, cpu: 0, bank: 8 },
      ],
      memory_failure_event: [
        { timestamp: '2024-03-05 10:11:12 +0800', pfn: '0x3f9c7b', page_type: 'dirty LRU page', action_result: 'Recovered' },
        { timestamp: '2024-03-05 11:00:00 +0800', pfn: '0x55555', page_type: 'free buddy page', action_result: 'Recovered' },
      ],
      signal_event: [
        { timestamp: '2024-03-05 10:11:12 +0800', sig: 7, errorno: 0, code: 4, comm: 'einj_mem_uc', pid: 2315, grp: 0, res: 0 },
        { timestamp: '2024-03-05 10:11:13 +0800', sig: 7, errorno: 0, code: 4, comm: 'einj_mem_uc', pid: 2315, grp: 0, res: 2 },
      ],
    });
    const r = await importSource(f, { host: 'x86-07' });
    expect(r.format).toBe('rasdaemon');
    expect(r.events.map((e) => ({
      id: e.eventId, host: e.host, t: e.tNs, arch: ARCH[e.arch], notify: NOTIFY[e.notify], ff: e.firmwareFirst, sev: SEVERITY[e.severity],
      sync: e.sync, ripv: e.ripv, pa: e.pa, page: PAGE[e.page], ctx: CONTEXT[e.context], pid: e.pid, comm: e.comm, where: e.where.replace(f, 'DB'),
    }))).toEqual([
      { id: 1n, host: 'x86-07', t: utcNs(2024, 3, 5, 2, 11, 12), arch: 'x86_64', notify: 'mce', ff: false, sev: 'recoverable', sync: true, ripv: true,
        pa: 0x3f9c7b400, page: 'anon', ctx: 'user', pid: 2315, comm: 'einj_mem_uc', where: 'DB: table mce_record row 1' },
      { id: 2n, host: 'x86-07', t: utcNs(2024, 3, 5, 2, 20, 0), arch: 'x86_64', notify: 'cmci', ff: false, sev: 'corrected', sync: false, ripv: true,
        pa: 0x1a2b3c000, page: 'unknown', ctx: 'none', pid: 0, comm: '', where: 'DB: table mce_record row 2' },
      { id: 3n, host: 'x86-07', t: utcNs(2024, 3, 5, 3, 0, 0), arch: 'x86_64', notify: 'mce', ff: false, sev: 'recoverable', sync: false, ripv: true,
        pa: 0x55555000, page: 'free', ctx: 'none', pid: 0, comm: '', where: 'DB: table memory_failure_event row 2' },
    ]);
    expect(r.observed.map((o) => ({ ...o, inferred: o.inferred.join(' ') }))).toEqual([
      { eventId: 1n, host: 'x86-07', inferred: 'mem page page_shift pinned poisoned_before tid vaddr mappers guest_ras early_kill recovery panic_on_oops kdump panic_on_unrecoverable extra_refs vendor',
        panic: null, panicMsg: null, mfType: 'dirty LRU page', mfResult: 'Recovered',
        signals: [{ pid: 2315, tid: 2315, signo: 7, siCode: 4, addr: null, lsb: null }] },
      { eventId: 2n, host: 'x86-07', inferred: 'notify ripv mem page page_shift pinned poisoned_before context pid tid comm vaddr mappers guest_ras early_kill recovery panic_on_oops kdump panic_on_unrecoverable extra_refs vendor',
        panic: null, panicMsg: null, mfType: null, mfResult: null, signals: [] },
      { eventId: 3n, host: 'x86-07', inferred: 'notify firmware_first severity sync ripv pa mem page page_shift pinned poisoned_before context pid tid comm vaddr mappers guest_ras early_kill recovery panic_on_oops kdump panic_on_unrecoverable extra_refs vendor',
        panic: null, panicMsg: null, mfType: 'free buddy page', mfResult: 'Recovered', signals: [] },
    ]);
    expect(r.events[0]!.note).toContain(`${f}: table signal_event row 2: signal 7 code 4 to einj_mem_uc:2315 not queued (result 2: already pending)`);
    expect(r.warnings.some((w) => w.includes('mce_record row 3: MCi_STATUS.VAL is clear'))).toBe(true);
    expect(r.warnings.some((w) => w.includes('memory_failure_event.page_type is rasdaemon\'s own translation'))).toBe(true);
  });

  it('arm64: arm_event + mc_event of one error merge; the AR signal names the consumer', async () => {
    const f = makeDb(SCHEMA_CURRENT, {
      arm_event: [{ timestamp: '2024-06-01 08:00:00 +0000', error_count: 1, affinity: 0, mpidr: 0x81080000, running_state: 1, psci_state: 0,
        error_type: 'cache error', error_flags: 'First error captured', error_info: 0x800015, virt_fault_addr: 0, phy_fault_addr: 0x1351811800 }],
      mc_event: [{ timestamp: '2024-06-01 08:00:00 +0000', err_count: 1, err_type: 'Uncorrected', err_msg: 'APEI location: node:0 rank:1',
        label: 'unknown memory', mc: 0, top_layer: -1, middle_layer: -1, lower_layer: -1, address: 0x1351811800, grain: 1, syndrome: 0, driver_detail: '' }],
      memory_failure_event: [{ timestamp: '2024-06-01 08:00:00 +0000', pfn: '0x1351811', page_type: 'dirty LRU page', action_result: 'Recovered' }],
      signal_event: [{ timestamp: '2024-06-01 08:00:00 +0000', sig: 7, errorno: 0, code: 4, comm: 'stress', pid: 4242, grp: 0, res: 0 }],
    });
    const r = await importSource(f);
    expect(r.events).toHaveLength(1);
    const e = r.events[0]!;
    expect([ARCH[e.arch], NOTIFY[e.notify], e.firmwareFirst, SEVERITY[e.severity], e.sync, e.pa, CONTEXT[e.context], e.pid, e.comm, e.host])
      .toEqual(['arm64', 'sea', true, 'recoverable', true, 0x1351811800, 'user', 4242, 'stress', 'ras-mc_event']);
    expect(e.where).toBe(`${f}: table arm_event row 1`);
    expect(e.note).toContain('table mc_event row 1');
    expect(r.observed[0]!.inferred).toEqual(['host', 'notify', 'sync', 'ripv', 'mem', 'page', 'page_shift', 'pinned', 'poisoned_before', 'context',
      'tid', 'vaddr', 'mappers', 'guest_ras', 'early_kill', 'recovery', 'panic_on_oops', 'kdump', 'panic_on_unrecoverable', 'extra_refs', 'vendor']);
    expect(r.observed[0]).toMatchObject({ mfType: 'dirty LRU page', mfResult: 'Recovered', signals: [{ pid: 4242, tid: 4242, signo: 7, siCode: 4, addr: null, lsb: null }] });
  });

  it('an older layout: missing columns and tables are warnings, signals are null', async () => {
    const f = makeDb(SCHEMA_OLD, {
      mce_record: [{ timestamp: '2021-01-02 03:04:05 +0000', mcgcap: 0x1000c14, mcgstatus: 5, status: 0xbd000000000000c0n, addr: 0x2c5d6e000, cpu: 2, bank: 7, cs: 0 }],
      memory_failure_event: [{ timestamp: '2021-01-02 03:04:05 +0000', pfn: '0x2c5d6e', page_type: 'clean LRU page', action_result: 'Recovered' }],
    });
    const r = await importSource(f, { format: 'rasdaemon' });
    expect(r.events.map((e) => [NOTIFY[e.notify], SEVERITY[e.severity], e.sync, e.pa, PAGE[e.page]])).toEqual([['mce', 'recoverable', false, 0x2c5d6e000, 'file_clean']]);
    expect(r.observed[0]).toMatchObject({ mfType: 'clean LRU page', mfResult: 'Recovered', signals: null, panic: null });
    expect(r.warnings).toEqual(expect.arrayContaining([
      `${f}: table signal_event is absent (signals not recorded: observed signals are null)`,
      `${f}: table extlog_event is absent (this rasdaemon was built without it or never recorded one)`,
      `${f}: table arm_event has no column error_type, phy_fault_addr, virt_fault_addr (older rasdaemon): read without them`,
    ]));
  });

  it('an unknown table layout is an InputError naming the table and the expected columns', async () => {
    const f = makeDb({ memory_failure_event: ['id INTEGER PRIMARY KEY', 'timestamp TEXT', 'pfn TEXT', 'page_type TEXT'] }, {});
    const e = await inputError(importSource(f));
    expect(e.message).toBe(`${f}: table memory_failure_event has columns (id, timestamp, pfn, page_type): expected the rasdaemon layout with timestamp, pfn, page_type, action_result (missing action_result)`);
    expect([e.row, e.column]).toEqual(['table memory_failure_event', 'action_result']);
    const g = makeDb({ mce_record: ['id INTEGER PRIMARY KEY', 'foo TEXT'] }, {});
    expect((await inputError(importSource(g))).message).toMatch(/table mce_record has columns \(id, foo\): expected the rasdaemon layout with timestamp, status \(missing timestamp, status\)/);
  });

  it('a bad value names the table, row and column', async () => {
    const f = makeDb(SCHEMA_CURRENT, { memory_failure_event: [{ timestamp: '2024-01-01 00:00:00 +0000', pfn: '0x10', page_type: 'dirty LRU page', action_result: 'Sometimes' }] });
    expect((await inputError(importSource(f))).message).toBe(`${f}: table memory_failure_event row 1: column action_result: value "Sometimes": expected Ignored, Failed, Delayed or Recovered`);
    const g = makeDb(SCHEMA_CURRENT, { signal_event: [{ timestamp: 'yesterday', sig: 7, code: 4, pid: 1 }] });
    expect((await inputError(importSource(g))).message).toMatch(/table signal_event row 1: column timestamp: value "yesterday": expected rasdaemon's "YYYY-MM-DD HH:MM:SS \+ZZZZ"/);
  });

  it('timestamps: a negative zone offset, no zone (taken as UTC), and the same stamp twice', async () => {
    // strftime "%z" is [+-]hhmm east of UTC: local 00:00 at -0130 is 01:30 UTC.
    const f = makeDb(SCHEMA_CURRENT, {
      memory_failure_event: [
        { timestamp: '2024-05-01 00:00:00 -0130', pfn: '0x10', page_type: 'free buddy page', action_result: 'Recovered' },
        { timestamp: '2024-05-01 00:00:00 -0130', pfn: '0x20', page_type: 'free buddy page', action_result: 'Recovered' },
        { timestamp: '2024-05-02 03:04:05', pfn: '0x30', page_type: 'free buddy page', action_result: 'Recovered' },
      ],
    });
    const r = await importSource(f, { host: 'h' });
    expect(r.events.map((e) => e.tNs)).toEqual([utcNs(2024, 5, 1, 1, 30, 0), utcNs(2024, 5, 1, 1, 30, 0), utcNs(2024, 5, 2, 3, 4, 5)]);
  });

  it('a damaged database is an InputError, not a crash', async () => {
    const f = makeDb(SCHEMA_CURRENT, { mce_record: Array.from({ length: 200 }, () => ({ timestamp: '2024-01-01 00:00:00 +0000', status: 0x9c00004000010090n, mcgstatus: 0 })) });
    const bytes = readFileSync(f);
    writeFileSync(f, bytes.subarray(0, 4096));
    expect((await inputError(importSource(f))).message).toMatch(/cannot read the SQLite database: database disk image is malformed/);
  });

  it('a file that is not SQLite, named as rasdaemon, is an InputError', async () => {
    const f = resolve(__dirname, '../fixtures/import/not-sqlite.db');
    const e = await inputError(importSource(f, { format: 'rasdaemon' }));
    expect(e.message).toBe(`${f}: not an SQLite database (the file does not start with "SQLite format 3\\0"): expected rasdaemon's ras-mc_event.db`);
  });
});
