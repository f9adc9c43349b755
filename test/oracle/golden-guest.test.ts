// The optional guest_action golden column (docs/golden-format.md). Expectations from
// docs/conventions.md C12 (QEMU kvm_arch_on_sigbus_vcpu): x86 AO to a VMM with guest RAS -> vmce;
// AR -> vmce; SI_KERNEL -> vmm_exit.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readTraceCsv } from '../../src/io/csv-trace.js';
import { replayEvents } from '../../src/engine/replay-events.js';
import { builtinProfile } from '../../src/model/profiles.js';
import { compareGolden, formatGolden, goldenRowFromOutcome, parseGolden } from '../../src/oracle/golden.js';
import { ROOT } from '../helpers.js';

const HEAD = '# ras-replay golden v1\n# suite: x86\n# profile: linux-6.19\n';
const COLS = 'event_id\tpanic\treboot_loop\tvmcore\tmf_type\tmf_result\tsignals\tguest_action\n';
// traces/x86.csv 1076: seed 003 device memory in a guest, linux-6.19 AR to the vCPU (vmce);
// 1115: GHES NMI on guest RAM, AO to the early QEMU leader (vmce).
const ROWS = '1076\tfalse\tfalse\tnone\tnon struct page pfn\tRecovered\t2830/2834:7:4:12\tvmce\n' +
  '1115\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t3230/3230:7:5:12\tvmce\n';

function outcomes(profile: string, ids: bigint[]) {
  const events = readTraceCsv(join(ROOT, 'traces/x86.csv')).filter((e) => ids.includes(e.eventId));
  return replayEvents(events, [builtinProfile(profile)]);
}

describe('golden guest_action column', () => {
  it('is parsed, compared and written back byte for byte', () => {
    const text = HEAD + COLS + ROWS;
    const g = parseGolden(text, 'g.golden');
    expect(g.guestAction).toBe(true);
    expect(formatGolden(g.head, g.rows.values())).toBe(text);
    expect(compareGolden(outcomes('linux-6.19', [1076n, 1115n]), g)).toEqual([]);
  });
  it('a different guest_action is a mismatch naming the column; * leaves it unchecked', () => {
    const g = parseGolden(HEAD + COLS + ROWS.replace('2830/2834:7:4:12\tvmce', '2830/2834:7:4:12\tvsea'), 'g.golden');
    const m = compareGolden(outcomes('linux-6.19', [1076n, 1115n]), g);
    expect(m.map((x) => [x.eventId, x.fields])).toEqual([[1076n, ['guest_action']]]);
    expect(m[0]!.actual.endsWith('\tvmce')).toBe(true);
    const star = parseGolden(HEAD + COLS + ROWS.replace('2830/2834:7:4:12\tvmce', '2830/2834:7:4:12\t*'), 'g.golden');
    expect(compareGolden(outcomes('linux-6.19', [1076n, 1115n]), star)).toEqual([]);
    // Under linux-6.6 the vCPU gets SI_KERNEL (kill_me_now): QEMU exits.
    const six = outcomes('linux-6.6', [1076n]);
    expect(goldenRowFromOutcome(six[0]!, new Set(), true).guestAction).toBe('vmm_exit');
    expect(goldenRowFromOutcome(six[0]!).guestAction).toBeUndefined();
  });
  it('bad values and widths are refused with the line and column', () => {
    expect(() => parseGolden(HEAD + COLS + ROWS.replace('\tvmce\n1115', '\tvmcee\n1115'), 'g.golden')).toThrow(/g\.golden: line 5: column guest_action: value "vmcee": expected \* or none, vsea, vmce, vmm_exit, ignored/);
    expect(() => parseGolden(HEAD + COLS + '1076\tfalse\tfalse\tnone\t-\t-\t-\n', 'g.golden')).toThrow(/line 5: .*8 tab-separated fields/);
    const plain = parseGolden(HEAD + COLS.replace('\tguest_action', '') + '1076\tfalse\tfalse\tnone\t-\t-\t-\n', 'g.golden');
    expect(plain.guestAction).toBe(false);
    expect(formatGolden(plain.head, plain.rows.values())).not.toMatch(/guest_action/);
  });
});
