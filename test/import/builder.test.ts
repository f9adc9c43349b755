// The imported-event columns (src/import/builder.ts). Expectations from docs/trace-format.md
// ("Columns": required columns, defaults, ranges; "Cross-column rules") and docs/import.md ("What
// every importer does": ids 1..N in (host, t_ns, source order) order, `inferred`, the located
// error line), worked out by hand for each event below.
import { describe, expect, it } from 'vitest';
import { C, EventBuilder } from '../../src/import/builder.js';
import { InputError } from '../../src/io/errors.js';
import { Arch, Context, Kind, Notify, Page, Severity } from '../../src/model/enums.js';
import { NO_ADDR, PROFILE_DEFAULT } from '../../src/model/record.js';

/** A corrected x86 CMCI error, every required column set (observed). */
function corrected(b: EventBuilder, host: string, t: bigint, seq: number): void {
  b.begin(host, true, t, true, seq, `f: line ${seq}`);
  b.set(C.arch, Arch.x86_64, true);
  b.set(C.notify, Notify.cmci, true);
  b.set(C.severity, Severity.corrected, true);
  b.set(C.sync, 0, true);
}

describe('EventBuilder', () => {
  it('orders by (host, t_ns, source order), numbers 1..N and applies the defaults', () => {
    const b = new EventBuilder(2); // grows past its first capacity
    corrected(b, 'node-b', 5n, 1);
    corrected(b, 'node-a', 9n, 2);
    corrected(b, 'node-a', 9n, 0); // same host and time: source order 0 first
    corrected(b, 'node-a', 3n, 3);
    const t = b.finish('f', 'rasdaemon', []);
    expect(t.count).toBe(4);
    const ev = t.toEvents();
    expect(ev.map((e) => [e.eventId, e.host, e.tNs, e.where])).toEqual([
      [1n, 'node-a', 3n, 'f: line 3'], [2n, 'node-a', 9n, 'f: line 0'], [3n, 'node-a', 9n, 'f: line 2'], [4n, 'node-b', 5n, 'f: line 1'],
    ]);
    const e = ev[0]!;
    // §1 defaults: firmware_first false on x86, ripv true, no pa/vaddr, ram, page unknown,
    // page_shift 12, pid 0 and tid = pid, context none (an asynchronous error), guest_ras true,
    // the profile's defaults for the overrides, intel.
    expect(e).toMatchObject({
      kind: Kind.error, firmwareFirst: false, ripv: true, pa: NO_ADDR, vaddr: NO_ADDR, mem: 0, page: Page.unknown, pageShift: 12,
      pinned: false, poisonedBefore: false, context: Context.none, pid: 0, tid: 0, comm: '', mappers: [], guestRas: true,
      earlyKill: PROFILE_DEFAULT, recovery: PROFILE_DEFAULT, panicOnOops: PROFILE_DEFAULT, kdump: PROFILE_DEFAULT,
      panicOnUnrecoverable: PROFILE_DEFAULT, extraRefs: false, vendor: 0, note: '',
    });
    // inferred: every column not observed, in TRACE_COLUMNS order (host and t_ns were observed; kind was not set).
    expect(t.toObserved()[0]!.inferred).toEqual([
      'kind', 'firmware_first', 'ripv', 'pa', 'mem', 'page', 'page_shift', 'pinned', 'poisoned_before', 'context', 'pid', 'tid',
      'comm', 'vaddr', 'mappers', 'guest_ras', 'early_kill', 'recovery', 'panic_on_oops', 'kdump', 'panic_on_unrecoverable',
      'extra_refs', 'vendor',
    ]);
  });

  it('defaults firmware_first to true on arm64 and tid to the pid; keeps the observed outcome and signals', () => {
    const b = new EventBuilder();
    b.begin('h', false, 1n, false, 0, 'f: row 1');
    b.set(C.arch, Arch.arm64, true);
    b.set(C.notify, Notify.sea, false);
    b.set(C.severity, Severity.recoverable, true);
    b.set(C.sync, 1, false);
    b.set(C.context, Context.user, false);
    b.set(C.pid, 4242, true);
    b.setComm('java', true);
    b.note('one');
    b.note('two');
    b.setMf('dirty LRU page', 'Recovered');
    b.signal(4242, 4242, 7, 4, null, null);
    // A second event: signals shown but none (`[]`); a third: no signal information (null).
    corrected(b, 'h', 2n, 1);
    b.signalsKnown();
    corrected(b, 'h', 3n, 2);
    const t = b.finish('f', 'rasdaemon', []);
    const [e] = t.toEvents();
    expect(e).toMatchObject({ firmwareFirst: true, pid: 4242, tid: 4242, comm: 'java', note: 'one; two', notify: Notify.sea, sync: true });
    const o = t.toObserved();
    expect(o[0]).toMatchObject({ eventId: 1n, host: 'h', panic: null, panicMsg: null, mfType: 'dirty LRU page', mfResult: 'Recovered',
      signals: [{ pid: 4242, tid: 4242, signo: 7, siCode: 4, addr: null, lsb: null }] });
    // host and t_ns not observed: both inferred.
    expect(o[0]!.inferred.slice(0, 2)).toEqual(['host', 't_ns']);
    expect(o[1]!.signals).toEqual([]);
    expect(o[2]!.signals).toBeNull();
    // The NDJSON line writeObserved feeds DuckDB.
    expect(JSON.parse(t.observedJson(1))).toEqual({ event_id: '2', host: 'h', where: 'f: line 1', note: '', inferred: expect.any(Array),
      panic: null, panic_msg: null, mf_type: null, mf_result: null, signals: [] });
  });

  const error = (fill: (b: EventBuilder) => void): string => {
    const b = new EventBuilder();
    fill(b);
    try {
      b.finish('db', 'rasdaemon', []);
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('names where, column, value and what was expected, as eventFromRow does', () => {
    // An error event without notify (required for kind error).
    expect(error((b) => {
      b.begin('h', true, 1n, true, 0, 'db: table mce_record row 7');
      b.set(C.arch, Arch.x86_64, true);
    })).toBe('db: table mce_record row 7: imported rasdaemon record gives column notify the value "": expected one of ' +
      'mce, cmci, poll, nmi, sea, sei, sdei, gsiv, gpio, sci, polled, none, madvise, madvise_soft_offline (required for an error event)'); // NOTIFY's order (enums.ts)
    // A pid beyond 32 bits, as a source may record it.
    expect(error((b) => {
      corrected(b, 'h', 1n, 0);
      b.set(C.pid, 4294967296, true);
    })).toBe('f: line 0: imported rasdaemon record gives column pid the value "4294967296": expected an unsigned 32-bit integer');
    // A page address computed from a pfn at or above 2^53.
    expect(error((b) => {
      corrected(b, 'h', 1n, 0);
      b.setAddr(C.pa, 1n << 60n, false);
    })).toBe('f: line 0: imported rasdaemon record gives column pa the value "0x1000000000000000": expected an address below 2^53 ' +
      '(physical and user virtual addresses fit; kernel virtual addresses are not trace input)');
    // A cross-column rule: x86 native MCA (cmci) with firmware_first true.
    expect(error((b) => {
      corrected(b, 'h', 1n, 0);
      b.set(C.firmwareFirst, 1, true);
    })).toBe('f: line 0: imported rasdaemon record gives column firmware_first the value "true": expected false: mce, cmci and poll are native x86 MCA');
  });
});
