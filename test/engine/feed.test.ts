// The fed path's layout scan and shared reader (src/engine/feed.ts). Expectations from the Arrow
// IPC stream format (format/Columnar.rst, "Encapsulated message format" and "IPC Streaming
// Format"): each message is the continuation 0xFFFFFFFF, a 4-byte metadata length, the metadata
// (padded) and the body; the stream is the schema message, dictionary and record batch messages,
// and the 8-byte end-of-stream marker. Pre-1.0 ("legacy") framing has no continuation token.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dictionary, Int32, makeTable, RecordBatchStreamWriter, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { scanIpcStream, SharedFileReader } from '../../src/engine/feed.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Three batches; the dictionary column's dictionary differs in each (a replacement dictionary each time). */
function table(): Table {
  const dict = new Dictionary(new Utf8(), new Int32());
  const part = (names: string[]): Table => makeTable({ x: new Int8Array(names.map((_, i) => i)) }).assign(
    new Table({ host: vectorFromArray(names, dict) }),
  );
  return part(['a', 'b']).concat(part(['c', 'd', 'e']), part(['f']));
}

function write(name: string, t: Table, legacy = false): string {
  const path = join(dir, name);
  const w = new RecordBatchStreamWriter({ writeLegacyIpcFormat: legacy });
  w.writeAll(t);
  writeFileSync(path, w.toUint8Array(true));
  return path;
}

describe('scanIpcStream', () => {
  it('lays out a plain stream: messages tile the file up to the 8-byte end marker', () => {
    const path = write('plain.arrows', table());
    const size = readFileSync(path).length;
    const plan = scanIpcStream(path)!;
    expect(plan).not.toBeNull();
    expect(plan.size).toBe(size);
    expect(plan.schema.at).toBe(0);
    expect(plan.batches).toHaveLength(3);
    // Each batch's host dictionary message comes right before it (a new dictionary per batch).
    let end = plan.schema.at + plan.schema.len;
    for (const b of plan.batches) {
      const d = [...b.dicts.values()];
      expect(d).toHaveLength(1);
      expect(d[0]!.at).toBe(end);
      expect(b.msg.at).toBe(d[0]!.at + d[0]!.len);
      end = b.msg.at + b.msg.len;
    }
    expect(end).toBe(size - 8);
  });

  it('refuses (null: the reading path handles it) legacy framing, a missing end marker and bytes after it', () => {
    expect(scanIpcStream(write('legacy.arrows', table(), true))).toBeNull();
    const bytes = readFileSync(write('whole.arrows', table()));
    writeFileSync(join(dir, 'cut.arrows'), bytes.subarray(0, bytes.length - 8));
    expect(scanIpcStream(join(dir, 'cut.arrows'))).toBeNull();
    writeFileSync(join(dir, 'twice.arrows'), Buffer.concat([bytes, bytes]));
    expect(scanIpcStream(join(dir, 'twice.arrows'))).toBeNull();
    writeFileSync(join(dir, 'short.arrows'), bytes.subarray(0, 100));
    expect(scanIpcStream(join(dir, 'short.arrows'))).toBeNull();
  });
});

describe('SharedFileReader', () => {
  it('reads chunks that end at batch ends (every message a view of one shared chunk) and hashes the whole file', async () => {
    const path = write('read.arrows', table());
    const bytes = readFileSync(path);
    const plan = scanIpcStream(path)!;
    // A chunk size below one batch: each chunk is one batch (with its dictionary message).
    const r = new SharedFileReader(path, plan.size, new URL('../../src/engine/hash-worker.mjs', import.meta.url), Infinity, plan.batches.map((b) => b.msg.at + b.msg.len), 16);
    const chunks = [...r.chunks()];
    expect(chunks).toHaveLength(3);
    expect(Buffer.concat(chunks.map((c) => Buffer.from(c)))).toEqual(bytes);
    for (const b of plan.batches) {
      const v = r.bytes(b.msg);
      expect(v.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Buffer.from(v)).toEqual(bytes.subarray(b.msg.at, b.msg.at + b.msg.len));
    }
    r.finish();
    expect(await r.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('feeds the hash thread the same chunks: the same digest', async () => {
    const path = write('hashed.arrows', table());
    const plan = scanIpcStream(path)!;
    const r = new SharedFileReader(path, plan.size, new URL('../../src/engine/hash-worker.mjs', import.meta.url), 0, [], 64);
    for (const c of r.chunks()) expect(c.byteLength).toBeLessThanOrEqual(64);
    r.finish();
    expect(await r.digest).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
  });

  it('reuses a chunk\'s buffer only once the reader is past it and every hold on it is dropped', () => {
    const path = write('ring.arrows', table());
    const bytes = readFileSync(path);
    const plan = scanIpcStream(path)!;
    const ends = plan.batches.map((b) => b.msg.at + b.msg.len);
    const r = new SharedFileReader(path, plan.size, new URL('../../src/engine/hash-worker.mjs', import.meta.url), Infinity, ends, 16);
    const want = (k: number): Buffer => bytes.subarray(plan.batches[k]!.msg.at, ends[k]);
    const c0 = r.next()!;
    const done0 = r.hold(plan.batches[0]!.msg); // a worker decodes batch 0 from a view of chunk 0
    const v0 = r.bytes(plan.batches[0]!.msg);
    r.release(ends[0]!);
    const c1 = r.next()!;
    expect(c1.buffer).not.toBe(c0.buffer); // chunk 0 is still held
    expect(Buffer.from(v0)).toEqual(want(0));
    done0();
    done0(); // a second call changes nothing
    r.release(ends[1]!, plan.batches[1]!.dicts.values()); // batch 1's dictionary lies in chunk 1: kept
    const c2 = r.next()!;
    expect(c2.buffer).toBe(c0.buffer);
    expect(Buffer.from(r.bytes(plan.batches[2]!.msg))).toEqual(want(2));
    expect(Buffer.from(c1)).toEqual(bytes.subarray(ends[0]!, ends[1]!));
    expect(r.allocated).toBe(2);
    r.finish();
  });

  it('reuses a buffer sent to the hash thread once it is hashed: the same digest', async () => {
    const path = write('ring-hashed.arrows', table());
    const plan = scanIpcStream(path)!;
    const ends = plan.batches.map((b) => b.msg.at + b.msg.len);
    const r = new SharedFileReader(path, plan.size, new URL('../../src/engine/hash-worker.mjs', import.meta.url), 0, ends, 16);
    const first = r.next()!;
    r.release(ends[0]!);
    const second = r.next()!;
    expect(second.buffer).not.toBe(first.buffer); // not hashed yet
    r.release(ends[1]!);
    // Wait until both are hashed (the thread's start takes a while on a loaded machine).
    for (let t = 0; (r as unknown as { unhashed: number }).unhashed > 0 && t < 500; t++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.next()!.buffer).toBe(second.buffer);
    r.finish();
    expect(await r.digest).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'));
  });
});
