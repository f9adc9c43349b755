// The digest of a Parquet golden set (`X.digest.parquet` beside `X.parquet`), written by
// `golden create`: one row per block of 65,536 event ids (event_id >> 16) with the block's event
// count, panics, an XOR of per-row hashes of the compared columns and the row's position in the
// events file, its signal count, a sum of per-signal hashes, and its distinct (event, pid) pairs.
// A diff computes the same from the outcomes alone (the golden set's redactions applied), so it
// reads only the golden blocks that differ: every other block holds the golden rows at the golden
// positions. The digest is used only while it is fresh: its key-value metadata records each golden
// file's size, mtime and a SHA-256 of its Parquet footer, and the DuckDB version whose hash() made
// it; anything else and the diff reads the whole set, as without a digest.
//
// A row hash is DuckDB's hash() of the columns hashed again: hash() of several columns XORs a mix
// of the first ones with the last one's hash, so without the second hash two rows trading a value
// would leave an XOR (or, at 2^-32 odds, a sum) unchanged. Rows are distinct by position, so an XOR
// of those hashes differs for any other rows but at 2^-64 odds; signals have no position (two may
// be equal) and are summed.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { Duck, lit } from './duck.js';
import type { Redaction } from './golden.js';

export const DIGEST_MAGIC = '# ras-replay golden digest v1';
/** A block is the event ids with the same event_id >> BLOCK_BITS. */
export const BLOCK_BITS = 16;

/** The digest file of a Parquet golden set: X.parquet -> X.digest.parquet. */
export function goldenDigestFile(events: string): string {
  return events.replace(/\.parquet$/, '.digest.parquet');
}

/**
 * Size, mtime (ns) and the SHA-256 of the Parquet footer (the file metadata: schema, row groups
 * with their statistics and byte offsets, key-value metadata): what a rewrite of the file changes.
 * Null when the file is not Parquet (no `PAR1` trailer).
 */
export function parquetStamp(file: string): string | null {
  const st = statSync(file, { bigint: true });
  const size = Number(st.size);
  if (size < 12) return null;
  const fd = openSync(file, 'r');
  try {
    const tail = Buffer.alloc(8);
    readSync(fd, tail, 0, 8, size - 8);
    if (tail.toString('latin1', 4) !== 'PAR1') return null;
    const len = tail.readUInt32LE(0);
    if (len > size - 12) return null;
    const footer = Buffer.alloc(len);
    readSync(fd, footer, 0, len, size - 8 - len);
    return `${size} ${st.mtimeNs} ${createHash('sha256').update(footer).digest('hex')}`;
  } finally {
    closeSync(fd);
  }
}

/**
 * The compared event columns as the golden set holds them: the outcomes' own values, `*` for a
 * redacted mf_type or mf_result. `rel` has the golden relation's columns and `pos`.
 */
function eventHash(redact: ReadonlySet<Redaction> | null): string {
  const mft = redact?.has('mf_type') ? "'*'" : 'mf_type';
  const mfr = redact?.has('mf_result') ? "'*'" : 'mf_result';
  return `hash(hash(pos::BIGINT, event_id::UBIGINT, panic::BOOLEAN, reboot_loop::BOOLEAN, vmcore::VARCHAR, ${mft}::VARCHAR, ${mfr}::VARCHAR))`;
}

/** A signal as the golden set holds it: tid NULL when redacted, lsb NULL and lsb_any true when lsb is. */
function signalHash(redact: ReadonlySet<Redaction> | null): string {
  if (redact === null) return 'hash(hash(event_id::UBIGINT, pid::UINTEGER, tid::UINTEGER, signo::UTINYINT, si_code::UTINYINT, addr_lsb::UTINYINT, lsb_any::BOOLEAN))';
  const tid = redact.has('tid') ? 'NULL' : 'tid';
  const lsb = redact.has('lsb') ? 'NULL' : 'addr_lsb';
  return `hash(hash(event_id::UBIGINT, pid::UINTEGER, ${tid}::UINTEGER, signo::UTINYINT, si_code::UTINYINT, ${lsb}::UTINYINT, ${redact.has('lsb') ? 'true' : 'false'}::BOOLEAN))`;
}

/**
 * Per (block, keys) of `rel` (golden or outcome columns plus `pos`): count, panics and the XOR of
 * the row hashes. `redact` null: `rel` is the golden set itself; else outcomes, mapped as the set holds them.
 */
export function eventDigestSql(rel: string, redact: ReadonlySet<Redaction> | null, keys: readonly string[] = []): string {
  return `SELECT event_id >> ${BLOCK_BITS} AS b${keys.length ? `, ${keys.join(', ')}` : ''}, count(*) AS n, count(*) FILTER (WHERE panic) AS panics,
    bit_xor(${eventHash(redact)}) AS h FROM ${rel} GROUP BY ALL`;
}

/** Per block of a signal relation: count and hash sum (HUGEINT). */
export function signalDigestSql(rel: string, redact: ReadonlySet<Redaction> | null): string {
  return `SELECT event_id >> ${BLOCK_BITS} AS b, count(*) AS n, sum(${signalHash(redact)}) AS h FROM ${rel} GROUP BY b`;
}

/** Events and signal digests of one side joined into one row per block (b, n, panics, h, sn, sh): the signal sum as text. */
export function blockDigestSql(events: string, signals: string): string {
  return `SELECT coalesce(e.b, s.b) AS b, coalesce(e.n, 0)::UBIGINT AS n, coalesce(e.panics, 0)::UBIGINT AS panics,
    coalesce(e.h, 0)::UBIGINT AS h, coalesce(s.n, 0)::UBIGINT AS sn, coalesce(s.h, 0)::VARCHAR AS sh
    FROM (SELECT b, sum(n) AS n, sum(panics) AS panics, bit_xor(h) AS h FROM (${events}) GROUP BY b) e FULL OUTER JOIN (${signals}) s ON e.b = s.b`;
}

/** The golden events file with each row's position (file_row_number: the order a positional join reads). */
export function goldenEventsWithPos(file: string): string {
  return `(SELECT file_row_number AS pos, event_id::UBIGINT AS event_id, panic, reboot_loop, vmcore::VARCHAR AS vmcore,
    mf_type::VARCHAR AS mf_type, mf_result::VARCHAR AS mf_result FROM read_parquet(${lit(file)}, file_row_number = true))`;
}

function goldenSignals(file: string): string {
  return `(SELECT event_id::UBIGINT AS event_id, pid::UINTEGER AS pid, tid::UINTEGER AS tid, signo::UTINYINT AS signo,
    si_code::UTINYINT AS si_code, addr_lsb::UTINYINT AS addr_lsb, lsb_any FROM read_parquet(${lit(file)}))`;
}

async function duckVersion(db: Duck): Promise<string> {
  return String(await db.scalar('SELECT version()'));
}

/**
 * Write the digest of the golden set whose events and signals are in `eventsTmp` and `sigTmp` (to be
 * renamed to `events` and its signals file: a rename keeps size, mtime and footer) to `digestTmp`.
 */
export async function writeGoldenDigest(db: Duck, eventsTmp: string, sigTmp: string, digestTmp: string, events: string): Promise<void> {
  const ev = parquetStamp(eventsTmp);
  const sg = parquetStamp(sigTmp);
  if (ev === null || sg === null) throw new Error(`${events}: the golden files just written are not Parquet`);
  const kv: Record<string, string> = {
    golden_digest: DIGEST_MAGIC, events: basename(events), block_bits: String(BLOCK_BITS),
    duckdb: await duckVersion(db), events_stamp: ev, signals_stamp: sg,
  };
  const pids = `SELECT event_id >> ${BLOCK_BITS} AS b, count(*) AS pids FROM (SELECT DISTINCT event_id, pid FROM ${goldenSignals(sigTmp)}) GROUP BY b`;
  await db.run(`CREATE OR REPLACE TEMP TABLE golden_digest AS SELECT d.*, coalesce(p.pids, 0)::UBIGINT AS pids
    FROM (${blockDigestSql(eventDigestSql(goldenEventsWithPos(eventsTmp), null), signalDigestSql(goldenSignals(sigTmp), null))}) d
    LEFT JOIN (${pids}) p ON d.b = p.b`);
  try {
    // The rows' own hash, checked when read: a damaged digest is not used.
    kv.blocks_hash = String(await db.scalar(`${DIGEST_ROWS_HASH} golden_digest`));
    await db.run(`COPY (SELECT * FROM golden_digest ORDER BY b)
      TO ${lit(digestTmp)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA {${Object.entries(kv).map(([k, v]) => `${k}: ${lit(v)}`).join(', ')}})`);
  } finally {
    await db.run('DROP TABLE IF EXISTS golden_digest');
  }
}

/** The digest's columns and their types. */
const DIGEST_COLUMNS = 'b UBIGINT, n UBIGINT, panics UBIGINT, h UBIGINT, sn UBIGINT, sh VARCHAR, pids UBIGINT';
const DIGEST_ROWS_HASH = 'SELECT count(*)::VARCHAR || \' \' || coalesce(sum(hash(hash(b, n, panics, h, sn, sh, pids))), 0)::VARCHAR FROM';

/**
 * The digest of a golden set as a relation (b, n, panics, h, sn, sh, pids), or null when there is
 * none or it is stale (a golden file rewritten since, another DuckDB version, another layout).
 */
export async function readGoldenDigest(db: Duck, events: string, signals: string): Promise<string | null> {
  const file = goldenDigestFile(events);
  if (file === events || !existsSync(file) || !existsSync(signals)) return null;
  let kv: Record<string, string>;
  try {
    kv = Object.fromEntries((await db.rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${lit(file)})`)).map((r) => [String(r.k), String(r.v)]));
    if (kv.golden_digest !== DIGEST_MAGIC || kv.events !== basename(events) || kv.block_bits !== String(BLOCK_BITS)) return null;
    if (kv.duckdb !== (await duckVersion(db))) return null;
    if (kv.events_stamp !== parquetStamp(events) || kv.signals_stamp !== parquetStamp(signals)) return null;
    const cols = (await db.rows(`DESCRIBE SELECT * FROM read_parquet(${lit(file)})`)).map((r) => `${r.column_name} ${r.column_type}`).join(', ');
    if (cols !== DIGEST_COLUMNS) return null;
    if (String(await db.scalar(`${DIGEST_ROWS_HASH} read_parquet(${lit(file)})`)) !== kv.blocks_hash) return null;
  } catch {
    return null; // not Parquet, or damaged: no digest
  }
  return `read_parquet(${lit(file)})`;
}
