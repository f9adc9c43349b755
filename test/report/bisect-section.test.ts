// The report's bisect section from ReportData alone: drawn without Vega warnings, hostile strings
// escaped, left out without bisect runs, and "no switch explains" said when nothing is attributed.
// Rows are hand-made report data (the attribution itself is tested in test/oracle/bisect.test.ts
// and test/nightly/bisect.test.ts); the commit and releases are mce_panic_hwpoison's in
// src/model/kernel-changes.ts.
import { describe, expect, it } from 'vitest';
import { bisectSpec, renderVegaLite } from '../../src/report/charts.js';
import { renderReport } from '../../src/report/html.js';
import type { BisectPoint, ReportData } from '../../src/report/types.js';

const EVIL = '<script>alert(1)</script>';

function data(bisect: ReportData['bisect']): ReportData {
  return { title: 't', night: '2026-11-21', generatedAt: '2026-11-21T00:00:00Z', toolVersion: '0', rows: [], trend: [], pathChanges: [], compare: [], examples: [], previousNight: null, bisect };
}

const run = { trace: 'fleet', a: 'linux-6.6', b: 'linux-6.19', events: 100, changedEvents: 4, flips: 3, explainedBySingle: 2, explainedByPair: 1, unexplained: 1, unexplainedReasons: '1: no single switch touches it' };
const rows: BisectPoint[] = [
  { trace: 'fleet', a: 'linux-6.6', b: 'linux-6.19', switch: 'mce_panic_hwpoison', partner: null, title: 'seed 002', commit: '1d11b153d23b', mainline: '6.8', stable: '6.6.y from 6.6.16', events: 2, better: 2, worse: 0, changed: 2, examples: '1 4' },
  { trace: 'fleet', a: 'linux-6.6', b: 'linux-6.19', switch: 'ghes_sync_ar', partner: EVIL, title: EVIL, commit: null, mainline: null, stable: '', events: 1, better: 0, worse: 1, changed: 1, examples: '7' },
];

describe('report: bisect section', () => {
  it('draws a bar per switch or pair without warnings and escapes every string', async () => {
    const spec = bisectSpec(rows)!;
    expect(spec).not.toBeNull();
    expect((await renderVegaLite(spec, 'tb')).warnings).toEqual([]);
    const html = await renderReport(data({ runs: [run], rows }));
    expect(html).toContain('<section id="bisect">');
    expect(html).toContain('<figure class="chart" id="chart-bisect">');
    expect(html).toContain('<code>mce_panic_hwpoison</code>');
    expect(html).toContain('<td>1d11b153d23b</td><td>6.8</td><td>6.6.y from 6.6.16</td>');
    expect(html).toContain('fleet: linux-6.6 → linux-6.19: 4 events of 100 differ, 3 switches differ; explained by one switch 2, by an interaction of two 1, unexplained 1');
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('is left out without bisect runs, and says so when no switch explains anything', async () => {
    expect(await renderReport(data(undefined))).not.toContain('<section id="bisect">');
    expect(await renderReport(data({ runs: [], rows: [] }))).not.toContain('<section id="bisect">');
    const none = await renderReport(data({ runs: [{ ...run, explainedBySingle: 0, explainedByPair: 0, unexplained: 4 }], rows: [] }));
    expect(none).toContain('<section id="bisect">');
    expect(none).toContain('No switch explains a difference');
    expect(none).not.toContain('id="chart-bisect"');
  });

  it('rejects a malformed row naming it', async () => {
    await expect(renderReport(data({ runs: [run], rows: [{ ...rows[0]!, events: Number.NaN }] }))).rejects.toThrow(/bisect\.rows\[0\]\.events: expected a finite number/);
  });
});
