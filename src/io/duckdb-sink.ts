// Outcomes and signals into a DuckDB database file, appended in data chunks copied straight from the
// column buffers (measured with @duckdb/node-api: ~5M rows/s in memory, ~2M rows/s to a file). Enum columns
// are DuckDB ENUMs fed our codes (their member order is the label order). Everything of one run is
// appended in one transaction: a run killed midway leaves the database as it was.
import duckdb from '@duckdb/node-bindings';
import { ARCH, CONTEXT, GUEST_ACTION, KIND, MEM, MF_RESULT, MF_TYPE, NOTIFY, PAGE, SEVERITY, VMCORE } from '../model/enums.js';
import { formatPanic, NO_ADDR, PATH_NAMES } from '../model/record.js';
import type { EventColumns } from '../columns/events.js';
import type { OutcomeColumns, SignalColumns } from '../columns/outcomes.js';
import { InputError } from './errors.js';

const CHUNK = 2048;

function enumSql(labels: readonly string[]): string {
  return `ENUM(${labels.map((l) => `'${l.replace(/'/g, "''")}'`).join(', ')})`;
}

/** The schema, built when a database is opened (never from module-load-time state). */
export const schemaSql = (): string[] => [
  `CREATE TABLE IF NOT EXISTS runs (run_id UINTEGER PRIMARY KEY, trace VARCHAR, trace_sha256 VARCHAR, tool_version VARCHAR,
    started_at TIMESTAMP, duration_s DOUBLE, events UBIGINT, signals UBIGINT, workers UINTEGER, shard VARCHAR, profiles VARCHAR[])`,
  `CREATE TABLE IF NOT EXISTS run_profiles (run_id UINTEGER, profile_id UTINYINT, profile VARCHAR, switches JSON)`,
  `CREATE TABLE IF NOT EXISTS hosts (run_id UINTEGER, host_id UINTEGER, host VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS outcome_rows (run_id UINTEGER, profile_id UTINYINT, event_id UBIGINT, host_id UINTEGER,
    panic BOOLEAN, panic_msg VARCHAR, reboot_loop BOOLEAN, vmcore ${enumSql(VMCORE)}, mf_type ${enumSql(MF_TYPE)},
    mf_result ${enumSql(MF_RESULT)}, mf_ret INTEGER, poisoned BOOLEAN, unmapped BOOLEAN,
    guest_action ${enumSql(GUEST_ACTION)}, path ${enumSql(PATH_NAMES)})`,
  `CREATE TABLE IF NOT EXISTS signal_rows (run_id UINTEGER, profile_id UTINYINT, event_id UBIGINT, host_id UINTEGER,
    seq UTINYINT, pid UINTEGER, tid UINTEGER, signo UTINYINT, si_code UTINYINT, addr UBIGINT, addr_lsb UTINYINT)`,
  // The trace columns of each event (once per run, whatever the profile count), so outcomes and
  // signals can be grouped by arch, context or page in one query (the events view).
  `CREATE TABLE IF NOT EXISTS trace_events (run_id UINTEGER, event_id UBIGINT, host_id UINTEGER, arch ${enumSql(ARCH)},
    kind ${enumSql(KIND)}, notify ${enumSql(NOTIFY)}, severity ${enumSql(SEVERITY)}, mem ${enumSql(MEM)}, page ${enumSql(PAGE)},
    context ${enumSql(CONTEXT)}, pid UINTEGER)`,
  `CREATE OR REPLACE VIEW events AS SELECT e.run_id, e.event_id, h.host, e.arch, e.kind, e.notify, e.severity, e.mem, e.page,
    e.context, e.pid FROM trace_events e JOIN hosts h USING (run_id, host_id)`,
  `CREATE OR REPLACE VIEW outcomes AS SELECT o.run_id, o.event_id, h.host, p.profile, o.panic, o.panic_msg, o.reboot_loop,
    o.vmcore, o.mf_type, o.mf_result, o.mf_ret, o.poisoned, o.unmapped, o.guest_action, o.path
    FROM outcome_rows o JOIN hosts h USING (run_id, host_id) JOIN run_profiles p USING (run_id, profile_id)`,
  `CREATE OR REPLACE VIEW signals AS SELECT s.run_id, s.event_id, h.host, p.profile, s.seq, s.pid, s.tid, s.signo,
    s.si_code, s.addr, s.addr_lsb
    FROM signal_rows s JOIN hosts h USING (run_id, host_id) JOIN run_profiles p USING (run_id, profile_id)`,
];

/** The ENUM columns and their labels: an existing database must have exactly these. */
const ENUM_COLUMNS: [string, string, readonly string[]][] = [
  ['outcome_rows', 'vmcore', VMCORE], ['outcome_rows', 'mf_type', MF_TYPE], ['outcome_rows', 'mf_result', MF_RESULT],
  ['outcome_rows', 'guest_action', GUEST_ACTION], ['outcome_rows', 'path', PATH_NAMES],
  ['trace_events', 'arch', ARCH], ['trace_events', 'kind', KIND], ['trace_events', 'notify', NOTIFY], ['trace_events', 'severity', SEVERITY],
  ['trace_events', 'mem', MEM], ['trace_events', 'page', PAGE], ['trace_events', 'context', CONTEXT],
];

const T = duckdb.Type;
const lt = (t: duckdb.Type) => duckdb.create_logical_type(t);

export interface RunMeta {
  trace: string;
  traceSha256: string;
  toolVersion: string;
  startedAt: Date;
  durationS: number;
  events: number;
  signals: number;
  workers: number;
  shard: string;
  profiles: { name: string; switches: unknown }[];
  hosts: readonly string[];
}

export class DuckSink {
  private outApp!: duckdb.Appender;
  private evApp!: duckdb.Appender;
  private readonly evChunk: duckdb.DataChunk;
  private sigApp!: duckdb.Appender;
  private readonly outChunk: duckdb.DataChunk;
  private readonly sigChunk: duckdb.DataChunk;
  private readonly runIds = new Uint32Array(CHUNK);
  private readonly profileIds = new Uint8Array(CHUNK);
  private readonly valid = new Uint8Array(CHUNK / 8);
  private readonly scratchU8 = new Uint8Array(CHUNK);
  private readonly scratchU32 = new Uint32Array(CHUNK);
  private readonly scratchWords = new Uint32Array(CHUNK * 2);
  rows = 0;

  private constructor(private readonly db: duckdb.Database, private readonly con: duckdb.Connection, readonly runId: number,
    private readonly scratch: boolean) {
    const e = (labels: readonly string[]) => duckdb.create_enum_type(labels as string[]);
    this.outChunk = duckdb.create_data_chunk([
      lt(T.UINTEGER), lt(T.UTINYINT), lt(T.UBIGINT), lt(T.UINTEGER), lt(T.BOOLEAN), lt(T.VARCHAR), lt(T.BOOLEAN),
      e(VMCORE), e(MF_TYPE), e(MF_RESULT), lt(T.INTEGER), lt(T.BOOLEAN), lt(T.BOOLEAN), e(GUEST_ACTION), e(PATH_NAMES),
    ]);
    this.evChunk = duckdb.create_data_chunk([
      lt(T.UINTEGER), lt(T.UBIGINT), lt(T.UINTEGER), e(ARCH), e(KIND), e(NOTIFY), e(SEVERITY), e(MEM), e(PAGE), e(CONTEXT), lt(T.UINTEGER),
    ]);
    this.sigChunk = duckdb.create_data_chunk([
      lt(T.UINTEGER), lt(T.UTINYINT), lt(T.UBIGINT), lt(T.UINTEGER), lt(T.UTINYINT), lt(T.UINTEGER), lt(T.UINTEGER),
      lt(T.UTINYINT), lt(T.UTINYINT), lt(T.UBIGINT), lt(T.UTINYINT),
    ]);
    this.runIds.fill(runId);
  }

  /**
   * Open (or create) the database, create the schema, begin the run's transaction. A `scratch`
   * database only exports Parquet and is removed after the run: it gets no trace_events rows (they
   * are not exported) and the run is rolled back once exported (nothing is committed or checkpointed).
   */
  static async open(path: string, tempDir?: string, scratch = false, memoryLimit = '96MB'): Promise<DuckSink> {
    // A bounded buffer pool keeps the run's memory flat whatever the trace size (DuckDB spills).
    // 96 MB: the appended blocks are written out as row groups fill, so a larger pool only
    // caches them (100M host-ordered events, 2 workers: peak RSS 1083 MB at 512 MB, 806 MB at
    // 192 MB; 100M time-ordered: 1042 MiB at 128 MB, 989 MiB at 96 MB; 10M: 546-566 MB at 192 MB,
    // 510-520 at 128, 474-487 at 96, for about 4% more CPU at 96; docs/benchmark.md).
    const config = duckdb.create_config();
    duckdb.set_config(config, 'memory_limit', memoryLimit);
    duckdb.set_config(config, 'threads', '1');
    if (tempDir) duckdb.set_config(config, 'temp_directory', tempDir);
    const db = await duckdb.open(path, config);
    const con = await duckdb.connect(db);
    // The schema is created in one transaction: a run killed while it is made leaves a database with
    // all of its tables or none (each statement on its own would commit a half schema).
    await duckdb.query(con, 'BEGIN TRANSACTION');
    for (const sql of schemaSql()) await duckdb.query(con, sql);
    await duckdb.query(con, 'COMMIT');
    // An older database whose ENUMs differ would turn unknown labels into NULL: refuse it.
    for (const [table, column, labels] of ENUM_COLUMNS) {
      const q = (v: string) => `'${v.replace(/'/g, "''")}'`;
      const differ = await scalar(con, `SELECT count(*)::BIGINT FROM information_schema.columns WHERE table_name = ${q(table)} AND column_name = ${q(column)} AND data_type <> ${q(enumSql(labels))}`);
      if (Number(differ) !== 0) {
        duckdb.disconnect_sync(con);
        duckdb.close_sync(db);
        throw new InputError(`${path}: column ${table}.${column} has other ENUM labels than this version of ras-replay writes (a database from another version): use a new --db`, path);
      }
    }
    await duckdb.query(con, 'BEGIN TRANSACTION');
    const next = await scalar(con, 'SELECT (coalesce(max(run_id), 0) + 1)::BIGINT FROM runs');
    const sink = new DuckSink(db, con, Number(next), scratch);
    sink.outApp = duckdb.appender_create(con, null, 'outcome_rows');
    sink.sigApp = duckdb.appender_create(con, null, 'signal_rows');
    if (!scratch) sink.evApp = duckdb.appender_create(con, null, 'trace_events');
    return sink;
  }

  appendOutcomes(cols: EventColumns, out: OutcomeColumns, profileId: number): void {
    const n = cols.n;
    // Every batch's outcomes are appended for profile 0 first: its trace columns go in once.
    if (profileId === 0 && !this.scratch) this.appendEvents(cols);
    this.profileIds.fill(profileId);
    const ch = this.outChunk;
    for (let s = 0; s < n; s += CHUNK) {
      const m = Math.min(CHUNK, n - s);
      const v = (k: number) => duckdb.data_chunk_get_vector(ch, k);
      copy(v(0), this.runIds, 0, m);
      copy(v(1), this.profileIds, 0, m);
      copy(v(2), cols.eventId, s, m);
      copy(v(3), cols.host, s, m);
      copy(v(4), out.panic, s, m);
      this.panicMsg(v(5), out, s, m);
      copy(v(6), out.rebootLoop, s, m);
      copy(v(7), out.vmcore, s, m);
      this.nullableEnum(v(8), out.mfType, s, m);
      this.nullableEnum(v(9), out.mfResult, s, m);
      copy(v(10), out.mfRet, s, m);
      this.validIf(v(10), out.mfRan, s, m);
      copy(v(11), out.poisoned, s, m);
      copy(v(12), out.unmapped, s, m);
      copy(v(13), out.guestAction, s, m);
      copy(v(14), out.path, s, m);
      duckdb.data_chunk_set_size(ch, m);
      duckdb.append_data_chunk(this.outApp, ch);
      duckdb.data_chunk_reset(ch);
    }
    this.rows += n;
  }

  private appendEvents(cols: EventColumns): void {
    const n = cols.n;
    const ch = this.evChunk;
    for (let s = 0; s < n; s += CHUNK) {
      const m = Math.min(CHUNK, n - s);
      const v = (k: number) => duckdb.data_chunk_get_vector(ch, k);
      copy(v(0), this.runIds, 0, m);
      copy(v(1), cols.eventId, s, m);
      copy(v(2), cols.host, s, m);
      copy(v(3), cols.arch, s, m);
      copy(v(4), cols.kind, s, m);
      copy(v(5), cols.notify, s, m);
      copy(v(6), cols.severity, s, m);
      copy(v(7), cols.mem, s, m);
      copy(v(8), cols.page, s, m);
      copy(v(9), cols.context, s, m);
      copy(v(10), cols.pid, s, m);
      duckdb.data_chunk_set_size(ch, m);
      duckdb.append_data_chunk(this.evApp, ch);
      duckdb.data_chunk_reset(ch);
    }
  }

  appendSignals(cols: EventColumns, sig: SignalColumns, profileId: number): void {
    const n = sig.n;
    this.profileIds.fill(profileId);
    const ch = this.sigChunk;
    for (let s = 0; s < n; s += CHUNK) {
      const m = Math.min(CHUNK, n - s);
      const v = (k: number) => duckdb.data_chunk_get_vector(ch, k);
      copy(v(0), this.runIds, 0, m);
      copy(v(1), this.profileIds, 0, m);
      const w = this.scratchWords;
      for (let j = 0; j < m; j++) {
        const r = sig.row[s + j]!;
        w[2 * j] = cols.eventIdW[2 * r]!;
        w[2 * j + 1] = cols.eventIdW[2 * r + 1]!;
        this.scratchU32[j] = cols.host[r]!;
      }
      copy(v(2), w, 0, 2 * m);
      copy(v(3), this.scratchU32, 0, m);
      copy(v(4), sig.seq, s, m);
      copy(v(5), sig.pid, s, m);
      copy(v(6), sig.tid, s, m);
      copy(v(7), sig.signo, s, m);
      copy(v(8), sig.siCode, s, m);
      const b = this.valid;
      b.fill(0);
      for (let j = 0; j < m; j++) {
        const a = sig.addr[s + j]!;
        const ok = a !== NO_ADDR;
        w[2 * j] = ok ? a % 4294967296 : 0;
        w[2 * j + 1] = ok ? Math.floor(a / 4294967296) : 0;
        if (ok) b[j >> 3]! |= 1 << (j & 7);
      }
      copy(v(9), w, 0, 2 * m);
      setValidity(v(9), b);
      this.nullableEnum(v(10), sig.lsb, s, m);
      duckdb.data_chunk_set_size(ch, m);
      duckdb.append_data_chunk(this.sigApp, ch);
      duckdb.data_chunk_reset(ch);
    }
  }

  private panicMsg(vec: duckdb.Vector, out: OutcomeColumns, s: number, m: number): void {
    // Every slot is written (a reset chunk keeps stale pointers into freed string memory): 16 zero
    // bytes are DuckDB's inlined empty string (length 0), so one copy fills the rows without a panic
    // and only a panic's text goes through the binding. The validity mask is NULL where the kernel
    // printed no panic.
    copy(vec, ZERO_STRINGS, 0, 4 * m);
    const msg = out.panicMsg;
    const b = this.valid;
    b.fill(0);
    for (let i = 0; i < m; i++) {
      const p = msg[s + i]!;
      if (p < 0) continue;
      duckdb.vector_assign_string_element(vec, i, formatPanic(p, out.panicPfn[s + i]!));
      b[i >> 3]! |= 1 << (i & 7);
    }
    setValidity(vec, b);
  }

  /** Codes below 0 (no value) as NULL; the slot's value is then 0. */
  private nullableEnum(vec: duckdb.Vector, codes: Int8Array, s: number, m: number): void {
    const u = this.scratchU8;
    const b = this.valid;
    b.fill(0);
    for (let i = 0; i < m; i++) {
      const c = codes[s + i]!;
      if (c < 0) u[i] = 0;
      else {
        u[i] = c;
        b[i >> 3]! |= 1 << (i & 7);
      }
    }
    copy(vec, u, 0, m);
    setValidity(vec, b);
  }

  /** Valid where flags[s + i] is 1. */
  private validIf(vec: duckdb.Vector, flags: Uint8Array, s: number, m: number): void {
    const b = this.valid;
    b.fill(0);
    for (let i = 0; i < m; i++) if (flags[s + i] === 1) b[i >> 3]! |= 1 << (i & 7);
    setValidity(vec, b);
  }

  /**
   * Flush the appenders, write the run's metadata, export the run's rows per profile to Parquet
   * (zstd) where asked, commit, checkpoint and close (a scratch database: roll back and close).
   */
  async commit(meta: RunMeta, parquet: { table: 'outcomes' | 'signals'; profile: string; file: string }[] = []): Promise<void> {
    duckdb.appender_close_sync(this.outApp);
    duckdb.appender_close_sync(this.sigApp);
    if (!this.scratch) duckdb.appender_close_sync(this.evApp);
    const con = this.con;
    const q = (v: string) => `'${v.replace(/'/g, "''")}'`;
    await duckdb.query(con, `INSERT INTO runs VALUES (${this.runId}, ${q(meta.trace)}, ${q(meta.traceSha256)}, ${q(meta.toolVersion)},
      ${q(meta.startedAt.toISOString())}::TIMESTAMP, ${meta.durationS}, ${meta.events}, ${meta.signals}, ${meta.workers}, ${q(meta.shard)},
      [${meta.profiles.map((p) => q(p.name)).join(', ')}]::VARCHAR[])`);
    for (let i = 0; i < meta.profiles.length; i++) {
      const p = meta.profiles[i]!;
      await duckdb.query(con, `INSERT INTO run_profiles VALUES (${this.runId}, ${i}, ${q(p.name)}, ${q(JSON.stringify(p.switches))}::JSON)`);
    }
    await this.appendHosts(meta.hosts);
    // Parquet is exported inside the run's transaction, so a failure here rolls the run back.
    // Rows keep the trace's order: they were appended in that order, the scan is single-threaded
    // with insertion order preserved, and the rows are the probe side of the one join (hosts, the
    // build side). The optimizer would make the larger side the build side (hosts outnumber a
    // shard's rows) and reorder joins, which scrambles the order (the outcomes view, joined to
    // hosts and run_profiles, did even for a whole run), so both are off for the export. No ORDER
    // BY: a sort would hold the whole run in memory. The columns are those of the outcomes and
    // signals views without run_id; the profile is a constant here, so only the hosts are joined.
    if (parquet.length) await duckdb.query(con, `SET disabled_optimizers = 'build_side_probe_side,join_order'`);
    for (const t of parquet) {
      const k = meta.profiles.findIndex((p) => p.name === t.profile);
      const rows = t.table === 'outcomes' ? 'outcome_rows' : 'signal_rows';
      await duckdb.query(con, `COPY (SELECT r.event_id, h.host, ${q(t.profile)}::VARCHAR AS profile, r.* EXCLUDE (run_id, profile_id, event_id, host_id)
        FROM ${rows} r JOIN hosts h USING (run_id, host_id) WHERE r.run_id = ${this.runId} AND r.profile_id = ${k})
        TO ${q(t.file)} (FORMAT parquet, COMPRESSION zstd)`);
    }
    if (parquet.length) await duckdb.query(con, 'RESET disabled_optimizers');
    if (this.scratch) {
      await duckdb.query(con, 'ROLLBACK');
      this.committed = true;
      this.close();
      return;
    }
    await duckdb.query(con, 'COMMIT');
    this.committed = true;
    await duckdb.query(con, 'CHECKPOINT');
    this.close();
  }

  private async appendHosts(names: readonly string[]): Promise<void> {
    const app = duckdb.appender_create(this.con, null, 'hosts');
    const ch = duckdb.create_data_chunk([lt(T.UINTEGER), lt(T.UINTEGER), lt(T.VARCHAR)]);
    const ids = new Uint32Array(CHUNK);
    for (let s = 0; s < names.length; s += CHUNK) {
      const m = Math.min(CHUNK, names.length - s);
      for (let j = 0; j < m; j++) ids[j] = s + j;
      copy(duckdb.data_chunk_get_vector(ch, 0), this.runIds, 0, m);
      copy(duckdb.data_chunk_get_vector(ch, 1), ids, 0, m);
      const sv = duckdb.data_chunk_get_vector(ch, 2);
      for (let j = 0; j < m; j++) duckdb.vector_assign_string_element(sv, j, names[s + j]!);
      duckdb.data_chunk_set_size(ch, m);
      duckdb.append_data_chunk(app, ch);
      duckdb.data_chunk_reset(ch);
    }
    duckdb.appender_close_sync(app);
  }

  /** Abandon the run: roll back and close (the database keeps what it had). After commit: nothing. */
  async abort(): Promise<void> {
    if (this.committed || this.closed) return;
    try {
      await duckdb.query(this.con, 'ROLLBACK');
    } finally {
      this.close();
    }
  }

  private committed = false;
  private closed = false;

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    duckdb.disconnect_sync(this.con);
    duckdb.close_sync(this.db);
  }
}

/** CHUNK zeroed DuckDB string_t slots (16 bytes each: length 0, nothing inlined): empty strings. */
const ZERO_STRINGS = new Uint32Array(CHUNK * 4);

function setValidity(vec: duckdb.Vector, bits: Uint8Array): void {
  duckdb.vector_ensure_validity_writable(vec);
  duckdb.copy_data_to_vector_validity(vec, 0, bits.buffer as ArrayBuffer, bits.byteOffset, CHUNK / 8);
}

/** Bounce buffer: the binding accepts only a plain ArrayBuffer, and worker columns live in shared memory. */
let bounce = new Uint8Array(CHUNK * 8);

function copy(vec: duckdb.Vector, src: ArrayBufferView & { BYTES_PER_ELEMENT: number }, start: number, count: number): void {
  const w = src.BYTES_PER_ELEMENT;
  if (src.buffer instanceof ArrayBuffer) {
    duckdb.copy_data_to_vector(vec, 0, src.buffer, src.byteOffset + start * w, count * w);
    return;
  }
  if (bounce.length < count * w) bounce = new Uint8Array(count * w);
  bounce.set(new Uint8Array(src.buffer, src.byteOffset + start * w, count * w));
  duckdb.copy_data_to_vector(vec, 0, bounce.buffer, 0, count * w);
}

async function scalar(con: duckdb.Connection, sql: string): Promise<bigint | number> {
  const r = await duckdb.query(con, sql);
  const c = await duckdb.fetch_chunk(r);
  const v = duckdb.data_chunk_get_vector(c!, 0);
  const data = duckdb.vector_get_data(v, 8);
  return new BigInt64Array(data.buffer, data.byteOffset, 1)[0]!;
}
