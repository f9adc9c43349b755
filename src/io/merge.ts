// `ras-replay merge`: read the outputs of N shard jobs (hive layout profile=…/shard=…, Parquet) back
// as one dataset in a DuckDB file, after checking that the shard set is complete and consistent.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { InputError } from './errors.js';
import { parquetGlob, type RunTable } from './layout.js';

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

export async function mergeShards(dir: string, dbFile: string): Promise<MergeSummary> {
  const root = resolve(dir);
  const mdir = join(root, '_shards');
  if (!existsSync(mdir)) throw new InputError(`${dir}: no _shards/ folder: expected the output folder of \`run --shard i/N --parquet\` jobs`, dir);
  const manifests: Manifest[] = readdirSync(mdir).filter((f) => /^\d+-of-\d+\.json$/.test(f)).map((f) => {
    try {
      return JSON.parse(readFileSync(join(mdir, f), 'utf8')) as Manifest;
    } catch (e) {
      throw new InputError(`${join(mdir, f)}: unreadable shard manifest: ${(e as Error).message}`, join(mdir, f));
    }
  });
  if (!manifests.length) throw new InputError(`${mdir}: no shard manifests`, mdir);
  const count = manifests[0]!.count;
  const first = manifests[0]!;
  for (const m of manifests) {
    const where = join(mdir, `${m.shard}-of-${m.count}.json`);
    if (m.count !== count) throw new InputError(`${where}: shard count ${m.count}: expected ${count}, as in the other manifests`, where);
    if (m.trace_sha256 !== first.trace_sha256) throw new InputError(`${where}: trace_sha256 ${m.trace_sha256}: expected ${first.trace_sha256} (all shards must replay the same trace)`, where);
    if (m.profiles.join(',') !== first.profiles.join(',')) throw new InputError(`${where}: profiles ${m.profiles.join(',')}: expected ${first.profiles.join(',')}`, where);
    if (!m.parquet) throw new InputError(`${where}: the shard was run without --parquet: expected Parquet outputs to merge`, where);
  }
  const have = new Set(manifests.map((m) => m.shard));
  const missing = [...Array(count).keys()].filter((i) => !have.has(i));
  if (missing.length) throw new InputError(`${mdir}: shards ${missing.join(', ')} of ${count} are missing: expected every shard 0..${count - 1}`, mdir);

  const tmp = `${dbFile}.tmp-${process.pid}-${Date.now()}`;
  const inst = await DuckDBInstance.create(tmp);
  const con = await inst.connect();
  try {
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const glob = (t: RunTable) => q(parquetGlob(root, t));
    await con.run(`CREATE TABLE outcomes AS SELECT * FROM read_parquet(${glob('outcomes')}, hive_partitioning = true)`);
    await con.run(`CREATE TABLE signals AS SELECT * FROM read_parquet(${glob('signals')}, hive_partitioning = true)`);
    await con.run(`CREATE TABLE shards AS SELECT * FROM read_json(${q(join(mdir, '*.json'))})`);
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
