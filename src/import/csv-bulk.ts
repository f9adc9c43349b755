// Bulk CSV -> .arrows: DuckDB parses the CSV (read_csv with the header's columns declared, no
// sniffing) and converts every value to the contract's codes in SQL; JavaScript copies the result
// vectors into the writer's column buffers, interns strings, resolves the defaults that depend on
// other columns and checks the cross-column rules, per-host order and unique event ids. The result
// is the trace the strict reader (src/io/csv-trace.ts) gives for the same file, row for row.
//
// Why every column is declared VARCHAR and converted in SQL rather than given a DuckDB type:
// DuckDB's casts accept more than the contract (' 12', '+5', '1_000', '1e3', '0b101' as integers;
// 't', 'yes' as booleans), so typed columns would silently accept values the strict reader rejects.
// The SQL accepts exactly the contract's spellings (docs/trace-format.md §1: decimal or 0x-hex uint64, signed
// decimal int64, exact enum labels, true/false/1/0); a row with anything else — an unknown label, a
// value with surrounding blanks, a missing required value — is flagged and handed, alone, to the
// strict row parser (eventFromRow) over the same record read by csv-parse: a blank-padded value is
// then accepted exactly as the strict reader accepts it, and a bad one raises the strict reader's
// error, with the same file, line, column, value and expected text.
//
// Execution: DuckDB evaluates an order-preserving query in parallel only into a materialized
// result; a streaming result is single-threaded (the query took 2.6 s instead of 1.4 s for 2M
// rows here). Files up to `materializeBytes` (default 512 MiB) are materialized — peak RSS was
// about 2.7× the CSV's size (812 MB for a 298 MB CSV) — larger ones are streamed (298 MB peak).
import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import duckdb from '@duckdb/node-bindings';
import { parse as parseSync } from 'csv-parse/sync';
import { parse as parseStream } from 'csv-parse';
import * as enums from '../model/enums.js';
import * as record from '../model/record.js';
import { validateEvent } from '../model/validate.js';
import * as columns from '../columns/events.js';
import { appendEvent, mapperText, TraceStreamWriter } from '../io/arrow-trace.js';
import { InputError } from '../io/errors.js';
import { eventFromRow, EXTRA_COLUMNS, parseMappers, REQUIRED_COLUMNS, TRACE_COLUMNS, TraceEvent } from '../io/trace.js';

// Plain copies of the codes read per row (imported bindings can be accessor properties, depending on
// the loader).
const { ARCH, CONTEXT, KIND, MEM, NOTIFY, PAGE, SEVERITY, VENDOR } = enums;
const ARM64 = enums.Arch.arm64;
const K_ERROR = enums.Kind.error, K_ACCESS = enums.Kind.access;
const N_NONE = enums.Notify.none;
const C_USER = enums.Context.user, C_NONE = enums.Context.none;
const NO_ADDR = record.NO_ADDR;
const { F_SYNC, F_FIRMWARE_FIRST, F_RIPV, F_PINNED, F_POISONED_BEFORE, F_GUEST_RAS, F_EXTRA_REFS, F_VENDOR_AMD } = columns;
// The "absent" index of each enum column (one past its labels).
const N_KIND = KIND.length, N_NOTIFY = NOTIFY.length, N_SEVERITY = SEVERITY.length, N_MEM = MEM.length, N_PAGE = PAGE.length;
const N_CONTEXT = CONTEXT.length;
const P_UNKNOWN = PAGE.indexOf('unknown');
const P_FILE_LBS = PAGE.indexOf('file_lbs');

export interface BulkOptions {
  batchRows?: number;
  /** CSVs up to this size (bytes; compressed size × 5 for .gz) are read through a materialized result. Default 512 MiB. */
  materializeBytes?: number;
  /** DuckDB threads (default: DuckDB's, the number of cores). */
  threads?: number;
}

const ABSENT = 255;

const sqlStr = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const list = (labels: readonly string[]): string => `[${labels.map(sqlStr).join(', ')}]`;

/** Boolean spellings: index & 1 is the value; index BOOL_ABSENT marks an absent cell. */
const BOOLS = ['false', 'true', '0', '1', 'FALSE', 'TRUE', 'False', 'True'] as const;
const BOOL_ABSENT = BOOLS.length;
const U64 = '[0-9]+|0x[0-9a-fA-F]+';

/**
 * The query: one row per CSV record, in file order, with the columns of OUT. Enum and boolean
 * cells become their index in the label list, with one more index (the list's length) for an
 * absent cell; numbers become their value, or -1 for an absent optional one. A cell not in the
 * contract's exact spelling, and an absent required one, becomes NULL: JavaScript reads the
 * validity masks and hands that row to the strict parser. Canonical decimals are recognised by a
 * cast round trip (much cheaper than the regular expression, which only sees the rest).
 * (Measured: one "irregular" OR over thirty conditions cost more than all the conversions; fewer,
 * packed result columns cost more than they saved.)
 */
export function buildSql(file: string, header: readonly string[], readOptions = ''): string {
  const present = new Set(header.map((h) => h.trim()));
  const x = (c: string): string => (present.has(c) ? ident(c) : 'NULL::VARCHAR');
  const code = (c: string, labels: readonly string[]): string =>
    `(list_position(${list([...labels, ''])}, coalesce(${x(c)}, '')) - 1)::UTINYINT AS ${c}`;
  const dec = (c: string, type: string, pattern: string): string =>
    `CASE WHEN TRY_CAST(${x(c)} AS ${type})::VARCHAR = ${x(c)} THEN TRY_CAST(${x(c)} AS ${type}) ` +
    `WHEN regexp_full_match(${x(c)}, '${pattern}') THEN TRY_CAST(${x(c)} AS ${type}) END`;
  // uint64 in the contract; the model keeps addresses below 2^53 (io/trace.ts parseAddr).
  const addr = (c: string): string =>
    `CASE WHEN ${x(c)} IS NULL THEN ${NO_ADDR} WHEN (TRY_CAST(${x(c)} AS UBIGINT)::VARCHAR = ${x(c)} OR regexp_full_match(${x(c)}, '${U64}')) ` +
    `AND TRY_CAST(${x(c)} AS UBIGINT) <= 9007199254740991 THEN TRY_CAST(${x(c)} AS UBIGINT)::DOUBLE END AS ${c}`;
  const u32 = (c: string): string => `CASE WHEN ${x(c)} IS NULL THEN -1 ELSE ${dec(c, 'UINTEGER', '[0-9]+')} END::BIGINT AS ${c}`;
  const outer = [
    `${dec('event_id', 'UBIGINT', U64)} AS event_id`,
    `${dec('t_ns', 'BIGINT', '-?[0-9]+')} AS t_ns`,
    `(list_position(${list(ARCH)}, ${x('arch')}) - 1)::UTINYINT AS arch`,
    code('kind', KIND), code('notify', NOTIFY), code('severity', SEVERITY), code('mem', MEM), code('page', PAGE), code('context', CONTEXT),
    ...['firmware_first', 'sync', 'ripv', 'pinned', 'poisoned_before', 'guest_ras', 'kdump'].map((c) => code(c, BOOLS)),
    addr('pa'), addr('vaddr'), u32('pid'), u32('tid'), u32('page_shift'),
    code('early_kill', ['0', '1']), code('recovery', ['0', '1']), code('panic_on_oops', ['0', '1']),
    code('extra_refs', BOOLS), code('panic_on_unrecoverable', ['0', '1']), code('vendor', VENDOR),
    `${x('host')} AS host`, `${x('comm')} AS comm`, `${x('mappers')} AS mappers`,
  ];
  // Columns are declared with the header's names (trimmed, as the strict reader matches them).
  const cols = header.map((c) => `${sqlStr(c.trim())}: 'VARCHAR'`).join(', ');
  return `SELECT ${outer.join(', ')} FROM read_csv(${sqlStr(file)}, header = true, auto_detect = false, ` +
    `delim = ',', quote = '"', escape = '"', strict_mode = true, null_padding = false${readOptions}, columns = {${cols}})`;
}

/** Result columns; a NULL in the first NUMERIC marks an irregular row. */
const OUT = {
  eventId: 0, tNs: 1, arch: 2, kind: 3, notify: 4, severity: 5, mem: 6, page: 7, context: 8,
  ff: 9, sync: 10, ripv: 11, pinned: 12, poisonedBefore: 13, guestRas: 14, kdump: 15,
  pa: 16, vaddr: 17, pid: 18, tid: 19, pageShift: 20, earlyKill: 21, recovery: 22, panicOnOops: 23,
  extraRefs: 24, panicUnrecov: 25, vendor: 26,
  host: 27, comm: 28, mappers: 29,
} as const;
const NUMERIC = 27;

/** The first line of the file (decompressed for .gz): the header row. */
async function readHeaderLine(file: string): Promise<string> {
  const src: Readable = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  let text = '';
  try {
    for await (const chunk of src) {
      text += (chunk as Buffer).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        text = text.slice(0, nl);
        break;
      }
      if (text.length > 1 << 20) break;
    }
  } catch (e) {
    throw new InputError(`${file}: cannot read the trace: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
  } finally {
    src.destroy();
  }
  return text.replace(/\r$/, '');
}

/** The header's columns, checked as the strict reader checks them (same messages). */
function checkHeader(file: string, line: string): string[] {
  if (line.replace(/^\uFEFF/, '').trim() === '') throw new InputError(`${file}: empty file: expected a header row with the trace columns`, file);
  let rec: string[];
  try {
    rec = (parseSync(line, { bom: true, relax_column_count: false }) as string[][])[0]!;
  } catch (e) {
    throw new InputError(`${file}: line 1: malformed CSV: ${(e as Error).message}`, file, 'line 1', undefined, { cause: e });
  }
  const header = rec.map((h) => h.trim());
  const known = new Set<string>([...TRACE_COLUMNS, ...EXTRA_COLUMNS]);
  const seen = new Set<string>();
  for (const h of header) {
    if (!known.has(h)) throw InputError.at(file, 'line 1 (header)', h, h, `a trace column (${TRACE_COLUMNS.join(', ')}) or note`);
    if (seen.has(h)) throw InputError.at(file, 'line 1 (header)', h, h, 'each column once');
    seen.add(h);
  }
  for (const r of REQUIRED_COLUMNS) {
    if (!seen.has(r)) throw new InputError(`${file}: line 1 (header): column ${r} is missing: expected the required columns ${REQUIRED_COLUMNS.join(', ')}`, file, 'line 1', r);
  }
  // DuckDB takes the names as declared; a name with blanks around it is declared as written.
  return rec;
}

/**
 * The records of the file as csv-parse gives them to the strict reader (same options), read
 * forward on demand: `at(k)` returns data row k (0-based, header excluded) with its line number.
 */
class RecordCursor {
  private it: AsyncIterator<{ record: string[]; info: { lines: number } }> | null = null;
  private next = -1; // index of the next data row the iterator yields (-1: header not read yet)
  private src: Readable | null = null;

  constructor(private readonly file: string) {}

  async at(k: number): Promise<{ record: string[]; lines: number }> {
    if (!this.it || k < this.next) this.open();
    for (;;) {
      let r: IteratorResult<{ record: string[]; info: { lines: number } }>;
      try {
        r = await this.it!.next();
      } catch (e) {
        const err = e as Error & { lines?: number };
        throw new InputError(`${this.file}: line ${err.lines ?? '?'}: malformed CSV: ${err.message}`, this.file, `line ${err.lines ?? '?'}`, undefined, { cause: e });
      }
      if (r.done) throw new Error(`${this.file}: record ${k} not found (DuckDB and csv-parse disagree on the records)`);
      const row = this.next++;
      if (row === k) return { record: r.value.record, lines: r.value.info.lines };
    }
  }

  /** Read every record (csv-parse raises the strict reader's error for a malformed file). */
  async scanAll(): Promise<void> {
    this.open();
    for (;;) {
      try {
        if ((await this.it!.next()).done) return;
      } catch (e) {
        const err = e as Error & { lines?: number };
        throw new InputError(`${this.file}: line ${err.lines ?? '?'}: malformed CSV: ${err.message}`, this.file, `line ${err.lines ?? '?'}`, undefined, { cause: e });
      }
    }
  }

  private open(): void {
    this.close();
    const raw = createReadStream(this.file);
    const parser = parseStream({ info: true, relax_column_count: false, skip_empty_lines: true, trim: false, bom: true });
    this.src = this.file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    // pipe() does not forward errors: a read or gunzip error must end the iteration.
    raw.on('error', (e) => parser.destroy(e));
    this.src.on('error', (e) => parser.destroy(e));
    this.src.pipe(parser);
    this.it = (parser as unknown as AsyncIterable<{ record: string[]; info: { lines: number } }>)[Symbol.asyncIterator]();
    this.next = -1;
  }

  close(): void {
    this.src?.destroy();
    this.src = null;
    this.it = null;
  }
}

/** Import a CSV trace (docs/trace-format.md §1) to an Arrow IPC stream at `outPath` (temp + rename). */
export async function importCsvBulk(csvPath: string, outPath: string, opts: BulkOptions = {}): Promise<{ rows: number; seconds: number }> {
  const t0 = performance.now();
  let size: number;
  try {
    size = statSync(csvPath).size;
  } catch (e) {
    throw new InputError(`${csvPath}: cannot read the trace: ${(e as Error).message}`, csvPath, undefined, undefined, { cause: e });
  }
  const header = checkHeader(csvPath, await readHeaderLine(csvPath));
  const index = new Map(header.map((h, i) => [h.trim(), i]));
  const gz = csvPath.endsWith('.gz');
  const materialize = (gz ? size * 5 : size) <= (opts.materializeBytes ?? 512 << 20);
  const sql = buildSql(csvPath, header, gz ? ", compression = 'gzip'" : '');

  const config = duckdb.create_config();
  if (opts.threads) duckdb.set_config(config, 'threads', String(opts.threads));
  const db = await duckdb.open(':memory:', config);
  const con = await duckdb.connect(db);
  const w = new TraceStreamWriter(outPath, opts.batchRows ?? 65536, false);
  const cursor = new RecordCursor(csvPath);
  const state = new BulkState(csvPath, w, index, cursor);
  try {
    let chunks: AsyncGenerator<duckdb.DataChunk>;
    try {
      chunks = materialize ? materialized(await duck(duckdb.query(con, sql))) : streamed(con, sql);
      for await (const ch of chunks) await state.chunk(ch);
    } catch (e) {
      if (!(e instanceof DuckError)) throw e;
      // DuckDB rejected the file's structure (field count, quoting): the strict parser, reading
      // the same records, reports it with its own line and message.
      await cursor.scanAll();
      const msg = ((e as Error).message ?? String(e)).split('\n').slice(0, 2).join(' ');
      throw new InputError(`${csvPath}: malformed CSV: ${msg}`, csvPath, undefined, undefined, { cause: e });
    }
    await state.finish();
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  } finally {
    cursor.close();
    duckdb.disconnect_sync(con);
    duckdb.close_sync(db);
  }
  return { rows: state.rows, seconds: (performance.now() - t0) / 1000 };
}

async function* materialized(res: duckdb.Result): AsyncGenerator<duckdb.DataChunk> {
  const n = duckdb.result_chunk_count(res);
  for (let k = 0; k < n; k++) yield duckdb.result_get_chunk(res, k);
}

async function* streamed(con: duckdb.Connection, sql: string): AsyncGenerator<duckdb.DataChunk> {
  const prepared = await duck(duckdb.prepare(con, sql));
  const res = await duck(duckdb.execute_pending(duckdb.pending_prepared_streaming(prepared)));
  let next = duck(duckdb.fetch_chunk(res));
  try {
    for (;;) {
      const ch = await next;
      if (!ch || duckdb.data_chunk_get_size(ch) === 0) return;
      next = duck(duckdb.fetch_chunk(res)); // fetched while the caller converts this one
      next.catch(() => {}); // awaited on the next turn (or below)
      yield ch;
    }
  } finally {
    // The caller stopped early (an error in a row): let the fetch in flight finish before the
    // connection is closed.
    await next.catch(() => {});
  }
}

/** An error raised by DuckDB while reading the CSV. */
class DuckError extends Error {}

function duck<T>(p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    throw new DuckError((e as Error).message ?? String(e), { cause: e });
  });
}

const decoder = new TextDecoder();

/** parseMappers, with null instead of an error (the strict parser then reports it). */
const BAD_MAPPERS = new Error('bad mappers');
function parseMappersOrNull(text: string): number[] | null {
  try {
    return parseMappers(text, () => {
      throw BAD_MAPPERS;
    });
  } catch (e) {
    if (e === BAD_MAPPERS) return null;
    throw e;
  }
}

/**
 * A VARCHAR result column read from DuckDB's 16-byte string structs (length, then 12 inline bytes
 * or a 4-byte prefix and a pointer). Equal structs are the same string (inline bytes, or the same
 * pointer), so a row equal to the previous row reuses its interned id without decoding.
 */
class StringColumn {
  private readonly prev = new Uint32Array(4);
  private prevId = -2;
  private words: Uint32Array = new Uint32Array(0);
  private data: Uint8Array = new Uint8Array(0);
  private valid: Uint8Array | null = null;

  load(vec: duckdb.Vector, n: number): void {
    this.data = duckdb.vector_get_data(vec, n * 16);
    this.words = new Uint32Array(this.data.buffer, this.data.byteOffset, n * 4);
    const v = duckdb.vector_get_validity(vec, Math.ceil(n / 64) * 8);
    this.valid = v && v.length ? v : null;
    this.prevId = -2; // pointers are only comparable within one chunk
  }

  isNull(i: number): boolean {
    const v = this.valid;
    return v !== null && ((v[i >> 3]! >> (i & 7)) & 1) === 0;
  }

  /** The previous row's id when row i has the same struct, else -2; row i becomes the previous row. */
  sameId(i: number): number {
    const w = this.words;
    const p = this.prev;
    const o = 4 * i;
    const same = w[o] === p[0] && w[o + 1] === p[1] && w[o + 2] === p[2] && w[o + 3] === p[3];
    if (same) return this.prevId;
    p[0] = w[o]!;
    p[1] = w[o + 1]!;
    p[2] = w[o + 2]!;
    p[3] = w[o + 3]!;
    this.prevId = -2;
    return -2;
  }

  text(i: number): string {
    const o = 16 * i;
    const len = this.words[4 * i]!;
    const bytes = len <= 12
      ? this.data.subarray(o + 4, o + 4 + len)
      : duckdb.get_data_from_pointer(this.data.buffer as ArrayBuffer, this.data.byteOffset + o + 8, len);
    return decoder.decode(bytes);
  }

  /** Record the id of the row last passed to sameId. */
  set(id: number): number {
    this.prevId = id;
    return id;
  }

  reset(): void {
    this.prevId = -2;
  }
}

/** Converts result chunks into the writer's columns and checks what SQL cannot. */
class BulkState {
  rows = 0;
  private readonly c: columns.EventColumns;
  private readonly host = new StringColumn();
  private readonly comm = new StringColumn();
  private readonly mapper = new StringColumn();
  private readonly mapperIds = new Map<string, number>();
  private readonly validMemo = new Uint8Array(1 << 21);
  private irregular = new Uint8Array(2048);
  private readonly rec = new record.EventRecord();
  // Per-host order state and the first violation.
  private tHi = new Int32Array(1024);
  private tLo = new Uint32Array(1024);
  private idHi = new Uint32Array(1024);
  private idLo = new Uint32Array(1024);
  private lastRow = new Float64Array(1024).fill(-1);
  private orderBad: { row: number; prev: number; host: number; t: bigint; pt: bigint; pid: bigint } | null = null;
  // Event ids in file order (lo, hi words) for the uniqueness check.
  private ids = new Uint32Array(1 << 16);
  private monotonic = true;

  constructor(private readonly file: string, private readonly w: TraceStreamWriter, private readonly index: Map<string, number>, private readonly cursor: RecordCursor) {
    this.c = w.cols;
  }

  async chunk(ch: duckdb.DataChunk): Promise<void> {
    const n = duckdb.data_chunk_get_size(ch);
    const vec = (k: number): duckdb.Vector => duckdb.data_chunk_get_vector(ch, k);
    const u8 = (k: number): Uint8Array => duckdb.vector_get_data(vec(k), n);
    const i32 = (k: number): Int32Array => {
      const b = duckdb.vector_get_data(vec(k), n * 8);
      return new Int32Array(b.buffer, b.byteOffset, n * 2);
    };
    const eventId = duckdb.vector_get_data(vec(OUT.eventId), n * 8), tNs = duckdb.vector_get_data(vec(OUT.tNs), n * 8);
    const pa = duckdb.vector_get_data(vec(OUT.pa), n * 8), vaddr = duckdb.vector_get_data(vec(OUT.vaddr), n * 8);
    const arch = u8(OUT.arch), kind = u8(OUT.kind), notify = u8(OUT.notify), severity = u8(OUT.severity), mem = u8(OUT.mem);
    const page = u8(OUT.page), context = u8(OUT.context), ff = u8(OUT.ff), sync = u8(OUT.sync), ripv = u8(OUT.ripv);
    const pinned = u8(OUT.pinned), pb = u8(OUT.poisonedBefore), gr = u8(OUT.guestRas), kdump = u8(OUT.kdump);
    const ek = u8(OUT.earlyKill), rc = u8(OUT.recovery), po = u8(OUT.panicOnOops);
    const er = u8(OUT.extraRefs), pu = u8(OUT.panicUnrecov), vd = u8(OUT.vendor);
    const pid = i32(OUT.pid), tid = i32(OUT.tid), ps = i32(OUT.pageShift);
    // A NULL in any numeric result column marks the row for the strict parser.
    const irregular = this.irregular.length >= n ? this.irregular : (this.irregular = new Uint8Array(n));
    irregular.fill(0, 0, n);
    const bytes = (n + 7) >> 3;
    for (let k = 0; k < NUMERIC; k++) {
      const bits = duckdb.vector_get_validity(vec(k), Math.ceil(n / 64) * 8);
      if (!bits || !bits.length) continue;
      for (let q = 0; q < bytes; q++) {
        if (bits[q] === 0xff) continue;
        for (let i = q * 8; i < Math.min(n, q * 8 + 8); i++) if (((bits[q]! >> (i & 7)) & 1) === 0) irregular[i] = 1;
      }
    }
    this.host.load(vec(OUT.host), n);
    this.comm.load(vec(OUT.comm), n);
    this.mapper.load(vec(OUT.mappers), n);
    const c = this.c;
    for (let s = 0; s < n;) {
      if (c.n === this.w.batchRows) this.w.flush();
      const base = c.n;
      const m = Math.min(n - s, this.w.batchRows - base);
      const put = (dst: ArrayBufferView, src: Uint8Array, width: number): void => {
        new Uint8Array(dst.buffer, dst.byteOffset + base * width, m * width).set(src.subarray(s * width, (s + m) * width));
      };
      put(c.eventId, eventId, 8);
      put(c.tNs, tNs, 8);
      put(c.pa, pa, 8);
      put(c.vaddr, vaddr, 8);
      c.n = base + m;
      for (let i = s; i < s + m; i++) {
        const j = base + (i - s);
        const row = this.rows + i;
        let ok = irregular[i] === 0;
        if (ok) {
          // Codes with their defaults (docs/trace-format.md §1); ABSENT where the default depends on other columns.
          const a = arch[i]!;
          c.arch[j] = a;
          const k = kind[i]!;
          c.kind[j] = k === N_KIND ? K_ERROR : k;
          const nt = notify[i]!;
          c.notify[j] = nt === N_NOTIFY ? ABSENT : nt;
          const sv = severity[i]!;
          c.severity[j] = sv === N_SEVERITY ? ABSENT : sv;
          const mm = mem[i]!;
          c.mem[j] = mm === N_MEM ? 0 : mm;
          const pg = page[i]!;
          c.page[j] = pg === N_PAGE ? P_UNKNOWN : pg;
          const cx = context[i]!;
          c.context[j] = cx === N_CONTEXT ? ABSENT : cx;
          const f = ff[i]!, r = ripv[i]!, pn = pinned[i]!, q = pb[i]!, g = gr[i]!;
          c.flags[j] = ((f === BOOL_ABSENT ? a === ARM64 : (f & 1) === 1) ? F_FIRMWARE_FIRST : 0) | (r === BOOL_ABSENT || (r & 1) ? F_RIPV : 0) |
            (pn !== BOOL_ABSENT && (pn & 1) ? F_PINNED : 0) | (q !== BOOL_ABSENT && (q & 1) ? F_POISONED_BEFORE : 0) |
            (g === BOOL_ABSENT || (g & 1) ? F_GUEST_RAS : 0) | (er[i] !== BOOL_ABSENT && (er[i]! & 1) ? F_EXTRA_REFS : 0) |
            columns.panicUnrecovFlags(pu[i] === 2 ? -1 : pu[i]!) | (vd[i] === 1 ? F_VENDOR_AMD : 0);
          const kd = kdump[i]!;
          c.kdump[j] = kd === BOOL_ABSENT ? -1 : kd & 1;
          const e = ek[i]!, rv = rc[i]!, p = po[i]!;
          c.earlyKill[j] = e === 2 ? -1 : e;
          c.recovery[j] = rv === 2 ? -1 : rv;
          c.panicOnOops[j] = p === 2 ? -1 : p;
          const pidV = pid[2 * i]!;
          const pidU = pidV === -1 && pid[2 * i + 1] === -1 ? 0 : pidV >>> 0;
          c.pid[j] = pidU;
          c.tid[j] = tid[2 * i] === -1 && tid[2 * i + 1] === -1 ? pidU : tid[2 * i]! >>> 0;
          const shift = ps[2 * i]!;
          if (shift === -1 && ps[2 * i + 1] === -1) c.pageShift[j] = 12;
          else if (shift >= 0 && shift <= 255) c.pageShift[j] = shift;
          else ok = false;
          const sy = sync[i]!;
          ok = ok && this.regular(i, j, sy === BOOL_ABSENT ? 2 : sy & 1);
        }
        if (!ok) await this.fallback(row, j);
        this.track(j, row);
      }
      s += m;
    }
    this.rows += n;
  }

  /**
   * Finish row j (chunk row i) from the converted values: strings, the defaults that depend on
   * other columns, and the validator. Returns false when the strict parser must decide.
   */
  private regular(i: number, j: number, sync: number): boolean {
    const c = this.c;
    const d = this.w.dicts;
    // Strings (a struct equal to the previous row's is the same string: its id is reused).
    const h = this.host;
    if (h.isNull(i)) return false; // required
    let id = h.sameId(i);
    if (id === -2) {
      const s = h.text(i);
      if (s.trim() !== s || s === '') return false; // the strict parser trims or rejects it
      id = h.set(d.hosts.id(s));
    }
    c.host[j] = id;
    const cm = this.comm;
    if (cm.isNull(i)) {
      cm.reset();
      c.comm[j] = 0;
    } else {
      id = cm.sameId(i);
      if (id === -2) id = cm.set(d.comms.id(cm.text(i).trim()));
      c.comm[j] = id;
    }
    const mp = this.mapper;
    if (mp.isNull(i)) {
      mp.reset();
      c.mappers[j] = -1;
    } else {
      id = mp.sameId(i);
      if (id === -2) {
        const text = mp.text(i);
        let m = this.mapperIds.get(text);
        if (m === undefined) {
          const pairs = parseMappersOrNull(text.trim());
          if (!pairs) return false; // the strict parser reports it
          m = pairs.length ? d.mappers.intern(mapperText(pairs), pairs) : -1;
          this.mapperIds.set(text, m);
        }
        id = mp.set(m);
      }
      c.mappers[j] = id;
    }

    // Defaults that depend on other columns (io/trace.ts eventFromRow).
    const isError = c.kind[j] === K_ERROR;
    if (c.notify[j] === ABSENT) {
      if (isError) return false;
      c.notify[j] = N_NONE;
    }
    if (c.severity[j] === ABSENT) {
      if (isError) return false;
      c.severity[j] = 0;
    }
    if (sync === 2) {
      if (isError) return false;
      sync = 0;
    }
    if (c.context[j] === ABSENT) {
      if (sync) return false;
      c.context[j] = c.kind[j] === K_ACCESS ? C_USER : C_NONE;
    }
    if (sync) c.flags[j]! |= F_SYNC;
    // Cross-column rules: a pure function of these fields, memoized (as the Arrow decoder does).
    const ps = c.pageShift[j]!;
    const key = (((((((c.arch[j]! * 2 + c.kind[j]!) * 16 + c.notify[j]!) * 2 + (c.flags[j]! & F_FIRMWARE_FIRST)) * 8 +
      c.severity[j]!) * 2 + sync) * 16 + c.context[j]!) * 2 + (c.pid[j] === 0 ? 1 : 0)) * 8 +
      (c.pa[j] === NO_ADDR ? 4 : 0) + (ps === 12 ? 0 : ps === 21 ? 1 : ps === 30 ? 2 : 3) +
      (c.page[j] === P_FILE_LBS ? 1 << 19 : 0) + ((c.flags[j]! & F_VENDOR_AMD) !== 0 ? 1 << 20 : 0);
    // file_lbs accepts page_shift 13-21, which the key does not tell apart: not memoized.
    const memo = c.page[j] === P_FILE_LBS && ps !== 12 && ps !== 21 && ps !== 30 ? 0 : this.validMemo[key]!;
    if (memo === 0) {
      columns.fillValidateFields(this.rec, c, j);
      const bad = validateEvent(this.rec);
      this.validMemo[key] = bad ? 2 : 1;
      return !bad;
    }
    return memo === 1;
  }

  /** Row `row` through the strict parser: its error, or its values written at index j. */
  private async fallback(row: number, j: number): Promise<void> {
    const { record: rec, lines } = await this.cursor.at(row);
    const where = `line ${lines}`;
    const e: TraceEvent = eventFromRow((col) => {
      const k = this.index.get(col);
      return k === undefined ? undefined : rec[k]?.trim();
    }, `${this.file}: ${where}`, (col, value, expected) => {
      throw InputError.at(this.file, where, col, value, expected);
    });
    const c = this.c;
    const n = c.n;
    c.n = j;
    appendEvent(c, e, this.w.dicts);
    c.n = n;
    // This row's strings were interned by appendEvent: the "same as the previous row" shortcuts restart.
    this.host.reset();
    this.comm.reset();
    this.mapper.reset();
  }

  /** Per-host order and event ids of row j (global row `row`). */
  private track(j: number, row: number): void {
    const c = this.c;
    const h = c.host[j]!;
    if (h >= this.lastRow.length) this.grow(h + 1);
    const th = c.tNsW[2 * j + 1]!;
    const tl = c.tNsW[2 * j]! >>> 0;
    const ih = c.eventIdW[2 * j + 1]!;
    const il = c.eventIdW[2 * j]!;
    const prev = this.lastRow[h]!;
    if (prev >= 0 && !this.orderBad) {
      const ph = this.tHi[h]!, pl = this.tLo[h]!;
      const before = th < ph || (th === ph && (tl < pl || (tl === pl && (ih < this.idHi[h]! || (ih === this.idHi[h]! && il < this.idLo[h]!)))));
      if (before) {
        this.orderBad = { row, prev, host: h, t: c.tNs[j]!, pt: BigInt(ph) * 4294967296n + BigInt(pl), pid: BigInt(this.idHi[h]!) * 4294967296n + BigInt(this.idLo[h]!) };
      }
    }
    this.lastRow[h] = row;
    this.tHi[h] = th;
    this.tLo[h] = tl;
    this.idHi[h] = ih;
    this.idLo[h] = il;
    if (2 * row + 2 > this.ids.length) {
      const b = new Uint32Array(this.ids.length * 2);
      b.set(this.ids);
      this.ids = b;
    }
    if (row > 0 && this.monotonic) {
      const pl = this.ids[2 * row - 2]!, ph = this.ids[2 * row - 1]!;
      if (!(ih > ph || (ih === ph && il > pl))) this.monotonic = false;
    }
    this.ids[2 * row] = il;
    this.ids[2 * row + 1] = ih;
  }

  private grow(min: number): void {
    const n = Math.max(min, this.lastRow.length * 2);
    const g = <T extends Int32Array | Uint32Array | Float64Array>(a: T, fill = 0): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      if (fill) b.fill(fill);
      b.set(a);
      return b;
    };
    this.tHi = g(this.tHi);
    this.tLo = g(this.tLo);
    this.idHi = g(this.idHi);
    this.idLo = g(this.idLo);
    this.lastRow = g(this.lastRow, -1);
  }

  /** The whole-trace checks, in the strict reader's order (io/trace.ts checkOrder): unique ids, then order. */
  async finish(): Promise<void> {
    const n = this.rows;
    if (!this.monotonic) {
      const ids = new BigUint64Array(this.ids.buffer, 0, n);
      const sorted = ids.slice().sort();
      const dups = new Set<bigint>();
      for (let i = 1; i < n; i++) if (sorted[i] === sorted[i - 1]) dups.add(sorted[i]!);
      if (dups.size) {
        const seen = new Set<bigint>();
        for (let row = 0; row < n; row++) {
          const id = ids[row]!;
          if (!dups.has(id)) continue;
          if (seen.has(id)) {
            const { lines } = await this.cursor.at(row);
            throw new InputError(`${this.file}: line ${lines}: column event_id: value "${id}": expected an event_id unique within the trace`, this.file);
          }
          seen.add(id);
        }
      }
    }
    const o = this.orderBad;
    if (o) {
      const prev = await this.cursor.at(o.prev);
      const cur = await this.cursor.at(o.row);
      throw new InputError(`${this.file}: line ${cur.lines}: column t_ns: value "${o.t}": expected (t_ns, event_id) not before the previous event of host ${this.w.dicts.hosts.names[o.host]} (${this.file}: line ${prev.lines}: t_ns ${o.pt}, event_id ${o.pid}); pass --sort to sort the trace`, this.file);
    }
  }
}
