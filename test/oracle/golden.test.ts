import { describe, expect, it } from 'vitest';
import { compareGolden, parseGolden } from '../../src/oracle/golden.js';
import type { OutcomeRow } from '../../src/engine/replay-events.js';

const HEAD = '# ras-replay golden v1\n# profile: pre\nevent_id\tpanic\treboot_loop\tvmcore\tmf_type\tmf_result\tsignals\n';

function outcome(over: Partial<OutcomeRow>): OutcomeRow {
  return {
    event_id: 1n, host: 'h', profile: 'pre', panic: false, panic_msg: null, reboot_loop: false, vmcore: 'none',
    mf_type: 'dirty LRU page', mf_result: 'Recovered', mf_ret: 0, poisoned: true, unmapped: true,
    guest_action: 'none', path: 'p', signals: [{ seq: 0, pid: 10, tid: 11, signo: 7, si_code: 4, addr: 0, addr_lsb: 12 }], ...over,
  };
}

describe('golden files', () => {
  it('parse, and compare field by field with tids optional', () => {
    const g = parseGolden(`${HEAD}1\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t10:7:4:12\n`, 'g');
    expect(compareGolden([outcome({})], g)).toEqual([]);
    const strict = parseGolden(`${HEAD}1\tfalse\tfalse\tnone\t*\t*\t10/12:7:4:12\n`, 'g');
    expect(compareGolden([outcome({})], strict)[0]!.fields).toEqual(['signals']);
    const bad = compareGolden([outcome({ panic: true, vmcore: 'incomplete', mf_type: null, mf_result: null, signals: [] })], g);
    expect(bad[0]!.fields).toEqual(['panic', 'vmcore', 'mf_type', 'mf_result', 'signals']);
  });

  it('missing and extra events are reported', () => {
    const g = parseGolden(`${HEAD}2\tfalse\tfalse\tnone\t-\t-\t-\n`, 'g');
    const m = compareGolden([outcome({})], g);
    expect(m.map((x) => x.fields[0])).toEqual(['(no golden row)', '(no such event)']);
  });

  it('rejects bad files with the line, column and what was expected', () => {
    expect(() => parseGolden('# other\n', 'g.golden')).toThrow(/g.golden: line 1/);
    expect(() => parseGolden(`${HEAD}1\tmaybe\tfalse\tnone\t-\t-\t-\n`, 'g.golden')).toThrow(/line 4: column panic: value "maybe": expected true or false/);
    expect(() => parseGolden(`${HEAD}2\tfalse\tfalse\tnone\t-\t-\t-\n1\tfalse\tfalse\tnone\t-\t-\t-\n`, 'g')).toThrow(/sorted by event_id/);
    expect(() => parseGolden(`${HEAD}1\tfalse\tfalse\tnone\tdirty page\t-\t-\n`, 'g')).toThrow(/column mf_type/);
    expect(() => parseGolden(`${HEAD}1\tfalse\tfalse\tnone\t-\t-\t10:7:4\n`, 'g')).toThrow(/column signals/);
  });
});
