// The HTML report, rendered in plain Node: sections, charts, escaping of hostile names,
// determinism, empty inputs and the atomic write.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CATEGORIES, categorySpec, compareSpec, compareTotals, pathDeltas, pathSpec, profileDomain, renameSvgIds,
  renderVegaLite, trendSpec,
} from '../../src/report/charts.js';
import { esc, fmtNum, renderReport, writeReport } from '../../src/report/html.js';
import type { ReportData, ReportRow, TrendPoint } from '../../src/report/types.js';

const SCRIPT = '<script>alert(1)</script>';
const ATTR = '"><img src=x onerror=alert(1)>';
const TRACES = ['arm64-sea-suite', 'x86-mce-suite'];
const PROFILES = ['linux-6.6', 'post', 'pre'];
const NIGHTS = ['2026-03-01', '2026-03-02'];

/** 2 traces × 3 profiles × 2 nights; `post` on the arm64 trace regressed tonight; `pre` is poor. */
function fixture(): ReportData {
  const rows: ReportRow[] = [];
  for (const trace of TRACES) {
    for (const profile of PROFILES) {
      const bad = trace === 'arm64-sea-suite' && profile === 'post';
      const pre = profile === 'pre';
      const arm = trace.startsWith('arm64');
      rows.push({
        trace, profile, golden: 'curated', events: 120, panics: pre ? 9 : 3, signals: 40,
        unexpectedPanics: bad ? 2 : 0, missedPanics: pre ? 1 : 0,
        siCodeErrors: pre ? 4 : 0, lsbErrors: !arm && pre ? 1 : 0,
        overKill: bad ? 1 : 0, underKill: pre ? 3 : 0, precision: bad ? 0.75 : 1, recall: pre ? 0.8 : arm ? 1 : null,
        rebootLoops: pre && arm ? 2 : 0, vmcoreIncomplete: pre && arm ? 1 : 0, regressed: bad, gate: true,
      });
    }
  }
  const trend: TrendPoint[] = [];
  for (const night of NIGHTS) {
    for (const r of rows) {
      const tonight = night === NIGHTS[1];
      trend.push({ night, trace: r.trace, profile: r.profile, metric: 'unexpected_panics', value: tonight ? r.unexpectedPanics : 0 });
      trend.push({ night, trace: r.trace, profile: r.profile, metric: 'under_kill', value: r.underKill });
      trend.push({ night, trace: r.trace, profile: r.profile, metric: 'recall', value: r.recall ?? 1 });
    }
  }
  return {
    title: 'ras-replay nightly', night: NIGHTS[1] as string, generatedAt: '2026-03-02T05:00:00Z', toolVersion: '0.1.0',
    rows, trend,
    pathChanges: [
      { trace: 'arm64-sea-suite', profile: 'post', path: 'sea.ghes.mf.recovered', before: 10, after: 6 },
      { trace: 'arm64-sea-suite', profile: 'post', path: 'sea.ghes.panic', before: 0, after: 2 },
      { trace: 'x86-mce-suite', profile: 'post', path: 'mce.srar.kill_ar', before: 4, after: 6 },
      { trace: 'x86-mce-suite', profile: 'pre', path: 'mce.srar.kill_ar', before: 5, after: 5 },
    ],
    compare: [
      { trace: 'arm64-sea-suite', a: 'pre', b: 'post', what: 'reboot loop removed', count: 2, direction: 'better' },
      { trace: 'x86-mce-suite', a: 'pre', b: 'post', what: 'AO → AR', count: 3, direction: 'better' },
      { trace: 'arm64-sea-suite', a: 'pre', b: 'post', what: 'panic → survived', count: 6, direction: 'better' },
      { trace: 'x86-mce-suite', a: 'linux-6.6', b: 'post', what: 'AO → AR', count: 1, direction: 'better' },
    ],
    examples: [
      {
        trace: 'arm64-sea-suite', profile: 'post', category: 'over_kill', eventId: '9', host: 'node-b', comm: 'qemu-kvm',
        path: 'sea.kill.early', expected: 'SIGBUS AO to pid 10', actual: 'SIGBUS AO to pids 10, 11', explain: ['collect_procs: 2 mappers', 'kill_procs'], gated: true,
      },
      {
        trace: 'arm64-sea-suite', profile: 'post', category: 'unexpected_panic', eventId: '17', host: 'node-a', comm: 'postgres',
        path: 'sea.ghes.panic', expected: 'survive, SIGBUS BUS_MCEERR_AR', actual: 'panic: GHES: Fatal hardware error',
        explain: ['do_sea → ghes_notify_sea', 'ghes_do_proc: severity recoverable, sync', 'panic("GHES: Fatal hardware error")'], gated: true,
      },
    ],
    notes: ['x86-mce-suite: 3 rows skipped (pa out of range)'],
    previousNight: NIGHTS[0] as string,
  };
}

/** The same night with a hostile string in every field a trace or the data can set. */
function hostile(): ReportData {
  const d = fixture();
  const h = (s: string, i: number) => `${s}${i % 2 === 0 ? SCRIPT : ATTR}`;
  return {
    ...d,
    title: `nightly ${SCRIPT}${ATTR}`,
    night: `2026-03-02${ATTR}`,
    toolVersion: `0.1.0${ATTR}`,
    generatedAt: `${SCRIPT}`,
    rows: d.rows.map((r, i) => ({ ...r, trace: h(r.trace, i), profile: h(r.profile, i + 1), golden: SCRIPT })),
    trend: d.trend.map((t, i) => ({ ...t, trace: h(t.trace, i), profile: `${t.profile}${ATTR}`, metric: `${t.metric}${SCRIPT}`, night: `${t.night}${ATTR}` })),
    pathChanges: d.pathChanges.map((p) => ({ ...p, trace: SCRIPT, profile: `${p.profile}${SCRIPT}`, path: `${p.path}${ATTR}` })),
    compare: d.compare.map((c) => ({ ...c, trace: ATTR, a: `${c.a}${SCRIPT}`, b: `${c.b}${ATTR}`, what: `${c.what}${SCRIPT}` })),
    examples: d.examples.map((e) => ({
      ...e, trace: SCRIPT, profile: ATTR, category: `${e.category}${SCRIPT}`, eventId: ATTR, host: ATTR, comm: SCRIPT,
      path: ATTR, expected: SCRIPT, actual: ATTR, explain: [SCRIPT, ATTR, `javascript:alert(1)`],
    })),
    notes: [SCRIPT, ATTR],
  };
}

function empty(): ReportData {
  return { title: 'empty night', night: '2026-03-02', generatedAt: '2026-03-02T05:00:00Z', toolVersion: '0.1.0', rows: [], trend: [], pathChanges: [], compare: [], examples: [], previousNight: null };
}

/** toContain without a diff of the whole page on failure. */
function has(html: string, s: string): void {
  expect(html.includes(s), `page lacks: ${s}`).toBe(true);
}

function matches(html: string, re: RegExp, want = true): void {
  expect(re.test(html), `page ${want ? 'lacks' : 'has'}: ${re}`).toBe(want);
}

function hasNot(html: string, s: string): void {
  expect(html.includes(s), `page has: ${s}`).toBe(false);
}

interface Tag { name: string; attrs: [string, string][] }

/**
 * Every start tag of the document, with its attributes, the way an HTML tokenizer splits them
 * (quoted values may hold '>'). Text between tags must not hold a raw '<' that starts a tag.
 */
function scanTags(html: string): Tag[] {
  const tags: Tag[] = [];
  let i = 0;
  for (;;) {
    i = html.indexOf('<', i);
    if (i < 0) return tags;
    if (html.startsWith('<!--', i)) { i = html.indexOf('-->', i) + 3; continue; }
    if (html[i + 1] === '!' || html[i + 1] === '/') { i = html.indexOf('>', i) + 1; continue; }
    const m = /^<([a-zA-Z][^\s/>]*)/.exec(html.slice(i, i + 64));
    if (!m) { i += 1; continue; }
    const name = (m[1] as string).toLowerCase();
    let j = i + m[0].length;
    const attrs: [string, string][] = [];
    const re = /\s*([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?|\s*\/?\s*>/y;
    for (;;) {
      re.lastIndex = j;
      const a = re.exec(html);
      if (!a) throw new Error(`unparseable tag at ${i}: ${html.slice(i, i + 80)}`);
      j = re.lastIndex;
      if (a[1] === undefined) break;
      attrs.push([a[1].toLowerCase(), a[2] ?? a[3] ?? a[4] ?? '']);
    }
    tags.push({ name, attrs });
    if (name === 'style' || name === 'title') j = html.indexOf(`</${name}>`, j);
    i = j;
  }
}

const HTML_TAGS = new Set(['html', 'head', 'meta', 'title', 'link', 'style', 'body', 'header', 'h1', 'h2', 'h3', 'p', 'nav', 'a', 'main', 'section', 'ul', 'ol', 'li', 'div', 'span', 'figure', 'figcaption', 'details', 'summary', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'dl', 'dt', 'dd', 'footer']);
const SVG_TAGS = new Set(['svg', 'g', 'rect', 'path', 'line', 'text', 'tspan', 'defs', 'clippath', 'lineargradient', 'stop', 'circle']);

function assertInert(html: string): void {
  matches(html, /<script/i, false);
  const tags = scanTags(html);
  for (const t of tags) {
    expect(HTML_TAGS.has(t.name) || SVG_TAGS.has(t.name), `unexpected element <${t.name}>`).toBe(true);
    for (const [k, v] of t.attrs) {
      expect(k.startsWith('on'), `event handler attribute ${k} on <${t.name}>`).toBe(false);
      expect(['src', 'srcdoc', 'action', 'formaction', 'style'].includes(k), `attribute ${k} on <${t.name}>`).toBe(false);
      if (k === 'href' || k === 'xlink:href') expect(v, `${k} on <${t.name}>`).toMatch(/^(#[A-Za-z0-9_-]+|data:,)$/);
      expect(v).not.toMatch(/javascript:/i);
    }
  }
  // Any raw '<' + letter starts a tag for scanTags, so an injected element shows up above;
  // 'onerror=' left in the page is then text (escaped) or inside a quoted attribute value.
}

let fx: string;
let renderMs = 0;

beforeAll(async () => {
  const t0 = performance.now();
  fx = await renderReport(fixture());
  renderMs = performance.now() - t0;
});

afterAll(() => {
  console.log(`report: fixture rendered in ${renderMs.toFixed(0)} ms (first render, vega cold), ${fx.length} bytes`);
});

describe('renderReport on a 2 traces × 3 profiles × 2 nights fixture', () => {
  it('has every section, in reading order', () => {
    const ids = ['verdict', 'notes', 'panic-avoidance', 'si-code', 'kill-accuracy', 'reboot-vmcore', 'distance', 'trend', 'paths', 'compare', 'summary', 'examples'];
    const at = ids.map((id) => fx.indexOf(`<section id="${id}"`));
    for (const [k, id] of ids.entries()) expect(at[k], id).toBeGreaterThan(0);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(fx.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    has(fx, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    has(fx, 'Night 2026-03-02 · generated 2026-03-02T05:00:00Z · ras-replay 0.1.0');
  });

  it('inlines one SVG per chart: 4 categories, trend, paths, compare', () => {
    const svgs = fx.match(/<svg\b[^>]*>/g) ?? [];
    expect(svgs).toHaveLength(7);
    for (const s of svgs) expect(s).toMatch(/class="marks" width="\d+" height="\d+"/);
    for (const id of ['panic-avoidance', 'si-code', 'kill-accuracy', 'reboot-vmcore', 'trend', 'paths', 'compare']) {
      const at = fx.indexOf(`<figure class="chart" id="chart-${id}">\n<figcaption>`);
      expect(at, id).toBeGreaterThan(0);
      const fig = fx.slice(at, fx.indexOf('</figure>', at));
      expect(fig.includes('</figcaption>\n<div class="svg"><svg '), id).toBe(true);
    }
    hasNot(fx, 'One night of history');
  });

  it('compiles every chart spec without a vega-lite or vega warning', async () => {
    const d = fixture();
    const profiles = profileDomain(d.rows, d.trend, d.pathChanges);
    // Version order (issue: profiles in version order): pre, post, then linux-* by version.
    expect(profiles).toEqual(['pre', 'post', 'linux-6.6']);
    expect(profileDomain([], [], ['linux-6.12', 'linux-6.6.47', 'linux-6.6', 'linux-6.6.y', 'x.json', 'post'].map((profile) => ({ trace: 't', profile, path: 'p', before: 0, after: 1 }))))
      .toEqual(['post', 'linux-6.6', 'linux-6.6.47', 'linux-6.6.y', 'linux-6.12', 'x.json']);
    const specs = [
      ...CATEGORIES.map((c) => categorySpec(c, d.rows, profiles)),
      trendSpec(d.trend, profiles, ['2026-03-02']), pathSpec(pathDeltas(d.pathChanges), profiles), compareSpec(compareTotals(d.compare)),
    ];
    for (const [i, spec] of specs.entries()) {
      expect(spec, `spec ${i}`).not.toBeNull();
      const r = await renderVegaLite(spec as NonNullable<typeof spec>, `t${i}`);
      expect(r.warnings, `spec ${i}`).toEqual([]);
    }
  });

  it('puts the regression first: headline, link to the highlighted row, problems named', () => {
    has(fx, '<p class="headline">Regression: 1 of 6 golden-gated runs (2 traces × 3 profiles) regressed.</p>');
    matches(fx, /<li><a href="#run-1">arm64-sea-suite × post <span class="dim">\(golden curated\)<\/span><\/a>: 2 unexpected panics, 1 over-kill, precision 0\.750<\/li>/);
    const trs = fx.match(/<tr id="run-\d+"[^>]*>/g) ?? [];
    expect(trs).toHaveLength(6);
    expect(trs.filter((t) => t.includes('class="regressed"'))).toEqual(['<tr id="run-1" class="regressed">']);
    matches(fx, /<tr id="run-1" class="regressed"><td class="status">REGRESSED<\/td><td>arm64-sea-suite<\/td><td>post<\/td>/);
    // Totals: 2 unexpected panics over all runs, marked bad; 720 events, not marked.
    has(fx, '<div class="total bad"><span class="n">2</span><span class="l">unexpected panics</span></div>');
    has(fx, '<div class="total"><span class="n">720</span><span class="l">events</span></div>');
  });

  it('lists examples worst first with their explain path in <details>', () => {
    const sec = fx.slice(fx.indexOf('<section id="examples"'));
    const details = sec.match(/<details class="example">/g) ?? [];
    expect(details).toHaveLength(2);
    expect(sec.indexOf('unexpected_panic')).toBeLessThan(sec.indexOf('over_kill'));
    has(sec, '<ol class="explain">\n<li>do_sea → ghes_notify_sea</li>\n<li>ghes_do_proc: severity recoverable, sync</li>\n<li>panic(&quot;GHES: Fatal hardware error&quot;)</li>\n</ol>');
    has(sec, '<dt>path</dt><dd><code>sea.ghes.panic</code></dd>');
  });

  it('says how much of each category is drawn, and tables what the charts sum up', () => {
    has(fx, 'Drawn: the 1 trace with a problem here (1 run), one bar per profile; the other 1 trace is clean and not drawn.');
    has(fx, '<summary>All 3 changes by trace</summary>');
    has(fx, '<summary>All 4 differences by trace</summary>');
    has(fx, '<td>pre</td><td>post</td><td>AO → AR</td><td>better</td><td>x86-mce-suite</td><td class="num">3</td>');
  });

  it('is self-contained and inert: no script, no handler, no external reference', () => {
    assertInert(fx);
    matches(fx, /https?:\/\/(?!www\.w3\.org\/(2000\/svg|1999\/xlink))/, false);
    matches(fx, /@import|url\((?!#)/, false);
  });
});

describe('escaping', () => {
  it('escapes hostile names everywhere: HTML text, attributes and Vega SVG', async () => {
    const html = await renderReport(hostile());
    assertInert(html);
    has(html, '&lt;script&gt;alert(1)&lt;/script&gt;');
    has(html, '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    // The same strings reached the charts (all 7 drawn) and came out escaped there too.
    const svgs = html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(7);
    expect(svgs.some((s) => s.includes('&lt;script&gt;alert(1)'))).toBe(true);
    expect(svgs.some((s) => s.includes('&lt;img src=x onerror=alert(1)&gt;'))).toBe(true);
    has(html, '<title>nightly &lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt; · 2026-03-02&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</title>');
    has(html, '<meta name="generator" content="ras-replay 0.1.0&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">');
    has(html, '<span class="comm">&lt;script&gt;alert(1)&lt;/script&gt;</span>');
  });

  it('escapes the five HTML metacharacters', () => {
    expect(esc(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('the tag scanner used here does catch an injection', () => {
    expect(() => assertInert(`<p>${ATTR}</p>`)).toThrow();
    expect(() => assertInert(`<p>${SCRIPT}</p>`)).toThrow();
    expect(() => assertInert(`<p title="${ATTR}">x</p>`)).toThrow();
    assertInert(`<p title="${esc(ATTR)}">${esc(SCRIPT)}</p>`);
  });
});

describe('determinism', () => {
  it('gives the same bytes for the same data, whatever the input order', async () => {
    const again = await renderReport(fixture());
    expect(again === fx, 'second render differs').toBe(true);
    const d = fixture();
    const shuffled: ReportData = {
      ...d,
      rows: [...d.rows].reverse(), trend: [...d.trend].reverse(), pathChanges: [...d.pathChanges].reverse(),
      compare: [...d.compare].reverse(), examples: [...d.examples].reverse(),
    };
    expect(await renderReport(shuffled) === fx, 'render of reordered input differs').toBe(true);
  });

  it('renames the ids Vega numbers from global counters, per chart, and only inside tags', async () => {
    // A clipped mark makes vega emit a clipPath with a process-global id.
    const spec = {
      data: { values: [{ x: 1, y: 2 }, { x: 3, y: 9 }] },
      mark: { type: 'line', clip: true }, encoding: { x: { field: 'x', type: 'quantitative', scale: { domain: [0, 2] } }, y: { field: 'y', type: 'quantitative' } },
    };
    const a = await renderVegaLite(spec, 'c-a');
    const b = await renderVegaLite(spec, 'c-a');
    expect(a.svg).toContain('<clipPath id="c-a-1">');
    expect(a.svg).toContain('clip-path="url(#c-a-1)"');
    expect(b.svg).toBe(a.svg);
    const s = '<g id="clip7"><text>id="clip7" url(#clip7)</text><path clip-path="url(#clip7)"/></g>';
    expect(renameSvgIds(s, 'p')).toBe('<g id="p-1"><text>id="clip7" url(#clip7)</text><path clip-path="url(#p-1)"/></g>');
  });

  it('has no duplicate element id in the page', () => {
    const ids = [...fx.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('formats numbers without a locale', () => {
    expect([fmtNum(0), fmtNum(1234567), fmtNum(-1200), fmtNum(0.12345)]).toEqual(['0', '1,234,567', '\u22121,200', '0.123']);
  });
});

describe('sparse and empty inputs', () => {
  it('renders an empty night with a sentence per section and no chart', async () => {
    const html = await renderReport(empty());
    assertInert(html);
    hasNot(html, '<svg');
    has(html, 'No runs in this report: the night produced no trace × profile results.');
    has(html, 'No history yet');
    has(html, 'No previous recorded night to compare the decision paths with');
    has(html, 'No profile comparison in this run.');
    has(html, 'No examples: no event differed from its golden expectation.');
    hasNot(html, '<section id="notes"');
  });

  it('says "one night of history" instead of drawing a one-night trend', async () => {
    const d = fixture();
    const html = await renderReport({ ...d, trend: d.trend.filter((t) => t.night === NIGHTS[1]) });
    has(html, 'One night of history (2026-03-02)');
    hasNot(html, 'id="chart-trend"');
    expect(html.match(/<svg\b/g)).toHaveLength(6);
  });

  it('says a clean night is clean instead of drawing zero bars', async () => {
    const d = fixture();
    const clean = d.rows.map((r) => ({
      ...r, unexpectedPanics: 0, missedPanics: 0, siCodeErrors: 0, lsbErrors: 0, overKill: 0, underKill: 0,
      precision: 1, recall: r.recall === null ? null : 1, rebootLoops: 0, vmcoreIncomplete: 0, regressed: false,
    }));
    const html = await renderReport({
      ...d, rows: clean, examples: [], compare: [],
      pathChanges: d.pathChanges.map((p) => ({ ...p, after: p.before })),
    });
    has(html, '<p class="headline">No regression in 6 golden-gated runs (2 traces × 3 profiles).</p>');
    has(html, 'Clean: no unexpected panics and no missed panics in 6 runs.');
    has(html, 'Clean: no over-kill and no under-kill, precision and recall 1 wherever defined in 6 runs.');
    has(html, 'No decision path changed its event count since the previous recorded night');
    expect(html.match(/<svg\b/g)).toHaveLength(1); // the trend only
  });

  it('names at most 20 regressed runs in the verdict and points to the table for the rest', async () => {
    const d = fixture();
    const rows = Array.from({ length: 25 }, (_, i) => ({ ...d.rows[0]!, trace: `t${String(i).padStart(2, '0')}`, regressed: true, unexpectedPanics: 1 }));
    const html = await renderReport({ ...d, rows });
    const verdict = html.slice(html.indexOf('<section id="verdict"'), html.indexOf('</section>'));
    expect(verdict.match(/<li><a href="#run-\d+">/g)).toHaveLength(20);
    has(verdict, '<li><a href="#summary">5 more regressed runs</a> in the table of all runs</li>');
    has(verdict, '<li><a href="#run-1">t00 × linux-6.6 <span class="dim">(golden curated)</span></a>: 1 unexpected panic</li>');
  });

  it('rejects malformed data with the field that is wrong', async () => {
    const d = fixture();
    const bad = { ...d, rows: d.rows.map((r, i) => (i === 3 ? { ...r, events: '120' as unknown as number } : r)) };
    await expect(renderReport(bad)).rejects.toThrow('report data: rows[3].events: expected a finite number, got "120"');
    await expect(renderReport({ ...d, examples: [{ ...d.examples[0]!, explain: [1 as unknown as string] }] })).rejects.toThrow('examples[0].explain[0]: expected a string');
  });
});

describe('writeReport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ras-report-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the rendered document and leaves no temp file', async () => {
    const out = join(dir, 'ok', 'report.html');
    await mkdir(join(dir, 'ok'));
    await writeReport(out, fixture());
    expect((await readFile(out, 'utf8')) === fx, 'written file differs from renderReport').toBe(true);
    expect(await readdir(join(dir, 'ok'))).toEqual(['report.html']);
  });

  it('a write that fails at the rename leaves no file and no temp file', async () => {
    const sub = join(dir, 'rename');
    await mkdir(join(sub, 'report.html'), { recursive: true }); // the target is a directory: rename fails
    await writeFile(join(sub, 'report.html', 'keep'), 'x');
    await expect(writeReport(join(sub, 'report.html'), fixture())).rejects.toThrow();
    expect(await readdir(sub)).toEqual(['report.html']);
    expect(await readdir(join(sub, 'report.html'))).toEqual(['keep']);
  });

  it('a failed render leaves the previous report as it was and no temp file', async () => {
    const sub = join(dir, 'keep');
    await mkdir(sub);
    const out = join(sub, 'report.html');
    await writeFile(out, 'last night');
    await expect(writeReport(out, { ...fixture(), rows: null as unknown as ReportRow[] })).rejects.toThrow('rows: expected an array');
    expect(await readFile(out, 'utf8')).toBe('last night');
    expect(await readdir(sub)).toEqual(['report.html']);
  });

  it('a missing folder is made, as for every other output (`report -o reports/tonight.html`)', async () => {
    await writeReport(join(dir, 'new', 'sub', 'report.html'), fixture());
    expect(await readdir(join(dir, 'new', 'sub'))).toEqual(['report.html']);
  });
});

describe('scales', () => {
  it('draws a count panel on a symlog axis when one trace dwarfs the others', () => {
    const base = fixture().rows[0]!;
    const rows = [
      { ...base, trace: 'big', unexpectedPanics: 13402 },
      { ...base, trace: 'small', unexpectedPanics: 2 },
    ];
    const spec = JSON.stringify(categorySpec(CATEGORIES[0]!, rows, ['linux-6.6']));
    expect(spec).toContain('"type":"symlog"');
    const even = JSON.stringify(categorySpec(CATEGORIES[0]!, [{ ...base, trace: 'a', unexpectedPanics: 3 }, { ...base, trace: 'b', unexpectedPanics: 2 }], ['linux-6.6']));
    expect(even).not.toContain('symlog');
  });
});
