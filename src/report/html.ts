// The nightly report: one self-contained HTML page (inline CSS and inline SVG charts, no script,
// no network: a Content-Security-Policy forbids everything but inline styles and data: images).
//
// Layout, top to bottom (docs/report.md explains how to read each part):
//   verdict (regressed runs and totals), notes, one chart per diff category (TRACE.md §4),
//   trend over nights, decision paths changed since last night, profile A vs B, the summary table,
//   the worst examples with their explain path.
//
// Every string that comes from data goes through esc() before it reaches the page; strings drawn
// in charts are escaped by Vega's SVG renderer (see charts.ts). Output is a pure function of the
// data (generatedAt is data): stable sorts with a code-point order, no clock, no locale.
import { writeFileAtomic } from '../io/atomic.js';
import {
  CATEGORIES, MAX_PATH_BARS, bisectLabel, bisectSpec, categorySpec, cmpNatural, cmpProfile, cmpStr, compareSpec, compareTotals, isRatioMetric,
  metricLabel, pathDeltas, pathSpec, policySpec, profileDomain, renderVegaLite, rowHasProblem, trendMetrics, trendNights,
  trendSpec, type VlSpec,
} from './charts.js';
import type { Example, ReportData, ReportRow } from './types.js';

/** The verdict lists at most this many regressed runs by name; the table has them all. */
export const MAX_VERDICT_RUNS = 20;

/** More examples than this are counted, not shown (the page must stay openable). */
export const MAX_EXAMPLES = 500;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** HTML-escape for text and (double- or single-quoted) attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** Integers with thousands separators, fixed (no locale); fractions to 3 places. */
export function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (!Number.isInteger(n)) return String(Number(n.toFixed(3)));
  const s = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `\u2212${s}` : s;
}

function fmtRatio(v: number | null): string {
  return v === null ? 'n/a' : v.toFixed(3);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtNum(n)} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// Validation: the data comes from another module; a bad value gets an error naming where it is.

function fail(where: string, expected: string, got: unknown): never {
  throw new TypeError(`report data: ${where}: expected ${expected}, got ${JSON.stringify(got) ?? String(got)}`);
}

function checkArray(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) fail(where, 'an array', v);
  return v;
}

function checkFields(o: unknown, where: string, strings: string[], numbers: string[], nullableStrings: string[] = [], nullableNumbers: string[] = []): void {
  if (typeof o !== 'object' || o === null) fail(where, 'an object', o);
  const r = o as Record<string, unknown>;
  for (const k of strings) if (typeof r[k] !== 'string') fail(`${where}.${k}`, 'a string', r[k]);
  for (const k of numbers) if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) fail(`${where}.${k}`, 'a finite number', r[k]);
  for (const k of nullableStrings) if (r[k] !== null && typeof r[k] !== 'string') fail(`${where}.${k}`, 'a string or null', r[k]);
  for (const k of nullableNumbers) if (r[k] !== null && (typeof r[k] !== 'number' || !Number.isFinite(r[k]))) fail(`${where}.${k}`, 'a finite number or null', r[k]);
}

export function validateReportData(data: ReportData): void {
  checkFields(data, 'data', ['title', 'night', 'generatedAt', 'toolVersion'], []);
  checkArray(data.rows, 'rows').forEach((r, i) => {
    checkFields(r, `rows[${i}]`, ['trace', 'profile'], ['events', 'panics', 'signals', 'unexpectedPanics', 'missedPanics', 'siCodeErrors', 'lsbErrors', 'overKill', 'underKill', 'rebootLoops', 'vmcoreIncomplete'], ['golden'], ['precision', 'recall']);
    if (typeof (r as ReportRow).regressed !== 'boolean') fail(`rows[${i}].regressed`, 'a boolean', (r as ReportRow).regressed);
    if (typeof (r as ReportRow).gate !== 'boolean') fail(`rows[${i}].gate`, 'a boolean', (r as ReportRow).gate);
  });
  checkArray(data.trend, 'trend').forEach((t, i) => checkFields(t, `trend[${i}]`, ['night', 'trace', 'profile', 'metric'], ['value']));
  checkArray(data.pathChanges, 'pathChanges').forEach((p, i) => checkFields(p, `pathChanges[${i}]`, ['trace', 'profile', 'path'], ['before', 'after']));
  checkArray(data.compare, 'compare').forEach((c, i) => {
    checkFields(c, `compare[${i}]`, ['trace', 'a', 'b', 'what', 'direction'], ['count']);
    if (!['better', 'worse', 'changed'].includes((c as { direction: string }).direction)) fail(`compare[${i}].direction`, 'better, worse or changed', (c as { direction: unknown }).direction);
  });
  if (data.previousNight !== null && typeof data.previousNight !== 'string') fail('previousNight', 'a string or null', data.previousNight);
  if (data.policies !== undefined) checkArray(data.policies, 'policies').forEach((p, i) => checkFields(p, `policies[${i}]`, ['trace', 'family', 'policy'], ['threshold', 'ues', 'prevented', 'pagesOfflined', 'offlinesWithoutUe']));
  if (data.bisect !== undefined) {
    checkArray(data.bisect.runs, 'bisect.runs').forEach((r, i) => checkFields(r, `bisect.runs[${i}]`, ['trace', 'a', 'b', 'unexplainedReasons'], ['events', 'changedEvents', 'flips', 'explainedBySingle', 'explainedByPair', 'unexplained']));
    checkArray(data.bisect.rows, 'bisect.rows').forEach((r, i) => checkFields(r, `bisect.rows[${i}]`, ['trace', 'a', 'b', 'switch', 'title', 'stable', 'examples'], ['events', 'better', 'worse', 'changed'], ['partner', 'commit', 'mainline']));
  }
  checkArray(data.examples, 'examples').forEach((e, i) => {
    checkFields(e, `examples[${i}]`, ['trace', 'profile', 'category', 'eventId', 'host', 'path', 'expected', 'actual'], [], ['comm']);
    if (typeof (e as Example).gated !== 'boolean') fail(`examples[${i}].gated`, 'a boolean', (e as Example).gated);
    checkArray((e as Example).explain, `examples[${i}].explain`).forEach((l, j) => {
      if (typeof l !== 'string') fail(`examples[${i}].explain[${j}]`, 'a string', l);
    });
  });
  if (data.notes !== undefined) {
    checkArray(data.notes, 'notes').forEach((n, i) => {
      if (typeof n !== 'string') fail(`notes[${i}]`, 'a string', n);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

interface Section { id: string; title: string; html: string }

function cmpRow(a: ReportRow, b: ReportRow): number {
  return Number(b.regressed) - Number(a.regressed) || Number(b.gate) - Number(a.gate) || cmpStr(a.trace, b.trace) || cmpProfile(a.profile, b.profile) || cmpStr(a.golden ?? '', b.golden ?? '');
}

function runName(r: ReportRow): string {
  return `${esc(r.trace)} × ${esc(r.profile)}${r.golden === null ? '' : ` <span class="dim">(golden ${esc(r.golden)})</span>`}`;
}

/** The problem counts of a row as a short phrase: "2 unexpected panics, 1 under-kill". */
function problems(r: ReportRow): string {
  const parts: string[] = [];
  for (const cat of CATEGORIES) {
    for (const m of cat.counts) if (r[m.key] > 0) parts.push(plural(r[m.key], m.one, m.label));
  }
  if (r.precision !== null && r.precision < 1) parts.push(`precision ${fmtRatio(r.precision)}`);
  if (r.recall !== null && r.recall < 1) parts.push(`recall ${fmtRatio(r.recall)}`);
  return parts.length === 0 ? 'no diff counted' : parts.join(', ');
}

function sum(rows: ReportRow[], k: keyof ReportRow): number {
  let s = 0;
  for (const r of rows) s += r[k] as number;
  return s;
}

function verdictSection(all: ReportRow[], rowIds: Map<ReportRow, string>): string {
  if (all.length === 0) {
    return '<section id="verdict" class="verdict empty"><p class="headline">No runs in this report: the night produced no trace × profile results.</p></section>';
  }
  // Only golden-gated runs decide the verdict and feed its totals; distance from the ideal policy
  // has its own neutral section.
  const rows = all.filter((r) => r.gate);
  if (rows.length === 0) {
    return '<section id="verdict" class="verdict empty"><p class="headline">No golden-gated runs: nothing gates this night (see the distance from the ideal policy below).</p></section>';
  }
  const regressed = rows.filter((r) => r.regressed);
  const traces = new Set(rows.map((r) => r.trace)).size;
  const profiles = new Set(rows.map((r) => r.profile)).size;
  const scope = `${plural(rows.length, 'golden-gated run')} (${plural(traces, 'trace')} × ${plural(profiles, 'profile')})`;
  const listed = regressed.slice(0, MAX_VERDICT_RUNS);
  const unlisted = regressed.length - listed.length;
  const head = regressed.length === 0
    ? `<p class="headline">No regression in ${scope}.</p>`
    : `<p class="headline">Regression: ${fmtNum(regressed.length)} of ${scope} regressed.</p>
<ul class="regressed-list">
${listed.map((r) => `<li><a href="#${rowIds.get(r)}">${runName(r)}</a>: ${esc(problems(r))}</li>`).join('\n')}${unlisted > 0 ? `\n<li><a href="#summary">${plural(unlisted, 'more regressed run')}</a> in the table of all runs</li>` : ''}
</ul>`;
  const totals: [string, number, boolean][] = [
    ['events', sum(rows, 'events'), false], ['panics', sum(rows, 'panics'), false], ['signals', sum(rows, 'signals'), false],
    ['unexpected panics', sum(rows, 'unexpectedPanics'), true], ['missed panics', sum(rows, 'missedPanics'), true],
    ['si_code errors', sum(rows, 'siCodeErrors'), true], ['addr_lsb errors', sum(rows, 'lsbErrors'), true],
    ['over-kill', sum(rows, 'overKill'), true], ['under-kill', sum(rows, 'underKill'), true],
    ['reboot loops', sum(rows, 'rebootLoops'), true], ['incomplete vmcores', sum(rows, 'vmcoreIncomplete'), true],
  ];
  const cells = totals.map(([label, v, bad]) => `<div class="total${bad && v > 0 ? ' bad' : ''}"><span class="n">${fmtNum(v)}</span><span class="l">${label}</span></div>`).join('');
  return `<section id="verdict" class="verdict ${regressed.length === 0 ? 'ok' : 'bad'}">
${head}
<p class="dim">Totals over the golden-gated runs only.</p>
<div class="totals">${cells}</div>
</section>`;
}

/** The sum of a row's difference counts (its distance from its golden set). */
function differences(r: ReportRow): number {
  return r.unexpectedPanics + r.missedPanics + r.siCodeErrors + r.lsbErrors + r.overKill + r.underKill + r.rebootLoops + r.vmcoreIncomplete;
}

/**
 * Distance from the ideal policy (docs/ideal-policy.md): how far each profile is from a correct RAS
 * stack, in neutral colours. It never gates: an old kernel is expected to be far from ideal.
 */
function distanceSection(all: ReportRow[]): Section {
  const rows = all.filter((r) => !r.gate);
  if (rows.length === 0) return { id: 'distance', title: 'Distance from the ideal policy', html: '<p class="empty">No distance measured in this night (no ideal golden set in the config).</p>' };
  const byProfile = new Map<string, { events: number; diff: number; panics: number; siCode: number; kill: number }>();
  for (const r of rows) {
    const a = byProfile.get(r.profile) ?? { events: 0, diff: 0, panics: 0, siCode: 0, kill: 0 };
    a.events += r.events; a.diff += differences(r); a.panics += r.unexpectedPanics + r.missedPanics; a.siCode += r.siCodeErrors + r.lsbErrors; a.kill += r.overKill + r.underKill;
    byProfile.set(r.profile, a);
  }
  const profiles = [...byProfile.keys()].sort(cmpProfile);
  const ranked = [...profiles].sort((x, y) => byProfile.get(x)!.diff - byProfile.get(y)!.diff || cmpProfile(x, y));
  const closest = ranked[0]!;
  const farthest = ranked[ranked.length - 1]!;
  const body = profiles.map((p) => {
    const a = byProfile.get(p)!;
    return `<tr><td>${esc(p)}</td><td class="num">${fmtNum(a.events)}</td><td class="num">${fmtNum(a.diff)}</td><td class="num">${fmtNum(a.panics)}</td><td class="num">${fmtNum(a.siCode)}</td><td class="num">${fmtNum(a.kill)}</td></tr>`;
  }).join('\n');
  const html = `<p class="neutral">Closest to ideal: <strong>${esc(closest)}</strong> (${fmtNum(byProfile.get(closest)!.diff)} differences). Farthest: <strong>${esc(farthest)}</strong> (${fmtNum(byProfile.get(farthest)!.diff)}). These measure how far a profile is from a correct RAS stack over ${plural(new Set(rows.map((r) => r.trace)).size, 'trace')}; they never gate the night.</p>
<table class="distance">
<thead><tr><th>profile</th><th class="num">events</th><th class="num">differences</th><th class="num">panic differences</th><th class="num">si_code/lsb</th><th class="num">over/under-kill</th></tr></thead>
<tbody>
${body}
</tbody>
</table>`;
  return { id: 'distance', title: 'Distance from the ideal policy', html };
}

function notesSection(notes: string[]): Section | null {
  if (notes.length === 0) return null;
  return { id: 'notes', title: 'Notes', html: `<ul class="notes">\n${notes.map((n) => `<li>${esc(n)}</li>`).join('\n')}\n</ul>` };
}

function figure(id: string, svg: string, caption: string): string {
  return `<figure class="chart" id="chart-${id}">
<figcaption>${caption}</figcaption>
<div class="svg">${svg}</div>
</figure>`;
}

async function chart(spec: VlSpec, id: string): Promise<string> {
  return (await renderVegaLite(spec, `c-${id}`)).svg;
}

async function categorySections(rows: ReportRow[], profiles: string[]): Promise<Section[]> {
  const out: Section[] = [];
  for (const cat of CATEGORIES) {
    let html: string;
    if (rows.length === 0) {
      html = '<p class="empty">No runs, nothing to draw.</p>';
    } else {
      const bad = rows.filter((r) => rowHasProblem(cat, r));
      const badTraces = new Set(bad.map((r) => r.trace));
      const allTraces = new Set(rows.map((r) => r.trace));
      const spec = categorySpec(cat, rows, profiles);
      if (spec === null) {
        html = `<p class="clean">Clean: no ${cat.counts.map((m) => m.label).join(' and no ')}${cat.ratios.length > 0 ? ', precision and recall 1 wherever defined' : ''} in ${plural(rows.length, 'run')}.</p>`;
      } else {
        const clean = allTraces.size - badTraces.size;
        const caption = `${esc(cat.reading)} Drawn: the ${plural(badTraces.size, 'trace')} with a problem here (${plural(bad.length, 'run')}), one bar per profile${clean > 0 ? `; the other ${plural(clean, 'trace')} ${clean === 1 ? 'is' : 'are'} clean and not drawn` : ''}.`;
        html = figure(cat.id, await chart(spec, cat.id), caption);
      }
    }
    out.push({ id: cat.id, title: cat.title, html });
  }
  return out;
}

async function trendSection(data: ReportData, profiles: string[]): Promise<Section> {
  const nights = trendNights(data.trend);
  let html: string;
  if (nights.length === 0) {
    html = '<p class="empty">No history yet: the trend starts once nights have been recorded.</p>';
  } else if (nights.length === 1) {
    html = `<p class="empty">One night of history (${esc(nights[0] as string)}): the trend needs a second night to draw a line.</p>`;
  } else {
    const spec = trendSpec(data.trend, profiles, data.regressedNights ?? []) as VlSpec;
    const metrics = trendMetrics(data.trend);
    const ratios = metrics.filter(isRatioMetric).map(metricLabel);
    const caption = `${plural(nights.length, 'night')}, ${esc(nights[0] as string)} to ${esc(nights[nights.length - 1] as string)}; one line per profile. Counts are summed over traces${ratios.length > 0 ? `, ${esc(ratios.join(', '))} averaged over traces` : ''}. Each panel has its own scale; nights are spaced by date${(data.regressedNights ?? []).length ? ', and a dashed red rule marks each night whose golden-gated diff regressed' : ''}.`;
    html = figure('trend', await chart(spec, 'trend'), caption);
  }
  return { id: 'trend', title: 'Trend over nights', html };
}

async function pathSection(data: ReportData, profiles: string[]): Promise<Section> {
  const deltas = pathDeltas(data.pathChanges);
  let html: string;
  if (data.previousNight === null) {
    html = '<p class="empty">No previous recorded night to compare the decision paths with: this is the first night in the store.</p>';
  } else if (deltas.length === 0) {
    html = `<p class="clean">No decision path changed its event count since the previous recorded night, ${esc(data.previousNight)}.</p>`;
  } else {
    const spec = pathSpec(deltas, profiles) as VlSpec;
    const more = deltas.length - Math.min(deltas.length, MAX_PATH_BARS);
    const caption = `Events per decision path, this night minus the previous recorded night (${esc(data.previousNight)}), summed over traces; one panel per profile. A path that gained events is orange, one that lost events blue: a shift from one path to another shows as a pair.${more > 0 ? ` The ${MAX_PATH_BARS} largest changes are drawn, ${plural(more, 'more')} in the table.` : ''}`;
    const byTrace = [...data.pathChanges]
      .filter((p) => p.after !== p.before)
      .sort((x, y) => cmpStr(x.profile, y.profile) || cmpStr(x.path, y.path) || cmpStr(x.trace, y.trace));
    const table = `<details class="table">
<summary>All ${plural(byTrace.length, 'change')} by trace</summary>
<table>
<thead><tr><th>profile</th><th>path</th><th>trace</th><th class="num">last night</th><th class="num">this night</th><th class="num">change</th></tr></thead>
<tbody>
${byTrace.map((p) => `<tr><td>${esc(p.profile)}</td><td><code>${esc(p.path)}</code></td><td>${esc(p.trace)}</td><td class="num">${fmtNum(p.before)}</td><td class="num">${fmtNum(p.after)}</td><td class="num">${p.after > p.before ? '+' : ''}${fmtNum(p.after - p.before)}</td></tr>`).join('\n')}
</tbody>
</table>
</details>`;
    html = `${figure('paths', await chart(spec, 'paths'), caption)}\n${table}`;
  }
  return { id: 'paths', title: 'Decision paths changed since the previous night', html };
}

async function compareSection(data: ReportData): Promise<Section> {
  const totals = compareTotals(data.compare);
  let html: string;
  if (totals.length === 0) {
    html = data.compare.length === 0
      ? '<p class="empty">No profile comparison in this run.</p>'
      : '<p class="clean">The compared profiles behave the same on every trace.</p>';
  } else {
    const spec = compareSpec(totals) as VlSpec;
    const caption = 'Events whose outcome differs between profile A and profile B (A → B), summed over traces, one panel per pair; the bar says what changed, coloured by its direction: green better, red worse, grey neither (docs/report.md).';
    const rows = [...data.compare]
      .filter((c) => c.count !== 0)
      .sort((x, y) => cmpStr(x.a, y.a) || cmpStr(x.b, y.b) || cmpStr(x.what, y.what) || cmpStr(x.trace, y.trace));
    const table = `<details class="table">
<summary>All ${plural(rows.length, 'difference')} by trace</summary>
<table>
<thead><tr><th>A</th><th>B</th><th>what</th><th>direction</th><th>trace</th><th class="num">events</th></tr></thead>
<tbody>
${rows.map((c) => `<tr class="dir-${c.direction}"><td>${esc(c.a)}</td><td>${esc(c.b)}</td><td>${esc(c.what)}</td><td>${c.direction}</td><td>${esc(c.trace)}</td><td class="num">${fmtNum(c.count)}</td></tr>`).join('\n')}
</tbody>
</table>
</details>`;
    html = `${figure('compare', await chart(spec, 'compare'), caption)}\n${table}`;
  }
  return { id: 'compare', title: 'Profile A vs profile B', html };
}

async function policySection(data: ReportData): Promise<Section | null> {
  const pts = data.policies ?? [];
  if (pts.length === 0) return null;
  const spec = policySpec(pts) as VlSpec;
  const caption = 'Page-offline policies replayed over the corrected-error history (docs/policy.md): UEs the policy would have prevented (the page was offlined before the UE) against the pages it offlined, one line per trace × policy family through the thresholds of its sweep. Up and to the left is better.';
  const best = [...pts].sort((a, b) => b.prevented - a.prevented || a.pagesOfflined - b.pagesOfflined || cmpStr(a.policy, b.policy));
  const rows = best.slice(0, 20);
  const table = `<details class="table">
<summary>The ${plural(rows.length, 'policy', 'policies')} preventing the most UEs (of ${fmtNum(pts.length)})</summary>
<table>
<thead><tr><th>trace</th><th>policy</th><th class="num">threshold</th><th class="num">UEs</th><th class="num">prevented</th><th class="num">pages offlined</th><th class="num">offlines without UE</th></tr></thead>
<tbody>
${rows.map((p) => `<tr><td>${esc(p.trace)}</td><td>${esc(p.policy)}</td><td class="num">${fmtNum(p.threshold)}</td><td class="num">${fmtNum(p.ues)}</td><td class="num">${fmtNum(p.prevented)}</td><td class="num">${fmtNum(p.pagesOfflined)}</td><td class="num">${fmtNum(p.offlinesWithoutUe)}</td></tr>`).join('\n')}
</tbody>
</table>
</details>`;
  return { id: 'policy', title: 'Page-offline policies', html: `${figure('policy', await chart(spec, 'policy'), caption)}\n${table}` };
}

async function bisectSection(data: ReportData): Promise<Section | null> {
  const runs = data.bisect?.runs ?? [];
  if (runs.length === 0) return null;
  const rows = data.bisect!.rows;
  const title = 'Which change did it (bisect A → B)';
  const intro = `<ul class="bisect-runs">\n${[...runs].sort((x, y) => cmpStr(x.trace, y.trace) || cmpStr(x.a, y.a) || cmpStr(x.b, y.b)).map((r) => `<li>${esc(r.trace)}: ${esc(r.a)} → ${esc(r.b)}: ${plural(r.changedEvents, 'event')} of ${fmtNum(r.events)} differ, ${plural(r.flips, 'switch', 'switches')} differ; explained by one switch ${fmtNum(r.explainedBySingle)}, by an interaction of two ${fmtNum(r.explainedByPair)}, unexplained ${fmtNum(r.unexplained)}${r.unexplained ? ` <span class="dim">(${esc(r.unexplainedReasons)})</span>` : ''}</li>`).join('\n')}\n</ul>`;
  const spec = bisectSpec(rows) as VlSpec | null;
  if (!spec) return { id: 'bisect', title, html: `${intro}\n<p class="clean">No switch explains a difference: B behaves as A on every event, or every difference is unexplained.</p>` };
  const caption = 'For every event whose outcome differs between profile A and profile B, the kernel change (switch) whose change from A\'s value to B\'s produces it, or the pair of switches when neither alone does (docs/bisect.md). Each bar is what that switch changes, coloured by direction: green better, red worse, grey neither; its label the events it explains (an event two switches each explain alone counts under both).';
  const sorted = [...rows].sort((x, y) => cmpStr(x.trace, y.trace) || cmpStr(x.a, y.a) || cmpStr(x.b, y.b) || y.events - x.events || cmpStr(bisectLabel(x), bisectLabel(y)));
  const table = `<details class="table">
<summary>${plural(sorted.length, 'switch or interaction', 'switches and interactions')} with commit, release and backports</summary>
<table>
<thead><tr><th>trace</th><th>A → B</th><th>switch</th><th>change</th><th>commit</th><th>release</th><th>stable backports</th><th class="num">events</th><th class="num">better</th><th class="num">worse</th><th class="num">changed</th><th>example events</th></tr></thead>
<tbody>
${sorted.map((r) => `<tr><td>${esc(r.trace)}</td><td>${esc(r.a)} → ${esc(r.b)}</td><td><code>${esc(bisectLabel(r))}</code></td><td>${esc(r.title)}</td><td>${esc(r.commit ?? '—')}</td><td>${esc(r.mainline ?? '—')}</td><td>${esc(r.stable || '—')}</td><td class="num">${fmtNum(r.events)}</td><td class="num">${fmtNum(r.better)}</td><td class="num">${fmtNum(r.worse)}</td><td class="num">${fmtNum(r.changed)}</td><td>${esc(r.examples)}</td></tr>`).join('\n')}
</tbody>
</table>
</details>`;
  return { id: 'bisect', title, html: `${intro}\n${figure('bisect', await chart(spec, 'bisect'), caption)}\n${table}` };
}

function summarySection(rows: ReportRow[], rowIds: Map<ReportRow, string>): Section {
  if (rows.length === 0) return { id: 'summary', title: 'All runs', html: '<p class="empty">No runs in this report.</p>' };
  const cols: [string, keyof ReportRow, boolean][] = [
    ['events', 'events', false], ['panics', 'panics', false], ['signals', 'signals', false],
    ['unexpected panics', 'unexpectedPanics', true], ['missed panics', 'missedPanics', true],
    ['si_code errors', 'siCodeErrors', true], ['addr_lsb errors', 'lsbErrors', true],
    ['over-kill', 'overKill', true], ['under-kill', 'underKill', true],
  ];
  const tail: [string, keyof ReportRow][] = [['reboot loops', 'rebootLoops'], ['incomplete vmcores', 'vmcoreIncomplete']];
  const num = (r: ReportRow, k: keyof ReportRow, bad: boolean) => {
    const v = r[k] as number;
    return `<td class="num${bad && v > 0 ? ' bad' : ''}">${fmtNum(v)}</td>`;
  };
  const ratio = (judged: number | null, v: number | null) => `<td class="num${judged !== null && judged < 1 ? ' bad' : ''}">${fmtRatio(v)}</td>`;
  const body = rows.map((r) => `<tr id="${rowIds.get(r)}"${r.regressed ? ' class="regressed"' : r.gate ? '' : ' class="distance"'}><td class="status">${r.regressed ? 'REGRESSED' : r.gate ? 'ok' : 'distance'}</td><td>${esc(r.trace)}</td><td>${esc(r.profile)}</td><td>${r.golden === null ? '<span class="dim">none</span>' : esc(r.golden)}</td>${cols.map(([, k, bad]) => num(r, k, bad && r.gate)).join('')}${ratio(r.gate ? r.precision : null, r.precision)}${ratio(r.gate ? r.recall : null, r.recall)}${tail.map(([, k]) => num(r, k, r.gate)).join('')}</tr>`);
  const html = `<p>One row per trace × profile × golden set; regressed runs first and highlighted, then golden-gated runs, then distance measurements (status "distance", never marked), by trace and profile in version order. A non-zero problem count (or a ratio below 1) of a gated run is marked.</p>
<div class="scroll"><table class="summary">
<thead><tr><th>status</th><th>trace</th><th>profile</th><th>golden</th>${cols.map(([l]) => `<th class="num">${l}</th>`).join('')}<th class="num">precision</th><th class="num">recall</th>${tail.map(([l]) => `<th class="num">${l}</th>`).join('')}</tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table></div>`;
  return { id: 'summary', title: 'All runs', html };
}

/** Worst first: a crash or silent corruption before a wrong si_code before a spurious kill. */
const CATEGORY_RANK: [RegExp, number][] = [
  [/unexpected|regress/, 0], [/under/, 1], [/reboot/, 2], [/si_?code/, 3], [/lsb/, 4], [/over/, 5], [/vmcore/, 6], [/missed/, 7],
];

export function categoryRank(category: string): number {
  const c = category.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  for (const [re, rank] of CATEGORY_RANK) if (re.test(c)) return rank;
  return CATEGORY_RANK.length;
}

function cmpExample(a: Example, b: Example): number {
  return Number(b.gated) - Number(a.gated) || categoryRank(a.category) - categoryRank(b.category) || cmpStr(a.category, b.category) || cmpStr(a.trace, b.trace)
    || cmpStr(a.profile, b.profile) || cmpNatural(a.eventId, b.eventId) || cmpStr(a.host, b.host);
}

function exampleHtml(e: Example): string {
  const who = e.comm === null ? '' : ` · <span class="comm">${esc(e.comm)}</span>`;
  const explain = e.explain.length === 0
    ? '<p class="dim">No explain steps recorded.</p>'
    : `<ol class="explain">\n${e.explain.map((l) => `<li>${esc(l)}</li>`).join('\n')}\n</ol>`;
  return `<details class="example">
<summary><span class="cat">${esc(e.category)}</span> ${esc(e.trace)} × ${esc(e.profile)} · event ${esc(e.eventId)} · host ${esc(e.host)}${who}</summary>
<dl>
<dt>expected</dt><dd>${esc(e.expected)}</dd>
<dt>actual</dt><dd class="bad">${esc(e.actual)}</dd>
<dt>path</dt><dd><code>${esc(e.path)}</code></dd>
</dl>
${explain}
</details>`;
}

function examplesSection(examples: Example[]): Section {
  if (examples.length === 0) return { id: 'examples', title: 'Worst examples', html: '<p class="empty">No examples: no event differed from its golden expectation.</p>' };
  const sorted = [...examples].sort(cmpExample);
  // Every example of a gated regression is shown; the cap applies to the distance examples after them.
  const gated = sorted.filter((e) => e.gated).length;
  const shown = sorted.slice(0, gated + MAX_EXAMPLES);
  const groups: [string, Example[]][] = [];
  for (const e of shown) {
    const last = groups[groups.length - 1];
    const key = `${e.gated ? 'gated: ' : 'distance: '}${e.category}`;
    if (last && last[0] === key) last[1].push(e);
    else groups.push([key, [e]]);
  }
  const more = sorted.length - shown.length;
  const html = `<p>Events that differ from their golden expectation: those of golden-gated runs first (all of them), then those measuring the distance from the ideal policy; within each, worst kind first (unexpected panic, under-kill, reboot loop, si_code, addr_lsb, over-kill, vmcore, missed panic). Open one to see the decision path step by step, as <code>ras-replay explain</code> prints it.${more > 0 ? ` The first ${fmtNum(MAX_EXAMPLES)} are shown, ${plural(more, 'more')} left out.` : ''}</p>
${groups.map(([cat, es]) => `<h3>${esc(cat)} <span class="dim">(${fmtNum(es.length)})</span></h3>\n${es.map(exampleHtml).join('\n')}`).join('\n')}`;
  return { id: 'examples', title: 'Worst examples', html };
}

const STYLE = `
:root { --bad: #b00020; --badbg: #fdecee; --ok: #1b6e2d; --okbg: #e8f5ea; --dim: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; margin: 0; background: #fafafa; }
header, main, footer { max-width: 1400px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 16px; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 18px; margin: 0 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.meta, .dim { color: var(--dim); }
nav { margin: 8px 0 0; font-size: 13px; }
nav a { margin-right: 14px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 18px; margin: 14px 0; }
.verdict.ok { border-left: 6px solid var(--ok); }
.verdict.bad { border-left: 6px solid var(--bad); }
.verdict.empty { border-left: 6px solid var(--dim); }
.headline { font-size: 17px; font-weight: 600; margin: 0 0 8px; }
.verdict.bad .headline { color: var(--bad); }
.verdict.ok .headline { color: var(--ok); }
.regressed-list { margin: 0 0 10px; }
.totals { display: flex; flex-wrap: wrap; gap: 8px; }
.total { border: 1px solid var(--line); border-radius: 4px; padding: 4px 10px; min-width: 110px; }
.total .n { display: block; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.total .l { font-size: 12px; color: var(--dim); }
.total.bad { border-color: var(--bad); background: var(--badbg); }
.total.bad .n { color: var(--bad); }
.clean { color: var(--ok); }
.empty { color: var(--dim); font-style: italic; }
figure.chart { margin: 0; }
figcaption { margin-bottom: 8px; color: #333; max-width: 100ch; }
.svg, .scroll { overflow-x: auto; }
.svg svg { display: block; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
table.summary td:nth-child(-n+4) { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.bad, dd.bad { color: var(--bad); font-weight: 600; }
tr.regressed td { background: var(--badbg); }
tr.regressed td.status { color: var(--bad); font-weight: 700; }
td.status { color: var(--ok); }
details.table { margin-top: 10px; }
details.example { border: 1px solid var(--line); border-radius: 4px; margin: 4px 0; padding: 4px 10px; }
details.example[open] { background: #fcfcfc; }
summary { cursor: pointer; }
.cat { display: inline-block; background: var(--badbg); color: var(--bad); border-radius: 3px; padding: 0 6px; font-size: 12px; font-weight: 600; }
.comm { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
dt { color: var(--dim); }
dd { margin: 0; white-space: pre-wrap; word-break: break-word; }
ol.explain { font: 12px/1.5 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; margin: 6px 0; padding-left: 28px; }
ol.explain li { white-space: pre-wrap; word-break: break-word; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
ul.notes li { margin: 2px 0; }
footer { color: var(--dim); font-size: 12px; padding-bottom: 24px; }
@media print { body { background: #fff; } section { break-inside: avoid; } details > *:not(summary) { display: block; } }
`;

/** The whole report as one HTML document. Throws a TypeError naming the field when data is malformed. */
export async function renderReport(data: ReportData): Promise<string> {
  validateReportData(data);
  const rows = [...data.rows].sort(cmpRow);
  const rowIds = new Map(rows.map((r, i) => [r, `run-${i + 1}`] as const));
  const profiles = profileDomain(rows, data.trend, data.pathChanges);

  const sections: Section[] = [];
  const notes = notesSection(data.notes ?? []);
  if (notes) sections.push(notes);
  sections.push(...await categorySections(rows.filter((r) => r.gate), profiles));
  sections.push(distanceSection(rows));
  sections.push(await trendSection(data, profiles));
  sections.push(await pathSection(data, profiles));
  sections.push(await compareSection(data));
  const policy = await policySection(data);
  if (policy) sections.push(policy);
  const bisect = await bisectSection(data);
  if (bisect) sections.push(bisect);
  sections.push(summarySection(rows, rowIds));
  sections.push(examplesSection(data.examples));

  const nav = sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ras-replay ${esc(data.toolVersion)}">
<title>${esc(data.title)} · ${esc(data.night)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(data.title)}</h1>
<p class="meta">Night ${esc(data.night)} · generated ${esc(data.generatedAt)} · ras-replay ${esc(data.toolVersion)}</p>
<nav>
${nav}
</nav>
</header>
<main>
${verdictSection(rows, rowIds)}
${sections.map((s) => `<section id="${s.id}">\n<h2>${esc(s.title)}</h2>\n${s.html}\n</section>`).join('\n')}
</main>
<footer>
<p>Self-contained page: charts are inline SVG rendered by Vega at generation time; no script, no network. ras-replay ${esc(data.toolVersion)}.</p>
</footer>
</body>
</html>
`;
}

/**
 * Render and write atomically (`writeFileAtomic`: the folder made if missing, a temp file beside
 * `path`, fsync, rename): on any failure `path` is left as it was and the temp file is removed.
 */
export async function writeReport(path: string, data: ReportData): Promise<void> {
  writeFileAtomic(path, await renderReport(data));
}
