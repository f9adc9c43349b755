// The fed path of trace mode: this thread reads an Arrow IPC stream once, and each worker receives
// only the bytes of the batches it decodes. A pre-scan of the message headers (a few hundred small
// reads) lays out the stream; only a plain stream is fed (continuation framing, one schema, record
// and non-delta dictionary batches, no compression, its end-of-stream marker at the end of the
// file). Anything else (or damage) returns null, and the caller takes the path that reads the file
// in every worker, so the errors for bad input are those of that path.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createHash, Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** One IPC message: its byte range in the file (prefix, metadata and body). */
export interface IpcMessage {
  at: number;
  len: number;
}

export interface StreamPlan {
  size: number;
  schema: IpcMessage;
  /** Per record batch: its message and, per dictionary id, the dictionary message in effect. */
  batches: { msg: IpcMessage; dicts: Map<number, IpcMessage> }[];
}

/** Read chunks (8 MiB) the hash thread may be behind by. */
const MAX_UNHASHED = 8;

/** The largest metadata the scan reads (a trace schema's metadata is a few KiB). */
const MAX_META = 16 << 20;

/** A flatbuffer table's field reader over `b` (throws on anything out of bounds). */
function table(dv: DataView, t: number): (slot: number) => number {
  const vt = t - dv.getInt32(t, true);
  const vtLen = dv.getUint16(vt, true);
  return (slot: number): number => {
    const o = 4 + 2 * slot;
    if (o + 2 > vtLen) return 0;
    const f = dv.getUint16(vt + o, true);
    return f === 0 ? 0 : t + f;
  };
}

/** Layout of a plain Arrow IPC stream, or null (not plain, or damaged: the reading path reports it). */
export function scanIpcStream(path: string): StreamPlan | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const prefix = Buffer.alloc(8);
    let pos = 0;
    let schema: IpcMessage | null = null;
    const current = new Map<number, IpcMessage>();
    const batches: StreamPlan['batches'] = [];
    for (;;) {
      if (pos + 8 > size) return null;
      if (readSync(fd, prefix, 0, 8, pos) !== 8) return null;
      if (prefix.readUInt32LE(0) !== 0xffffffff) return null;
      const metaLen = prefix.readInt32LE(4);
      if (metaLen === 0) return pos + 8 === size && schema ? { size, schema, batches } : null;
      if (metaLen < 0 || metaLen > MAX_META || pos + 8 + metaLen > size) return null;
      const meta = Buffer.alloc(metaLen);
      if (readSync(fd, meta, 0, metaLen, pos + 8) !== metaLen) return null;
      const dv = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
      const msg = table(dv, dv.getUint32(0, true));
      const type = msg(1) ? dv.getUint8(msg(1)) : 0;
      const body = msg(3) ? Number(dv.getBigInt64(msg(3), true)) : 0;
      if (!(body >= 0) || pos + 8 + metaLen + body > size) return null;
      const m: IpcMessage = { at: pos, len: 8 + metaLen + body };
      const header = msg(2) ? msg(2) + dv.getUint32(msg(2), true) : 0;
      if (!header) return null;
      const compressed = (rb: number): boolean => table(dv, rb)(3) !== 0;
      if (type === 1) {
        if (schema) return null;
        schema = m;
      } else if (type === 2) {
        const d = table(dv, header);
        if (!schema || !d(1)) return null;
        if (d(2) && dv.getUint8(d(2)) !== 0) return null; // a delta dictionary
        if (compressed(d(1) + dv.getUint32(d(1), true))) return null;
        current.set(d(0) ? Number(dv.getBigInt64(d(0), true)) : 0, m);
      } else if (type === 3) {
        if (!schema || compressed(header)) return null;
        batches.push({ msg: m, dicts: new Map(current) });
      } else {
        return null;
      }
      pos += m.len;
    }
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** A read chunk: its file offset, its bytes (a view of a ring buffer) and who still reads it. */
interface Chunk {
  at: number;
  bytes: Uint8Array;
  /** Readers besides this thread's stream reader (a worker decoding a batch in it, the hash thread). */
  refs: number;
  /** This thread's reader is past it and no dictionary in effect lies in it. */
  passed: boolean;
}

/**
 * The file read once, in chunks on SharedArrayBuffers reused as a ring: each chunk goes to the hash
 * thread as it is read (shared, not copied), and a message that lies inside one chunk is handed out
 * as a view of it. A chunk's buffer is reused once this thread's reader is past it (`release`) and
 * every other reader of it (`hold`: a worker decoding a batch in it; the hash thread) is done, so
 * memory is bounded by the chunks in flight, not by the file.
 */
export class SharedFileReader {
  private readonly fd: number;
  private pos = 0;
  private nextEnd = 0;
  /** The chunks not yet passed by `release`, with their file offsets. */
  private held: Chunk[] = [];
  /** Buffers free for the next chunks. */
  private readonly free: SharedArrayBuffer[] = [];
  /** Chunks sent to the hash thread, oldest first (it hashes them in order). */
  private readonly hashing: Chunk[] = [];
  /** The hash thread, or (a small file: a worker's start costs more than hashing it) a hash here. */
  private readonly hasher: Worker | null;
  private readonly local: Hash | null;
  readonly digest: Promise<string>;
  private settle: ((h: string) => void) | null = null;
  /** Chunks sent to the hash thread and not hashed yet; `throttle` waits while there are too many. */
  private unhashed = 0;
  private wake: (() => void) | null = null;
  private closed = false;
  /** Buffers allocated (the ring's size; for tests and the bench). */
  allocated = 0;

  /**
   * `ends`: ascending offsets where a chunk may end (each record batch message's end, so no message
   * lies across two chunks and none is copied); a chunk takes as many whole batches as fit in `chunk`
   * bytes (at least one).
   */
  constructor(readonly path: string, readonly size: number, hashWorker: URL, inThreadBelow: number, private readonly ends: readonly number[] = [], private readonly chunk = 8 << 20) {
    this.fd = openSync(path, 'r');
    if (size < inThreadBelow) {
      this.hasher = null;
      this.local = createHash('sha256');
      this.digest = new Promise((resolve) => (this.settle = resolve));
    } else {
      this.local = null;
      const w = (this.hasher = new Worker(hashWorker, { workerData: { path: null } }));
      this.digest = new Promise((resolve, reject) => {
        w.on('message', (h: string | number) => {
          if (typeof h === 'string') return resolve(h);
          this.unhashed -= h;
          for (let k = 0; k < h; k++) this.unref(this.hashing.shift()!);
          if (this.wake && this.unhashed <= MAX_UNHASHED / 2) {
            this.wake();
            this.wake = null;
          }
        });
        w.once('error', reject);
      });
    }
    this.digest.catch(() => undefined); // awaited by a run that completes
  }

  /** The next chunk (null at the end of the file). */
  next(): Uint8Array | null {
    if (this.pos >= this.size) return null;
    while (this.nextEnd < this.ends.length && this.ends[this.nextEnd]! <= this.pos) this.nextEnd++;
    let end = Math.min(this.size, this.pos + this.chunk);
    if (this.nextEnd < this.ends.length) {
      end = this.ends[this.nextEnd]!;
      while (this.nextEnd + 1 < this.ends.length && this.ends[this.nextEnd + 1]! - this.pos <= this.chunk) end = this.ends[++this.nextEnd]!;
      // The end-of-stream marker goes with the last batch.
      if (this.nextEnd === this.ends.length - 1 && this.size - end <= 8) end = this.size;
    }
    const want = Math.min(end, this.size) - this.pos;
    let buf: SharedArrayBuffer | undefined;
    while ((buf = this.free.pop()) && buf.byteLength < want);
    if (!buf) {
      buf = new SharedArrayBuffer(Math.max(want, Math.min(this.chunk, this.size)));
      this.allocated++;
    }
    const bytes = new Uint8Array(buf, 0, want);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, bytes, got, want - got, this.pos + got);
      if (n <= 0) break;
      got += n;
    }
    const view = got === want ? bytes : bytes.subarray(0, got);
    const c: Chunk = { at: this.pos, bytes: view, refs: 0, passed: false };
    this.held.push(c);
    this.pos += got;
    if (got && this.hasher) {
      c.refs++;
      this.hashing.push(c);
      this.hasher.postMessage(view);
      this.unhashed++;
    }
    else if (got) this.local!.update(view);
    if (got < want) this.pos = this.size; // the file shrank: the reader reports the short stream
    return got ? view : null;
  }

  /** Wait while the hash thread is behind by more than MAX_UNHASHED chunks (bounded memory). */
  async throttle(): Promise<void> {
    if (this.unhashed <= MAX_UNHASHED || !this.hasher) return;
    await new Promise<void>((resolve) => (this.wake = resolve));
  }

  *chunks(): Generator<Uint8Array> {
    for (let c = this.next(); c; c = this.next()) yield c;
  }

  /** Bytes read so far. */
  get consumed(): number {
    return this.pos;
  }

  /** The bytes of `m` (read already): a view when it lies in one chunk, else a copy. */
  bytes(m: IpcMessage): Uint8Array {
    const c = this.chunkOf(m);
    if (c) return c.bytes.subarray(m.at - c.at, m.at + m.len - c.at);
    return this.copy(m);
  }

  /** The bytes of `m` (read already) in a buffer of their own. */
  copy(m: IpcMessage): Uint8Array {
    const end = m.at + m.len;
    const out = new Uint8Array(m.len);
    for (const c of this.held) {
      const a = Math.max(m.at, c.at);
      const b = Math.min(end, c.at + c.bytes.byteLength);
      if (a < b) out.set(c.bytes.subarray(a - c.at, b - c.at), a - m.at);
    }
    return out;
  }

  /**
   * Keep the chunk `m` lies in (a view of it was handed out) from reuse until the returned function
   * is called (once or more).
   */
  hold(m: IpcMessage): () => void {
    const c = this.chunkOf(m);
    if (!c) return () => undefined;
    c.refs++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.unref(c);
    };
  }

  /**
   * This thread's reader is past `at`: forget the chunks that end before it (no later message lies
   * in them) unless one of `keep` (the dictionary messages still in effect) lies in them.
   */
  release(at: number, keep: Iterable<IpcMessage> = []): void {
    const pinned = new Set<Chunk>();
    for (const m of keep) {
      const c = this.chunkOf(m);
      if (c) pinned.add(c);
    }
    const rest: Chunk[] = [];
    for (const c of this.held) {
      if (c.at + c.bytes.byteLength <= at && !pinned.has(c)) {
        c.passed = true;
        if (c.refs === 0) this.recycle(c);
      } else {
        rest.push(c);
      }
    }
    this.held = rest;
  }

  private chunkOf(m: IpcMessage): Chunk | null {
    const end = m.at + m.len;
    for (const c of this.held) if (m.at >= c.at && end <= c.at + c.bytes.byteLength) return c;
    return null;
  }

  private unref(c: Chunk): void {
    if (--c.refs === 0 && c.passed) this.recycle(c);
  }

  private recycle(c: Chunk): void {
    if (!this.closed) this.free.push(c.bytes.buffer as SharedArrayBuffer);
  }

  /** Read the rest of the file (for the hash) and close; the digest settles after this. */
  finish(): void {
    while (this.next()) this.release(this.pos);
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    this.held = [];
    this.free.length = 0;
    if (this.hasher) this.hasher.postMessage(null);
    else this.settle!(this.local!.digest('hex'));
  }

  /** Stop without a digest (a failed run). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    this.held = [];
    this.free.length = 0;
    if (this.hasher) void this.hasher.terminate();
  }
}
