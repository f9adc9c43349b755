// A small Arrow trace (.arrows / .arrow, the canonical form `import` writes) as TraceEvent rows,
// for the commands that work on whole events (`explain`, `run --jsonl`). Each row goes through
// eventFromRow in the CSV spelling, so the same validation and messages apply as for CSV; large
// traces go through the batch decoder of the replay engine instead.
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { checkedIpcChunks, checkIpcFile } from './arrow-util.js';
import { InputError } from './errors.js';
import { checkOrder, eventFromRow, TRACE_COLUMNS, TraceEvent } from './trace.js';

export function readTraceArrowEvents(file: string, sort: boolean): TraceEvent[] {
  let table;
  const bytes = readFileSync(file);
  // The framing and flatbuffer bounds checks the engine's reader makes (damaged metadata can make
  // apache-arrow loop for minutes): an InputError naming the byte, before apache-arrow reads.
  if (bytes.byteLength >= 6 && bytes.toString('latin1', 0, 6) === 'ARROW1') checkIpcFile(file);
  else for (const _ of checkedIpcChunks([bytes], file)) void _;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new InputError(`${file}: cannot read the Arrow IPC trace: ${(e as Error).message}: expected an Arrow IPC stream or file (ras-replay import -o X.arrows)`, file, undefined, undefined, { cause: e });
  }
  const cols = new Map<string, { get(i: number): unknown }>();
  for (const c of [...TRACE_COLUMNS, 'note']) {
    const v = table.getChild(c);
    if (v) cols.set(c, v);
  }
  for (const c of ['event_id', 'host', 't_ns', 'arch']) {
    if (!cols.has(c)) throw new InputError(`${file}: column ${c} is missing: expected the required columns event_id, host, t_ns, arch`, file, undefined, c);
  }
  const events: TraceEvent[] = [];
  let row = 0;
  const get = (c: string): string | undefined => {
    const v = cols.get(c)?.get(row);
    if (v === null || v === undefined) return undefined;
    return typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
  };
  for (row = 0; row < table.numRows; row++) {
    const where = `${file}: row ${row + 1}`;
    events.push(eventFromRow(get, where, (column, value, expected) => {
      throw InputError.at(file, `row ${row + 1}`, column, value, expected);
    }));
  }
  return checkOrder(events, file, sort);
}
