// The data one nightly report is drawn from. Produced by the nightly job (oracle diffs, run history);
// consumed by html.ts. Every string here may come from a trace (comm, host, trace names, paths) and
// is treated as hostile: html.ts escapes it, and charts.ts only ever passes it to Vega as data.

/** One trace × profile × golden set of one night. */
export interface ReportRow {
  trace: string; profile: string; golden: string | null; // golden set name, null when no golden diff
  events: number; panics: number; signals: number;
  unexpectedPanics: number; missedPanics: number;          // panic avoidance
  siCodeErrors: number; lsbErrors: number;                 // si_code correctness
  overKill: number; underKill: number; precision: number | null; recall: number | null; // kill accuracy
  rebootLoops: number; vmcoreIncomplete: number;
  regressed: boolean;
  /** A gating golden set (curated expectations): its diff decides the verdict. False for a distance
   *  measurement (the ideal policy's golden set), which is reported apart and never gates. */
  gate: boolean;
}

/** One value of one metric for one trace × profile on one night (run history). */
export interface TrendPoint { night: string; trace: string; profile: string; metric: string; value: number } // metric: 'unexpected_panics' | 'si_code_errors' | 'over_kill' | 'under_kill' | 'precision' | 'recall' | 'reboot_loops' | 'panic_rate' ...

/** Events per decision path, last night (before) vs this night (after). */
export interface PathChange { trace: string; profile: string; path: string; before: number; after: number }

/** Profile A vs profile B on the same trace, e.g. what = 'AO → AR', 'reboot loop removed', 'panic → survived'. */
export interface CompareChange { trace: string; a: string; b: string; what: string; count: number; direction: 'better' | 'worse' | 'changed' }

/** One event worth a look, with the steps of its decision path (`explain`). */
export interface Example { trace: string; profile: string; category: string; eventId: string; host: string; comm: string | null; path: string; expected: string; actual: string; explain: string[]; /** From a gating golden set: listed first, never cut. */ gated: boolean }

/** One page-offline policy at one threshold on one trace: UEs prevented against pages offlined. */
export interface PolicyPoint { trace: string; family: string; policy: string; threshold: number; ues: number; prevented: number; pagesOfflined: number; offlinesWithoutUe: number }

/** One bisect A → B of one trace (docs/bisect.md): how many events differ and how many no switch explains. */
export interface BisectRun { trace: string; a: string; b: string; events: number; changedEvents: number; flips: number; explainedBySingle: number; explainedByPair: number; unexplained: number; unexplainedReasons: string }

/** One switch (partner null) or interaction of two explaining events of a bisect; better/worse/changed count changes by direction. */
export interface BisectPoint {
  trace: string; a: string; b: string; switch: string; partner: string | null; title: string; commit: string | null; mainline: string | null; stable: string;
  events: number; better: number; worse: number; changed: number; examples: string;
}

export interface ReportData {
  title: string; night: string; generatedAt: string; toolVersion: string;
  rows: ReportRow[]; trend: TrendPoint[]; pathChanges: PathChange[]; compare: CompareChange[]; examples: Example[];
  /** The previous recorded night the path counts are compared with; null when this is the first. */
  previousNight: string | null;
  /** Page-offline policy results of this night (docs/policy.md), one per trace × policy. */
  policies?: PolicyPoint[];
  /** Bisects of this night; absent or empty runs when the config has none (the section is then left out). */
  bisect?: { runs: BisectRun[]; rows: BisectPoint[] };
  /** Gated regressions per night (for marking the trend). */
  regressedNights?: string[];
  notes?: string[];
}
