// Parallel replay over worker threads. Work is partitioned by host (host id mod N), so each host's
// replay state lives in exactly one worker and the outcomes cannot depend on N. Each batch's decoded
// columns and the per-profile outcome columns sit on SharedArrayBuffers: a worker writes the
// outcome rows of its hosts in place; its signal rows come back as transferred arrays and are
// merged in row order. Results are byte-for-byte identical for any number of workers.
import { Worker } from 'node:worker_threads';
import type { Profile } from '../model/profiles.js';
import { EventColumns, MapperPool } from '../columns/events.js';
import { OutcomeColumns, SignalColumns } from '../columns/outcomes.js';

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

interface Reply {
  id: number;
  error?: { message: string; input: boolean };
  signals?: WorkerSignals[];
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private poolSent = 0;
  private seq = 0;
  /** Per slot (double buffering: the main thread fills one slot while the workers replay the other). */
  readonly slotCols: EventColumns[] = [];
  readonly slotOuts: OutcomeColumns[][] = [];
  /** Capacity of each slot as the workers know it (a larger batch makes the main thread grow it). */
  private readonly sentCap: number[] = [];

  constructor(readonly n: number, profiles: readonly Profile[], capacity: number, where: string, readonly slots = 2) {
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
          entry: url.href, part: k, parts: n, profiles, where, capacity,
          cols: this.slotCols.map((c) => c.buffers()),
          outs: this.slotOuts.map((os) => os.map((o) => o.buffers())),
        },
      });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Slot 0's columns (single-buffered use). */
  get cols(): EventColumns {
    return this.slotCols[0]!;
  }

  /**
   * Replay slot `slot` (rows [0, cols.n)) under every profile: fills its outcome columns and
   * `sigs`. Batches must be started in trace order (each worker keeps per-host state).
   */
  async replay(batchNo: number, pool: MapperPool, sigs: SignalColumns[], slot = 0): Promise<void> {
    const id = ++this.seq;
    const cols = this.slotCols[slot]!;
    if (cols.capacity !== this.sentCap[slot]) {
      // The decoder grew this slot for a batch larger than the pool's batch size: grow its outcome
      // columns too and hand the new shared buffers to the workers (messages arrive in order).
      for (const o of this.slotOuts[slot]!) o.ensure(cols.capacity);
      for (const w of this.workers) {
        w.postMessage({ resize: { slot, capacity: cols.capacity, cols: cols.buffers(), outs: this.slotOuts[slot]!.map((o) => o.buffers()) } });
      }
      this.sentCap[slot] = cols.capacity;
    }
    const delta = {
      from: this.poolSent,
      offsets: pool.offsets.slice(this.poolSent + 1),
      pids: pool.pids.slice(pool.offsets[this.poolSent]!),
      policies: pool.policies.slice(pool.offsets[this.poolSent]!),
    };
    this.poolSent = pool.offsets.length - 1;
    for (const o of this.slotOuts[slot]!) o.n = cols.n;
    const replies = await Promise.all(this.workers.map((w) => new Promise<Reply>((resolve, reject) => {
      const onMsg = (m: Reply) => {
        if (m.id !== id) return;
        w.off('message', onMsg);
        w.off('error', reject);
        resolve(m);
      };
      w.on('message', onMsg);
      w.once('error', reject);
      w.postMessage({ id, batchNo, slot, n: cols.n, hostOrdered: cols.hostOrdered, pool: delta });
    })));
    for (const r of replies) {
      if (r.error) {
        const e = new Error(r.error.message) as Error & { input?: boolean };
        e.input = r.error.input;
        throw e;
      }
    }
    // Merge each profile's signal rows from the workers in row order.
    for (let p = 0; p < sigs.length; p++) {
      const parts = replies.map((r) => r.signals![p]!);
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
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
