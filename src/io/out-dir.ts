// An output folder holds one run (or one shard set of one run). Reusing a folder that holds another
// run would mix two runs' outcomes in one dataset, so it is refused unless --replace removes the
// earlier run's outputs first. Files at final names exist only for a complete run (they are renamed
// into place at its end), so a folder left by a killed run is not refused: the rerun cleans it.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from './errors.js';

function finalParts(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string, depth: number): void => {
    if (depth > 3 || !existsSync(p)) return;
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const q = join(p, e.name);
      if (e.isDirectory()) walk(q, depth + 1);
      else if (/^part-\d+\.(arrows|parquet)$/.test(e.name)) out.push(q);
    }
  };
  walk(join(dir, 'outcomes'), 0);
  walk(join(dir, 'parquet', 'outcomes'), 0);
  return out;
}

export interface OutDirCheck {
  shard: { index: number; count: number } | null;
  replace: boolean;
  /** The database the run writes, when it is inside the folder (removed by --replace). */
  db: string | null;
}

/** Refuse (or with `replace`, clear) an output folder that holds another run. */
export function prepareOutDir(dir: string, o: OutDirCheck): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new InputError(`--out ${dir}: is a file: expected a folder (new or holding this run's shards)`, dir);
  }
  const parts = finalParts(dir);
  const shardsDir = join(dir, '_shards');
  const manifests = existsSync(shardsDir) ? readdirSync(shardsDir).filter((f) => /^\d+-of-\d+\.json$/.test(f)) : [];
  const dbHere = o.db !== null && existsSync(o.db) && o.db.startsWith(join(dir, '/'));
  // The database alone does not count: a killed run can leave one with no committed run in it.
  if (!parts.length && !manifests.length) return;
  if (o.replace) {
    for (const sub of ['outcomes', 'signals', 'parquet', '_shards']) rmSync(join(dir, sub), { recursive: true, force: true });
    if (dbHere && o.db) for (const f of [o.db, `${o.db}.wal`]) rmSync(f, { force: true });
    return;
  }
  if (o.shard) {
    // Shard jobs share the folder: what is there must be shards of a set of the same size.
    const other = manifests.map((f) => /^\d+-of-(\d+)\.json$/.exec(f)![1]).find((n) => Number(n) !== o.shard!.count);
    if (other !== undefined) throw new InputError(`--out ${dir}: holds shards of a ${other}-shard run, not ${o.shard.count}: choose another folder or pass --replace`, dir);
    if (parts.length && !manifests.length) throw new InputError(`--out ${dir}: holds a run that was not sharded: choose another folder or pass --replace`, dir);
    return;
  }
  let what = 'outcomes';
  const m = manifests[0];
  if (m) {
    try {
      what = `shard outputs of ${JSON.parse(readFileSync(join(shardsDir, m), 'utf8')).trace ?? 'a sharded run'}`;
    } catch {
      what = 'shard outputs';
    }
  }
  throw new InputError(`--out ${dir}: holds an earlier run (${what}): pass --replace to replace it, or choose another folder (runs are never mixed in one folder)`, dir);
}
