// A replay worker: owns the hosts with id mod parts === part, for every profile.
import { parentPort, workerData } from 'node:worker_threads';
import type { Profile } from '../model/profiles.js';
import { InputError } from '../io/errors.js';
import { EventColumns, MapperPool } from '../columns/events.js';
import { OutcomeColumns, SignalColumns } from '../columns/outcomes.js';
import { BatchReplayer } from './run.js';

interface Init {
  part: number;
  parts: number;
  profiles: Profile[];
  where: string;
  capacity: number;
  cols: Record<string, ArrayBufferLike>[];
  outs: Record<string, ArrayBufferLike>[][];
}

const init = workerData as Init;
const pool = new MapperPool();
const slotCols = init.cols.map((b) => EventColumns.fromBuffers(0, init.capacity, b));
const slotOuts = init.outs.map((os) => os.map((b) => OutcomeColumns.fromBuffers(init.capacity, b)));

interface Resize {
  slot: number;
  capacity: number;
  cols: Record<string, ArrayBufferLike>;
  outs: Record<string, ArrayBufferLike>[];
}
const replayers = init.profiles.map((p) => new BatchReplayer(p, pool, init.where));
const sigs = init.profiles.map(() => new SignalColumns());

parentPort!.on('message', (m: { resize?: Resize; id: number; batchNo: number; slot: number; n: number; hostOrdered: boolean; pool: { offsets: number[]; pids: number[]; policies: number[] } }) => {
  if (m.resize) {
    const r = m.resize;
    slotCols[r.slot] = EventColumns.fromBuffers(0, r.capacity, r.cols);
    slotOuts[r.slot] = r.outs.map((b) => OutcomeColumns.fromBuffers(r.capacity, b));
    return;
  }
  try {
    for (const o of m.pool.offsets) pool.offsets.push(o);
    for (const p of m.pool.pids) pool.pids.push(p);
    for (const p of m.pool.policies) pool.policies.push(p);
    const cols = slotCols[m.slot]!;
    const outs = slotOuts[m.slot]!;
    cols.n = m.n;
    cols.hostOrdered = m.hostOrdered;
    const signals = replayers.map((r, k) => {
      const s = sigs[k]!;
      r.run(cols, m.batchNo, outs[k]!, s, init.part, init.parts);
      return {
        n: s.n, row: s.row.slice(0, s.n), seq: s.seq.slice(0, s.n), pid: s.pid.slice(0, s.n), tid: s.tid.slice(0, s.n),
        signo: s.signo.slice(0, s.n), siCode: s.siCode.slice(0, s.n), addr: s.addr.slice(0, s.n), lsb: s.lsb.slice(0, s.n),
      };
    });
    parentPort!.postMessage({ id: m.id, signals }, signals.flatMap((s) => [s.row.buffer, s.seq.buffer, s.pid.buffer, s.tid.buffer, s.signo.buffer, s.siCode.buffer, s.addr.buffer, s.lsb.buffer]));
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: { message: (e as Error).message, input: e instanceof InputError } });
  }
});
