// Page-offline policy sweeps in the nightly: the config names them, the store keeps them per night,
// the report draws them. Expected counts are worked out from the policy sources (see
// test/oracle/policy.test.ts for each family's rule).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, csv } from '../helpers.js';

describe('nightly policy sweeps', () => {
  it('records each family × threshold of the sweep and draws the trade-off', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ras-nightly-policy-'));
    // 10 CMCI corrected errors on one page, then a recoverable UE on it.
    writeFileSync(join(dir, 't.csv'), csv([
      ...Array.from({ length: 10 }, (_, i) => ({ arch: 'x86_64', kind: 'error', notify: 'cmci', severity: 'corrected', sync: 'false', pa: '0x10040', page: 'anon', context: 'none', t_ns: (i + 1) * 1e9 })),
      { arch: 'x86_64', kind: 'error', notify: 'mce', severity: 'recoverable', sync: 'false', pa: '0x10040', page: 'anon', context: 'none', t_ns: 20e9 },
    ]));
    const config = join(dir, 'ras-replay.config.json');
    writeFileSync(config, JSON.stringify({
      output: 'out', profiles: ['pre'], workers: 1, traces: [{ name: 't', trace: 't.csv' }],
      policy: [{ trace: 't', sweep: 'threshold=5..12/2' }],
    }));
    const r = cli(['nightly', '-c', config, '--night', '2026-11-20', '-q'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Thresholds 5 and 12 for each of the 5 families: at 5 every family offlines the page before
    // the UE (ras-cec at its 6th CE), at 12 none does (only 10 CEs).
    expect(r.stdout).toMatch(/^policy {3}t: 10 policies; most UEs prevented: \S+@5 \(1 of 1, 1 pages offlined\)$/m);
    const q = cli(['sql', '--store', join(dir, 'out', 'store.duckdb'), '--format', 'json', 'SELECT threshold, sum(prevented)::INT AS prevented, count(*)::INT AS n FROM policy_results GROUP BY ALL ORDER BY ALL']);
    expect(q.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ threshold: 5, prevented: 5, n: 5 }, { threshold: 12, prevented: 0, n: 5 }]);
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(html).toContain('<section id="policy">');
    expect(html).toMatch(/<figure class="chart" id="chart-policy">/);
  });

  it('names a policy entry whose trace is not in the config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ras-nightly-policy-'));
    const config = join(dir, 'c.json');
    writeFileSync(config, JSON.stringify({ output: 'out', profiles: ['pre'], traces: [{ name: 't', trace: 't.csv' }], policy: [{ trace: 'fleet' }] }));
    const r = cli(['nightly', '-c', config], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/key policy\[0\]\.trace: value "fleet": expected the name of a trace in "traces" \(t\)/);
  });
});
