// Test helpers for generated traces: decode every batch with the validating TraceDecoder, check the
// per-host order, and replay through the model (no NotModelledError may escape).
import { RecordBatchReader } from 'apache-arrow';
import { fileChunks } from '../../src/io/arrow-util.js';
import { newTraceDicts, TraceDecoder, TraceDicts } from '../../src/io/arrow-trace.js';
import { EventColumns, fillFromColumns } from '../../src/columns/events.js';
import { OrderCheck } from '../../src/engine/order.js';
import { EventRecord, Outcome } from '../../src/model/record.js';
import { Replayer } from '../../src/model/replay.js';
import { FleetState } from '../../src/model/state.js';
import { builtinProfile } from '../../src/model/profiles.js';

/** Decode (validating) and order-check a trace; `each` sees every decoded batch. */
export function decodeTrace(path: string, each: (cols: EventColumns, dicts: TraceDicts) => void): { rows: number; hostOrdered: boolean; dicts: TraceDicts } {
  const dicts = newTraceDicts();
  const dec = new TraceDecoder(path, dicts);
  const order = new OrderCheck(path, dicts.hosts.names);
  const cols = new EventColumns(65536);
  let rows = 0;
  let b = 0;
  let hostOrdered = true;
  for (const batch of RecordBatchReader.from(fileChunks(path))) {
    dec.decode(batch, b, cols);
    hostOrdered &&= cols.hostOrdered;
    order.check(cols, b++);
    each(cols, dicts);
    rows += cols.n;
  }
  return { rows, hostOrdered, dicts };
}

/** Replay a trace under built-in profiles through the model; returns the number of events replayed per profile. */
export function replayTrace(path: string, profiles: string[]): number {
  let n = 0;
  for (const name of profiles) {
    const prof = builtinProfile(name);
    // One FleetState for the trace (a HostState of its own per host would allocate a fleet each).
    const fleet = new FleetState();
    const rp = new Replayer();
    const rec = new EventRecord();
    const out = new Outcome();
    n = 0;
    decodeTrace(path, (cols, dicts) => {
      for (let i = 0; i < cols.n; i++) {
        fillFromColumns(rec, cols, i, dicts.mappers);
        rp.replay(rec, prof, fleet.host(rec.hostId), out, null);
        n++;
      }
    });
  }
  return n;
}
