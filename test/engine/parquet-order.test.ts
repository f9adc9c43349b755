// Parquet written by `run --parquet` keeps the trace's row order (as the Arrow files do). The export
// joins the rows to their host names; DuckDB's join-order and build-side optimizers may reorder
// such a join's output, and the export once came out of order for a time-ordered trace (through
// the outcomes view, joined to hosts and run_profiles).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { runTrace } from '../../src/engine/run.js';
import { builtinProfile } from '../../src/model/profiles.js';
import { writeSimpleFleet } from '../../src/gen/simple-fleet.js';

const d = mkdtempSync(join(tmpdir(), 'ras-pq-order-'));
afterAll(() => rmSync(d, { recursive: true, force: true }));

async function descents(out: string): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  for (const t of ['outcomes', 'signals']) {
    const f = join(out, 'parquet', t, 'profile=post', 'shard=0', 'part-0.parquet');
    // Event ids grow with the trace row (the generator numbers events 1, 2, …); signals by seq.
    const key = t === 'signals' ? '(event_id, seq)' : 'event_id';
    const [rows, down] = (await con.runAndReadAll(`SELECT count(*), count(*) FILTER (WHERE k <= prev)
      FROM (SELECT ${key} AS k, lag(${key}) OVER (ORDER BY file_row_number) AS prev FROM read_parquet('${f}', file_row_number = true))`)).getRows()[0]!.map(Number);
    expect(rows, t).toBeGreaterThan(100);
    expect(down, `${t}: rows out of trace order`).toBe(0);
  }
  con.closeSync();
  inst.closeSync();
}

describe('run --parquet row order', () => {
  it('a time-ordered trace (hosts interleaved): Parquet rows in trace order', async () => {
    const trace = join(d, 'time.arrows');
    writeSimpleFleet(trace, { events: 20000, seed: 7, timeOrdered: true, batchRows: 4096 });
    const out = join(d, 'time');
    await runTrace({ trace, profiles: [builtinProfile('post')], outDir: out, db: null, parquet: true, shard: null, workers: 1 });
    await descents(out);
  }, 60_000);

  it('a time-ordered shard with more hosts than rows: Parquet rows in trace order', async () => {
    // One event a host: a shard of 10 gets about a tenth of the rows but all 30,000 hosts.
    const trace = join(d, 'hosts.arrows');
    writeSimpleFleet(trace, { events: 30000, eventsPerHost: 1, seed: 7, timeOrdered: true, batchRows: 4096 });
    const out = join(d, 'hosts');
    await runTrace({ trace, profiles: [builtinProfile('post')], outDir: out, db: null, parquet: true, shard: { index: 0, count: 10 }, workers: 1 });
    await descents(out);
  }, 60_000);
});
