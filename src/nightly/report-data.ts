// The report's data for one night, read from the store (so the trend covers every recorded night).
import { TOOL_VERSION } from '../engine/run.js';
import type { ReportData, ReportRow, TrendPoint } from '../report/types.js';
import { Duck, lit, num } from '../oracle/duck.js';

export async function reportData(db: Duck, night: string, generatedAt: string): Promise<ReportData> {
  const N = lit(night);
  const totals = await db.rows(`SELECT t.*, (SELECT sum(events) FROM path_counts p WHERE p.night = t.night AND p.trace = t.trace AND p.profile = t.profile) AS all_events,
      (SELECT sum(signals) FROM path_counts p WHERE p.night = t.night AND p.trace = t.trace AND p.profile = t.profile) AS signals
    FROM diff_totals t WHERE night = ${N} ORDER BY trace, profile, golden`);
  const cats = await db.rows(`SELECT trace, profile, golden, category, count FROM diff_results WHERE night = ${N} AND path IS NULL`);
  const cat = (r: Record<string, unknown>, c: string) =>
    num(cats.find((x) => x.trace === r.trace && x.profile === r.profile && x.golden === r.golden && x.category === c)?.count);
  const rows: ReportRow[] = totals.map((r) => ({
    trace: String(r.trace), profile: String(r.profile), golden: String(r.golden),
    events: num(r.events), panics: num(r.panics), signals: num(r.signals),
    unexpectedPanics: cat(r, 'unexpected_panic'), missedPanics: cat(r, 'missed_panic'),
    siCodeErrors: cat(r, 'si_code_wrong'), lsbErrors: cat(r, 'lsb_wrong'),
    overKill: cat(r, 'over_kill'), underKill: cat(r, 'under_kill'),
    precision: r.precision === null ? null : Number(r.precision), recall: r.recall === null ? null : Number(r.recall),
    rebootLoops: cat(r, 'reboot_loop_new') + cat(r, 'reboot_loop_gone'), vmcoreIncomplete: cat(r, 'vmcore_incomplete'),
    regressed: r.gate === true && r.regressed === true,
    gate: r.gate === true,
  }));
  // Trend: per night, trace, profile (summed over golden sets of the same kind: gated ones).
  const trendRows = await db.rows(`SELECT t.night, t.trace, t.profile,
      sum(r.count) FILTER (WHERE r.category = 'unexpected_panic') AS unexpected_panics,
      sum(r.count) FILTER (WHERE r.category IN ('si_code_wrong', 'lsb_wrong')) AS si_code_errors,
      sum(r.count) FILTER (WHERE r.category = 'over_kill') AS over_kill,
      sum(r.count) FILTER (WHERE r.category = 'under_kill') AS under_kill,
      sum(r.count) FILTER (WHERE r.category IN ('reboot_loop_new', 'reboot_loop_gone')) AS reboot_loops,
      avg(t.precision) AS precision, avg(t.recall) AS recall
    FROM diff_totals t JOIN diff_results r USING (night, trace, profile, golden) WHERE r.path IS NULL AND t.night <= ${N}
    GROUP BY ALL ORDER BY night, trace, profile`);
  const panicRate = await db.rows(`SELECT night, trace, profile, sum(panics) / greatest(sum(events), 1) AS v FROM path_counts WHERE night <= ${N} GROUP BY ALL ORDER BY ALL`);
  const trend: TrendPoint[] = [];
  for (const r of trendRows) {
    for (const m of ['unexpected_panics', 'si_code_errors', 'over_kill', 'under_kill', 'reboot_loops', 'precision', 'recall']) {
      if (r[m] === null || r[m] === undefined) continue;
      trend.push({ night: String(r.night), trace: String(r.trace), profile: String(r.profile), metric: m, value: Number(r[m]) });
    }
  }
  for (const r of panicRate) trend.push({ night: String(r.night), trace: String(r.trace), profile: String(r.profile), metric: 'panic_rate', value: Number(r.v) });
  const prev = await db.scalar(`SELECT max(night) FROM nights WHERE night < ${N}`);
  const previousNight = prev === null || prev === undefined ? null : String(prev);
  const pathChanges = previousNight === null ? [] : (await db.rows(`
    WITH a AS (SELECT trace, profile, path, events FROM path_counts WHERE night = ${N}),
         b AS (SELECT trace, profile, path, events FROM path_counts WHERE night = ${lit(String(prev))})
    SELECT trace, profile, path, coalesce(b.events, 0) AS before, coalesce(a.events, 0) AS after
    FROM a FULL OUTER JOIN b USING (trace, profile, path) WHERE before <> after ORDER BY abs(after - before) DESC, trace, profile, path`))
    .map((r) => ({ trace: String(r.trace), profile: String(r.profile), path: String(r.path), before: num(r.before), after: num(r.after) }));
  const compare = (await db.rows(`SELECT trace, a, b, what, count, direction FROM compare_changes WHERE night = ${N} AND kind <> 'path' ORDER BY trace, a, b, count DESC, what`))
    .map((r) => ({ trace: String(r.trace), a: String(r.a), b: String(r.b), what: String(r.what), count: num(r.count),
      direction: (r.direction === 'better' || r.direction === 'worse' ? r.direction : 'changed') as 'better' | 'worse' | 'changed' }));
  const gates = new Set(totals.filter((r) => r.gate === true).map((r) => JSON.stringify([r.trace, r.profile, r.golden])));
  const examples = (await db.rows(`SELECT * FROM examples WHERE night = ${N} ORDER BY trace, profile, golden, category, event_id`))
    .map((r) => ({
      gated: gates.has(JSON.stringify([r.trace, r.profile, r.golden])),
      trace: String(r.trace), profile: `${r.profile} vs ${r.golden}`, category: String(r.category), eventId: String(r.event_id), host: String(r.host ?? ''),
      comm: null, path: String(r.path ?? ''), expected: String(r.expected), actual: String(r.actual), explain: (r.explain as string[] | null) ?? [],
    }));
  const policies = (await db.rows(`SELECT trace, family, policy, threshold, ues, prevented, pages_offlined, offlines_without_ue FROM policy_results WHERE night = ${N} ORDER BY trace, family, threshold, policy`))
    .map((r) => ({ trace: String(r.trace), family: String(r.family), policy: String(r.policy), threshold: num(r.threshold), ues: num(r.ues), prevented: num(r.prevented), pagesOfflined: num(r.pages_offlined), offlinesWithoutUe: num(r.offlines_without_ue) }));
  const bisectRuns = (await db.rows(`SELECT * FROM bisect_runs WHERE night = ${N} ORDER BY trace, a, b`))
    .map((r) => ({ trace: String(r.trace), a: String(r.a), b: String(r.b), events: num(r.events), changedEvents: num(r.changed_events), flips: num(r.flips),
      explainedBySingle: num(r.explained_single), explainedByPair: num(r.explained_pair), unexplained: num(r.unexplained), unexplainedReasons: String(r.unexplained_reasons) }));
  const bisectRows = (await db.rows(`SELECT * FROM bisect_results WHERE night = ${N} ORDER BY trace, a, b, events DESC, switch, partner NULLS FIRST`))
    .map((r) => ({ trace: String(r.trace), a: String(r.a), b: String(r.b), switch: String(r.switch), partner: r.partner === null ? null : String(r.partner),
      title: String(r.title), commit: r.commit === null ? null : String(r.commit), mainline: r.mainline === null ? null : String(r.mainline), stable: String(r.stable),
      events: num(r.events), better: num(r.better), worse: num(r.worse), changed: num(r.changed), examples: String(r.examples) }));
  const regressedNights = (await db.rows(`SELECT night FROM nights WHERE regressed AND night <= ${N} ORDER BY night`)).map((r) => String(r.night));
  return { title: `ras-replay nightly ${night}`, night, generatedAt, toolVersion: TOOL_VERSION, rows, trend, pathChanges, compare, examples, notes: [], previousNight, regressedNights, policies, bisect: { runs: bisectRuns, rows: bisectRows } };
}
