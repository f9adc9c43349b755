// `ras-replay merge`: read the outputs of N shard jobs (hive layout profile=…/shard=…, Parquet) back
// as one dataset in a DuckDB file, after checking that the shard set is complete and consistent.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbApi } from './duckdb-api.js';
import { InputError } from './errors.js';
import { parquetGlob, parquetTree, type RunTable } from './layout.js';

interface Manifest {
  shard: number;
  count: number;
  trace_sha256: string;
  profiles: string[];
  events: number;
  parquet: boolean;
}

export interface MergeSummary {
  shards: number;
  events: number;
  outcomes: number;
  signals: number;
}

/**
 * The shard files could not be read as one table: find the file DuckDB cannot read on its own
 * (a damaged or cut Parquet file) and name it; else name the folder with DuckDB's message.
 */
async function damagedShard(con: DuckDBConnection, tableDir: string, dir: string, cause: unknown): Promise<InputError> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.parquet')) files.push(p);
    }
  };
  if (existsSync(tableDir)) walk(tableDir);
  const first = (e: unknown) => String((e as Error).message).split('\n')[0];
  for (const f of files.sort()) {
    try {
      await con.run(`CREATE OR REPLACE TEMP TABLE probe AS SELECT * FROM read_parquet('${f.replace(/'/g, "''")}')`);
    } catch (e) {
      return new InputError(`${f}: damaged shard output: not a readable Parquet file (${first(e)}): expected the file \`run --shard i/N --parquet\` wrote; rerun that shard`, f, undefined, undefined, { cause: e });
    }
  }
  await con.run('DROP TABLE IF EXISTS probe');
  return new InputError(`${dir}: the shard outputs under ${tableDir} do not read as one table (${first(cause)}): expected the files of one \`run --shard i/N --parquet\` set`, dir, undefined, undefined, { cause });
}

/** The fields `merge` reads, with the types `run --shard` writes them. */
function checkManifest(m: unknown, where: string): asserts m is Manifest {
  const o = m as Record<string, unknown>;
  const fail = (k: string, expected: string): never => {
    let v: string;
    try { v = JSON.stringify(o?.[k]) ?? 'absent'; } catch { v = '(unprintable)'; }
    throw new InputError(`${where}: key ${k}: value ${v.length > 60 ? `${v.slice(0, 57)}...` : v}: expected ${expected} (a manifest written by \`run --shard i/N\`)`, where, undefined, k);
  };
  if (typeof o !== 'object' || o === null || Array.isArray(o)) fail('(top)', 'a JSON object');
  const int = (k: string, min: number) => { if (!Number.isSafeInteger(o[k]) || (o[k] as number) < min) fail(k, `a whole number ≥ ${min}`); };
  int('count', 1); int('shard', 0); int('events', 0);
  if ((o.shard as number) >= (o.count as number)) fail('shard', `a shard index below count ${o.count}`);
  if (typeof o.trace_sha256 !== 'string') fail('trace_sha256', 'a SHA-256 string');
  if (!Array.isArray(o.profiles) || !o.profiles.every((p) => typeof p === 'string')) fail('profiles', 'a list of profile names');
  if (typeof o.parquet !== 'boolean') fail('parquet', 'true or false');
}

export async function mergeShards(dir: string, dbFile: string): Promise<MergeSummary> {
  const root = resolve(dir);
  const mdir = join(root, '_shards');
  if (!existsSync(mdir)) throw new InputError(`${dir}: no _shards/ folder: expected the output folder of \`run --shard i/N --parquet\` jobs`, dir);
  const names = readdirSync(mdir).filter((f) => /^\d+-of-\d+\.json$/.test(f)).sort();
  const manifests: Manifest[] = names.map((f) => {
    let m: Manifest;
    try {
      // Strict UTF-8: the manifests are read again by DuckDB's read_json, which refuses invalid bytes.
      m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(join(mdir, f)))) as Manifest;
    } catch (e) {
      throw new InputError(`${join(mdir, f)}: unreadable shard manifest: ${(e as Error).message}: expected the JSON (UTF-8) \`run --shard i/N\` wrote`, join(mdir, f));
    }
    checkManifest(m, join(mdir, f));
    return m;
  });
  if (!manifests.length) throw new InputError(`${mdir}: no shard manifests`, mdir);
  const count = manifests[0]!.count;
  const first = manifests[0]!;
  // A disagreement names both manifests: either of them may be the damaged one.
  const firstWhere = join(mdir, names[0]!);
  manifests.forEach((m, i) => {
    const where = join(mdir, names[i]!);
    if (m.count !== count) throw new InputError(`${where}: shard count ${m.count}: expected ${count}, as in ${firstWhere}`, where);
    if (m.trace_sha256 !== first.trace_sha256) throw new InputError(`${where}: trace_sha256 ${m.trace_sha256}: expected ${first.trace_sha256}, as in ${firstWhere} (all shards must replay the same trace)`, where);
    if (m.profiles.join(',') !== first.profiles.join(',')) throw new InputError(`${where}: profiles ${m.profiles.join(',')}: expected ${first.profiles.join(',')}, as in ${firstWhere}`, where);
    if (!m.parquet) throw new InputError(`${where}: the shard was run without --parquet: expected Parquet outputs to merge`, where);
  });
  const have = new Set(manifests.map((m) => m.shard));
  const missing = [...Array(count).keys()].filter((i) => !have.has(i));
  if (missing.length) throw new InputError(`${mdir}: shards ${missing.join(', ')} of ${count} are missing: expected every shard 0..${count - 1}`, mdir);

  const tmp = `${dbFile}.tmp-${process.pid}-${Date.now()}`;
  const inst = await duckdbApi.DuckDBInstance.create(tmp);
  const con = await inst.connect();
  try {
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const glob = (t: RunTable) => q(parquetGlob(root, t));
    for (const t of ['outcomes', 'signals'] as const) {
      try {
        await con.run(`CREATE TABLE ${t} AS SELECT * FROM read_parquet(${glob(t)}, hive_partitioning = true)`);
      } catch (e) {
        throw await damagedShard(con, parquetTree(root, t), dir, e);
      }
    }
    try {
      await con.run(`CREATE TABLE shards AS SELECT * FROM read_json(${q(join(mdir, '*.json'))})`);
    } catch (e) {
      throw new InputError(`${mdir}: the shard manifests do not read as one table (${String((e as Error).message).split('\n')[0]}): expected the manifests \`run --shard i/N\` wrote`, mdir, undefined, undefined, { cause: e });
    }
    const n = (await con.runAndReadAll('SELECT (SELECT count(*) FROM outcomes)::BIGINT, (SELECT count(*) FROM signals)::BIGINT')).getRows()[0]!;
    const events = manifests.reduce((a, m) => a + m.events, 0);
    const outcomes = Number(n[0]);
    if (outcomes !== events * first.profiles.length) {
      throw new InputError(`${dir}: ${outcomes} outcome rows: expected ${events * first.profiles.length} (events × profiles from the manifests)`, dir);
    }
    con.closeSync();
    inst.closeSync();
    rmSync(dbFile, { force: true });
    renameSync(tmp, dbFile);
    return { shards: count, events, outcomes, signals: Number(n[1]) };
  } catch (e) {
    con.closeSync();
    inst.closeSync();
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.wal`, { force: true });
    throw e;
  }
}
