// Decode, replay and encode in the workers: the output files are byte-identical to the single-
// threaded run (the reference is the main-thread path: main decodes, replays and writes through one
// apache-arrow stream writer) for any worker count, for a generated fleet and a time-ordered trace;
// the batch encoder gives the bytes of one stream writer; names interned by bytes get the ids names
// interned as strings get.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { makeData, makeVector, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { runTrace } from '../../src/engine/run.js';
import { BUILTIN_PROFILES } from '../../src/model/profiles.js';
import { generateFleet } from '../../src/gen/fleet.js';
import { defaultMix } from '../../src/gen/mix.js';
import { writeSimpleFleet } from '../../src/gen/simple-fleet.js';
import { ArrowStreamFile, IpcBatchEncoder } from '../../src/io/arrow-util.js';
import { HostDictBuilder, OUTCOME_SCHEMA, outcomeBatch, outcomeLabelIds, SIGNAL_LABEL_IDS, SIGNAL_SCHEMA, signalBatch } from '../../src/io/arrow-outcomes.js';
import { EventColumns, Interner } from '../../src/columns/events.js';
import { OutcomeColumns, SignalColumns } from '../../src/columns/outcomes.js';
import { Outcome, PanicMsg } from '../../src/model/record.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ras-workers-'));

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.arrows')) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

async function sameForAnyWorkers(trace: string, d: string, batchRows: number): Promise<void> {
  const profiles = [...BUILTIN_PROFILES];
  await runTrace({ trace, profiles, outDir: join(d, 'w1'), db: null, parquet: false, shard: null, workers: 1, batchRows });
  const ref = files(join(d, 'w1'));
  expect(ref.length).toBe(2 * profiles.length);
  for (const w of [2, 3, 4]) {
    await runTrace({ trace, profiles, outDir: join(d, `w${w}`), db: null, parquet: false, shard: null, workers: w, batchRows });
    expect(files(join(d, `w${w}`))).toEqual(ref);
    for (const f of ref) expect(readFileSync(join(d, `w${w}`, f)).equals(readFileSync(join(d, 'w1', f))), `${w} workers: ${f}`).toBe(true);
  }
}

describe('workers decode, replay and encode', () => {
  it('a generated fleet (gen --mix fleet): 1, 2, 3 and 4 workers byte for byte', async () => {
    const d = tmp();
    const trace = join(d, 'fleet.arrows');
    generateFleet(trace, defaultMix(), { hosts: 250, days: 365, seed: 11, batchRows: 2048 });
    await sameForAnyWorkers(trace, d, 2048);
  }, 240_000);

  it('a time-ordered trace (hosts interleaved over the whole file): 1, 2, 3 and 4 workers byte for byte', async () => {
    const d = tmp();
    const trace = join(d, 'time.arrows');
    writeSimpleFleet(trace, { events: 20_000, eventsPerHost: 40, seed: 5, timeOrdered: true, batchRows: 2000 });
    await sameForAnyWorkers(trace, d, 2000);
  }, 240_000);
});

describe('IpcBatchEncoder', () => {
  // The expectation is apache-arrow's own stream writer fed the same batches (ArrowStreamFile.write).
  it('concatenated encodings equal one stream writer, across plain and formatted panic_msg dictionaries and empty signal batches', () => {
    const d = tmp();
    const names = ['h-a', 'h-b', 'h-c'];
    const hosts = new HostDictBuilder(names);
    const profiles = ['pre'];
    const n = 6;
    const cols = new EventColumns(n);
    cols.n = n;
    for (let i = 0; i < n; i++) {
      cols.eventId[i] = BigInt(100 + i);
      cols.host[i] = i % 3;
    }
    const out = new OutcomeColumns(n);
    out.n = n;
    const o = new Outcome();
    // Batches 1 and 2 carry a formatted panic message (batch-local panic_msg dictionary), 0 and 3 not;
    // batch 2 has no signals (nothing written to the signal stream).
    const formatted = [false, true, true, false];
    const batches = formatted.map((f, b) => {
      const oc = new OutcomeColumns(n);
      oc.n = n;
      const sig = new SignalColumns();
      for (let i = 0; i < n; i++) {
        o.panicMsg = f && i === b ? PanicMsg.MF_RECOVERY_OFF : -1;
        o.panic = o.panicMsg >= 0;
        o.panicPfn = 0x1234 + i;
        oc.set(i, o);
      }
      if (b !== 2) {
        o.signals.count = 0;
        o.signals.push(7, 7, 7, 4, 0x7f0000001000 + b, 12);
        sig.add(b, o);
      }
      return { oc, sig };
    });
    const ref = { o: new ArrowStreamFile(join(d, 'ref-o.arrows')), s: new ArrowStreamFile(join(d, 'ref-s.arrows')) };
    const enc = { o: new ArrowStreamFile(join(d, 'enc-o.arrows')), s: new ArrowStreamFile(join(d, 'enc-s.arrows')) };
    const oe = new IpcBatchEncoder(OUTCOME_SCHEMA);
    const se = new IpcBatchEncoder(SIGNAL_SCHEMA);
    let prevO: readonly number[] | null = null;
    let prevS: readonly number[] | null = null;
    batches.forEach(({ oc, sig }, b) => {
      ref.o.write(outcomeBatch(cols, oc, 0, profiles, hosts));
      const e = oe.encode(outcomeBatch(cols, oc, 0, profiles, hosts), prevO);
      expect(e.labels).toEqual(outcomeLabelIds(formatted[b]!));
      enc.o.writeEncoded(OUTCOME_SCHEMA, e.bytes);
      prevO = e.labels;
      if (sig.n) {
        ref.s.write(signalBatch(cols, sig, 0, profiles, hosts));
        const g = se.encode(signalBatch(cols, sig, 0, profiles, hosts), prevS);
        expect(g.labels).toEqual([...SIGNAL_LABEL_IDS]);
        enc.s.writeEncoded(SIGNAL_SCHEMA, g.bytes);
        prevS = g.labels;
      }
    });
    for (const f of [ref.o, ref.s, enc.o, enc.s]) f.close();
    expect(readFileSync(join(d, 'enc-o.arrows')).equals(readFileSync(join(d, 'ref-o.arrows')))).toBe(true);
    expect(readFileSync(join(d, 'enc-s.arrows')).equals(readFileSync(join(d, 'ref-s.arrows')))).toBe(true);
  });
});

describe('Interner.idBytes', () => {
  it('gives the id `id` gives, for new and known names, across rehashes and invalid UTF-8', () => {
    const a = new Interner();
    const b = new Interner();
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    const names = Array.from({ length: 5000 }, (_, i) => `host-${(i * 7919) % 5000}-é`);
    for (let r = 0; r < 2; r++) {
      for (const [k, s] of names.entries()) {
        if (k % 3 === 0) b.id(s); // some names reach b as strings first
        const bytes = enc.encode(`xx${s}yy`);
        expect(b.idBytes(bytes, 2, bytes.length - 2, () => dec.decode(bytes.subarray(2, bytes.length - 2)))).toBe(a.id(s));
      }
    }
    // Two invalid sequences decode to the same string (U+FFFD): one id.
    const bad1 = Uint8Array.of(0xff);
    const bad2 = Uint8Array.of(0xfe);
    const i1 = b.idBytes(bad1, 0, 1, () => dec.decode(bad1));
    const i2 = b.idBytes(bad2, 0, 1, () => dec.decode(bad2));
    expect(i1).toBe(i2);
    expect(b.idBytes(bad2, 0, 1, () => dec.decode(bad2))).toBe(i1);
    expect(b.names[i1]).toBe('\ufffd');
    expect(b.names.length).toBe(a.names.length + 1);
  });

  it('without a decoder: the names apache-arrow reads from the same bytes, tried in id order first', () => {
    const a = new Interner();
    const b = new Interner();
    // Equal lengths, so the "next id" guess compares bytes that differ only in the last digit; a
    // BOM-led and an invalid name are decoded as apache-arrow's Utf8 reader decodes them.
    const names = ['host-0', 'host-1', 'host-2', 'host-3', '\ufeffhost-4', 'h\u00e9', 'host-5'];
    const vec = vectorFromArray(names, new Utf8());
    const cell = vec.data[0]!;
    const off = cell.valueOffsets as Int32Array;
    const bytes = Uint8Array.from(cell.values as Uint8Array);
    const bad = Uint8Array.of(0x68, 0xff); // 'h', then a byte that is never UTF-8
    const badName = makeVector(makeData({ type: new Utf8(), length: 1, nullCount: 0, valueOffsets: Int32Array.of(0, 2), data: bad })).get(0)!;
    const expectId = (k: number): void => expect(b.idBytes(bytes, off[k]!, off[k + 1]!)).toBe(a.id(vec.get(k)!));
    for (const order of [[0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5, 6], [3, 0, 2, 1, 6, 5, 4], [1, 3, 2, 0, 4, 5, 6]]) {
      for (const k of order) expectId(k);
      expect(b.idBytes(bad, 0, 2)).toBe(a.id(badName));
    }
    expect(b.names).toEqual(a.names);
    expect(b.names[4]).toBe(vec.get(4)); // the reader's string, whatever it makes of the BOM
    expect(a.names.length).toBe(8);
  });
});
