// Page-offline policies. Every expected count below is worked out by hand from the policy's source
// (file and function named per test), not taken from running the code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorHistory, parseRules, parseSweep, PolicySpec, replayPolicies, AddressMap } from '../../src/oracle/policy.js';
import { runPolicies } from '../../src/oracle/policy-run.js';
import { cli, csv } from '../helpers.js';

const CE = 0;
const UE = 1;
const FATAL = 2;
type Ev = [host: number, pa: number, t: number, type: number];

function history(evs: Ev[]): ErrorHistory {
  const h = new ErrorHistory();
  evs.forEach(([host, pa, t, type], i) => h.add(host, pa, t, type, BigInt(i + 1)));
  h.hostNames = [...new Set(evs.map((e) => e[0]))].sort((a, b) => a - b).map((k) => `h${k}`);
  return h;
}

function spec(family: PolicySpec['family'], threshold: number, windowS: number, over: Partial<PolicySpec> = {}): PolicySpec {
  return { family, name: family, threshold, windowS, action: 'soft', granularity: family === 'rasdaemon-row' ? 'row' : 'page', ...over };
}

const A = 0x10000;
const B = 0x20000;
const C = 0x30000;

describe('rasdaemon page isolation (ras-page-isolation.c: page_record, page_offline)', () => {
  it('offlines at the threshold-th CE in a cycle: a later UE is prevented, a UE before it is not', () => {
    // page A: 3 CEs (count 1, 2, 3 >= 3: offline), then a UE. Page B: 2 CEs, then a UE: count 2 < 3.
    const [r] = replayPolicies(history([[0, A, 0, CE], [0, A, 1, CE], [0, A, 2, CE], [0, B, 3, CE], [0, B, 4, CE], [0, A, 10, UE], [0, B, 11, UE]]), [spec('rasdaemon-page', 3, 86400)]);
    expect(r).toMatchObject({ ues: 2, prevented: 1, pagesOfflined: 1, bytesOfflined: 4096, offlinesWithoutUe: 0 });
    expect(r!.examples).toEqual([6n]);
  });
  it('a UE before the threshold is reached is not prevented, and the poisoned page takes no more CEs', () => {
    const [r] = replayPolicies(history([[0, C, 0, CE], [0, C, 1, CE], [0, C, 2, UE], [0, C, 3, CE]]), [spec('rasdaemon-page', 3, 86400)]);
    expect(r).toMatchObject({ ues: 1, prevented: 0, pagesOfflined: 0 });
  });
  it('honours the refresh cycle: count -= (period / cycle) * threshold when a CE comes a cycle after start', () => {
    // threshold 3, cycle 100 s. CEs at 0, 50, 150: at 150 the period is 150 >= 100, tolerate =
    // trunc(1.5 * 3) = 4, count = max(0, 2 - 4) = 0, then 1 < 3: no offline. With CEs at 0, 50, 90: 3 >= 3.
    const late = replayPolicies(history([[0, A, 0, CE], [0, A, 50, CE], [0, A, 150, CE], [0, A, 200, UE]]), [spec('rasdaemon-page', 3, 100)]);
    expect(late[0]).toMatchObject({ ues: 1, prevented: 0, pagesOfflined: 0 });
    const soon = replayPolicies(history([[0, A, 0, CE], [0, A, 50, CE], [0, A, 90, CE], [0, A, 200, UE]]), [spec('rasdaemon-page', 3, 100)]);
    expect(soon[0]).toMatchObject({ ues: 1, prevented: 1, pagesOfflined: 1 });
  });
  it('account and off offline nothing (page_offline: offline <= OFFLINE_ACCOUNT returns)', () => {
    const evs: Ev[] = [[0, A, 0, CE], [0, A, 1, CE], [0, A, 2, UE]];
    for (const action of ['account', 'off'] as const) {
      expect(replayPolicies(history(evs), [spec('rasdaemon-page', 2, 86400, { action })])[0]).toMatchObject({ prevented: 0, pagesOfflined: 0 });
    }
  });
});

describe('mcelog page accounting (page.c: account_page_error; leaky-bucket.c: __bucket_account, bucket_age)', () => {
  it('overflows at capacity within agetime, and ages the bucket by (diff / agetime) * capacity', () => {
    // capacity 2 / 60 s. CEs at 0 and 59: count 2 >= 2, overflow: offline. CEs at 0 and 61: at 61,
    // diff 61 >= 60, age = trunc(61 / 60 * 2) = 2 > count 1, so count = 0, then 1 < 2.
    expect(replayPolicies(history([[0, A, 0, CE], [0, A, 59, CE], [0, A, 100, UE]]), [spec('mcelog', 2, 60)])[0]).toMatchObject({ prevented: 1, pagesOfflined: 1 });
    expect(replayPolicies(history([[0, A, 0, CE], [0, A, 61, CE], [0, A, 100, UE]]), [spec('mcelog', 2, 60)])[0]).toMatchObject({ prevented: 0, pagesOfflined: 0 });
  });
});

describe('kernel RAS_CEC (drivers/ras/cec.c: cec_add_elem, del_lru_elem_unlocked, do_spring_cleaning)', () => {
  it('soft-offlines on the CE that finds the count at count_threshold: the (threshold + 1)-th', () => {
    // Insert: count 1. Next CE: 1 < 2, count 2. Third CE: 2 is not < 2: memory_failure_queue(MF_SOFT_OFFLINE).
    expect(replayPolicies(history([[0, A, 0, CE], [0, A, 1, CE], [0, A, 5, UE]]), [spec('ras-cec', 2, 86400)])[0]).toMatchObject({ prevented: 0, pagesOfflined: 0 });
    expect(replayPolicies(history([[0, A, 0, CE], [0, A, 1, CE], [0, A, 2, CE], [0, A, 5, UE]]), [spec('ras-cec', 2, 86400)])[0]).toMatchObject({ prevented: 1, pagesOfflined: 1 });
  });
  it('forgets the least recently touched pfn when the 512-entry array is full', () => {
    // threshold 1: a known pfn at count 1 is offlined on its next CE. Page A (the lowest pfn) enters
    // first; 512 more distinct pfns follow, so at the 513th insert the array is full and the element
    // with the smallest decay/count, A (decayed by the spring cleanings every 128 inserts), is dropped.
    // A's next CE re-enters it with count 1: not offlined, and the UE is not prevented.
    const evs: Ev[] = [[0, 0x1000, 0, CE]];
    for (let k = 0; k < 512; k++) evs.push([0, 0x100000 + k * 0x1000, 1 + k, CE]);
    evs.push([0, 0x1000, 1000, CE], [0, 0x1000, 1001, UE]);
    expect(replayPolicies(history(evs), [spec('ras-cec', 1, 86400 * 30)])[0]).toMatchObject({ prevented: 0 });
    // Without the flood, A's second CE offlines it and the UE is prevented.
    expect(replayPolicies(history([[0, 0x1000, 0, CE], [0, 0x1000, 1000, CE], [0, 0x1000, 1001, UE]]), [spec('ras-cec', 1, 86400 * 30)])[0]).toMatchObject({ prevented: 1 });
  });
});

describe('firmware CPER threshold (ghes.c ghes_handle_memory_failure: THRESHOLD_EXCEEDED -> MF_SOFT_OFFLINE)', () => {
  it('offlines at the threshold-th CE on a page, with no window', () => {
    expect(replayPolicies(history([[0, A, 0, CE], [0, A, 1e7, CE], [0, A, 2e7, UE]]), [spec('firmware', 2, 0)])[0]).toMatchObject({ prevented: 1, pagesOfflined: 1 });
  });
});

describe('rasdaemon row isolation (ras-page-isolation.c: row_lookup_insert, row_record, row_offline)', () => {
  // Bank bits 20-21 and row bits 22-25: pages 0x0, 0x1000, 0x2000 share one row; 0x400000 is another row.
  const map: AddressMap = { bank: { shift: 20, bits: 2 }, row: { shift: 22, bits: 4 } };
  it('offlines every page of the row list when the row reaches its threshold', () => {
    const r = replayPolicies(history([[0, 0x0, 0, CE], [0, 0x1000, 1, CE], [0, 0x2000, 2, CE], [0, 0x0, 10, UE], [0, 0x400000, 11, UE]]), [spec('rasdaemon-row', 3, 86400)], map);
    expect(r[0]).toMatchObject({ ues: 2, prevented: 1, pagesOfflined: 3, offlinesWithoutUe: 2 });
  });
  it('drops list entries older than the cycle once the row start is a cycle old', () => {
    // cycle 100 s: at t = 200, 200 - 0 > 100, entries at 0 and 10 are older than 100 s: count 1 < 3.
    const r = replayPolicies(history([[0, 0x0, 0, CE], [0, 0x1000, 10, CE], [0, 0x2000, 200, CE], [0, 0x0, 210, UE]]), [spec('rasdaemon-row', 3, 100)], map);
    expect(r[0]).toMatchObject({ prevented: 0, pagesOfflined: 0 });
  });
});

describe('reboots and hosts', () => {
  it('a fatal UE that was not prevented reboots the host: offlined pages come back', () => {
    // A is offlined at its 2nd CE; a fatal UE on B reboots; the UE on A afterwards is not prevented.
    const r = replayPolicies(history([[0, A, 0, CE], [0, A, 1, CE], [0, B, 2, FATAL], [0, A, 3, UE]]), [spec('rasdaemon-page', 2, 86400)]);
    expect(r[0]).toMatchObject({ ues: 2, prevented: 0, fatalUes: 1, fatalPrevented: 0, pagesOfflined: 1, offlinesWithoutUe: 1 });
  });
  it('keeps hosts apart: a CE on one host does not count for the same address on another', () => {
    const r = replayPolicies(history([[0, A, 0, CE], [1, A, 1, CE], [0, A, 2, UE], [1, A, 3, UE]]), [spec('firmware', 2, 0)]);
    expect(r[0]).toMatchObject({ ues: 2, prevented: 0, pagesOfflined: 0 });
  });
  it('a user rule with a sliding window: threshold CEs within the window', () => {
    const [rule] = parseRules({ rules: [{ name: 'r', threshold: 2, window: '1m', granularity: 'page', action: 'hard' }] }, 'rules.json');
    expect(replayPolicies(history([[0, A, 0, CE], [0, A, 61, CE], [0, A, 70, UE]]), [rule!])[0]).toMatchObject({ prevented: 0 });
    expect(replayPolicies(history([[0, A, 0, CE], [0, A, 59, CE], [0, A, 70, UE]]), [rule!])[0]).toMatchObject({ prevented: 1 });
  });
});

describe('parsing', () => {
  it('sweeps every integer up to 64 points, log-spaced beyond or with /N', () => {
    expect(parseSweep('threshold=1..5').values).toEqual([1, 2, 3, 4, 5]);
    const v = parseSweep('threshold=1..200/5').values;
    expect(v[0]).toBe(1);
    expect(v[v.length - 1]).toBe(200);
    expect(v.length).toBe(5);
    expect(() => parseSweep('window=1..2')).toThrow(/expected threshold=A\.\.B/);
  });
  it('names the bad key of a rule', () => {
    expect(() => parseRules({ rules: [{ name: 'x', threshold: 0 }] }, 'r.json')).toThrow(/r\.json: rules\[0\]: threshold 0: expected a whole number ≥ 1/);
    expect(() => parseRules({ rules: [{ name: 'x', threshold: 1, granularity: 'dimm' }] }, 'r.json')).toThrow(/granularity "dimm"/);
  });
});

describe('policy on a trace file and through the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ras-policy-'));
  const trace = join(dir, 't.csv');
  // x86 CMCI corrected errors on one page (pa 0x10000), then an SRAO-like recoverable UE on it.
  writeFileSync(trace, csv([
    ...Array.from({ length: 10 }, (_, i) => ({ arch: 'x86_64', kind: 'error', notify: 'cmci', severity: 'corrected', sync: 'false', pa: '0x10040', page: 'anon', context: 'none', t_ns: (i + 1) * 1e9 })),
    { arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'recoverable', sync: 'false', pa: '0x10040', page: 'anon', context: 'none', t_ns: 20e9 },
  ]));
  it('reads CEs and UEs from the trace: mcelog 10/24h offlines the page before its UE', async () => {
    const rep = await runPolicies(trace, [spec('mcelog', 10, 86400), spec('rasdaemon-page', 50, 86400)]);
    expect(rep).toMatchObject({ events: 11, ces: 10, ues: 1, hosts: 1 });
    expect(rep.results.map((r) => [r.policy.name, r.prevented])).toEqual([['mcelog', 1], ['rasdaemon-page', 0]]);
  });
  it('prints a table, JSON, and exits 2 on a bad sweep', () => {
    const t = cli(['policy', trace, '--family', 'mcelog']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/mcelog\s+10\s+1d\s+soft\s+page\s+1\s+1\s+100\.0%/);
    const j = cli(['policy', trace, '--family', 'mcelog', '--json']);
    expect(JSON.parse(j.stdout).results[0].prevented).toBe(1);
    const bad = cli(['policy', trace, '--sweep', 'threshold=0..5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ras-replay: --sweep "threshold=0\.\.5": expected 1 ≤ A ≤ B/);
    rmSync(dir, { recursive: true, force: true });
  });
});
