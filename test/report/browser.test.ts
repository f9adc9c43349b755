// The rendered report opened from file:// in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core): charts laid out, nothing fetched, nothing logged, no dialog, hostile names
// shown as text. Saves a full-page screenshot to artifacts/report.png.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/html.js';
import type { ReportData, ReportRow, TrendPoint } from '../../src/report/types.js';

const CHROMIUM = process.env.RAS_REPLAY_CHROMIUM || '/usr/bin/chromium'; // as scripts/ensure-chromium.mjs (npm pretest) finds it
const ARTIFACTS = resolve(__dirname, '../../artifacts');
const HOSTILE_COMM = '<script>alert(1)</script>';
const HOSTILE_HOST = '"><img src=x onerror=alert(1)>';
const CHARTS = 7; // 4 categories, trend, paths, compare
const MISSING = existsSync(CHROMIUM)
  ? null
  : `${CHROMIUM} not found: this test needs Chromium (apt-get install chromium, or RAS_REPLAY_CHROMIUM=path); \`npm test\` installs it first (scripts/ensure-chromium.mjs), so the test fails rather than skips.`;

/** Every test fails with the same plain message when the browser is missing (counted as failures, not skips). */
function needChromium(): void {
  if (MISSING) throw new Error(MISSING);
}

/** 2 traces × 3 profiles × 2 nights with one regression, every chart drawn, hostile names in. */
function fixture(): ReportData {
  const rows: ReportRow[] = [];
  const trend: TrendPoint[] = [];
  for (const trace of ['arm64-sea-suite', `x86-mce-suite${HOSTILE_HOST}`]) {
    for (const profile of ['linux-6.6', 'post', `pre${HOSTILE_COMM}`]) {
      const bad = trace === 'arm64-sea-suite' && profile === 'post';
      const pre = profile.startsWith('pre');
      rows.push({
        trace, profile, golden: 'curated', events: 120, panics: pre ? 9 : 3, signals: 40,
        unexpectedPanics: bad ? 2 : 0, missedPanics: pre ? 1 : 0, siCodeErrors: pre ? 4 : 0, lsbErrors: pre ? 1 : 0,
        overKill: bad ? 1 : 0, underKill: pre ? 3 : 0, precision: bad ? 0.75 : 1, recall: pre ? 0.8 : 1,
        rebootLoops: pre ? 2 : 0, vmcoreIncomplete: pre ? 1 : 0, regressed: bad, gate: true,
      });
      // The same run against the ideal policy: a large distance that must not look like a regression.
      rows.push({
        trace, profile, golden: 'ideal', events: 120, panics: pre ? 9 : 3, signals: 40,
        unexpectedPanics: 13402, missedPanics: 0, siCodeErrors: 50, lsbErrors: 0, overKill: 7, underKill: 9, precision: 0.5, recall: 0.5,
        rebootLoops: 0, vmcoreIncomplete: 0, regressed: false, gate: false,
      });
      for (const night of ['2026-03-01', '2026-03-02']) {
        trend.push({ night, trace, profile, metric: 'unexpected_panics', value: night === '2026-03-02' && bad ? 2 : 0 });
        trend.push({ night, trace, profile, metric: 'recall', value: pre ? 0.8 : 1 });
      }
    }
  }
  return {
    title: 'ras-replay nightly', night: '2026-03-02', generatedAt: '2026-03-02T05:00:00Z', toolVersion: '0.1.0',
    rows, trend,
    pathChanges: [
      { trace: 'arm64-sea-suite', profile: 'post', path: 'sea.ghes.mf.recovered', before: 10, after: 6 },
      { trace: 'arm64-sea-suite', profile: 'post', path: `sea.ghes.panic${HOSTILE_HOST}`, before: 0, after: 2 },
    ],
    compare: [
      { trace: 'arm64-sea-suite', a: `pre${HOSTILE_COMM}`, b: 'post', what: 'panic → survived', count: 6, direction: 'better' },
      { trace: 'arm64-sea-suite', a: `pre${HOSTILE_COMM}`, b: 'post', what: 'survived → panic', count: 4, direction: 'worse' },
    ],
    previousNight: '2026-03-01',
    regressedNights: ['2026-03-02'],
    examples: [{
      trace: 'arm64-sea-suite', profile: 'post', category: 'unexpected_panic', eventId: '17', host: HOSTILE_HOST, comm: HOSTILE_COMM,
      path: 'sea.ghes.panic', expected: 'survive, SIGBUS BUS_MCEERR_AR', actual: 'panic: GHES: Fatal hardware error',
      explain: ['do_sea → ghes_notify_sea', HOSTILE_COMM, 'panic("GHES: Fatal hardware error")'], gated: true,
    },
    // 600 distance examples: more than the cap, so they are cut; the gated one never is.
    ...Array.from({ length: 600 }, (_, i) => ({
      trace: 'arm64-sea-suite', profile: 'pre', category: 'unexpected_panic', eventId: String(1000 + i), host: 'h', comm: null,
      path: 'sea.ghes.panic', expected: 'survive', actual: 'panic', explain: [], gated: false,
    }))],
    notes: [`note ${HOSTILE_HOST}`],
  };
}

describe('the report in headless Chromium', () => {
  let dir: string;
  let url: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    if (MISSING) return;
    dir = await mkdtemp(join(tmpdir(), 'ras-report-browser-'));
    const file = join(dir, 'report.html');
    await writeReport(file, fixture());
    url = pathToFileURL(file).href;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-default-apps', '--disable-sync', '--no-first-run', '--disable-features=Translate,MediaRouter,OptimizationHints', '--metrics-recording-only', '--disable-breakpad'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(url, { waitUntil: 'load' });
    // Open every <details> so hidden content is laid out too, then let anything pending run.
    await page.evaluate(() => {
      for (const d of document.querySelectorAll('details')) d.open = true;
    });
    await page.waitForTimeout(300);
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds Debian chromium at /usr/bin/chromium', () => {
    expect(MISSING, MISSING ?? '').toBeNull();
  });

  it('draws every chart with a real size and visible marks', async () => {
    needChromium();
    const boxes = await page.$$eval('svg.marks', (svgs) => svgs.map((s) => {
      const r = s.getBoundingClientRect();
      return { w: r.width, h: r.height, marks: s.querySelectorAll('.role-mark path, .role-mark line, .role-mark text').length };
    }));
    expect(boxes).toHaveLength(CHARTS);
    for (const [i, b] of boxes.entries()) {
      expect(b.w, `chart ${i} width`).toBeGreaterThan(100);
      expect(b.h, `chart ${i} height`).toBeGreaterThan(50);
      expect(b.marks, `chart ${i} marks`).toBeGreaterThan(0);
    }
    // At least one drawn bar per bar chart has a non-zero box (layout really happened).
    const bars = await page.$$eval('g.mark-rect.role-mark path', (ps) => ps.filter((p) => p.getBoundingClientRect().width > 0).length);
    expect(bars).toBeGreaterThan(10);
  });

  it('fetches nothing but the file itself and logs no error', () => {
    needChromium();
    expect(requests).toEqual([url]);
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('shows hostile names as text and runs nothing', async () => {
    needChromium();
    const text = (await page.textContent('body')) ?? '';
    expect(text).toContain(HOSTILE_COMM);
    expect(text).toContain(HOSTILE_HOST);
    expect(await page.title()).toBe('ras-replay nightly · 2026-03-02');
    const injected = await page.evaluate(() => ({
      scripts: document.scripts.length,
      imgs: document.images.length,
      handlers: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith('on')).map((a) => `${e.tagName}.${a.name}`)),
    }));
    expect(injected).toEqual({ scripts: 0, imgs: 0, handlers: [] });
    // The comm is in the example's summary, as one text node, not split by markup.
    const comm = await page.textContent('details.example .comm');
    expect(comm).toBe(HOSTILE_COMM);
    expect(dialogs).toEqual([]);
  });

  it('highlights the regressed run', async () => {
    needChromium();
    const regressed = await page.$$eval('tr.regressed', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    expect(regressed).toEqual([['REGRESSED', 'arm64-sea-suite', 'post']]);
    const bg = await page.$eval('tr.regressed td', (td) => getComputedStyle(td).backgroundColor);
    expect(bg).not.toBe('rgba(0, 0, 0, 0)');
  });

  it('gives the verdict from golden-gated runs only, with the ideal distance apart and neutral', async () => {
    needChromium();
    const headline = await page.textContent('#verdict .headline');
    expect(headline).toMatch(/^Regression: 1 of 6 golden-gated runs/);
    // The 13,402 unexpected panics against the ideal policy are not in the verdict's red tiles.
    const tiles = await page.$$eval('#verdict .total', (ts) => ts.map((t) => t.textContent));
    expect(tiles).toContain('2unexpected panics');
    const distance = (await page.textContent('#distance')) ?? '';
    expect(distance).toMatch(/Closest to ideal: \S+/);
    expect(await page.$$eval('#distance .bad, #distance .total.bad', (x) => x.length)).toBe(0);
  });

  it('lists the gated example first and never cuts it', async () => {
    needChromium();
    const first = await page.$eval('#examples details.example summary', (s) => s.textContent);
    expect(first).toContain('event 17');
    expect(await page.$$eval('#examples details.example', (d) => d.length)).toBe(501);
  });

  it('colours a worse transition red and a better one green', async () => {
    needChromium();
    const fills = await page.$$eval('#chart-compare g.mark-rect path', (ps) => ps.map((p) => p.getAttribute('fill')));
    expect(fills.sort()).toEqual(['#54a24b', '#b00020']);
    expect(await page.$$eval('#compare tr.dir-worse td', (tds) => tds.map((t) => t.textContent))).toContain('survived → panic');
  });

  it('compares the paths with the previous recorded night', async () => {
    needChromium();
    expect(await page.textContent('#paths figcaption')).toContain('previous recorded night (2026-03-01)');
  });

  it('saves a full-page screenshot to artifacts/report.png', async () => {
    needChromium();
    await mkdir(ARTIFACTS, { recursive: true });
    const png = await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(50_000);
    expect(existsSync(join(ARTIFACTS, 'report.png'))).toBe(true);
  });
});
