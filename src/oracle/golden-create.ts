// `golden create`: a golden file from outcomes (accepting what a run did, for large captured or
// generated sets) or from the ideal policy (what a correct stack does, for any trace). Text for
// small sets, Parquet for large ones; both written to a temp name and renamed.
//
// Curated suites are NOT made this way: their expectations are written by reasoning from the kernel
// source (see docs/golden-format.md); `--from outcomes` is for sets nobody can review row by row.
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { writeFileAtomic, tempNameFor } from '../io/atomic.js';
import { InputError } from '../io/errors.js';
import { newTraceDicts } from '../io/arrow-trace.js';
import type { TraceEvent } from '../io/trace.js';
import { eventFromColumns } from '../columns/events.js';
import { openTraceSource } from '../engine/source.js';
import { Duck, lit } from './duck.js';
import { goldenDigestFile, writeGoldenDigest } from './golden-digest.js';
import { formatGolden, GOLDEN_MAGIC, GoldenRow, Redaction } from './golden.js';
import { IDEAL_VERSION, IdealPolicy } from './ideal.js';
import { goldenKind, goldenSignalsFile, GoldenTableWriter, OutcomeSource } from './sources.js';

/** Text golden files are for sets a person reviews; beyond this, Parquet. */
export const TEXT_GOLDEN_MAX_ROWS = 100_000;

export interface CreateResult {
  file: string;
  rows: number;
  signals: number;
  seconds: number;
}

/**
 * A Parquet golden set is two files: the events (`X.parquet`: one row per event, sorted by event_id,
 * key-value metadata naming the signals file) and its signals beside it (`X.signals.parquet`: one
 * row per expected signal, sorted by event_id). Kept apart, the diff reads signals without unnesting
 * a list column of every event. Outcomes already in event_id order (a generated trace, a run of
 * one shard) are copied as they stream (no sort); otherwise DuckDB sorts them within its memory
 * limit, spilling to a folder inside the output's folder that is removed afterwards.
 * The signals file is written first, then the block digest (golden-digest.ts) made from both, and
 * the events file last: a set without its events file is not a golden set.
 */
async function writeParquetGolden(db: Duck, out: string, meta: Record<string, string>): Promise<void> {
  const sigOut = goldenSignalsFile(out);
  const tmp = tempNameFor(out);
  const sigTmp = tempNameFor(sigOut);
  const digestOut = goldenDigestFile(out);
  const digestTmp = tempNameFor(digestOut);
  const sorted = Number(await db.scalar('SELECT count(*) FILTER (WHERE event_id < prev) FROM (SELECT event_id, lag(event_id) OVER () AS prev FROM gold)')) === 0;
  const kv = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k}: ${lit(v)}`).join(', ');
  try {
    await db.run(`COPY (SELECT event_id, pid, tid, signo, si_code, addr_lsb, lsb_any FROM gold_sig
      ORDER BY event_id, pid, tid NULLS FIRST, signo, si_code, addr_lsb NULLS FIRST)
      TO ${lit(sigTmp)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA {${kv({ golden_signals: GOLDEN_MAGIC, events: basename(out) })}})`);
    await db.run(`COPY (SELECT event_id, panic, reboot_loop, vmcore, mf_type, mf_result FROM gold ${sorted ? '' : 'ORDER BY event_id'})
      TO ${lit(tmp)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA {${kv({ golden: GOLDEN_MAGIC, signals: basename(sigOut), ...meta })}})`);
    // The digest is made from the files as written (the diff's fast path, golden-digest.ts).
    await writeGoldenDigest(db, tmp, sigTmp, digestTmp, out);
    renameSync(sigTmp, sigOut);
    renameSync(digestTmp, digestOut);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    rmSync(sigTmp, { force: true });
    rmSync(digestTmp, { force: true });
    throw e;
  }
}

/** DuckDB for golden create: a bounded memory limit, spilling inside the output's folder. */
function createDb(out: string): Promise<Duck> {
  mkdirSync(dirname(resolve(out)), { recursive: true });
  return Duck.open(':memory:', { memoryLimit: '512MB', tempIn: dirname(resolve(out)) });
}

async function writeTextGolden(db: Duck, out: string, head: string[]): Promise<number> {
  const n = Number(await db.scalar('SELECT count(*) FROM gold'));
  if (n > TEXT_GOLDEN_MAX_ROWS) throw new InputError(`${out}: ${n} rows are too many for a text golden file (at most ${TEXT_GOLDEN_MAX_ROWS}): write .parquet`, out);
  const rows = await db.rows('SELECT * FROM gold ORDER BY event_id');
  const sigs = await db.rows('SELECT * FROM gold_sig ORDER BY event_id, pid, tid NULLS FIRST, signo, si_code');
  const byId = new Map<bigint, GoldenRow>();
  for (const r of rows) {
    const id = BigInt(r.event_id as bigint);
    byId.set(id, {
      eventId: id, line: 0, panic: r.panic === true, rebootLoop: r.reboot_loop === true, vmcore: String(r.vmcore),
      mfType: r.mf_type === null ? '-' : String(r.mf_type), mfResult: r.mf_result === null ? '-' : String(r.mf_result), signals: [],
    });
  }
  for (const s of sigs) {
    byId.get(BigInt(s.event_id as bigint))?.signals.push({
      pid: Number(s.pid), tid: s.tid === null ? null : Number(s.tid), signo: Number(s.signo), siCode: Number(s.si_code),
      lsb: s.addr_lsb === null ? null : Number(s.addr_lsb), ...(s.lsb_any === true ? { lsbAny: true } : {}),
    });
  }
  writeFileAtomic(out, formatGolden(head, byId.values()));
  return n;
}

function headFor(meta: Record<string, string>): string[] {
  return Object.entries(meta).map(([k, v]) => `# ${k}: ${v}`);
}

/** Golden rows from a run's outcomes (one profile), with redactions. */
export async function createFromOutcomes(source: string, out: string, o: { profile?: string; redact?: Redaction[] } = {}): Promise<CreateResult> {
  const t0 = performance.now();
  const kind = goldenKind(out);
  const db = await createDb(out);
  const src = new OutcomeSource(source);
  try {
    await src.open(db, o.profile ? [o.profile] : []);
    const have = await src.profiles(db);
    const profile = o.profile ?? (have.length === 1 ? have[0] : undefined);
    if (!profile || !have.includes(profile)) throw new InputError(`${source}: holds outcomes of ${have.join(', ') || 'no profile'}: choose one with --profile`, source);
    await src.view(db, 'act', profile);
    const r = new Set(o.redact ?? []);
    await db.run(`CREATE TEMP VIEW gold AS SELECT event_id, panic, reboot_loop, vmcore,
      ${r.has('mf_type') ? "'*'" : 'mf_type'} AS mf_type, ${r.has('mf_result') ? "'*'" : 'mf_result'} AS mf_result FROM act`);
    await db.run(`CREATE TEMP VIEW gold_sig AS SELECT event_id, pid, ${r.has('tid') ? 'NULL::UINTEGER' : 'tid'} AS tid, signo, si_code,
      ${r.has('lsb') ? 'NULL::UTINYINT' : 'addr_lsb'} AS addr_lsb, ${r.has('lsb') ? 'true' : 'false'} AS lsb_any FROM act_sig`);
    const meta: Record<string, string> = { profile, source: `outcomes of ${source}` };
    if (r.size) meta.redact = [...r].join(', ');
    const rows = kind === 'parquet' ? (await writeParquetGolden(db, out, meta), Number(await db.scalar('SELECT count(*) FROM gold'))) : await writeTextGolden(db, out, headFor(meta));
    return { file: out, rows, signals: Number(await db.scalar('SELECT count(*) FROM gold_sig')), seconds: (performance.now() - t0) / 1000 };
  } finally {
    src.dispose();
    db.close();
  }
}

/** Golden rows from the ideal policy for every event of a trace (CSV or Arrow). */
export async function createFromIdeal(trace: string, out: string): Promise<CreateResult> {
  const t0 = performance.now();
  const kind = goldenKind(out);
  const db = await createDb(out);
  try {
    const w = new GoldenTableWriter();
    const policy = new IdealPolicy();
    const dicts = newTraceDicts();
    const src = openTraceSource(trace, dicts, 65536, undefined, /\.csv(\.gz)?$/.test(trace));
    const e = { where: '', note: '' } as TraceEvent;
    const cache: number[][] = [];
    for await (const b of src.batches()) {
      const c = b.cols;
      for (let i = 0; i < c.n; i++) {
        eventFromColumns(c, i, { hosts: dicts.hosts.names, comms: dicts.comms.names }, dicts.mappers, e, cache);
        w.add(policy.expect(e));
      }
    }
    const { rows, signals } = w;
    await w.load(db, 'gold');
    const meta = { profile: 'ideal', source: `${IDEAL_VERSION} over ${trace}` };
    if (kind === 'parquet') await writeParquetGolden(db, out, meta);
    else await writeTextGolden(db, out, headFor(meta));
    return { file: out, rows, signals, seconds: (performance.now() - t0) / 1000 };
  } finally {
    db.close();
  }
}
