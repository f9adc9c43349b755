// Engine robustness: oversized batches with workers, sliced Arrow data, integer booleans, the host
// order declaration, a database from another version, and shard jobs sharing an output folder.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { makeData, RecordBatch, RecordBatchReader, Schema, Field, Struct, Uint8 } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { readTraceCsv } from '../../src/io/csv-trace.js';
import { newTraceDicts, TraceDecoder, TraceStreamWriter } from '../../src/io/arrow-trace.js';
import { fileChunks } from '../../src/io/arrow-util.js';
import { EventColumns } from '../../src/columns/events.js';
import { runTrace } from '../../src/engine/run.js';
import { openTraceSource } from '../../src/engine/source.js';
import { builtinProfile } from '../../src/model/profiles.js';
import { writeSimpleFleet } from '../../src/gen/simple-fleet.js';
import { cli, ROOT } from '../helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ras-robust-'));

describe('engine robustness', () => {
  it('batches larger than the pool batch size replay the same with workers', async () => {
    const d = tmp();
    const trace = join(d, 'big.arrows');
    writeSimpleFleet(trace, { events: 300_000, seed: 3, batchRows: 200_000 });
    const p = [builtinProfile('post')];
    await runTrace({ trace, profiles: p, outDir: join(d, 'w1'), db: null, parquet: false, shard: null, workers: 1 });
    await runTrace({ trace, profiles: p, outDir: join(d, 'w2'), db: null, parquet: false, shard: null, workers: 2 });
    for (const t of ['outcomes', 'signals']) {
      const f = join(t, 'profile=post', 'shard=0', 'part-0.arrows');
      expect(readFileSync(join(d, 'w2', f)).equals(readFileSync(join(d, 'w1', f))), f).toBe(true);
    }
  }, 60_000);

  it('sliced record batches decode like the whole batch', () => {
    const d = tmp();
    const trace = join(d, 's.arrows');
    const w = new TraceStreamWriter(trace);
    for (const e of readTraceCsv(join(ROOT, 'traces/x86.csv'))) w.add(e);
    w.close();
    const [batch] = [...RecordBatchReader.from(fileChunks(trace))];
    const whole = new EventColumns(batch!.numRows);
    new TraceDecoder(trace, newTraceDicts()).decode(batch!, 0, whole);
    const part = new EventColumns(20);
    const dicts = newTraceDicts();
    new TraceDecoder(trace, dicts).decode(batch!.slice(10, 30), 0, part);
    for (const k of ['arch', 'notify', 'severity', 'page', 'context', 'flags', 'pid', 'pageShift'] as const) {
      expect([...part[k].subarray(0, 20)], k).toEqual([...whole[k].subarray(10, 30)]);
    }
    expect([...part.pa.subarray(0, 20)]).toEqual([...whole.pa.subarray(10, 30)]);
    expect([...part.eventId.subarray(0, 20)]).toEqual([...whole.eventId.subarray(10, 30)]);
  });

  it('integer 0/1 columns are read as booleans; other integers are refused', () => {
    const d = tmp();
    const trace = join(d, 's.arrows');
    const w = new TraceStreamWriter(trace);
    for (const e of readTraceCsv(join(ROOT, 'traces/x86.csv')).slice(0, 4)) w.add(e);
    w.close();
    const [batch] = [...RecordBatchReader.from(fileChunks(trace))];
    const withInt = (vals: number[]) => {
      const fields = batch!.schema.fields.map((f) => (f.name === 'pinned' ? new Field('pinned', new Uint8(), false) : f));
      const children = batch!.data.children.map((c, i) => (fields[i]!.name === 'pinned' ? makeData({ type: new Uint8(), length: 4, nullCount: 0, data: Uint8Array.from(vals) }) : c));
      const schema = new Schema(fields);
      return new RecordBatch(schema, makeData({ type: new Struct(fields), length: 4, nullCount: 0, children }));
    };
    const cols = new EventColumns(4);
    new TraceDecoder(trace, newTraceDicts()).decode(withInt([1, 0, 1, 1]), 0, cols);
    expect([...cols.flags.subarray(0, 4)].map((f) => (f & 8) !== 0)).toEqual([true, false, true, true]);
    expect(() => new TraceDecoder(trace, newTraceDicts()).decode(withInt([1, 0, 2, 1]), 0, new EventColumns(4))).toThrow(/row 2: column pinned: value "2": expected true or false/);
  });

  it('a trace that declares host order but returns to a host is refused', () => {
    const d = tmp();
    const trace = join(d, 'o.arrows');
    const events = readTraceCsv(join(ROOT, 'traces/x86.csv'));
    const w = new TraceStreamWriter(trace, 65536, true);
    const a = events.find((e) => e.host === 'x86-01')!;
    const b = events.find((e) => e.host === 'x86-02')!;
    w.add({ ...a, eventId: 1n, tNs: 1n });
    w.add({ ...b, eventId: 2n, tNs: 2n });
    w.add({ ...a, eventId: 3n, tNs: 3n });
    w.close();
    const r = cli(['run', trace, '--out', join(d, 'out'), '-q', '-w', '1', '--no-db']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/batch 0 row 2: column host: value "x86-01": expected each host once/);
  });

  it('a database with other ENUM labels is refused', async () => {
    const d = tmp();
    const db = join(d, 'old.duckdb');
    const inst = await DuckDBInstance.create(db);
    const con = await inst.connect();
    await con.run("CREATE TABLE outcome_rows (run_id UINTEGER, profile_id UTINYINT, event_id UBIGINT, host_id UINTEGER, panic BOOLEAN, panic_msg VARCHAR, reboot_loop BOOLEAN, vmcore ENUM('none', 'complete', 'incomplete'), mf_type VARCHAR, mf_result VARCHAR, mf_ret INTEGER, poisoned BOOLEAN, unmapped BOOLEAN, guest_action VARCHAR, path ENUM('none'))");
    con.closeSync();
    inst.closeSync();
    const r = cli(['run', join(ROOT, 'traces/x86.csv'), '--out', join(d, 'out'), '--db', db, '-q', '-w', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/other ENUM labels.*use a new --db/);
  });

  it("a run leaves other live jobs' temporary files alone", () => {
    const d = tmp();
    const out = join(d, 'out');
    const dir = join(out, 'outcomes', 'profile=post', 'shard=1');
    mkdirSync(dir, { recursive: true });
    const live = join(dir, `part-0.arrows.tmp-${process.pid}-1@${hostname()}`); // this test process: alive
    const dead = join(dir, `part-0.arrows.tmp-999999999-1@${hostname()}`);
    writeFileSync(live, 'x');
    writeFileSync(dead, 'x');
    expect(cli(['run', join(ROOT, 'traces/x86.csv'), '-p', 'post', '--out', out, '--shard', '0/2', '--no-db', '-q', '-w', '1']).code).toBe(0);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(dead)).toBe(false);
  });

  it("a library caller that stops at a bad trace gets the error, not an unhandled rejection from the trace's hash thread", async () => {
    // A folder named like a trace: the batch reader and the SHA-256 thread (started with the first
    // batch) both fail on it; only the first is the caller's to handle.
    const d = tmp();
    const path = join(d, 'folder.arrows');
    mkdirSync(path);
    const unhandled: unknown[] = [];
    const on = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', on);
    try {
      const src = openTraceSource(path, newTraceDicts(), 64);
      await expect((async () => { for await (const b of src.batches()) void b; })()).rejects.toThrow(/folder\.arrows/);
      // The hash thread fails on its own time, with nobody awaiting it yet: give it that time.
      for (let k = 0; k < 30 && unhandled.length === 0; k++) await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      // A caller that does await the hash still gets its error.
      await expect(src.sha256()).rejects.toThrow(/EISDIR|directory/);
    } finally {
      process.off('unhandledRejection', on);
    }
  });

  it('the scratch folders of dead processes in $TMPDIR are removed by the next command, whichever it is', async () => {
    const { spawnSync } = await import('node:child_process');
    const { sweepScratch } = await import('../../src/io/atomic.js');
    const dead = spawnSync('true').pid!; // a process that has exited
    const dir = tmp();
    const names = [`ras-replay-duck-${dead}-aB3dEf`, `ras-replay-gold-${dead}-x1y2z3`, `ras-replay-duck-${process.pid}-mine00`, 'ras-replay-fuzz-tmp-q1w2e3', `other-${dead}-keep`];
    for (const n of names) mkdirSync(join(dir, n));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    try {
      sweepScratch();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    // Dead processes' folders go; this process's own, one without a pid and foreign ones stay.
    for (const n of names) expect(existsSync(join(dir, n)), n).toBe(!n.includes(`-${dead}-`) || n.startsWith('other-'));
  });
});

