// Parallel replay over worker threads. Work is partitioned by host (host id mod N), so each host's
// replay state lives in exactly one worker and the outcomes cannot depend on N. Each batch's decoded
// columns and the per-profile outcome columns sit on SharedArrayBuffers (one set per slot, so
// several batches are in flight): a worker writes the outcome rows of its hosts in place; its
// signal rows come back as transferred arrays and are merged in row order. Results are
// byte-for-byte identical for any number of workers.
//
// With an Arrow IPC stream trace (`trace`), each worker reads the trace itself and the pool also
// decodes (`decode`: one worker per batch, into the slot) and encodes (`encode`: the outcome and
// signal IPC messages of a batch, on one worker) — see worker-main.ts and pipeline.ts.
import { Worker } from 'node:worker_threads';
import type { Profile } from '../model/profiles.js';
import { EventColumns, MapperPool } from '../columns/events.js';
import { OutcomeColumns, SignalColumns } from '../columns/outcomes.js';
import type { IpcMessage } from './feed.js';
import type { FedBatch } from './source.js';

const sab = (b: number): SharedArrayBuffer => new SharedArrayBuffer(Math.max(8, b));

export interface WorkerSignals {
  n: number;
  row: Uint32Array;
  seq: Uint8Array;
  pid: Uint32Array;
  tid: Uint32Array;
  signo: Uint8Array;
  siCode: Uint8Array;
  addr: Float64Array;
  lsb: Int8Array;
}

export interface EncodeRequest {
  op: 'encode';
  id: number;
  batchNo: number;
  slot: number;
  n: number;
  /** Per profile: the batch's merged signal rows. */
  signals: WorkerSignals[];
  /** Per profile: whether a row carries a formatted panic message. */
  formattedPanic: boolean[];
  /** Per profile: the label-list dictionary ids of the previous batch written to that file (null: none written). */
  prevOut: (readonly number[] | null)[];
  prevSig: (readonly number[] | null)[];
}

export interface Encoded {
  bytes: Uint8Array;
  labels: number[];
}

export interface EncodeReply {
  id: number;
  /** Per profile (null: nothing to write). */
  outcomes: (Encoded | null)[];
  signals: (Encoded | null)[];
}

interface Reply {
  id: number;
  error?: { message: string; input: boolean };
  signals?: WorkerSignals[];
  recoveryOff?: boolean[];
  n?: number;
  hostOrdered?: boolean;
}

/** A worker's failure, marked `input` when the input was at fault (InputError in the worker). */
function replyError(r: Reply): Error {
  const e = new Error(r.error!.message) as Error & { input?: boolean };
  e.input = r.error!.input;
  return e;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: unknown) => void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending: Map<number, Pending>[] = [];
  private poolSent = 0;
  private seq = 0;
  /** Per slot (the main thread fills one slot while the workers replay another). */
  readonly slotCols: EventColumns[] = [];
  readonly slotOuts: OutcomeColumns[][] = [];
  /** Capacity of each slot as the workers know it (a larger batch makes the main thread grow it). */
  private readonly sentCap: number[] = [];
  /** Fed path: per worker, the dictionary message it has per dictionary id (null: no schema yet). */
  private readonly sentDicts: (Map<number, IpcMessage> | null)[] = [];

  /** `trace`: an Arrow IPC stream the workers read themselves (decode and encode in the workers). */
  constructor(readonly n: number, profiles: readonly Profile[], capacity: number, where: string, readonly slots = 2, readonly trace: string | null = null) {
    for (let s = 0; s < slots; s++) {
      this.slotCols.push(new EventColumns(capacity, sab));
      this.slotOuts.push(profiles.map(() => new OutcomeColumns(capacity, sab)));
      this.sentCap.push(capacity);
    }
    // In the prebuilt bundle (dist/*.mjs) the worker is its own bundle next to this chunk; from the
    // sources it is the TypeScript entry, loaded through tsx by worker-boot.mjs.
    const bundled = import.meta.url.endsWith('.mjs');
    const script = bundled ? new URL('./worker-main.mjs', import.meta.url) : new URL('./worker-boot.mjs', import.meta.url);
    const url = new URL('./worker-main.ts', import.meta.url);
    for (let k = 0; k < n; k++) {
      const w = new Worker(script, {
        workerData: {
          entry: url.href, part: k, parts: n, profiles, where, capacity, trace,
          cols: this.slotCols.map((c) => c.buffers()),
          outs: this.slotOuts.map((os) => os.map((o) => o.buffers())),
        },
      });
      w.unref();
      const pending = new Map<number, Pending>();
      w.on('message', (m: Reply) => {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        p.resolve(m);
      });
      w.on('error', (e) => {
        for (const p of pending.values()) p.reject(e);
        pending.clear();
      });
      this.workers.push(w);
      this.pending.push(pending);
    }
  }

  /** Slot 0's columns (single-buffered use). */
  get cols(): EventColumns {
    return this.slotCols[0]!;
  }

  private call(k: number, msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    const id = ++this.seq;
    return new Promise<Reply>((resolve, reject) => {
      this.pending[k]!.set(id, { resolve, reject });
      this.workers[k]!.postMessage({ ...msg, id }, transfer);
    }).then((r) => {
      if (r.error) throw replyError(r);
      return r;
    });
  }

  /** Grow slot `slot` to `capacity` rows and hand the new shared buffers to the workers (messages arrive in order). */
  grow(slot: number, capacity: number): void {
    const cols = this.slotCols[slot]!;
    cols.ensure(capacity);
    if (cols.capacity === this.sentCap[slot]) return;
    for (const o of this.slotOuts[slot]!) o.ensure(cols.capacity);
    for (const w of this.workers) {
      w.postMessage({ resize: { slot, capacity: cols.capacity, cols: cols.buffers(), outs: this.slotOuts[slot]!.map((o) => o.buffers()) } });
    }
    this.sentCap[slot] = cols.capacity;
  }

  /**
   * Fed path: worker `k` decodes and validates batch `b` into slot `slot` from its bytes, with the
   * dictionary messages it does not have yet (the schema first) and the batch's translation tables.
   */
  async decodeFed(k: number, b: FedBatch, slot: number): Promise<void> {
    let had = this.sentDicts[k];
    const first = !had;
    had ??= this.sentDicts[k] = new Map();
    const dicts: { id: number; bytes: Uint8Array }[] = [];
    for (const [id, d] of b.dicts) {
      if (had.get(id) === d.m) continue;
      had.set(id, d.m);
      dicts.push({ id, bytes: d.bytes });
    }
    const t = b.tables!;
    const transfer = [t.host.buffer, ...(t.comm ? [t.comm.buffer] : []), ...(t.mappers ? [t.mappers.buffer] : [])] as ArrayBuffer[];
    // A copied message (one across two read chunks) is this call's own; views of shared chunks are shared.
    if (b.msg.buffer instanceof ArrayBuffer) transfer.push(b.msg.buffer);
    const r = await this.call(k, { op: 'decodeFed', batchNo: b.batchNo, slot, msg: b.msg, dicts, tables: t, ...(first ? { schema: b.schema } : {}) }, transfer);
    const cols = this.slotCols[slot]!;
    cols.n = r.n!;
    cols.hostOrdered = r.hostOrdered!;
  }

  /** Fed path, a batch decoded by this thread: worker `k` (which encodes it) learns its hosts' names. */
  hostNames(k: number, cols: EventColumns, names: readonly string[]): void {
    const seen = new Set<number>();
    for (let i = 0; i < cols.n; i++) seen.add(cols.host[i]!);
    const ids = [...seen];
    this.workers[k]!.postMessage({ op: 'names', ids, names: ids.map((id) => names[id]!) });
  }

  /** Trace mode: worker `k` decodes and validates batch `batchNo` into slot `slot`. */
  async decode(k: number, batchNo: number, slot: number): Promise<void> {
    const r = await this.call(k, { op: 'decode', batchNo, slot });
    const cols = this.slotCols[slot]!;
    cols.n = r.n!;
    cols.hostOrdered = r.hostOrdered!;
  }

  /**
   * Replay slot `slot` (rows [0, cols.n)) under every profile: fills its outcome columns and
   * `sigs`; returns per profile whether a row carries a formatted panic message. Batches must be
   * started in trace order (each worker keeps per-host state). `pool`: the mapper lists the main
   * thread decoded (null in trace mode: each worker has its own).
   */
  async replay(batchNo: number, pool: MapperPool | null, sigs: SignalColumns[], slot = 0): Promise<boolean[]> {
    const cols = this.slotCols[slot]!;
    if (cols.capacity !== this.sentCap[slot]) this.grow(slot, cols.capacity);
    let delta: { from: number; offsets: number[]; pids: number[]; policies: number[] } | undefined;
    if (pool) {
      delta = {
        from: this.poolSent,
        offsets: pool.offsets.slice(this.poolSent + 1),
        pids: pool.pids.slice(pool.offsets[this.poolSent]!),
        policies: pool.policies.slice(pool.offsets[this.poolSent]!),
      };
      this.poolSent = pool.offsets.length - 1;
    }
    for (const o of this.slotOuts[slot]!) o.n = cols.n;
    const msg = { batchNo, slot, n: cols.n, hostOrdered: cols.hostOrdered, ...(delta ? { pool: delta } : {}) };
    const replies = await Promise.allSettled(this.workers.map((_, k) => this.call(k, msg)));
    // The first failing worker's error (in worker order, whatever finished first).
    for (const r of replies) if (r.status === 'rejected') throw r.reason;
    const ok = replies.map((r) => (r as PromiseFulfilledResult<Reply>).value);
    // Merge each profile's signal rows from the workers in row order.
    for (let p = 0; p < sigs.length; p++) {
      const parts = ok.map((r) => r.signals![p]!);
      const out = sigs[p]!;
      out.clear();
      const pos = new Array<number>(parts.length).fill(0);
      for (;;) {
        let best = -1;
        let bestRow = Infinity;
        for (let k = 0; k < parts.length; k++) {
          const s = parts[k]!;
          if (pos[k]! < s.n && s.row[pos[k]!]! < bestRow) {
            bestRow = s.row[pos[k]!]!;
            best = k;
          }
        }
        if (best < 0) break;
        const s = parts[best]!;
        let end = pos[best]!;
        while (end < s.n && s.row[end] === bestRow) end++;
        out.copyFrom(s as unknown as SignalColumns, pos[best]!, end);
        pos[best] = end;
      }
    }
    return sigs.map((_, p) => ok.some((r) => r.recoveryOff![p]));
  }

  /** Trace mode: worker `k` encodes a replayed batch's outcome and signal IPC messages. */
  async encode(k: number, req: Omit<EncodeRequest, 'op' | 'id'>): Promise<EncodeReply> {
    return (await this.call(k, { ...req, op: 'encode' })) as unknown as EncodeReply;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
