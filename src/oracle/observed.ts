// Observed vs simulated: what a real machine did (the observed outcome columns an importer keeps)
// against what a profile's replay says, as agreement per decision path. Fields a source could not
// observe (null) are not compared. Observed signals carry the thread id the kernel printed, so an
// observed signal matches a simulated one to the same pid or tid with the same signo, and the same
// si_code where the source printed it.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ObservedRow } from '../import/common.js';
import { scratchDir, tempNameFor } from '../io/atomic.js';
import { InputError } from '../io/errors.js';
import { Duck, lit, num } from './duck.js';
import { OutcomeSource } from './sources.js';

/**
 * The observed outcomes of an imported trace, as Parquet next to it (`X.observed.parquet`), with
 * each event's `where` (the source lines) and `note` when `events` (same order) are given: the
 * Arrow trace has no column for them, and `explain` shows them next to the replay.
 */
export async function writeObserved(file: string, rows: readonly ObservedRow[], events?: readonly { where: string; note: string }[]): Promise<void> {
  await writeObservedLines(file, rows.length, (i) => {
    const r = rows[i]!;
    return JSON.stringify({
      event_id: r.eventId.toString(), host: r.host, where: events?.[i]?.where ?? null, note: events?.[i]?.note ?? null,
      inferred: r.inferred, panic: r.panic, panic_msg: r.panicMsg, mf_type: r.mfType, mf_result: r.mfResult,
      signals: r.signals === null ? null : r.signals.map((s) => ({ pid: s.pid, tid: s.tid, signo: s.signo, si_code: s.siCode, addr: s.addr, addr_lsb: s.lsb })),
    });
  });
}

/** The observed outcomes of an import, written from its columns (ImportedEvents: one line at a time, no row objects). */
export async function writeObservedTable(file: string, table: { count: number; observedJson(r: number): string }): Promise<void> {
  await writeObservedLines(file, table.count, (r) => table.observedJson(r));
}

/** Row i's NDJSON line (writeObserved's object layout) for i in [0, count), through DuckDB to Parquet. */
async function writeObservedLines(file: string, count: number, line: (i: number) => string): Promise<void> {
  const dir = scratchDir('ras-replay-obs-');
  const nd = join(dir, 'obs.ndjson');
  const fd = openSync(nd, 'w');
  try {
    const buf: string[] = [];
    for (let i = 0; i < count; i++) {
      buf.push(`${line(i)}\n`);
      if (buf.length >= 4096) writeSync(fd, buf.splice(0).join(''));
    }
    if (buf.length) writeSync(fd, buf.join(''));
  } finally {
    closeSync(fd);
  }
  const db = await Duck.open();
  const tmp = tempNameFor(file);
  try {
    await db.run(`COPY (SELECT * FROM read_json(${lit(nd)}, format = 'newline_delimited', columns = {event_id: 'UBIGINT', host: 'VARCHAR', "where": 'VARCHAR', note: 'VARCHAR', inferred: 'VARCHAR[]',
      panic: 'BOOLEAN', panic_msg: 'VARCHAR', mf_type: 'VARCHAR', mf_result: 'VARCHAR',
      signals: 'STRUCT(pid UINTEGER, tid UINTEGER, signo UTINYINT, si_code UTINYINT, addr UBIGINT, addr_lsb UTINYINT)[]'})) TO ${lit(tmp)} (FORMAT parquet)`);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Agreement {
  path: string;
  events: number;
  panicChecked: number;
  panicAgree: number;
  mfChecked: number;
  mfAgree: number;
  signalsChecked: number;
  signalsAgree: number;
}

export interface ObservedResult {
  profile: string;
  events: number;
  matched: number;
  total: Agreement;
  byPath: Agreement[];
  /** Share of compared fields that agree (null: nothing comparable). */
  agreement: number | null;
}

export async function diffObserved(outcomes: string, observed: string, profiles: string[]): Promise<ObservedResult[]> {
  const db = await Duck.open();
  const src = new OutcomeSource(outcomes);
  try {
    await src.open(db, profiles);
    try {
      await db.run(`CREATE TEMP TABLE obs AS SELECT * FROM read_parquet(${lit(observed)})`);
    } catch (e) {
      throw new InputError(`${observed}: cannot read the observed outcomes (the .observed.parquet \`ras-replay import\` writes): ${(e as Error).message}`, observed);
    }
    const have = await src.profiles(db);
    const out: ObservedResult[] = [];
    for (const p of profiles.length ? profiles : have) {
      // An empty trace (a log without RAS events) has no outcome rows under any profile: nothing to disagree with.
      if (!have.includes(p) && have.length > 0) throw new InputError(`${outcomes}: no outcomes for profile ${JSON.stringify(p)}: it holds ${have.join(', ')}`, outcomes);
      await src.view(db, 'act', p);
      const rows = await db.rows(`
        WITH s AS (
          SELECT o.event_id, bool_and(EXISTS (SELECT 1 FROM act_sig a WHERE a.event_id = o.event_id AND (a.pid = x.pid OR a.tid = x.pid)
            AND a.signo = x.signo AND (x.si_code IS NULL OR a.si_code = x.si_code))) AS all_found
          FROM obs o, unnest(o.signals) AS t(x) GROUP BY o.event_id),
        ev AS (
          SELECT a.path, o.panic IS NOT NULL AS pc, o.panic = a.panic AS pa,
            o.mf_result IS NOT NULL AS mc, (o.mf_result = a.mf_result AND (o.mf_type IS NOT DISTINCT FROM a.mf_type
              -- MF_MSG_ALREADY_POISONED: the tracepoint prints "already poisoned" (memory-failure.h),
              -- printk "already poisoned page" since v6.17 (3be306cccdcc): one page type.
              OR (o.mf_type IN ('already poisoned', 'already poisoned page') AND a.mf_type IN ('already poisoned', 'already poisoned page')))) AS ma,
            o.signals IS NOT NULL AS sc,
            (len(o.signals) = (SELECT count(*) FROM act_sig z WHERE z.event_id = a.event_id) AND coalesce(s.all_found, true)) AS sa
          FROM act a JOIN obs o USING (event_id) LEFT JOIN s USING (event_id))
        SELECT path, count(*) AS events, count(*) FILTER (WHERE pc) AS pc, count(*) FILTER (WHERE pc AND pa) AS pa,
          count(*) FILTER (WHERE mc) AS mc, count(*) FILTER (WHERE mc AND ma) AS ma,
          count(*) FILTER (WHERE sc) AS sc, count(*) FILTER (WHERE sc AND sa) AS sa
        FROM ev GROUP BY path ORDER BY path`);
      const byPath: Agreement[] = rows.map((r) => ({
        path: String(r.path), events: num(r.events), panicChecked: num(r.pc), panicAgree: num(r.pa), mfChecked: num(r.mc), mfAgree: num(r.ma),
        signalsChecked: num(r.sc), signalsAgree: num(r.sa),
      }));
      const total: Agreement = { path: '(all)', events: 0, panicChecked: 0, panicAgree: 0, mfChecked: 0, mfAgree: 0, signalsChecked: 0, signalsAgree: 0 };
      for (const a of byPath) for (const k of Object.keys(total) as (keyof Agreement)[]) if (k !== 'path') (total[k] as number) += a[k] as number;
      const checked = total.panicChecked + total.mfChecked + total.signalsChecked;
      out.push({
        profile: p, events: num(await db.scalar('SELECT count(*) FROM act')), matched: total.events, total, byPath,
        agreement: checked ? (total.panicAgree + total.mfAgree + total.signalsAgree) / checked : null,
      });
    }
    return out;
  } finally {
    db.close();
    src.dispose();
  }
}

export function observedText(rs: ObservedResult[]): string {
  const pct = (a: number, c: number) => (c ? `${a}/${c} (${((100 * a) / c).toFixed(1)}%)` : '-');
  const lines: string[] = [];
  for (const r of rs) {
    lines.push(`profile ${r.profile}: ${r.matched} of ${r.events} events observed, agreement ${r.agreement === null ? '-' : `${(r.agreement * 100).toFixed(1)}%`}`);
    lines.push(`  ${'path'.padEnd(44)} ${'panic'.padStart(16)} ${'memory_failure'.padStart(16)} ${'signals'.padStart(16)}`);
    for (const a of [...r.byPath, r.total]) {
      lines.push(`  ${a.path.padEnd(44)} ${pct(a.panicAgree, a.panicChecked).padStart(16)} ${pct(a.mfAgree, a.mfChecked).padStart(16)} ${pct(a.signalsAgree, a.signalsChecked).padStart(16)}`);
    }
  }
  const best = [...rs].filter((r) => r.agreement !== null).sort((a, b) => b.agreement! - a.agreement!)[0];
  if (rs.length > 1 && best) lines.push(`closest profile: ${best.profile} (${(best.agreement! * 100).toFixed(1)}% of observed fields agree)`);
  return `${lines.join('\n')}\n`;
}

/** One event's row of an observed-outcome file, for `explain`. */
export interface ObservedLine {
  where: string | null;
  note: string | null;
  panic: boolean | null;
  panicMsg: string | null;
  mfType: string | null;
  mfResult: string | null;
  signals: { pid: number; signo: number; siCode: number | null }[] | null;
}

/** The observed outcome of one event from `X.observed.parquet` (null when the file has no such event). */
export async function readObservedEvent(file: string, eventId: bigint): Promise<ObservedLine | null> {
  const db = await Duck.open();
  try {
    const cols = (await db.rows(`DESCRIBE SELECT * FROM read_parquet(${lit(file)})`)).map((r) => String(r.column_name));
    const pick = (c: string): string => (cols.includes(c) ? `"${c}"` : `NULL AS "${c}"`);
    const rows = await db.rows(`SELECT ${pick('where')}, ${pick('note')}, panic, panic_msg, mf_type, mf_result,
      CASE WHEN signals IS NULL THEN NULL ELSE to_json(signals)::VARCHAR END AS sig
      FROM read_parquet(${lit(file)}) WHERE event_id = ${eventId.toString()}`);
    const r = rows[0];
    if (!r) return null;
    const sig = r.sig === null || r.sig === undefined ? null : (JSON.parse(String(r.sig)) as { pid: number; signo: number; si_code: number | null }[]);
    const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
    return {
      where: str(r.where), note: str(r.note), panic: r.panic === null || r.panic === undefined ? null : Boolean(r.panic), panicMsg: str(r.panic_msg),
      mfType: str(r.mf_type), mfResult: str(r.mf_result),
      signals: sig === null ? null : sig.map((x) => ({ pid: x.pid, signo: x.signo, siCode: x.si_code })),
    };
  } catch (e) {
    throw new InputError(`${file}: cannot read the observed outcomes: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
  } finally {
    db.close();
  }
}
