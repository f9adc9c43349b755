// The run database's events view: the trace columns of each event once per run, joinable with
// outcomes and signals by (run_id, event_id), so "signals by arch" or "panics by context" is one query.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { cli, ROOT } from '../helpers.js';

describe('run database: the events view', () => {
  for (const w of ['1', '2']) {
    it(`holds every event once, with its trace columns, joinable with signals (${w} worker${w === '1' ? '' : 's'})`, async () => {
      const d = join(mkdtempSync(join(tmpdir(), 'ras-events-')), 'out');
      const r = cli(['run', join(ROOT, 'traces/arm64.csv'), '-p', 'pre', '-p', 'post', '--out', d, '-q', '-w', w]);
      expect(r.code).toBe(0);
      const inst = await DuckDBInstance.create(join(d, 'ras.duckdb'));
      const con = await inst.connect();
      const one = async (sql: string) => (await con.runAndReadAll(sql)).getRowsJson();
      const events = Number(JSON.parse(r.stdout).events);
      // Once per event whatever the profile count; every event's arch is the suite's.
      expect(await one('SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS d FROM events')).toEqual([[events, events]]);
      expect(await one("SELECT DISTINCT arch::VARCHAR FROM events")).toEqual([['arm64']]);
      // One query: signals by arch and si_code; every signal finds its event.
      const bySi = await one('SELECT e.arch::VARCHAR, s.si_code, count(*)::INT FROM signals s JOIN events e USING (run_id, event_id) GROUP BY ALL ORDER BY ALL');
      const total = await one('SELECT count(*)::INT FROM signals');
      expect(bySi.reduce((n, row) => n + Number(row[2]), 0)).toBe(Number(total[0]![0]));
      // The trace columns equal the trace's: the seed 000 reproducer (event 2000) is a user-context SEA on an anon page.
      expect(await one('SELECT notify::VARCHAR, context::VARCHAR, page::VARCHAR FROM events WHERE event_id = 2000')).toEqual([['sea', 'user', 'anon']]);
      con.closeSync();
      inst.closeSync();
    }, 120_000);
  }
});
