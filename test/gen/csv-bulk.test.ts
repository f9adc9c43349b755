// The bulk CSV importer (DuckDB read_csv) against the strict reader (csv-parse + eventFromRow):
// identical traces for the curated CSVs and a generated fleet, in both execution modes; identical
// errors (file, line, column, value, expected) for bad input, with nothing written.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCsvBulk } from '../../src/import/csv-bulk.js';
import { readTraceCsv } from '../../src/io/csv-trace.js';
import { TraceStreamWriter } from '../../src/io/arrow-trace.js';
import { TRACE_COLUMNS } from '../../src/io/trace.js';
import { generateFleet } from '../../src/gen/fleet.js';
import { resolveMix } from '../../src/gen/mix.js';
import { F_FIRMWARE_FIRST, F_GUEST_RAS, F_PINNED, F_POISONED_BEFORE, F_RIPV, F_SYNC } from '../../src/columns/events.js';
import { ARCH, CONTEXT, KIND, MEM, NOTIFY, PAGE, SEVERITY } from '../../src/model/enums.js';
import { ROOT } from '../helpers.js';
import { decodeTrace } from './decode.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-bulk-'));

function strict(csv: string, out: string): string | null {
  try {
    const w = new TraceStreamWriter(out);
    try {
      for (const e of readTraceCsv(csv)) w.add(e);
      w.close();
    } catch (e) {
      w.abort();
      throw e;
    }
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

async function bulk(csv: string, out: string, materializeBytes?: number): Promise<string | null> {
  try {
    await importCsvBulk(csv, out, materializeBytes === undefined ? {} : { materializeBytes });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Both paths on one file: the same bytes, or the same error and no output. */
async function same(csv: string, materializeBytes?: number): Promise<string | null> {
  const a = join(dir, 'strict.arrows');
  const b = join(dir, 'bulk.arrows');
  rmSync(a, { force: true });
  rmSync(b, { force: true });
  const ea = strict(csv, a);
  const eb = await bulk(csv, b, materializeBytes);
  expect(eb).toBe(ea);
  if (ea === null) expect(readFileSync(b).equals(readFileSync(a)), csv).toBe(true);
  else expect(existsSync(b)).toBe(false);
  return ea;
}

/** The curated CSV as rows of cells, and back. */
const x86 = readFileSync(join(ROOT, 'traces/x86.csv'), 'utf8');
const lines = x86.split('\n').filter((l) => l !== '');
const header = lines[0]!.split(',');
const col = (name: string) => header.indexOf(name);
/** x86.csv with one cell replaced (cells split on commas: the edited rows have no quoted commas before the note). */
function edit(name: string, line: number, column: string, value: string): string {
  const out = [...lines];
  const cells = out[line - 1]!.split(',');
  cells[col(column)] = value;
  out[line - 1] = cells.join(',');
  const f = join(dir, name);
  writeFileSync(f, out.join('\n') + '\n');
  return f;
}

describe('bulk CSV import', () => {
  it('gives the strict reader\'s trace for traces/x86.csv and traces/arm64.csv (both execution modes)', async () => {
    for (const t of ['traces/x86.csv', 'traces/arm64.csv']) {
      await same(join(ROOT, t));
      await same(join(ROOT, t), 0); // streamed result
    }
    const rows = decodeTrace(join(dir, 'bulk.arrows'), () => {}).rows;
    expect(rows).toBe(readTraceCsv(join(ROOT, 'traces/arm64.csv')).length);
  });

  it('gives the strict reader\'s trace for a generated fleet written as CSV (strings, mappers, nulls, hex)', async () => {
    const m = resolveMix({ ue: { host_share_per_year: 0.6, ce_host_factor: 1 }, hosts: { kvm: 0.5, sysctls_in_trace: false } }, 'heavy');
    const trace = join(dir, 'fleet.arrows');
    generateFleet(trace, m, { hosts: 1500, days: 365, seed: 3 });
    const out: string[] = [TRACE_COLUMNS.join(',')];
    const b = (x: boolean) => (x ? 'true' : 'false');
    decodeTrace(trace, (c, d) => {
      for (let i = 0; i < c.n; i++) {
        const f = c.flags[i]!;
        const o = (v: number) => (v < 0 ? '' : String(v));
        const cells: Record<string, string> = {
          event_id: String(c.eventId[i]), host: d.hosts.names[c.host[i]!]!, t_ns: String(c.tNs[i]), arch: ARCH[c.arch[i]!]!,
          kind: KIND[c.kind[i]!]!, notify: NOTIFY[c.notify[i]!]!, firmware_first: b((f & F_FIRMWARE_FIRST) !== 0),
          severity: SEVERITY[c.severity[i]!]!, sync: b((f & F_SYNC) !== 0), ripv: i % 7 ? b((f & F_RIPV) !== 0) : ((f & F_RIPV) ? '1' : '0'),
          pa: c.pa[i]! < 0 ? '' : i % 2 ? `0x${c.pa[i]!.toString(16)}` : String(c.pa[i]), mem: MEM[c.mem[i]!]!, page: PAGE[c.page[i]!]!,
          page_shift: String(c.pageShift[i]), pinned: b((f & F_PINNED) !== 0), poisoned_before: b((f & F_POISONED_BEFORE) !== 0),
          context: CONTEXT[c.context[i]!]!, pid: String(c.pid[i]), tid: i % 3 ? String(c.tid[i]) : c.tid[i] === c.pid[i] ? '' : String(c.tid[i]),
          comm: d.comms.names[c.comm[i]!]!, vaddr: c.vaddr[i]! < 0 ? '' : `0x${c.vaddr[i]!.toString(16)}`,
          mappers: c.mappers[i]! < 0 ? '' : d.mappers.texts[c.mappers[i]!]!, guest_ras: i % 5 ? b((f & F_GUEST_RAS) !== 0) : '',
          early_kill: o(c.earlyKill[i]!), recovery: o(c.recovery[i]!), panic_on_oops: o(c.panicOnOops[i]!), kdump: o(c.kdump[i]!),
        };
        out.push(TRACE_COLUMNS.map((k) => cells[k]).join(','));
      }
    });
    const csv = join(dir, 'fleet.csv');
    writeFileSync(csv, out.join('\n') + '\n');
    expect(out.length).toBeGreaterThan(1000);
    await same(csv);
  });

  it('accepts what the strict reader accepts: padded values, any-case booleans, CRLF, gzip', async () => {
    const padded = lines.map((l, k) => (k === 0 ? l : l.split(',').map((v, j) => (v && [col('page'), col('pid'), col('arch'), col('host'), col('pa')].includes(j) ? ` ${v} ` : v)).join(',')));
    writeFileSync(join(dir, 'pad.csv'), padded.join('\n') + '\n');
    expect(await same(join(dir, 'pad.csv'))).toBeNull();
    expect(await same(edit('case.csv', 2, 'sync', 'FaLsE'))).toBeNull();
    writeFileSync(join(dir, 'crlf.csv'), lines.join('\r\n') + '\r\n');
    expect(await same(join(dir, 'crlf.csv'))).toBeNull();
    writeFileSync(join(dir, 'x86.csv.gz'), gzipSync(x86));
    expect(await same(join(dir, 'x86.csv.gz'))).toBeNull();
  });

  it('a bad value: InputError naming the file, line, column, value and expected; nothing written', async () => {
    const f = edit('bad.csv', 51, 'page', 'anonn');
    const msg = await same(f);
    expect(msg).toBe(`${f}: line 51: column page: value "anonn": expected one of ${PAGE.join(', ')}`);
    expect(readdirSync(dir).filter((x) => x.includes('.tmp-'))).toEqual([]);
    await expect(importCsvBulk(f, join(dir, 'x.arrows'))).rejects.toMatchObject({ file: f, row: 'line 51', column: 'page' });
    expect(existsSync(join(dir, 'x.arrows'))).toBe(false);
  });

  it('every kind of bad input gives the strict reader\'s error', async () => {
    expect(await same(edit('num.csv', 61, 'pid', '1e3'))).toMatch(/: line 61: column pid: value "1e3": expected an unsigned 32-bit integer$/);
    expect(await same(edit('hex.csv', 62, 'pa', '0X2004001c0'))).toMatch(/: line 62: column pa: value "0X2004001c0": expected an unsigned 64-bit integer/);
    expect(await same(edit('big.csv', 8, 'pa', '0xffffffffffffffff'))).toMatch(/: line 8: column pa: .*expected an address below 2\^53/);
    expect(await same(edit('req.csv', 71, 'notify', ''))).toMatch(/: line 71: column notify: value "": expected one of .*\(required for an error event\)$/);
    expect(await same(edit('cross.csv', 6, 'sync', 'true'))).toMatch(/: line 6: column context: value "none": expected who consumed the data/);
    expect(await same(edit('map.csv', 10, 'mappers', '12:sometimes'))).toMatch(/: line 10: column mappers: value "12:sometimes"/);
    expect(await same(edit('shift.csv', 12, 'page_shift', '300'))).toMatch(/: line 12: column page_shift: value "300": expected 12, 21 or 30$/);
    expect(await same(edit('host.csv', 13, 'host', '  '))).toMatch(/: line 13: column host: value "": expected a host name \(required\)$/);
    expect(await same(edit('dup.csv', 81, 'event_id', lines[19]!.split(',')[0]!))).toMatch(/: line 81: column event_id: value "\d+": expected an event_id unique within the trace$/);
    expect(await same(edit('order.csv', 32, 't_ns', '1'))).toMatch(/: line 32: column t_ns: value "1": expected \(t_ns, event_id\) not before the previous event of host \S+ \(.*order\.csv: line 31: /);
    expect(await same(edit('col.csv', 1, 'pid', 'pidd'))).toMatch(/: line 1 \(header\): column pidd: value "pidd": expected a trace column/);
    expect(await same(edit('fields.csv', 40, 'pid', '1,2'))).toMatch(/: line 40: malformed CSV: Invalid Record Length/);
    for (const mb of [0, undefined]) expect(await same(edit('late.csv', 117, 'page', 'anonn'), mb)).toMatch(/: line 117: column page: value "anonn"/);
  });
});
