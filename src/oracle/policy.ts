// Page-offline policies replayed over a trace's corrected-error (CE) history (docs/policy.md).
//
// For every host, in trace order, each policy instance sees the host's CEs and uncorrectable errors
// (UEs) on RAM. A CE may make the policy offline pages; a UE on a page the policy had offlined
// before it is *prevented* (the page was out of use: no consumer, no kill, no panic, no vmcore).
// Costs: pages offlined, and offlines never followed by a UE on that page (in the same boot).
//
// Decision rules, each from its source (cited per family below):
//  - A UE counts once per page and boot: a second UE on a page that an earlier UE already
//    poisoned (memory_failure isolates it) is not one a policy could prevent.
//  - A fatal UE that was not prevented reboots the host: policy state lives in memory (the
//    daemons' rb-trees, the kernel's CEC page) and offlined pages come back, so every instance's
//    state for that host resets. A prevented fatal UE does not happen, so nothing resets.
//  - Offlining succeeds (soft offline of a page in use can fail in the kernel; the trace does not
//    say, so a `soft` and a `hard` action are counted alike; `account` and `off` offline nothing).
import { Kind, Mem, Severity } from '../model/enums.js';
import { NO_ADDR } from '../model/record.js';
import { InputError } from '../io/errors.js';

export const FAMILIES = ['rasdaemon-page', 'rasdaemon-row', 'mcelog', 'ras-cec', 'firmware', 'rule'] as const;
export type Family = (typeof FAMILIES)[number];
export const ACTIONS = ['off', 'account', 'soft', 'hard', 'soft-then-hard'] as const;
export type Action = (typeof ACTIONS)[number];
export const GRANULARITIES = ['page', 'row', 'bank'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface PolicySpec {
  family: Family;
  /** Display name, unique within a run. */
  name: string;
  /** CEs that trigger the action (rasdaemon PAGE/ROW_CE_THRESHOLD, mcelog bucket capacity,
   *  CEC count_threshold, firmware count, rule threshold). */
  threshold: number;
  /** Seconds: rasdaemon refresh cycle, mcelog bucket age time, CEC decay interval, rule window;
   *  0 for firmware (no window). */
  windowS: number;
  action: Action;
  granularity: Granularity;
}

/** Bit fields of a physical address that name a DRAM bank and row (docs/policy.md "Address map"). */
export interface AddressMap {
  bank: { shift: number; bits: number };
  row: { shift: number; bits: number };
}

/**
 * Illustrative default: 16 banks from PA bits 13-16, rows from bits 17-33. Real maps are platform
 * and interleave specific (the memory controller's decode); pass the platform's with --address-map.
 */
export const DEFAULT_ADDRESS_MAP: AddressMap = { bank: { shift: 13, bits: 4 }, row: { shift: 17, bits: 17 } };

const DAY = 24 * 3600;

/**
 * Each family at its source's defaults.
 *  - rasdaemon ras-page-isolation.c: `threshold.env = "50"`, `cycle.env = "24h"`, `offline =
 *    OFFLINE_SOFT` (page_offline_init); row isolation: `row_threshold.env = "50"`, `row_cycle.env =
 *    "24h"`, `row_offline_action = OFFLINE_OFF` (off by default: replayed here with `soft`, and when
 *    it is on rasdaemon turns page isolation off: "row threshold is open, so turn off page threshold").
 *  - mcelog page.c `offline = OFFLINE_OFF` in code; the mcelog.conf it ships sets
 *    `memory-ce-threshold = 10 / 24h` and `memory-ce-action = soft`: those are used.
 *  - drivers/ras/cec.c: `count_threshold = COUNT_MASK` (1023), CEC_TIMER_DEFAULT_INTERVAL 24 h.
 *  - firmware CPER threshold: platform policy with no public default; 10 CEs per page is assumed
 *    and said so in the output (override with --param firmware.threshold=N).
 */
export function defaultPolicies(): PolicySpec[] {
  return [
    { family: 'rasdaemon-page', name: 'rasdaemon-page', threshold: 50, windowS: DAY, action: 'soft', granularity: 'page' },
    { family: 'rasdaemon-row', name: 'rasdaemon-row', threshold: 50, windowS: DAY, action: 'soft', granularity: 'row' },
    { family: 'mcelog', name: 'mcelog', threshold: 10, windowS: DAY, action: 'soft', granularity: 'page' },
    { family: 'ras-cec', name: 'ras-cec', threshold: 1023, windowS: DAY, action: 'soft', granularity: 'page' },
    { family: 'firmware', name: 'firmware', threshold: 10, windowS: 0, action: 'soft', granularity: 'page' },
  ];
}

/** CEC's count field has COUNT_BITS = PAGE_SHIFT - DECAY_BITS = 10 bits: count_threshold_set caps at 1023. */
export const CEC_MAX_THRESHOLD = 1023;
/** cec.c: MAX_ELEMS = PAGE_SIZE / sizeof(u64); CLEAN_ELEMS = MAX_ELEMS >> DECAY_BITS. */
const CEC_MAX_ELEMS = 512;
const CEC_CLEAN_ELEMS = 128;

/** The CE/UE history of a trace, as columns (RAM errors with an address only). */
export class ErrorHistory {
  n = 0;
  host = new Uint32Array(1024);
  pfn = new Float64Array(1024);
  pa = new Float64Array(1024);
  tS = new Float64Array(1024);
  /** 0: CE, 1: UE, 2: fatal UE. */
  type = new Uint8Array(1024);
  eventId: bigint[] = [];
  hostNames: string[] = [];
  /** Events not counted: not RAM, no address, severity unknown. */
  skipped = 0;

  add(host: number, pa: number, tS: number, type: number, eventId: bigint): void {
    if (this.n === this.host.length) {
      const c = this.n * 2;
      this.host = grow(this.host, c); this.pfn = grow(this.pfn, c); this.pa = grow(this.pa, c);
      this.tS = grow(this.tS, c); this.type = grow(this.type, c);
    }
    const i = this.n++;
    this.host[i] = host; this.pa[i] = pa; this.pfn[i] = Math.floor(pa / 4096); this.tS[i] = tS; this.type[i] = type;
    this.eventId.push(eventId);
  }
}

function grow<T extends Uint32Array | Float64Array | Uint8Array>(a: T, c: number): T {
  const b = new (a.constructor as new (n: number) => T)(c);
  b.set(a as never);
  return b;
}

/** Classify one trace row: -1 not counted, 0 CE, 1 UE, 2 fatal UE. */
export function errorType(kind: number, mem: number, severity: number, pa: number): number {
  if (kind !== Kind.error || mem !== Mem.ram || pa === NO_ADDR) return -1;
  if (severity === Severity.corrected) return 0;
  if (severity === Severity.fatal) return 2;
  if (severity === Severity.recoverable || severity === Severity.deferred) return 1;
  return -1;
}

export interface PolicyResult {
  policy: PolicySpec;
  /** UEs a policy could prevent (first per page and boot). */
  ues: number;
  prevented: number;
  fatalUes: number;
  fatalPrevented: number;
  pagesOfflined: number;
  bytesOfflined: number;
  /** Offlined pages never followed by a UE on that page in the same boot. */
  offlinesWithoutUe: number;
  /** Up to 3 prevented UEs (event ids). */
  examples: bigint[];
}

/**
 * One policy instance's state for the current host: pages interned to dense local ids 0..n-1.
 * `offlined[p]` is 1 once the policy offlined page p (this boot).
 */
abstract class Instance {
  /** CEs on a page it already offlined still count (rasdaemon's row list keeps every CE). */
  countsOfflined = false;
  offlined = new Uint8Array(64);
  ueAfter = new Uint8Array(64);
  res: PolicyResult;
  constructor(readonly spec: PolicySpec) {
    this.res = { policy: spec, ues: 0, prevented: 0, fatalUes: 0, fatalPrevented: 0, pagesOfflined: 0, bytesOfflined: 0, offlinesWithoutUe: 0, examples: [] };
  }
  reset(pages: number): void {
    if (this.offlined.length < pages) { this.offlined = new Uint8Array(pages * 2); this.ueAfter = new Uint8Array(pages * 2); }
    this.offlined.fill(0, 0, pages);
    this.ueAfter.fill(0, 0, pages);
    this.clear(pages);
  }
  /** End of a boot: count offlines no UE followed. */
  close(pages: number): void {
    for (let p = 0; p < pages; p++) if (this.offlined[p] && !this.ueAfter[p]) this.res.offlinesWithoutUe++;
  }
  protected offline(p: number): void {
    if (this.offlined[p] || this.spec.action === 'off' || this.spec.action === 'account') return;
    this.offlined[p] = 1;
    this.res.pagesOfflined++;
    this.res.bytesOfflined += 4096;
  }
  abstract clear(pages: number): void;
  abstract ce(page: number, pfn: number, unit: number, t: number): void;
}

/**
 * rasdaemon page isolation: page_record() in ras-page-isolation.c. The record's start is the
 * first CE's time; when a CE comes a cycle or more after start, the count is reduced by
 * (period / cycle) * threshold (truncated, not below 0) and start moves to now; then count += 1,
 * and count >= threshold offlines the page (page_offline: skipped when already offlined) and
 * resets count to 0.
 */
class RasdaemonPage extends Instance {
  count = new Float64Array(64);
  start = new Float64Array(64);
  clear(pages: number): void {
    if (this.count.length < pages) { this.count = new Float64Array(pages * 2); this.start = new Float64Array(pages * 2); }
    this.count.fill(0, 0, pages);
    this.start.fill(NaN, 0, pages);
  }
  ce(p: number, _pfn: number, _u: number, t: number): void {
    const { threshold, windowS } = this.spec;
    if (Number.isNaN(this.start[p]!)) this.start[p] = t;
    const period = t - this.start[p]!;
    if (period >= windowS) {
      const tolerate = Math.trunc((period / windowS) * threshold);
      this.count[p] = Math.max(0, this.count[p]! - tolerate);
      this.start[p] = t;
    }
    this.count[p]! += 1;
    if (this.count[p]! >= threshold) {
      this.count[p] = 0;
      this.offline(p);
    }
  }
}

/**
 * mcelog page accounting: account_page_error() in page.c with the leaky bucket of
 * leaky-bucket.c. bucket_age(): when now - tstamp >= agetime, count -= (diff / agetime) *
 * capacity (not below 0) and tstamp = now; then count += 1 + corr_err_cnt (the trace has one CE
 * per row: 1); count >= capacity overflows: count = 0 and, for a page still online, the action.
 * bucket_init() stamps the bucket with the current time: the first CE's time here.
 */
class Mcelog extends RasdaemonPage {}

/**
 * rasdaemon row isolation: row_lookup_insert() appends the CE's page to the row's list;
 * row_record(): when now - row start > cycle, list entries older than the cycle are dropped
 * (their counts subtracted) and start is the oldest kept entry's time; count >= threshold
 * offlines every page in the list (row_offline; pages already offlined are skipped). The count
 * is not reset after offlining. A user rule with row or bank granularity follows the same
 * semantics (the pages a policy knows of in a row are those it saw CEs on).
 */
class RowWindow extends Instance {
  override countsOfflined = true;
  // Per unit: a ring of (page, time) entries in arrival order.
  private unitHead: number[] = [];
  private unitEntries: number[][] = [];
  private unitTimes: number[][] = [];
  private unitStart: number[] = [];
  clear(): void {
    this.unitHead = []; this.unitEntries = []; this.unitTimes = []; this.unitStart = [];
  }
  ce(p: number, _pfn: number, u: number, t: number): void {
    const { threshold, windowS } = this.spec;
    let pages = this.unitEntries[u];
    let times = this.unitTimes[u];
    if (!pages || !times) {
      pages = this.unitEntries[u] = [];
      times = this.unitTimes[u] = [];
      this.unitHead[u] = 0;
      this.unitStart[u] = t;
    }
    pages.push(p);
    times.push(t);
    let head = this.unitHead[u]!;
    if (t - this.unitStart[u]! > windowS) {
      while (head < times.length && t - times[head]! > windowS) head++;
      this.unitHead[u] = head;
      this.unitStart[u] = head < times.length ? times[head]! : t;
    }
    if (times.length - head >= threshold) {
      for (let i = head; i < pages.length; i++) this.offline(pages[i]!);
    }
  }
}

/** rule, page granularity: a sliding window of `window` seconds; `threshold` CEs in it offline the page. */
class RulePage extends Instance {
  private times: number[][] = [];
  private heads: number[] = [];
  clear(): void {
    this.times = []; this.heads = [];
  }
  ce(p: number, _pfn: number, _u: number, t: number): void {
    const ts = (this.times[p] ??= []);
    ts.push(t);
    let h = this.heads[p] ?? 0;
    while (this.spec.windowS > 0 && h < ts.length && t - ts[h]! > this.spec.windowS) h++;
    this.heads[p] = h;
    if (ts.length - h >= this.spec.threshold) this.offline(p);
  }
}

/** Firmware CPER threshold: the Nth CE on a page carries CPER_SEC_ERROR_THRESHOLD_EXCEEDED; GHES
 *  then soft-offlines it (ghes_handle_memory_failure: MF_SOFT_OFFLINE). No window. */
class Firmware extends Instance {
  count = new Float64Array(64);
  clear(pages: number): void {
    if (this.count.length < pages) this.count = new Float64Array(pages * 2);
    this.count.fill(0, 0, pages);
  }
  ce(p: number): void {
    this.count[p]! += 1;
    if (this.count[p]! >= this.spec.threshold) this.offline(p);
  }
}

/**
 * The kernel's RAS_CEC (drivers/ras/cec.c, cec_add_elem): one array of at most MAX_ELEMS (512)
 * pfns per host, sorted by pfn, each with a 10-bit count and 2 decay bits. A full array first
 * drops the element with the smallest (decay, count) (del_lru_elem_unlocked). A new pfn enters
 * with count 1 and decay 3; a known one below count_threshold gets count + 1 and decay 3; one at
 * count_threshold is soft-offlined (memory_failure_queue(pfn, MF_SOFT_OFFLINE)) and removed.
 * Every CLEAN_ELEMS (128) insertions or increments, and every decay interval (timer, from the
 * host's first CE here), decay drops by 1 (do_spring_cleaning).
 */
class RasCec extends Instance {
  private pfns: number[] = [];
  private counts: number[] = [];
  private decays: number[] = [];
  private pages: number[] = [];
  private decayCount = 0;
  private nextTimer = NaN;
  clear(): void {
    this.pfns = []; this.counts = []; this.decays = []; this.pages = []; this.decayCount = 0; this.nextTimer = NaN;
  }
  private spring(): void {
    for (let i = 0; i < this.decays.length; i++) if (this.decays[i]! > 0) this.decays[i]!--;
    this.decayCount = 0;
  }
  ce(p: number, pfn: number, _u: number, t: number): void {
    if (Number.isNaN(this.nextTimer)) this.nextTimer = t + this.spec.windowS;
    while (t >= this.nextTimer) { this.spring(); this.nextTimer += this.spec.windowS; }
    if (this.pfns.length === CEC_MAX_ELEMS) {
      let min = Infinity; let mi = 0;
      for (let i = 0; i < this.pfns.length; i++) {
        const full = this.decays[i]! * 1024 + this.counts[i]!;
        if (full < min) { min = full; mi = i; }
      }
      this.remove(mi);
    }
    // binary search for pfn
    let lo = 0; let hi = this.pfns.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (this.pfns[m]! < pfn) lo = m + 1; else hi = m; }
    if (lo < this.pfns.length && this.pfns[lo] === pfn) {
      if (this.counts[lo]! < Math.min(this.spec.threshold, CEC_MAX_THRESHOLD)) {
        this.counts[lo]!++;
        this.decays[lo] = 3;
      } else {
        this.offline(p);
        this.remove(lo);
        return;
      }
    } else {
      this.pfns.splice(lo, 0, pfn); this.counts.splice(lo, 0, 1); this.decays.splice(lo, 0, 3); this.pages.splice(lo, 0, p);
    }
    if (++this.decayCount >= CEC_CLEAN_ELEMS) this.spring();
  }
  private remove(i: number): void {
    this.pfns.splice(i, 1); this.counts.splice(i, 1); this.decays.splice(i, 1); this.pages.splice(i, 1);
  }
}

function instanceOf(spec: PolicySpec): Instance {
  switch (spec.family) {
    case 'rasdaemon-page': return new RasdaemonPage(spec);
    case 'mcelog': return new Mcelog(spec);
    case 'rasdaemon-row': return new RowWindow(spec);
    case 'ras-cec': return new RasCec(spec);
    case 'firmware': return new Firmware(spec);
    case 'rule': return spec.granularity === 'page' ? new RulePage(spec) : new RowWindow(spec);
  }
}

/** Replay the history under every policy. The history lists each host's events in trace order. */
export function replayPolicies(h: ErrorHistory, specs: readonly PolicySpec[], map: AddressMap = DEFAULT_ADDRESS_MAP): PolicyResult[] {
  const insts = specs.map(instanceOf);
  // Events grouped by host, keeping trace order within a host (counting sort by host id).
  const hosts = h.hostNames.length || (h.n ? Math.max(...h.host.subarray(0, h.n)) + 1 : 0);
  const startOf = new Uint32Array(hosts + 1);
  for (let i = 0; i < h.n; i++) startOf[h.host[i]! + 1]!++;
  for (let k = 0; k < hosts; k++) startOf[k + 1]! += startOf[k]!;
  const order = new Uint32Array(h.n);
  const fill = startOf.slice(0, hosts);
  for (let i = 0; i < h.n; i++) order[fill[h.host[i]!]!++] = i;

  const pageIds = new Map<number, number>();
  const unitIds: Map<number, number>[] = [new Map(), new Map()];
  const localPage = new Uint32Array(h.n);
  const localRow = new Uint32Array(h.n);
  const localBank = new Uint32Array(h.n);
  const poisoned = new Uint8Array(h.n); // per local page, per instance below (reused)
  const bankMask = 2 ** map.bank.bits;
  const rowMask = 2 ** map.row.bits;
  for (let k = 0; k < hosts; k++) {
    const a = startOf[k]!;
    const b = startOf[k + 1]!;
    if (a === b) continue;
    pageIds.clear(); unitIds[0]!.clear(); unitIds[1]!.clear();
    for (let j = a; j < b; j++) {
      const i = order[j]!;
      const pfn = h.pfn[i]!;
      let p = pageIds.get(pfn);
      if (p === undefined) { p = pageIds.size; pageIds.set(pfn, p); }
      localPage[j] = p;
      const pa = h.pa[i]!;
      const bank = Math.floor(pa / 2 ** map.bank.shift) % bankMask;
      const row = Math.floor(pa / 2 ** map.row.shift) % rowMask;
      const rk = bank * rowMask + row;
      let r = unitIds[0]!.get(rk);
      if (r === undefined) { r = unitIds[0]!.size; unitIds[0]!.set(rk, r); }
      localRow[j] = r;
      let bk = unitIds[1]!.get(bank);
      if (bk === undefined) { bk = unitIds[1]!.size; unitIds[1]!.set(bank, bk); }
      localBank[j] = bk;
    }
    const pages = pageIds.size;
    for (const inst of insts) {
      inst.reset(pages);
      poisoned.fill(0, 0, pages);
      const bankUnits = inst.spec.granularity === 'bank';
      for (let j = a; j < b; j++) {
        const i = order[j]!;
        const p = localPage[j]!;
        const type = h.type[i]!;
        if (type === 0) {
          if (!poisoned[p] && (inst.countsOfflined || !inst.offlined[p])) inst.ce(p, h.pfn[i]!, bankUnits ? localBank[j]! : localRow[j]!, h.tS[i]!);
          continue;
        }
        if (poisoned[p]) continue;
        const r = inst.res;
        r.ues++;
        if (type === 2) r.fatalUes++;
        if (inst.offlined[p]) {
          r.prevented++;
          if (type === 2) r.fatalPrevented++;
          inst.ueAfter[p] = 1;
          if (r.examples.length < 3) r.examples.push(h.eventId[i]!);
          continue;
        }
        poisoned[p] = 1;
        if (type === 2) {
          // The host reboots: offline state and counters are gone.
          inst.close(pages);
          inst.reset(pages);
          poisoned.fill(0, 0, pages);
        }
      }
      inst.close(pages);
    }
  }
  return insts.map((x) => x.res);
}

/** "1..200" or "1..200/20" (20 points, log-spaced): the threshold values of a sweep. */
export function parseSweep(v: string): { param: 'threshold'; values: number[] } {
  const m = /^threshold=([0-9]+)\.\.([0-9]+)(?:\/([0-9]+))?$/.exec(v);
  if (!m) throw new InputError(`--sweep ${JSON.stringify(v)}: expected threshold=A..B or threshold=A..B/N (N points, log-spaced), e.g. threshold=1..200`);
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < 1 || hi < lo || hi > 1_000_000) throw new InputError(`--sweep ${JSON.stringify(v)}: expected 1 ≤ A ≤ B ≤ 1000000`);
  const span = hi - lo + 1;
  const points = m[3] === undefined ? Math.min(span, 64) : Number(m[3]);
  if (points < 1) throw new InputError(`--sweep ${JSON.stringify(v)}: expected N ≥ 1`);
  if (points >= span) return { param: 'threshold', values: Array.from({ length: span }, (_, i) => lo + i) };
  const set = new Set<number>();
  for (let i = 0; i < points; i++) set.add(Math.round(lo * (hi / lo) ** (points === 1 ? 0 : i / (points - 1))));
  return { param: 'threshold', values: [...set].sort((x, y) => x - y) };
}

/** Parse "24h", "30m", "7d", "3600" (seconds) as rasdaemon and mcelog spell windows. */
export function parseWindow(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const m = /^([0-9]+)([smhd]?)$/.exec(v);
    if (m) return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: DAY } as Record<string, number>)[m[2]!]!;
  }
  throw new InputError(`${where}: window ${JSON.stringify(v)}: expected seconds or a number with s, m, h or d (e.g. "24h")`);
}

/** User rules from a JSON document: { "rules": [ { name, threshold, window, granularity, action } ] }. */
export function parseRules(doc: unknown, where: string): PolicySpec[] {
  const o = doc as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray(o.rules)) {
    throw new InputError(`${where}: expected an object with "rules": [ { "name", "threshold", "window", "granularity", "action" } ]`);
  }
  return o.rules.map((r, k) => {
    const at = `${where}: rules[${k}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InputError(`${at}: expected an object`);
    const x = r as Record<string, unknown>;
    for (const key of Object.keys(x)) {
      if (!['name', 'threshold', 'window', 'granularity', 'action'].includes(key)) throw new InputError(`${at}: unknown key "${key}": expected name, threshold, window, granularity, action`);
    }
    if (typeof x.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(x.name)) throw new InputError(`${at}: name ${JSON.stringify(x.name)}: expected [A-Za-z0-9._-]+`);
    if (typeof x.threshold !== 'number' || !Number.isSafeInteger(x.threshold) || x.threshold < 1) throw new InputError(`${at}: threshold ${JSON.stringify(x.threshold)}: expected a whole number ≥ 1`);
    const granularity = x.granularity ?? 'page';
    if (!(GRANULARITIES as readonly unknown[]).includes(granularity)) throw new InputError(`${at}: granularity ${JSON.stringify(granularity)}: expected ${GRANULARITIES.join(', ')}`);
    const action = x.action ?? 'soft';
    if (!(ACTIONS as readonly unknown[]).includes(action)) throw new InputError(`${at}: action ${JSON.stringify(action)}: expected ${ACTIONS.join(', ')}`);
    return { family: 'rule', name: x.name, threshold: x.threshold, windowS: parseWindow(x.window ?? 0, at), granularity: granularity as Granularity, action: action as Action };
  });
}

/** One spec per family and sweep value; CEC thresholds above its 10-bit maximum are left out. */
export function sweepSpecs(base: readonly PolicySpec[], values: readonly number[] | null): PolicySpec[] {
  if (!values) return [...base];
  const out: PolicySpec[] = [];
  for (const b of base) {
    for (const v of values) {
      if (b.family === 'ras-cec' && v > CEC_MAX_THRESHOLD) continue;
      out.push({ ...b, name: `${b.name}@${v}`, threshold: v });
    }
  }
  return out;
}

/** Apply "family.key=value" overrides (threshold, window, action) to the default specs. */
export function applyParams(specs: PolicySpec[], params: readonly string[]): PolicySpec[] {
  const out = specs.map((s) => ({ ...s }));
  for (const p of params) {
    const m = /^([a-z-]+)\.(threshold|window|action)=(.+)$/.exec(p);
    if (!m) throw new InputError(`--param ${JSON.stringify(p)}: expected FAMILY.KEY=VALUE with KEY threshold, window or action (e.g. mcelog.threshold=20)`);
    const hit = out.filter((s) => s.family === m[1]);
    if (!hit.length) throw new InputError(`--param ${JSON.stringify(p)}: family "${m[1]}" is not selected: expected one of ${out.map((s) => s.family).join(', ')}`);
    for (const s of hit) {
      if (m[2] === 'threshold') {
        if (!/^[0-9]+$/.test(m[3]!) || Number(m[3]) < 1) throw new InputError(`--param ${JSON.stringify(p)}: expected a whole number ≥ 1`);
        s.threshold = Number(m[3]);
        if (s.family === 'ras-cec' && s.threshold > CEC_MAX_THRESHOLD) throw new InputError(`--param ${JSON.stringify(p)}: ras-cec's count_threshold is at most ${CEC_MAX_THRESHOLD} (count_threshold_set caps it)`);
      } else if (m[2] === 'window') {
        s.windowS = parseWindow(m[3], `--param ${p}`);
      } else {
        if (!(ACTIONS as readonly string[]).includes(m[3]!)) throw new InputError(`--param ${JSON.stringify(p)}: expected an action: ${ACTIONS.join(', ')}`);
        s.action = m[3] as Action;
      }
    }
  }
  return out;
}

export function parseAddressMap(doc: unknown, where: string): AddressMap {
  const field = (k: 'bank' | 'row') => {
    const f = (doc as Record<string, unknown> | null)?.[k] as Record<string, unknown> | undefined;
    const ok = (x: unknown, max: number) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x <= max;
    if (!f || typeof f !== 'object' || !ok(f.shift, 52) || !ok(f.bits, 30) || (f.bits as number) < 1) {
      throw new InputError(`${where}: "${k}": expected { "shift": 0..52, "bits": 1..30 }`);
    }
    return { shift: f.shift as number, bits: f.bits as number };
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError(`${where}: expected { "bank": { "shift", "bits" }, "row": { "shift", "bits" } }`);
  for (const k of Object.keys(doc)) if (k !== 'bank' && k !== 'row') throw new InputError(`${where}: unknown key "${k}": expected bank, row`);
  return { bank: field('bank'), row: field('row') };
}
