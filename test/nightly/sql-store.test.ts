// `sql --store` given a run database (what `run --out DIR` writes as DIR/ras.duckdb) is a user
// mistake: exit 2 with one line that names the file and points to --attach (issue 14), not exit 70.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Duck } from '../../src/oracle/duck.js';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rr-sqlstore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sql --store on a file that is not a nightly store', () => {
  it('a run database: exit 2, one line, names --attach', async () => {
    const f = join(dir, 'ras.duckdb');
    const db = await Duck.open(f);
    // The run database's own tables (src/io/duckdb-sink.ts): runs, outcome_rows, …
    await db.run('CREATE TABLE runs (run_id UINTEGER); CREATE TABLE outcome_rows (run_id UINTEGER)');
    db.close();
    const r = cli(['sql', '--store', f, 'SELECT 1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`ras-replay: --store ${f}: this is a run database (\`ras-replay run --out DIR\`), not a nightly store: use --attach DIR for a run folder written with --parquet`]);
  });

  it('some other DuckDB file: exit 2, one line', async () => {
    const f = join(dir, 'other.duckdb');
    const db = await Duck.open(f);
    await db.run('CREATE TABLE t (x INT)');
    db.close();
    const r = cli(['sql', '--store', f, 'SELECT 1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`ras-replay: --store ${f}: expected a nightly store (\`ras-replay nightly\` writes nightly/store.duckdb)`]);
  });
});
