// Charts for the nightly report: Vega-Lite specs built from ReportData, rendered to SVG in Node
// (vega View with renderer 'none', then toSVG) and inlined by html.ts. No hand-drawn SVG, no script.
//
// Safety: strings from traces (trace, profile, path, metric, `what`) only ever enter a spec as data
// values (or as literal scale domains/sort lists), never as field names or expressions; Vega's SVG
// string renderer escapes text and attribute values (test/report/report.test.ts checks hostile names).
//
// Determinism: inputs are aggregated and sorted with a code-point order (no locale), and the ids
// Vega numbers from process-global counters (clip paths, gradients) are renamed per chart, so the
// same data gives the same bytes and two charts in one page never share an id.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BisectPoint, CompareChange, PathChange, PolicyPoint, ReportRow, TrendPoint } from './types.js';

/**
 * A Vega-Lite spec as built here. Deliberately loose: vega-lite's TopLevelSpec union is large and
 * its errors unreadable; the specs are checked by rendering them (no warnings) in the tests.
 */
export type VlSpec = { [key: string]: unknown };

// ---------------------------------------------------------------------------------------------
// Ordering helpers (shared with html.ts)

/** Code-point order: the same on every machine and locale. */
export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Digit strings compare as numbers (event ids), anything else by code point. */
export function cmpNatural(a: string, b: string): number {
  const da = /^\d+$/.test(a);
  const db = /^\d+$/.test(b);
  if (da && db) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    return x.length - y.length || cmpStr(x, y);
  }
  return cmpStr(a, b);
}

function uniqSorted(xs: Iterable<string>): string[] {
  return [...new Set(xs)].sort(cmpStr);
}

// ---------------------------------------------------------------------------------------------
// Categories of the diff (TRACE.md §4) as drawn per trace × profile

type CountKey = 'unexpectedPanics' | 'missedPanics' | 'siCodeErrors' | 'lsbErrors' | 'overKill' | 'underKill' | 'rebootLoops' | 'vmcoreIncomplete';
type RatioKey = 'precision' | 'recall';

export interface Category {
  id: string;
  title: string;
  /** One sentence on how to read the chart. */
  reading: string;
  /** label: plural, as a panel title; one: the singular. */
  counts: { key: CountKey; label: string; one: string }[];
  ratios: { key: RatioKey; label: string }[];
}

export const CATEGORIES: readonly Category[] = [
  {
    id: 'panic-avoidance', title: 'Panic avoidance',
    reading: 'Unexpected panics are events expected to survive that panicked (regressions); missed panics are expected panics that did not happen.',
    counts: [{ key: 'unexpectedPanics', label: 'unexpected panics', one: 'unexpected panic' }, { key: 'missedPanics', label: 'missed panics', one: 'missed panic' }],
    ratios: [],
  },
  {
    id: 'si-code', title: 'si_code correctness',
    reading: 'Signals whose si_code (BUS_MCEERR_AR/AO, …) or addr_lsb differs from the golden one.',
    counts: [{ key: 'siCodeErrors', label: 'si_code errors', one: 'si_code error' }, { key: 'lsbErrors', label: 'addr_lsb errors', one: 'addr_lsb error' }],
    ratios: [],
  },
  {
    id: 'kill-accuracy', title: 'Kill accuracy',
    reading: 'Over-kill: an innocent process was signalled. Under-kill: the consumer was not signalled (silent data corruption risk). Precision and recall of the killed pids, 1 is perfect.',
    counts: [{ key: 'overKill', label: 'over-kill', one: 'over-kill' }, { key: 'underKill', label: 'under-kill', one: 'under-kill' }],
    ratios: [{ key: 'precision', label: 'precision' }, { key: 'recall', label: 'recall' }],
  },
  {
    id: 'reboot-vmcore', title: 'Reboot loops and vmcore',
    reading: 'Reboot loops: a synchronous error left unhandled, re-faulting until a reset. Incomplete vmcores: kdump could not dump around the poisoned page.',
    counts: [{ key: 'rebootLoops', label: 'reboot loops', one: 'reboot loop' }, { key: 'vmcoreIncomplete', label: 'incomplete vmcores', one: 'incomplete vmcore' }],
    ratios: [],
  },
];

/** Does this row show any problem of the category (a count above 0, a ratio below 1)? */
export function rowHasProblem(cat: Category, r: ReportRow): boolean {
  for (const m of cat.counts) if (r[m.key] > 0) return true;
  for (const m of cat.ratios) {
    const v = r[m.key];
    if (v !== null && v < 1) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Rendering

export interface RenderedChart {
  svg: string;
  /** Warnings from vega-lite's compiler and vega's dataflow (a clean spec has none). */
  warnings: string[];
}

interface Logger {
  level(): number;
  level(l: number): Logger;
  error(...args: unknown[]): Logger;
  warn(...args: unknown[]): Logger;
  info(...args: unknown[]): Logger;
  debug(...args: unknown[]): Logger;
}

function collectingLogger(warnings: string[], errors: string[]): Logger {
  let lvl = 2;
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const logger: Logger = {
    level: ((l?: number) => {
      if (l === undefined) return lvl;
      lvl = l;
      return logger;
    }) as Logger['level'],
    error: (...args) => { errors.push(text(args)); return logger; },
    warn: (...args) => { warnings.push(text(args)); return logger; },
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

/**
 * Vega numbers clip paths and gradients from process-global counters: rename every id (and its
 * url(#…) references) in order of appearance to `<prefix>-<n>`, only inside tags so that text is
 * never touched. Vega escapes '>' in attribute values, so a tag is `<` up to the next `>`.
 */
export function renameSvgIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  const tags = svg.match(/<[^>]*>/g) ?? [];
  for (const t of tags) {
    for (const m of t.matchAll(/\sid="([^"]*)"/g)) {
      const old = m[1] as string;
      if (!ids.has(old)) ids.set(old, `${prefix}-${ids.size + 1}`);
    }
  }
  if (ids.size === 0) return svg;
  return svg.replace(/<[^>]*>/g, (tag) =>
    tag
      .replace(/(\sid=")([^"]*)"/g, (all, pre: string, id: string) => (ids.has(id) ? `${pre}${ids.get(id)}"` : all))
      .replace(/url\(#([^)]*)\)/g, (all, id: string) => (ids.has(id) ? `url(#${ids.get(id)})` : all)));
}

/** Compile a Vega-Lite spec and render it to an SVG string, headless. Throws on a Vega error. */
export async function renderVegaLite(spec: VlSpec, idPrefix: string): Promise<RenderedChart> {
  const warnings: string[] = [];
  const errors: string[] = [];
  const logger = collectingLogger(warnings, errors);
  const compiled = compile(spec as unknown as TopLevelSpec, { logger: logger as unknown as NonNullable<Parameters<typeof compile>[1]>['logger'] }).spec;
  const view = new vega.View(vega.parse(compiled), {
    renderer: 'none',
    logger: logger as unknown as vega.LoggerInterface,
    logLevel: vega.Warn,
  });
  try {
    const svg = await view.toSVG();
    if (errors.length > 0) throw new Error(`chart ${idPrefix}: vega reported ${errors.join('; ')}`);
    return { svg: renameSvgIds(svg, idPrefix), warnings };
  } finally {
    view.finalize();
  }
}

// ---------------------------------------------------------------------------------------------
// Specs

const CONFIG = {
  font: 'sans-serif',
  background: 'white',
  view: { stroke: '#ddd' },
  // Node has no canvas: Vega estimates text width generously, so allow more than looks needed.
  axis: { labelFontSize: 11, titleFontSize: 11, labelLimit: 360 },
  header: { labelFontSize: 12, labelFontWeight: 'bold' as const, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 240 },
};

/** Every profile named anywhere, in one order, so a profile has the same colour in every chart. */
export function profileDomain(rows: ReportRow[], trend: TrendPoint[], paths: PathChange[]): string[] {
  return [...new Set([...rows.map((r) => r.profile), ...trend.map((t) => t.profile), ...paths.map((p) => p.profile)])].sort(cmpProfile);
}

/** Kernel version of a profile name ("linux-6.6.47" -> [6, 6, 47]); null for pre, post and files. */
function profileVersion(name: string): number[] | null {
  const m = /^linux-(\d+)\.(\d+)(?:\.(\d+|y))?$/.exec(name);
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : m[3] === 'y' ? Number.MAX_SAFE_INTEGER : Number(m[3])];
}

/** Profiles in version order: pre, post, then linux-* by kernel version, then the rest by name. */
export function cmpProfile(a: string, b: string): number {
  const rank = (n: string) => (n === 'pre' ? 0 : n === 'post' ? 1 : profileVersion(n) ? 2 : 3);
  const d = rank(a) - rank(b);
  if (d !== 0) return d;
  const va = profileVersion(a);
  const vb = profileVersion(b);
  if (va && vb) return va[0]! - vb[0]! || va[1]! - vb[1]! || va[2]! - vb[2]!;
  return cmpStr(a, b);
}

/** Categorical colours without red: red means "bad" everywhere else on the page. */
const PROFILE_COLORS = ['#4c78a8', '#72b7b2', '#b279a2', '#9d755d', '#54a24b', '#eeca3b', '#79706e', '#9ecae9', '#d6a5c9', '#88d27a'];

function profileColor(profiles: string[]) {
  return {
    field: 'profile', type: 'nominal' as const, title: 'profile',
    scale: { domain: profiles, range: PROFILE_COLORS },
    legend: { orient: 'bottom' as const, direction: 'horizontal' as const, columns: 4 },
  };
}

/**
 * Grouped horizontal bars for one category: a panel per metric, a band per trace, a bar per
 * profile. Only traces with a problem in the category are drawn (the caller says how many were
 * clean). Null when there is nothing to draw.
 */
export function categorySpec(cat: Category, rows: ReportRow[], profiles: string[]): VlSpec | null {
  const problemTraces = new Set(rows.filter((r) => rowHasProblem(cat, r)).map((r) => r.trace));
  if (problemTraces.size === 0) return null;
  const traces = uniqSorted(problemTraces);
  const shown = rows.filter((r) => problemTraces.has(r.trace));
  const usedProfiles = profiles.filter((p) => shown.some((r) => r.profile === p));

  // One value per trace × profile × metric: counts summed over golden sets, ratios the worst (min).
  const panel = (metrics: { key: CountKey | RatioKey; label: string }[], ratio: boolean): VlSpec | null => {
    const vals: { trace: string; profile: string; metric: string; value: number; label: string }[] = [];
    for (const m of metrics) {
      for (const trace of traces) {
        for (const profile of usedProfiles) {
          const mine = shown.filter((r) => r.trace === trace && r.profile === profile);
          const nums = mine.map((r) => r[m.key]).filter((v): v is number => v !== null);
          if (nums.length === 0) continue;
          const value = ratio ? Math.min(...nums) : nums.reduce((s, v) => s + v, 0);
          vals.push({ trace, profile, metric: m.label, value, label: ratio ? value.toFixed(2) : value === 0 ? '' : String(value) });
        }
      }
    }
    if (vals.length === 0) return null;
    // Where one trace dwarfs the others (largest non-zero count over 50 times the smallest), a
    // symlog axis keeps the small bars visible; the bar labels carry the exact counts.
    const nonZero = vals.filter((v) => v.value > 0).map((v) => v.value);
    const dwarfed = !ratio && nonZero.length > 1 && Math.max(...nonZero) > 50 * Math.min(...nonZero);
    return {
      data: { values: vals },
      facet: {
        column: { field: 'metric', type: 'nominal', sort: metrics.map((m) => m.label), title: dwarfed ? 'log scale (symlog): one trace dwarfs the others' : null },
      },
      spec: {
        width: 190,
        height: { step: 12, for: 'offset' },
        encoding: {
          y: { field: 'trace', type: 'nominal', sort: traces, title: null },
          yOffset: { field: 'profile', type: 'nominal', sort: usedProfiles },
          x: ratio
            ? { field: 'value', type: 'quantitative', title: null, scale: { domain: [0, 1] }, axis: { format: '.1f', tickCount: 5 } }
            : { field: 'value', type: 'quantitative', title: null, ...(dwarfed ? { scale: { type: 'symlog' } } : {}), axis: { format: 'd', tickMinStep: 1 } },
        },
        layer: [
          { mark: { type: 'bar' }, encoding: { color: profileColor(profiles) } },
          {
            mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' },
            encoding: { text: { field: 'label', type: 'nominal' } },
          },
        ],
      },
      resolve: { scale: { x: 'independent' } },
    };
  };

  const parts = [panel(cat.counts, false), panel(cat.ratios, true)].filter((p): p is VlSpec => p !== null);
  if (parts.length === 0) return null;
  // Counts above ratios: side by side, four panels with their trace labels overflow a laptop screen.
  const body = parts.length === 1 ? parts[0] : { vconcat: parts, spacing: 24 };
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...body };
}

/** Ratios are averaged over traces; everything else is a count and summed. */
export function isRatioMetric(metric: string): boolean {
  return metric === 'precision' || metric === 'recall' || /(_rate|_ratio|rate|ratio)$/.test(metric);
}

/** The trend metrics in reading order: the well-known ones first, then the rest by name. */
export const TREND_ORDER = ['unexpected_panics', 'missed_panics', 'panic_rate', 'si_code_errors', 'lsb_errors', 'over_kill', 'under_kill', 'precision', 'recall', 'reboot_loops', 'vmcore_incomplete'];

export function metricLabel(metric: string): string {
  return metric.replace(/_/g, ' ');
}

export function trendMetrics(trend: TrendPoint[]): string[] {
  const all = uniqSorted(trend.map((t) => t.metric));
  const known = TREND_ORDER.filter((m) => all.includes(m));
  return [...known, ...all.filter((m) => !TREND_ORDER.includes(m))];
}

export function trendNights(trend: TrendPoint[]): string[] {
  return uniqSorted(trend.map((t) => t.night));
}

/**
 * One panel per metric, a line per profile over nights (ordinal, sorted: no date parsing, so no
 * time zone). Counts are summed over traces, ratios averaged. Null with fewer than two nights.
 */
export function trendSpec(trend: TrendPoint[], profiles: string[], regressedNights: string[] = []): VlSpec | null {
  const nights = trendNights(trend);
  if (nights.length < 2) return null;
  const metrics = trendMetrics(trend);
  const acc = new Map<string, { night: string; profile: string; metric: string; sum: number; n: number }>();
  for (const t of trend) {
    const k = JSON.stringify([t.metric, t.profile, t.night]);
    const a = acc.get(k) ?? { night: t.night, profile: t.profile, metric: t.metric, sum: 0, n: 0 };
    a.sum += t.value;
    a.n += 1;
    acc.set(k, a);
  }
  const values = [...acc.entries()]
    .sort((x, y) => cmpStr(x[0], y[0]))
    .map(([, a]) => ({
      night: a.night, profile: a.profile, metric: metricLabel(a.metric),
      value: isRatioMetric(a.metric) ? a.sum / a.n : a.sum,
    }));
  // One rule per regressed night and panel: flag the first value row of each (metric, night).
  const seen = new Set<string>();
  const regressed = new Set(regressedNights);
  const marked = values.map((v) => {
    const k = `${v.metric}\u0000${v.night}`;
    const first = !seen.has(k);
    seen.add(k);
    return { ...v, regressed: first && regressed.has(v.night) };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    data: { values: marked, format: { parse: { night: 'utc:"%Y-%m-%d"' } } },
    facet: { field: 'metric', type: 'nominal', sort: metrics.map(metricLabel), title: null },
    columns: 3,
    spec: {
      width: 240,
      height: 130,
      // Nights on a time axis, so a gap of a week looks like one; a red rule marks each night whose
      // gated golden diff regressed.
      layer: [
        ...(regressedNights.length ? [{ mark: { type: 'rule', color: '#b00020', strokeDash: [3, 2] }, transform: [{ filter: { field: 'regressed', equal: true } }],
          encoding: { x: { field: 'night', type: 'temporal' } } }] : []),
        { mark: { type: 'line', point: true, strokeWidth: 2 },
          encoding: {
            x: { field: 'night', type: 'temporal', title: null, axis: { labelAngle: -40, labelOverlap: 'greedy', format: '%Y-%m-%d', tickCount: 'day' } },
            y: { field: 'value', type: 'quantitative', title: null, axis: { tickCount: 4 } },
            color: profileColor(profiles),
          } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/**
 * The policy trade-off: UEs prevented (y) against pages offlined (x, symlog), one line per trace ×
 * family through its sweep's thresholds. Null when there is nothing to draw.
 */
export function policySpec(points: PolicyPoint[]): VlSpec | null {
  if (points.length === 0) return null;
  const values = [...points].sort((a, b) => cmpStr(a.trace, b.trace) || cmpStr(a.family, b.family) || a.threshold - b.threshold)
    .map((p) => ({ line: `${p.trace} · ${p.family}`, family: p.family, threshold: p.threshold, prevented: p.prevented, offlined: p.pagesOfflined }));
  const lines = uniqSorted(values.map((v) => v.line));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    data: { values },
    width: 520,
    height: 260,
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      x: { field: 'offlined', type: 'quantitative', title: 'pages offlined', scale: { type: 'symlog' }, axis: { format: '~s' } },
      y: { field: 'prevented', type: 'quantitative', title: 'UEs prevented', axis: { format: 'd', tickMinStep: 1 } },
      color: { field: 'line', type: 'nominal', title: 'trace · policy family', scale: { domain: lines, range: PROFILE_COLORS }, legend: { orient: 'bottom', direction: 'horizontal', columns: 3 } },
      order: { field: 'threshold', type: 'quantitative' },
    },
  };
}

export interface PathDelta { profile: string; path: string; before: number; after: number; delta: number }

/** After − before per profile × path, summed over traces; non-zero only; largest change first. */
export function pathDeltas(changes: PathChange[]): PathDelta[] {
  const acc = new Map<string, PathDelta>();
  for (const c of changes) {
    const k = JSON.stringify([c.profile, c.path]);
    const a = acc.get(k) ?? { profile: c.profile, path: c.path, before: 0, after: 0, delta: 0 };
    a.before += c.before;
    a.after += c.after;
    a.delta = a.after - a.before;
    acc.set(k, a);
  }
  return [...acc.values()]
    .filter((d) => d.delta !== 0)
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || cmpStr(x.profile, y.profile) || cmpStr(x.path, y.path));
}

/** The most changed paths drawn; the rest are in the table under the chart. */
export const MAX_PATH_BARS = 40;

/**
 * Diverging bars of after − before per decision path, a panel per profile. Panels are concatenated
 * (each with its own rows) rather than faceted: a faceted layer with independent y scales makes
 * vega-lite guess the domains and warn.
 */
export function pathSpec(deltas: PathDelta[], profiles: string[]): VlSpec | null {
  const shown = deltas.slice(0, MAX_PATH_BARS);
  if (shown.length === 0) return null;
  const usedProfiles = profiles.filter((p) => shown.some((d) => d.profile === p));
  const maxAbs = Math.max(...shown.map((d) => Math.abs(d.delta)));
  const x = { field: 'delta', type: 'quantitative', title: 'events: this night \u2212 last night', scale: { domain: [-maxAbs * 1.15, maxAbs * 1.15] }, axis: { format: 'd', tickMinStep: 1 } };
  const text = { field: 'label', type: 'nominal' };
  const panels = usedProfiles.map((profile) => {
    const mine = shown.filter((d) => d.profile === profile).sort((p, q) => q.delta - p.delta || cmpStr(p.path, q.path));
    const values = mine.map((d) => ({
      path: d.path, delta: d.delta,
      direction: d.delta > 0 ? 'more events' : 'fewer events',
      label: d.delta > 0 ? `+${d.delta}` : `\u2212${-d.delta}`,
      // Labels sit right of the bar end, or right of zero for a decrease: one text layer.
      labelAt: Math.max(d.delta, 0),
    }));
    // Largest increase on top, largest decrease at the bottom.
    const y = { field: 'path', type: 'nominal', sort: mine.map((d) => d.path), title: null };
    return {
      title: { text: profile, anchor: 'start', fontSize: 12 },
      data: { values },
      width: 420,
      height: { step: 16 },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            y, x,
            color: {
              field: 'direction', type: 'nominal', title: 'since last night',
              scale: { domain: ['fewer events', 'more events'], range: ['#4c78a8', '#f58518'] },
              legend: { orient: 'bottom', direction: 'horizontal' },
            },
          },
        },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' }, encoding: { y, x: { ...x, field: 'labelAt' }, text } },
        { mark: { type: 'rule', color: '#666' }, encoding: { x: { datum: 0, type: 'quantitative' } } },
      ],
    };
  });
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, vconcat: panels, spacing: 18 };
}

export interface CompareTotal { pair: string; what: string; count: number; traces: number; direction: 'better' | 'worse' | 'changed' }

/** Profile A → B changes summed over traces, one entry per pair × what; biggest first. */
export function compareTotals(compare: CompareChange[]): CompareTotal[] {
  const acc = new Map<string, CompareTotal & { set: Set<string> }>();
  for (const c of compare) {
    const pair = `${c.a} \u2192 ${c.b}`;
    const k = JSON.stringify([c.a, c.b, c.what]);
    const a = acc.get(k) ?? { pair, what: c.what, count: 0, traces: 0, direction: c.direction, set: new Set<string>() };
    a.count += c.count;
    a.set.add(c.trace);
    a.traces = a.set.size;
    acc.set(k, a);
  }
  return [...acc.values()]
    .map(({ pair, what, count, traces, direction }) => ({ pair, what, count, traces, direction }))
    .filter((t) => t.count !== 0)
    .sort((x, y) => cmpStr(x.pair, y.pair) || y.count - x.count || cmpStr(x.what, y.what));
}

/** Bars of event counts per kind of change, a panel per profile pair (concatenated, as pathSpec). */
export function compareSpec(totals: CompareTotal[]): VlSpec | null {
  if (totals.length === 0) return null;
  const pairs = uniqSorted(totals.map((t) => t.pair));
  const max = Math.max(...totals.map((t) => t.count));
  const x = { field: 'count', type: 'quantitative', title: 'events', scale: { domain: [0, max * 1.1] }, axis: { format: 'd', tickMinStep: 1 } };
  const panels = pairs.map((pair) => {
    const mine = totals.filter((t) => t.pair === pair).sort((p, q) => q.count - p.count || cmpStr(p.what, q.what));
    const y = { field: 'what', type: 'nominal', sort: mine.map((t) => t.what), title: null };
    return {
      title: { text: pair, anchor: 'start', fontSize: 12 },
      data: { values: mine.map((t) => ({ what: t.what, count: t.count, direction: t.direction })) },
      width: 380,
      height: { step: 18 },
      layer: [
        { mark: { type: 'bar' }, encoding: { y, x, color: { field: 'direction', type: 'nominal', title: 'direction', scale: { domain: ['better', 'worse', 'changed'], range: ['#54a24b', '#b00020', '#9d9d9d'] }, legend: { orient: 'bottom', direction: 'horizontal' } } } },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' }, encoding: { y, x, text: { field: 'count', type: 'quantitative' } } },
      ],
    };
  });
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, vconcat: panels, spacing: 18 };
}

/** A bisect row's label: the switch, or "s + t" for an interaction. */
export function bisectLabel(p: BisectPoint): string {
  return p.partner === null ? p.switch : `${p.switch} + ${p.partner}`;
}

/**
 * Bisect A → B: a panel per trace × pair, a bar per switch (or interacting pair) stacked by the
 * direction of what it changes (compare's colours), labelled with the events it explains. Null
 * when no switch explains any event.
 */
export function bisectSpec(points: BisectPoint[]): VlSpec | null {
  const shown = points.filter((p) => p.events > 0);
  if (shown.length === 0) return null;
  const panels = uniqSorted(shown.map((p) => `${p.trace}: ${p.a} → ${p.b}`));
  const max = Math.max(...shown.map((p) => Math.max(p.better + p.worse + p.changed, 1)));
  const x = { field: 'count', type: 'quantitative', title: 'changes (an event counts once per thing that changed)', scale: { domain: [0, max * 1.15] }, axis: { format: 'd', tickMinStep: 1 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    spacing: 18,
    vconcat: panels.map((panel) => {
      const mine = shown.filter((p) => `${p.trace}: ${p.a} → ${p.b}` === panel)
        .sort((p, q) => q.events - p.events || cmpStr(bisectLabel(p), bisectLabel(q)));
      const y = { field: 'switch', type: 'nominal', sort: mine.map(bisectLabel), title: null };
      const bars = mine.flatMap((p) => (['better', 'worse', 'changed'] as const).filter((d) => p[d] > 0).map((d) => ({ switch: bisectLabel(p), direction: d, count: p[d] })));
      const labels = mine.map((p) => ({ switch: bisectLabel(p), count: p.better + p.worse + p.changed, label: `${p.events} event${p.events === 1 ? '' : 's'}` }));
      return {
        title: { text: panel, anchor: 'start', fontSize: 12 },
        width: 380,
        height: { step: 18 },
        layer: [
          { data: { values: bars }, mark: { type: 'bar' }, encoding: { y, x, order: { field: 'direction', sort: 'ascending' }, color: { field: 'direction', type: 'nominal', title: 'direction', scale: { domain: ['better', 'worse', 'changed'], range: ['#54a24b', '#b00020', '#9d9d9d'] }, legend: { orient: 'bottom', direction: 'horizontal' } } } },
          { data: { values: labels }, mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' }, encoding: { y, x, text: { field: 'label', type: 'nominal' } } },
        ],
      };
    }),
  };
}
