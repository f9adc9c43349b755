// The replay engine: same outcomes as the model path (one model, one truth), for any worker count
// and with shards unioned; bad, truncated, unsorted and interrupted inputs leave nothing behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { readTraceCsv } from '../../src/io/csv-trace.js';
import { TraceStreamWriter } from '../../src/io/arrow-trace.js';
import { outcomeJson, replayEvents } from '../../src/engine/replay-events.js';
import { runTrace } from '../../src/engine/run.js';
import { BUILTIN_PROFILES } from '../../src/model/profiles.js';
import { writeSimpleFleet } from '../../src/gen/simple-fleet.js';
import { cli, csv } from '../helpers.js';

const ROOT = resolve(__dirname, '../..');
const tmp = () => mkdtempSync(join(tmpdir(), 'ras-engine-'));

function toArrows(csvFile: string, out: string): void {
  const w = new TraceStreamWriter(out, 50); // small batches: exercise batch boundaries
  for (const e of readTraceCsv(csvFile)) w.add(e);
  w.close();
}

/** Engine outputs read back into the --jsonl form, in (profile, event_id) order. */
function readOutputs(dir: string, profiles: string[], shards = ['0']): string[] {
  const lines: string[] = [];
  for (const p of profiles) {
    const rows: Record<string, unknown>[] = [];
    const sigs = new Map<string, Record<string, unknown>[]>();
    for (const sh of shards) {
      const base = (t: string) => join(dir, t, `profile=${p}`, `shard=${sh}`, 'part-0.arrows');
      for (const r of tableFromIPC(readFileSync(base('signals'))).toArray()) {
        const o = r.toJSON();
        const k = String(o.event_id);
        const list = sigs.get(k) ?? [];
        list.push({ seq: o.seq, pid: o.pid, tid: o.tid, signo: o.signo, si_code: o.si_code, addr: o.addr === null ? null : Number(o.addr), addr_lsb: o.addr_lsb });
        sigs.set(k, list);
      }
      for (const r of tableFromIPC(readFileSync(base('outcomes'))).toArray()) rows.push(r.toJSON());
    }
    rows.sort((a, b) => (BigInt(a.event_id as bigint) < BigInt(b.event_id as bigint) ? -1 : 1));
    for (const o of rows) {
      lines.push(outcomeJson({
        event_id: BigInt(o.event_id as bigint), host: o.host as string, profile: o.profile as string, panic: o.panic as boolean,
        panic_msg: (o.panic_msg as string | null) ?? null, reboot_loop: o.reboot_loop as boolean, vmcore: o.vmcore as string,
        mf_type: (o.mf_type as string | null) ?? null, mf_result: (o.mf_result as string | null) ?? null, mf_ret: (o.mf_ret as number | null) ?? null,
        poisoned: o.poisoned as boolean, unmapped: o.unmapped as boolean, guest_action: o.guest_action as string, path: o.path as string,
        signals: (sigs.get(String(o.event_id)) ?? []) as never,
      }));
    }
  }
  return lines;
}

const names = BUILTIN_PROFILES.map((p) => p.name);

describe('engine = model path', () => {
  for (const suite of ['x86', 'arm64']) {
    it(`${suite}: every built-in profile, 1, 2 and 4 workers byte for byte, shards unioned`, async () => {
      const d = tmp();
      const arrows = join(d, `${suite}.arrows`);
      toArrows(join(ROOT, 'traces', `${suite}.csv`), arrows);
      const expected = replayEvents(readTraceCsv(join(ROOT, 'traces', `${suite}.csv`)), [...BUILTIN_PROFILES]).map(outcomeJson);

      await runTrace({ trace: arrows, profiles: [...BUILTIN_PROFILES], outDir: join(d, 'w1'), db: null, parquet: false, shard: null, workers: 1, batchRows: 50 });
      expect(readOutputs(join(d, 'w1'), names)).toEqual(expected);

      // 2 and 4 workers read, decode, replay and encode in the workers (an Arrow stream).
      for (const w of [2, 4]) {
        await runTrace({ trace: arrows, profiles: [...BUILTIN_PROFILES], outDir: join(d, `w${w}`), db: null, parquet: false, shard: null, workers: w, batchRows: 50 });
        for (const p of names) for (const t of ['outcomes', 'signals']) {
          const f = join(t, `profile=${p}`, 'shard=0', 'part-0.arrows');
          expect(readFileSync(join(d, `w${w}`, f)).equals(readFileSync(join(d, 'w1', f))), `${w} workers: ${f}`).toBe(true);
        }
      }

      for (let i = 0; i < 3; i++) {
        await runTrace({ trace: arrows, profiles: [...BUILTIN_PROFILES], outDir: join(d, 'sh'), db: null, parquet: false, shard: { index: i, count: 3 }, workers: i === 1 ? 2 : 1 });
      }
      expect(readOutputs(join(d, 'sh'), names, ['0', '1', '2'])).toEqual(expected);
    }, 120_000);
  }

  it('software requests (madvise, madvise_soft_offline) read and write page state: never memoized as state-free', async () => {
    // A soft offline request has severity corrected, as the state-free corrected errors do, but it
    // reads and writes the page's state: after a MADV_HWPOISON of the page its get_user_pages_fast
    // fails (a hwpoison pte), on a fresh page it poisons the old pfn.
    const d = tmp();
    const ok: Record<string, string | number | boolean>[] = [];
    const req = (t: number, host: string, page: number, soft: boolean, arch: string) => ok.push({
      host, t_ns: t, arch, kind: 'error', notify: soft ? 'madvise_soft_offline' : 'madvise', severity: soft ? 'corrected' : 'recoverable',
      sync: false, context: 'user', pid: 500, vaddr: '0x7f0000001000', pa: `0x${(0x100000 + page * 0x1000).toString(16)}`, page: 'anon' });
    for (let k = 0; k < 20; k++) {
      const host = `h${k % 2}`;
      const arch = k % 4 < 2 ? 'x86_64' : 'arm64';
      if (k < 10) req(2 * k + 1, host, k, false, arch);
      req(2 * k + 2, host, k, true, arch);
    }
    writeFileSync(join(d, 't.csv'), csv(ok));
    toArrows(join(d, 't.csv'), join(d, 't.arrows'));
    const profiles = BUILTIN_PROFILES.filter((p) => ['linux-6.6', 'linux-6.12', 'post'].includes(p.name));
    const expected = replayEvents(readTraceCsv(join(d, 't.csv')), profiles).map(outcomeJson);
    expect(expected.some((l) => l.includes('"path":"sw.madvise.soft_offline"'))).toBe(true);
    expect(expected.some((l) => l.includes('"path":"sw.madvise.gup_failed"'))).toBe(true);
    for (const w of [1, 2]) {
      await runTrace({ trace: join(d, 't.arrows'), profiles, outDir: join(d, `w${w}`), db: null, parquet: false, shard: null, workers: w, batchRows: 50 });
      expect(readOutputs(join(d, `w${w}`), profiles.map((p) => p.name))).toEqual(expected);
    }
  }, 60_000);
});

describe('ras-replay run --out', () => {
  it('loads DuckDB from 2 worker threads (shared-memory columns) the same as from 1', async () => {
    const rows = async (w: string) => {
      const d = tmp();
      const r = cli(['run', join(ROOT, 'traces/x86.csv'), '-p', 'pre', '-p', 'post', '--out', d, '-q', '-w', w]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const inst = await DuckDBInstance.create(join(d, 'ras.duckdb'));
      const con = await inst.connect();
      const out = (await con.runAndReadAll('SELECT profile, event_id, panic, path, mf_ret FROM outcomes ORDER BY ALL')).getRowsJson();
      const sig = (await con.runAndReadAll('SELECT profile, event_id, seq, pid, si_code, addr, addr_lsb FROM signals ORDER BY ALL')).getRowsJson();
      // panic_msg is NULL exactly where the kernel printed no panic (not an empty string).
      expect((await con.runAndReadAll('SELECT count(*)::INT FROM outcomes WHERE (panic_msg IS NULL) = panic OR panic_msg = \'\'')).getRows()[0]![0]).toBe(0);
      con.closeSync();
      inst.closeSync();
      return { out, sig };
    };
    const one = await rows('1');
    expect(one.out.length).toBe(2 * 126);
    expect(await rows('2')).toEqual(one);
  });

  it('loads DuckDB with the expected types and Parquet that DuckDB reads as one table', async () => {
    const d = tmp();
    const r = cli(['run', join(ROOT, 'traces/arm64.csv'), '-p', 'pre', '-p', 'post', '--out', d, '--parquet', '-q', '-w', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const inst = await DuckDBInstance.create(join(d, 'ras.duckdb'));
    const con = await inst.connect();
    const types = Object.fromEntries((await con.runAndReadAll('DESCRIBE outcomes')).getRows().map((x) => [x[0], String(x[1])]));
    expect(types.event_id).toBe('UBIGINT');
    expect(types.panic).toBe('BOOLEAN');
    expect(types.mf_ret).toBe('INTEGER');
    expect(types.vmcore).toBe("ENUM('none', 'complete', 'incomplete')");
    expect(types.mf_result).toBe("ENUM('Ignored', 'Failed', 'Delayed', 'Recovered')");
    const counts = (await con.runAndReadAll(`SELECT count(*)::INT, count(DISTINCT profile)::INT, sum(panic::INT)::INT FROM outcomes`)).getRows()[0];
    const events = readTraceCsv(join(ROOT, 'traces/arm64.csv')).length;
    expect(counts![0]).toBe(2 * events);
    expect(counts![1]).toBe(2);
    const expected = replayEvents(readTraceCsv(join(ROOT, 'traces/arm64.csv')), [BUILTIN_PROFILES[0]!, BUILTIN_PROFILES[1]!]);
    expect(counts![2]).toBe(expected.filter((o) => o.panic).length);
    const sig = (await con.runAndReadAll(`SELECT count(*)::INT FROM signals`)).getRows()[0]![0];
    expect(sig).toBe(expected.reduce((n, o) => n + o.signals.length, 0));
    const pq = (await con.runAndReadAll(`SELECT count(*)::INT FROM read_parquet('${d}/parquet/outcomes/*/*/*.parquet', hive_partitioning = true)`)).getRows()[0]![0];
    expect(pq).toBe(2 * events);
    // Parquet and Arrow in separate trees (issue 14): a folder read (pandas.read_parquet(DIR/parquet/outcomes)) meets Parquet only.
    const tree = readdirSync(join(d, 'parquet'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    expect(tree.length).toBe(4);
    expect(tree.filter((f) => !f.endsWith('.parquet'))).toEqual([]);
    expect(readdirSync(join(d, 'outcomes'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.name.endsWith('.arrows')).map((e) => e.name)).toEqual([]);
    const runs = (await con.runAndReadAll('SELECT events::INT, len(profiles)::INT, length(trace_sha256)::INT FROM runs')).getRows()[0];
    expect(runs).toEqual([events, 2, 64]);
    con.closeSync();
    inst.closeSync();
  }, 60_000);

  it('shard jobs merged with `merge` equal the single-machine run, row for row', async () => {
    const d = tmp();
    const trace = join(ROOT, 'traces/x86.csv');
    for (let i = 0; i < 3; i++) expect(cli(['run', trace, '-p', 'pre', '-p', 'post', '--out', join(d, 'shards'), '--no-db', '--parquet', '--shard', `${i}/3`, '-q', '-w', '1']).code).toBe(0);
    expect(cli(['run', trace, '-p', 'pre', '-p', 'post', '--out', join(d, 'one'), '--no-db', '--parquet', '-q', '-w', '1']).code).toBe(0);
    const m = cli(['merge', join(d, 'shards'), '--db', join(d, 'merged.duckdb')]);
    expect(m.stderr).toBe('');
    expect(JSON.parse(m.stdout)).toMatchObject({ shards: 3, events: 126, outcomes: 252 });
    const inst = await DuckDBInstance.create(join(d, 'merged.duckdb'));
    const con = await inst.connect();
    for (const t of ['outcomes', 'signals']) {
      const one = `(SELECT * EXCLUDE (shard) FROM read_parquet('${join(d, 'one', 'parquet', t)}/*/*/*.parquet', hive_partitioning = true))`;
      const merged = `(SELECT * EXCLUDE (shard) FROM ${t})`;
      const diff = (await con.runAndReadAll(`SELECT count(*)::INT FROM ((${one} EXCEPT ALL ${merged}) UNION ALL (${merged} EXCEPT ALL ${one}))`)).getRows()[0]![0];
      expect(diff, t).toBe(0);
    }
    con.closeSync();
    inst.closeSync();
    rmSync(join(d, 'shards', '_shards', '2-of-3.json'));
    const bad = cli(['merge', join(d, 'shards'), '--db', join(d, 'm2.duckdb')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('shards 2 of 3 are missing');
  }, 60_000);

  it('a CSV with a bad row exits 2 with the line, and leaves no output', () => {
    const d = tmp();
    const f = join(d, 'bad.csv');
    writeFileSync(f, csv([{ arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: true, pa: '0x1000', context: 'user', pid: 1 }, { arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: 'maybe', pa: '0x1000', context: 'user', pid: 1 }]));
    const r = cli(['run', f, '--out', join(d, 'out'), '-q', '-w', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line 3: column sync: value "maybe": expected true or false');
    expect(listFiles(join(d, 'out')).filter((x) => !x.endsWith('ras.duckdb'))).toEqual([]);
  });

  it('a truncated Arrow stream exits 2 and leaves no output', () => {
    const d = tmp();
    const arrows = join(d, 't.arrows');
    toArrows(join(ROOT, 'traces/x86.csv'), arrows);
    truncateSync(arrows, statSync(arrows).size - 100);
    const r = cli(['run', arrows, '--out', join(d, 'out'), '-q', '-w', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/truncated/);
    expect(listFiles(join(d, 'out')).filter((x) => x.endsWith('.arrows') || x.endsWith('.parquet'))).toEqual([]);
  });

  it('an Arrow trace out of order within a host exits 2', () => {
    const d = tmp();
    const events = readTraceCsv(join(ROOT, 'traces/x86.csv'));
    const w = new TraceStreamWriter(join(d, 'u.arrows'));
    const a = events.find((e) => e.host === 'x86-01')!;
    w.add({ ...a, eventId: 2n, tNs: 2000n });
    w.add({ ...a, eventId: 1n, tNs: 1000n });
    w.close();
    const r = cli(['run', join(d, 'u.arrows'), '--out', join(d, 'out'), '-q', '-w', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/batch 0 row 1: column t_ns: value "1000": expected \(t_ns, event_id\) after the previous event of host x86-01/);
  });

  it('a run killed midway leaves nothing that looks complete; a rerun succeeds', async () => {
    const d = tmp();
    const trace = join(d, 'fleet.arrows');
    writeSimpleFleet(trace, { events: 3_000_000, seed: 7 });
    const out = join(d, 'out');
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/ras-replay.js'), 'run', trace, '-p', 'pre', '-p', 'post', '--out', out, '-q', '-w', '1'], { stdio: 'ignore' });
    // Kill once the outputs are being written (temp files exist and hold data).
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const temps = listFiles(out).filter((x) => /part-0\.arrows\.tmp-/.test(x));
      if (temps.length && temps.every((x) => statSync(x).size > 100_000)) break;
    }
    expect(child.exitCode).toBe(null); // still running: killed midway
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const left = listFiles(out);
    expect(left.filter((x) => x.endsWith('part-0.arrows') || x.endsWith('.parquet'))).toEqual([]);
    if (existsSync(join(out, 'ras.duckdb'))) {
      const inst = await DuckDBInstance.create(join(out, 'ras.duckdb'));
      const con = await inst.connect();
      const n = (await con.runAndReadAll("SELECT count(*)::INT FROM information_schema.tables WHERE table_name = 'runs'")).getRows()[0]![0];
      if (n) expect((await con.runAndReadAll('SELECT count(*)::INT FROM runs')).getRows()[0]![0]).toBe(0);
      con.closeSync();
      inst.closeSync();
    }
    const r = cli(['run', trace, '-p', 'pre', '--out', out, '-q', '-w', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).events).toBe(3_000_000);
    expect(listFiles(out).filter((x) => /\.tmp-/.test(x))).toEqual([]);
  }, 120_000);
});

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (p: string): void => {
    for (const n of readdirSync(p)) {
      const q = join(p, n);
      if (statSync(q).isDirectory()) walk(q);
      else out.push(q);
    }
  };
  walk(dir);
  return out;
}
