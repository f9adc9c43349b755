// The oracle's jobs over files: diff outcomes against a golden file, compare two profiles.
import { existsSync } from 'node:fs';
import { InputError } from '../io/errors.js';
import { loadProfile } from '../io/profile-file.js';
import { TRACE_COLUMNS } from '../io/trace.js';
import { Duck, lit } from './duck.js';
import { diffRelations, DiffResult } from './diff.js';
import { compareViews, CompareResult, type CompareSwitch } from './compare.js';
import { changeSummary, switchDifferences } from '../model/kernel-changes.js';
import { builtinSources } from '../model/profiles.js';
import { openGolden, OutcomeSource } from './sources.js';
import { coveredProfiles } from './golden-index.js';

export interface DiffFilesOptions {
  outcomes: string;
  golden: string;
  profile?: string;
  by?: string[];
  examples?: number;
  /** The trace, for --by on trace columns and for the explain steps of examples. */
  trace?: string;
  memoryLimit?: string;
  /** Parallel event_id ranges of the positional join (diff.ts). */
  ranges?: number;
}

/** Pick the profile to read: the one asked for, the golden file's, or the only one present. */
async function chooseProfile(db: Duck, src: OutcomeSource, asked: string | undefined, where: string, alternatives: string[] = []): Promise<string> {
  const have = await src.profiles(db);
  if (asked) {
    // A golden file covering several profiles (# profiles:) fits the outcomes of exactly one of them.
    const alt = have.includes(asked) ? [] : alternatives.filter((a) => have.includes(a));
    if (alt.length === 1) return alt[0]!;
    if (!have.includes(asked)) throw new InputError(`${src.spec}: no outcomes for profile ${JSON.stringify(asked)} (${where}): it holds ${have.join(', ') || 'no outcomes'}`, src.spec);
    return asked;
  }
  if (have.length === 1) return have[0]!;
  throw new InputError(`${src.spec}: holds outcomes of ${have.length} profiles (${have.join(', ')}): choose one with --profile`, src.spec);
}

async function registerTrace(db: Duck, trace: string | undefined): Promise<{ relation: string | null; columns: string[] }> {
  if (!trace) return { relation: null, columns: [] };
  if (!existsSync(trace)) throw new InputError(`${trace}: no such trace file`, trace);
  if (/\.csv(\.gz)?$/.test(trace)) {
    await db.run(`CREATE OR REPLACE TEMP VIEW tr AS SELECT * REPLACE (event_id::UBIGINT AS event_id) FROM read_csv(${lit(trace)}, header = true, all_varchar = true)`);
  } else if (trace.endsWith('.parquet')) {
    await db.run(`CREATE OR REPLACE TEMP VIEW tr AS SELECT * REPLACE (event_id::UBIGINT AS event_id) FROM read_parquet(${lit(trace)})`);
  } else {
    // DuckDB cannot read Arrow IPC here (its arrow extension is not bundled with @duckdb/node-api).
    return { relation: null, columns: [] };
  }
  const cols = (await db.rows('DESCRIBE tr')).map((r) => String(r.column_name)).filter((c) => (TRACE_COLUMNS as readonly string[]).includes(c) && c !== 'event_id');
  return { relation: 'tr', columns: cols };
}

export async function diffFiles(o: DiffFilesOptions): Promise<DiffResult> {
  const db = await Duck.open(':memory:', { memoryLimit: o.memoryLimit ?? '2GB' });
  const src = new OutcomeSource(o.outcomes);
  try {
    const golden = await openGolden(db, o.golden);
    // An ideal golden file names no kernel profile: the outcomes' own profile (or --profile) is meant.
    const asked = o.profile ?? (golden.meta.profile === 'ideal' ? undefined : golden.meta.profile);
    await src.open(db, asked ? [asked] : []);
    const covered = o.profile || golden.meta.profile === 'ideal' ? [] : coveredProfiles(golden.meta, o.golden);
    const profile = await chooseProfile(db, src, asked ? profileName(asked) : undefined, o.profile ? '--profile' : `profile of ${o.golden}`, covered);
    await src.view(db, 'act', profile);
    const tr = await registerTrace(db, o.trace);
    if (o.by?.some((b) => !tr.columns.includes(b)) && o.trace && !tr.relation) {
      throw new InputError(`${o.trace}: --by on trace columns needs a .csv or .parquet trace (DuckDB cannot read Arrow IPC here): convert it or group by outcome columns`, o.trace);
    }
    // The golden digest applies when the outcomes' positions are known (one Parquet file).
    const pos = golden.digest ? await src.positional(db, profile) : null;
    const digest = golden.digest && pos ? { blocks: golden.digest.blocks, golden: golden.digest.events, outcomes: pos, redact: golden.redact } : null;
    const r = await diffRelations(db, { outcomes: o.outcomes, golden: o.golden, profile }, {
      by: o.by, examples: o.examples, traceRelation: tr.relation, traceColumns: tr.columns, ranges: o.ranges, digest,
    });
    if (o.trace && /\.csv(\.gz)?$/.test(o.trace) && r.examples.length) {
      // The CSV reader and the engine load only for examples explained from a CSV trace.
      const { readTraceCsv } = await import('../io/csv-trace.js');
      const { explainEvent } = await import('../engine/replay-events.js');
      const events = readTraceCsv(o.trace, { sort: true });
      let prof;
      try {
        prof = loadProfile(profile);
      } catch {
        prof = null; // outcomes of a profile file not at hand: examples without steps
      }
      if (prof) for (const e of r.examples) e.explain = explainEvent(events, e.eventId, prof)?.lines ?? [];
    }
    return r;
  } catch (e) {
    throw duckInputError(e, `diff ${o.outcomes} against ${o.golden}${o.trace ? ` (trace ${o.trace})` : ''}`);
  } finally {
    db.close();
    src.dispose();
  }
}

/**
 * DuckDB errors while reading the user's files (a damaged Parquet page, a value that does not
 * convert) are the input's fault: named as such, with DuckDB's first line. Other errors pass.
 */
export function duckInputError(e: unknown, what: string): unknown {
  if (e instanceof InputError || !(e instanceof Error)) return e;
  const m = /^(Invalid Input Error|Invalid Error|IO Error|Conversion Error|Serialization Error|Out of Range Error): (.*)/.exec(e.message);
  if (!m) return e;
  return new InputError(`${what}: cannot read the input: ${m[1]}: ${m[2]!.split('\n')[0]}`, undefined, undefined, undefined, { cause: e });
}

export interface CompareFilesOptions {
  source: string;
  a: string;
  b: string;
  examples?: number;
}

export async function compareFiles(o: CompareFilesOptions): Promise<CompareResult> {
  if (o.a === o.b) throw new InputError(`compare: profile A and profile B are both ${JSON.stringify(o.a)}`);
  const db = await Duck.open();
  const src = new OutcomeSource(o.source);
  try {
    await src.open(db, [o.a, o.b]);
    const pa = await chooseProfile(db, src, profileName(o.a), '--a');
    const pb = await chooseProfile(db, src, profileName(o.b), '--b');
    await src.view(db, 'pa', pa);
    await src.view(db, 'pb', pb);
    const r = await compareViews(db, pa, pb, o.examples ?? 3);
    return { ...r, switches: compareSwitches(o.a, o.b) };
  } finally {
    db.close();
    src.dispose();
  }
}

/**
 * The switches that differ between the profiles A and B (given by name or file), with the table's
 * commit, releases and backports and why each profile has its value; null when either cannot be
 * loaded here (outcomes of a profile file not at hand).
 */
function compareSwitches(a: string, b: string): CompareSwitch[] | null {
  let pa, pb;
  try {
    pa = loadProfile(a);
    pb = loadProfile(b);
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
  const why = (ref: string) => (ref.endsWith('.json') ? null : builtinSources(ref));
  const ra = why(a);
  const rb = why(b);
  return switchDifferences(pa.switches, pb.switches).map((d) => ({
    switch: d.switch,
    a: d.a,
    b: d.b,
    title: d.change.title,
    table: changeSummary(d.change),
    reasonA: ra?.find((s) => s.switch === d.switch)?.reason ?? null,
    reasonB: rb?.find((s) => s.switch === d.switch)?.reason ?? null,
  }));
}

/** The name outcomes carry for a profile given by name or file. */
function profileName(ref: string): string {
  return ref.endsWith('.json') ? loadProfile(ref).name : ref;
}
