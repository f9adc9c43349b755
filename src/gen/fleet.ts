// `gen --mix`: a seeded fleet of hosts whose memory errors follow a documented mix (src/gen/mix.ts,
// docs/fleet-mix.md), written as a host-ordered Arrow IPC stream. Host-level work (Pareto draws,
// storm and uncorrectable-error plans) is done once per host; the per-event loop writes the
// writer's column buffers directly (eventId/t_ns through their 32-bit word views: no BigInt, no
// per-event objects), with cumulative tables and a xoshiro128** generator.
//
// Model of one host (every number is a mix parameter):
//  - corrected errors (CE): the host has any with probability ce.host_share_per_year; their count is
//    a truncated Pareto per host-year. Host quantiles are stratified over the fleet (a random
//    permutation of equal-probability strata), so a fleet of a few thousand hosts already shows the
//    mix's distribution, including its extreme tail.
//  - faults: each CE lands on a location (a page). After the host's first error, a CE repeats an
//    earlier location of a permanent fault with probability faults.repeat (chosen in proportion to
//    its earlier errors: hard faults concentrate); otherwise it opens a new location, either another
//    page of an existing multi-page permanent fault (faults.spread) or a new fault whose
//    granularity and transient/permanent kind follow the SC12 FIT table. Transient faults never
//    repeat. Addresses come from a synthetic geometry (no DIMM address map): a column fault steps
//    2 MiB, a bank fault stays within 64 MiB, and so on.
//  - storms: on hosts with many CEs a share of them arrive in bursts on one permanent location at
//    ce.storm.rate_per_s; on x86 CMCI the kernel switches the bank to polling after
//    cmci_to_poll_after interrupts, so the rest of the storm is notify=poll.
//  - uncorrectable errors (UE): a host has any with probability ue.host_share_per_year (CE hosts
//    ce_host_factor times as likely); 1 + geometric of them, uniformly in time. Each is fatal, found
//    by scrub (AO) or consumed (AR); it lands on a CE page, the page of an earlier UE, or a new page;
//    in guest RAM on KVM hosts, in device memory on device hosts; its page type depends on who hit
//    it. Later `access` events touch the page again.
import * as enums from '../model/enums.js';
import * as record from '../model/record.js';
import * as columns from '../columns/events.js';
import type { EventColumns } from '../columns/events.js';
import { TraceDicts, TraceStreamWriter } from '../io/arrow-trace.js';
import { InputError } from '../io/errors.js';
import {
  ACCESS_CONTEXTS, Cum, cumTable, errorShape, FleetMix, GRANULARITIES, pick as pickImported, UE_CONTEXTS,
} from './mix.js';

// Imported bindings can be accessor properties, depending on the loader (tsx in CommonJS mode spent
// a third of the generator's time in them); the loops use these plain copies.
const { ARCH, CONTEXT, NOTIFY, PAGE, POLICY } = enums;
const Arch = { ...enums.Arch };
const Context = { ...enums.Context };
const Kind = { ...enums.Kind };
const Mem = { ...enums.Mem };
const Notify = { ...enums.Notify };
const Page = { ...enums.Page };
const Severity = { ...enums.Severity };
const NO_ADDR = record.NO_ADDR;
const pick = pickImported;
const { F_FIRMWARE_FIRST, F_GUEST_RAS, F_PINNED, F_POISONED_BEFORE, F_RIPV, F_SYNC } = columns;

export interface FleetOptions {
  /** Fleet size: hosts simulated (hosts without any event do not appear in the trace). */
  hosts: number;
  /** Length of the trace window in days. */
  days: number;
  seed: number;
  batchRows?: number;
}

export interface Dist {
  mean: number;
  median: number;
  p99: number;
  max: number;
}

/** What was generated, for comparison with the mix (docs/fleet-mix.md, "Checking a trace"). */
export interface FleetStats {
  fleetHosts: number;
  /** Hosts with at least one event (the hosts in the trace). */
  tracedHosts: number;
  days: number;
  events: number;
  /** kind=error events (corrected + uncorrectable). */
  errors: number;
  corrected: number;
  uncorrectable: number;
  accesses: number;
  /** Error events per host, over hosts with at least one. */
  errorsPerHost: Dist;
  /** Corrected errors per host, over hosts with at least one. */
  correctedPerHost: Dist;
  ceHosts: number;
  ceHostSharePerYear: number;
  ueHosts: number;
  /** Share of the fleet with an uncorrectable error in the window, and annualised. */
  ueHostShare: number;
  ueHostSharePerYear: number;
  /** Corrected errors outside storms, after each host's first error: share on a page hit before. */
  repeatRate: number;
  stormEvents: number;
  /** Share of corrected errors that arrived in storms. */
  stormShare: number;
  /** Uncorrectable errors with an address on a host with CE pages: share on a CE page. */
  ueOnCePage: number;
  ao: number;
  ar: number;
  fatal: number;
  /** AO / (AO + AR) over non-fatal uncorrectable errors. */
  aoShare: number;
  /** Consumed (synchronous) uncorrectable errors by context label, as shares. */
  contextMix: Record<string, number>;
  /** (kernel_cow + kernel_copyout) / all kernel-mode consumption contexts (seed 004: > 0.5). */
  cowCopyoutShareOfKernel: number;
  /** Uncorrectable errors by page label, as shares. */
  uePageMix: Record<string, number>;
  /** Traced hosts per architecture. */
  archHosts: Record<string, number>;
}

export interface FleetResult {
  events: number;
  hosts: number;
  seconds: number;
  stats: FleetStats;
}

/** Where the generator puts its rows: the column buffers, dictionaries and a flush (TraceStreamWriter). */
export interface FleetSink {
  readonly cols: EventColumns;
  readonly dicts: TraceDicts;
  readonly batchRows: number;
  flush(): void;
}

/** xoshiro128** (Blackman & Vigna), seeded through splitmix32: `u32` gives 32-bit integers, `f64` uniform doubles in [0, 1). */
export function xoshiro128(seed: number): { u32: () => number; f64: () => number } {
  let s = seed >>> 0;
  const sm = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  let a = sm(), b = sm(), c = sm(), d = sm();
  const u32 = (): number => {
    const m = Math.imul(b, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return r >>> 0;
  };
  return { u32, f64: () => u32() / 4294967296 };
}

const LN_TAB = new Float64Array(258).map((_, k) => Math.log(0.5 + k / 512));

/**
 * -ln(u) for u = (r | 1) / 2^32, r a random 32-bit integer: a standard exponential draw without
 * Math.log (the exponent from clz32, ln of the mantissa in [0.5, 1) by table interpolation;
 * absolute error < 2e-6). Used for inter-arrival times, where it halves the per-event cost.
 */
export function expDraw(r: number): number {
  const x = (r | 1) >>> 0;
  const e = Math.clz32(x);
  const f = ((x << e) >>> 0) / 4294967296;
  const y = (f - 0.5) * 512;
  const k = y | 0;
  const lo = LN_TAB[k]!;
  return e * Math.LN2 - (lo + (y - k) * (LN_TAB[k + 1]! - lo));
}

/** Write a fleet trace to `outPath` (.arrows, host-ordered), temp + rename. */
export function generateFleet(outPath: string, mix: FleetMix, opts: FleetOptions): FleetResult {
  const t0 = performance.now();
  const w = new TraceStreamWriter(outPath, opts.batchRows ?? 65536, true);
  let stats: FleetStats;
  try {
    stats = generateFleetInto(w, mix, opts);
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
  return { events: stats.events, hosts: opts.hosts, seconds: (performance.now() - t0) / 1000, stats };
}

/** Generate into any sink (benchmarks pass one whose flush drops the rows). */
export function generateFleetInto(sink: FleetSink, mix: FleetMix, opts: FleetOptions): FleetStats {
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1) throw new InputError(`--hosts ${opts.hosts}: expected a positive integer`);
  if (!(opts.days > 0) || !Number.isFinite(opts.days)) throw new InputError(`--days ${opts.days}: expected a positive number of days`);
  if (!Number.isInteger(opts.seed)) throw new InputError(`--seed ${opts.seed}: expected an integer`);
  return new FleetGen(sink, mix, opts).run();
}

// ---------------------------------------------------------------------------------------------

const TWO32 = 4294967296;

/** Row i's event_id and t_ns (base + offset ns) as little-endian words: no BigInt in the loop. */
function putIdTime(c: EventColumns, i: number, eventNo: number, baseLo: number, baseHi: number, t: number): void {
  c.eventIdW[2 * i] = eventNo >>> 0;
  c.eventIdW[2 * i + 1] = Math.floor(eventNo / TWO32);
  const hiT = Math.floor(t / TWO32);
  let lo = baseLo + (t - hiT * TWO32);
  let hi = baseHi + hiT;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi++;
  }
  c.tNsW[2 * i] = lo | 0;
  c.tNsW[2 * i + 1] = hi;
}
const GIB = 1073741824;
const MEM_BASE = 4 * GIB;
/** Device memory (no struct page) sits above any RAM; "no memory" addresses fall in a hole. */
const DEVICE_BASE = 2 ** 46;
const HOLE_BASE = 2 ** 45 + 2 ** 40;
const USER_VA = 0x7f0000000000;
const GUEST_HVA = 0x7e0000000000;
const NS_PER_DAY = 86400e9;

/** Extra pages a permanent fault of each granularity can spread to (GRANULARITIES order). */
const GRAN_EXTRA = [0, 0, 63, 1, 8191, 65535, 524287];
const G_COLUMN = 2, G_ROW = 3, G_BANK = 4, G_MULTI_BANK = 5;

const USER_TEMPLATES = 256;
const VMM_TEMPLATES = 8;
const DEV_TEMPLATES = 8;
const COMMS = ['java', 'postgres', 'nginx', 'python3', 'redis-server', 'mysqld', 'envoy', 'node', 'memcached', 'ceph-osd', 'clickhouse', 'kafka'];

/** A corrected error's columns after row(): no consumer, no mappers (CEs notify nobody). */
function putCorrected(c: EventColumns, i: number, notify: number, page: number, shift: number, flags: number, pa: number): void {
  c.kind[i] = Kind.error;
  c.notify[i] = notify;
  c.severity[i] = Severity.corrected;
  c.mem[i] = Mem.ram;
  c.page[i] = page;
  c.context[i] = Context.none;
  c.pageShift[i] = shift;
  c.flags[i] = flags;
  c.pa[i] = pa;
  c.vaddr[i] = NO_ADDR;
  c.pid[i] = 0;
  c.tid[i] = 0;
  c.comm[i] = 0;
  c.mappers[i] = -1;
}

/** Pages a user process maps privately (anon) vs shared (file, shmem, KSM, hugetlb, DAX). */
const PRIVATE_PAGES = new Set<number>([Page.anon, Page.anon_clean, Page.anon_thp, Page.mlocked, Page.swapcache_clean, Page.swapcache_dirty]);
const SHARED_PAGES = new Set<number>([Page.file_clean, Page.file_dirty, Page.file_text, Page.shmem, Page.ksm, Page.hugetlb, Page.dax]);

const CLS_CE = 0, CLS_AO = 1, CLS_AR = 2, CLS_FATAL = 3;
const CLASSES = ['ce', 'ao', 'ar', 'fatal'] as const;

interface Template {
  pid: number;
  comm: number;
  mappers: number;
}

class FleetGen {
  private readonly rnd: () => number;
  private readonly u32: () => number;
  private readonly c: EventColumns;
  private readonly years: number;
  private readonly T: number;
  private readonly baseLo: number;
  private readonly baseHi: number;
  private readonly memBytes: number;
  private eventNo = 0;

  // Tables.
  private readonly archT: Cum;
  private readonly notifyT: Cum[][]; // [arch * 2 + firmwareFirst][class]
  private readonly ctxT: Cum;
  private readonly accessCtxT: Cum;
  private readonly pageT: Cum[]; // by Context code; scrub at index Context.none
  private readonly faultKindCum: Float64Array; // over 2 * GRANULARITIES (transient, permanent pairs)
  private readonly shiftOf: Uint8Array; // page code -> page_shift (hugetlb resolved per draw)
  private readonly userT: Template[];
  private readonly sharedT: Template[];
  private readonly vmmT: Template[];
  private readonly devT: Template[];
  private readonly khugepaged: Template;
  private readonly ksmd: Template;

  // Per-host scratch (grown on demand).
  private bgT = new Float64Array(1024);
  private locPa = new Float64Array(1024);
  private locPage = new Uint8Array(1024);
  private locShift = new Uint8Array(1024);
  private rep = new Int32Array(1024);
  private fBase = new Float64Array(256);
  private fGran = new Uint8Array(256);
  private fUsed = new Int32Array(256);
  private multi = new Int32Array(256);
  private stormStart = new Float64Array(64);
  private stormLen = new Int32Array(64);
  private sT = new Float64Array(1024);
  private qT = new Float64Array(64);
  private qKind = new Uint8Array(64);
  private qRef = new Int32Array(64);
  private uePa = new Float64Array(16);
  private ueMeta = new Int32Array(16 * 8);
  private accessPa = new Float64Array(16);
  private nLoc = 0;
  private nRep = 0;
  private nFault = 0;
  private nMulti = 0;
  private qHead = 0;
  private qLen = 0;
  private nUeSlots = 0;
  private nUePa = 0;

  // Host state.
  private hostId = 0;
  private arch = 0;
  private hostFf = false;
  private kvm = false;
  private device = false;
  private guestRas = true;
  private ek = -1;
  private rec = -1;
  private poo = -1;
  private kd = -1;
  private hostNotify: Cum[] = [];
  private vmm!: Template;
  private hostErrors = 0;
  private hostCe = 0;
  private hostUe = 0;

  // Statistics.
  private readonly perHostErrors: number[] = [];
  private readonly perHostCe: number[] = [];
  private corrected = 0;
  private uncorrectable = 0;
  private accesses = 0;
  private ceHosts = 0;
  private ueHosts = 0;
  private repeatEligible = 0;
  private repeatHits = 0;
  private stormEvents = 0;
  private ueCeEligible = 0;
  private ueCeHits = 0;
  private ao = 0;
  private ar = 0;
  private fatal = 0;
  private readonly ctxCount = new Float64Array(CONTEXT.length);
  private readonly uePageCount = new Float64Array(PAGE.length);
  private readonly archHosts = new Float64Array(ARCH.length);

  constructor(private readonly sink: FleetSink, private readonly mix: FleetMix, private readonly opts: FleetOptions) {
    const rng = xoshiro128(opts.seed);
    this.rnd = rng.f64;
    this.u32 = rng.u32;
    this.c = sink.cols;
    this.years = opts.days / 365;
    this.T = opts.days * NS_PER_DAY;
    const start = BigInt(Date.parse(mix.start)) * 1_000_000n;
    this.baseLo = Number(start & 0xffffffffn);
    this.baseHi = Number(start >> 32n);
    this.memBytes = mix.hosts.memory_gib * GIB;
    const m = mix;
    this.archT = cumTable(m.hosts.arch, ARCH);
    const nt = (t: FleetMix['notify']['x86_64']['native']): Cum[] => CLASSES.map((k) => cumTable(t[k], NOTIFY));
    this.notifyT = [
      [], [], [], [],
    ];
    this.notifyT[Arch.x86_64 * 2] = nt(m.notify.x86_64.native);
    this.notifyT[Arch.x86_64 * 2 + 1] = nt(m.notify.x86_64.firmware_first);
    this.notifyT[Arch.arm64 * 2] = nt(m.notify.arm64.kernel_first);
    this.notifyT[Arch.arm64 * 2 + 1] = nt(m.notify.arm64.firmware_first);
    this.ctxT = remap(cumTable(m.contexts, UE_CONTEXTS), UE_CONTEXTS, CONTEXT);
    this.accessCtxT = remap(cumTable(m.access.contexts, ACCESS_CONTEXTS), ACCESS_CONTEXTS, CONTEXT);
    this.pageT = [];
    for (let k = 0; k < CONTEXT.length; k++) this.pageT.push(cumTable(m.pages.scrub, PAGE));
    for (const k of ['user', 'kernel_copyin', 'kernel_copyout', 'kernel_cow', 'kernel_copy_mc', 'kthread_copy_mc', 'kernel_other', 'guest'] as const) {
      this.pageT[Context[k]] = cumTable(m.pages[k], PAGE);
    }
    this.faultKindCum = new Float64Array(GRANULARITIES.length * 2);
    let sum = 0;
    for (const g of GRANULARITIES) sum += m.faults.granularity[g][0] + m.faults.granularity[g][1];
    let acc = 0;
    GRANULARITIES.forEach((g, i) => {
      acc += m.faults.granularity[g][0] / sum;
      this.faultKindCum[2 * i] = acc;
      acc += m.faults.granularity[g][1] / sum;
      this.faultKindCum[2 * i + 1] = acc;
    });
    this.faultKindCum[this.faultKindCum.length - 1] = 1;
    this.shiftOf = new Uint8Array(PAGE.length).fill(12);
    this.shiftOf[Page.anon_thp] = 21;
    this.shiftOf[Page.hugetlb] = 21;
    this.shiftOf[Page.hugetlb_free] = 21;
    this.shiftOf[Page.file_thp] = 21;
    this.shiftOf[Page.shmem_thp] = 21;
    this.shiftOf[Page.file_lbs] = 14; // 16 KiB blocks (page_shift of file_lbs: the minimum folio size)

    // Process templates: pids, comms and interned mapper lists, shared by every host (replay state
    // is per host, so reusing pid numbers across hosts is harmless). Policies are assigned to pids
    // by stratified quantiles, so the realised policy mix equals the mix's.
    const d = sink.dicts;
    const rnd = this.rnd;
    const policyOf = stratifiedLabels(m.mappers.policy, POLICY, USER_TEMPLATES * 2 + DEV_TEMPLATES, rnd);
    const pidPolicy = new Map<number, number>();
    const userPid = (k: number): number => 2000 + 4 * k;
    for (let k = 0; k < USER_TEMPLATES * 2; k++) pidPolicy.set(userPid(k), policyOf[k]!);
    const mk = (pid: number, comm: string, extras: number[]): Template => {
      const pairs: number[] = [pid, pidPolicy.get(pid)!];
      for (const x of extras) pairs.push(x, pidPolicy.get(x)!);
      const text = pairs.reduce<string[]>((a, v, i) => (i % 2 ? a : [...a, `${v}:${POLICY[pairs[i + 1]!]}`]), []).join(';');
      return { pid, comm: d.comms.id(comm), mappers: d.mappers.intern(text, pairs) };
    };
    const extrasFor = (k: number, mean: number): number[] => {
      const n = geometricCount(rnd, mean);
      const out: number[] = [];
      for (let j = 1; j <= n && j < 8; j++) out.push(userPid((k + j * 37) % (USER_TEMPLATES * 2)));
      return out;
    };
    this.userT = [];
    this.sharedT = [];
    for (let k = 0; k < USER_TEMPLATES; k++) {
      this.userT.push(mk(userPid(k), COMMS[k % COMMS.length]!, extrasFor(k, m.mappers.private_extra_mean)));
      const ks = USER_TEMPLATES + k;
      this.sharedT.push(mk(userPid(ks), COMMS[ks % COMMS.length]!, extrasFor(ks, m.mappers.shared_extra_mean)));
    }
    const vmmPolicy = stratifiedLabels(m.kvm.vmm_policy, POLICY, VMM_TEMPLATES, rnd);
    this.vmmT = [];
    for (let k = 0; k < VMM_TEMPLATES; k++) {
      const pid = 30000 + 64 * k;
      const p = vmmPolicy[k]!;
      this.vmmT.push({ pid, comm: d.comms.id('qemu-kvm'), mappers: d.mappers.intern(`${pid}:${POLICY[p]}`, [pid, p]) });
    }
    this.devT = [];
    for (let k = 0; k < DEV_TEMPLATES; k++) {
      const pid = 40000 + 4 * k;
      pidPolicy.set(pid, policyOf[USER_TEMPLATES * 2 + k]!);
      this.devT.push(mk(pid, 'gpu-worker', extrasFor(k, m.mappers.shared_extra_mean)));
    }
    this.khugepaged = { pid: 60, comm: d.comms.id('khugepaged'), mappers: -1 };
    this.ksmd = { pid: 61, comm: d.comms.id('ksmd'), mappers: -1 };
  }

  run(): FleetStats {
    const H = this.opts.hosts;
    const m = this.mix;
    const rnd = this.rnd;
    const years = this.years;
    const pCe = 1 - (1 - m.ce.host_share_per_year) ** years;
    const pUe = 1 - (1 - m.ue.host_share_per_year) ** years;
    const k = m.ue.ce_host_factor;
    const pUe0 = pUe / (1 - pCe + k * pCe);
    const pUeCe = Math.min(1, k * pUe0);
    const { alpha, min: xm, max: xmax } = m.ce.pareto;
    const tailMass = 1 - (xm / xmax) ** alpha;
    const permA = permutation(H, rnd);
    const permB = permutation(H, rnd);
    const ffShare = [m.hosts.firmware_first.x86_64, m.hosts.firmware_first.arm64];
    const sys = m.hosts.sysctls_in_trace;
    for (let h = 0; h < H; h++) {
      // Host-level draws: stratified quantiles for the CE count and the UE decision, then the host's settings.
      const U = (permA[h]! + rnd()) / H;
      const V = (permB[h]! + rnd()) / H;
      const uArch = rnd(), uFf = rnd(), uKvm = rnd(), uDev = rnd(), uGr = rnd(), uVmm = rnd();
      const uEk = rnd(), uRec = rnd(), uPoo = rnd(), uKd = rnd(), uRound = rnd();
      let nCe = 0;
      if (U >= 1 - pCe) {
        const q = (U - (1 - pCe)) / pCe;
        const x = xm * (1 - q * tailMass) ** (-1 / alpha);
        const scaled = x * years;
        nCe = Math.max(1, Math.floor(scaled) + (uRound < scaled - Math.floor(scaled) ? 1 : 0));
      }
      let nUe = 0;
      if (V < (nCe > 0 ? pUeCe : pUe0)) {
        nUe = 1;
        while (rnd() >= m.ue.single_share && nUe < 1000) nUe++;
      }
      if (nCe + nUe === 0) continue;
      this.arch = pick(this.archT, uArch);
      this.hostFf = uFf < ffShare[this.arch]!;
      this.kvm = uKvm < m.hosts.kvm;
      this.device = uDev < m.hosts.device_memory;
      this.guestRas = uGr < m.kvm.guest_ras;
      this.vmm = this.vmmT[Math.floor(uVmm * VMM_TEMPLATES)]!;
      this.ek = sys ? (uEk < m.hosts.early_kill ? 1 : 0) : -1;
      this.rec = sys ? (uRec < m.hosts.recovery ? 1 : 0) : -1;
      this.poo = sys ? (uPoo < m.hosts.panic_on_oops ? 1 : 0) : -1;
      this.kd = sys ? (uKd < m.hosts.kdump ? 1 : 0) : -1;
      this.hostNotify = this.notifyT[this.arch * 2 + (this.hostFf ? 1 : 0)]!;
      this.hostId = this.sink.dicts.hosts.id(`host-${String(h).padStart(7, '0')}`);
      this.archHosts[this.arch]!++;
      if (nCe) this.ceHosts++;
      if (nUe) this.ueHosts++;
      this.host(nCe, nUe);
      this.perHostErrors.push(this.hostErrors);
      if (this.hostCe) this.perHostCe.push(this.hostCe);
    }
    return this.stats();
  }

  /** One host's events, merged in time order from three sources: background CEs, storms, and the queue of UEs and accesses. */
  private host(nCe: number, nUe: number): void {
    const m = this.mix;
    const rnd = this.rnd;
    const T = this.T;
    this.nLoc = 0;
    this.nRep = 0;
    this.nFault = 0;
    this.nMulti = 0;
    this.qHead = 0;
    this.qLen = 0;
    this.nUeSlots = 0;
    this.nUePa = 0;
    this.hostErrors = 0;
    this.hostCe = 0;
    this.hostUe = 0;
    if (this.locPa.length < nCe + nUe + 2) this.growLoc(nCe + nUe + 2);

    // Storm plan.
    const st = m.ce.storm;
    let nStormEv = nCe >= st.min_host_errors ? Math.round(nCe * st.event_share) : 0;
    let nStorms = 0;
    for (let left = nStormEv; left > 0; nStorms++) {
      let len = Math.max(2, Math.round(-Math.log(1 - rnd()) * st.length_mean));
      if (len > left) len = left;
      if (nStorms === this.stormLen.length) {
        this.stormLen = grow(this.stormLen, nStorms * 2);
        this.stormStart = grow(this.stormStart, nStorms * 2);
      }
      this.stormLen[nStorms] = len;
      this.stormStart[nStorms] = rnd() * T;
      left -= len;
    }
    const starts = this.stormStart.subarray(0, nStorms).sort();
    nStormEv = 0;
    for (let s = 0; s < nStorms; s++) nStormEv += this.stormLen[s]!;
    const nBg = nCe - nStormEv;

    // Background CE times: uniform order statistics from normalised exponential spacings.
    if (this.bgT.length < nBg + 1) this.bgT = new Float64Array(Math.max(nBg + 1, this.bgT.length * 2));
    const bg = this.bgT;
    const u32 = this.u32;
    let acc = 0;
    for (let i = 0; i <= nBg; i++) {
      acc += expDraw(u32());
      bg[i] = acc;
    }
    const scale = T / acc;
    for (let i = 0; i < nBg; i++) bg[i] = Math.floor(bg[i]! * scale);

    // UE plan.
    for (let u = 0; u < nUe; u++) this.enqueue(Math.floor(rnd() * T), 0, -1);

    let bi = 0;
    let si = 0;
    const stormRate = st.rate_per_s / 1e9;
    for (;;) {
      const tS = si < nStorms ? starts[si]! : Infinity;
      const tQ = this.qHead < this.qLen ? this.qT[this.qHead]! : Infinity;
      const lim = tS < tQ ? tS : tQ;
      if (bi < nBg && bg[bi]! <= lim) {
        let end = bi + 1;
        while (end < nBg && bg[end]! <= lim) end++;
        this.emitCes(bg, bi, end);
        bi = end;
        continue;
      }
      if (lim === Infinity) break;
      if (tS > tQ) {
        this.emitQueued();
        continue;
      }
      // A storm: one permanent location firing at rate_per_s. Anything due before a storm event is
      // emitted first; a storm that overruns the next one's start delays it (no overlap).
      const len = this.stormLen[si]!;
      if (this.sT.length < len) this.sT = new Float64Array(Math.max(len, this.sT.length * 2));
      const sT = this.sT;
      let t = starts[si]!;
      for (let j = 0; j < len; j++) {
        sT[j] = t;
        t += Math.floor(expDraw(this.u32()) / stormRate) + 1;
      }
      const loc = this.stormLocation();
      const notify = pick(this.hostNotify[CLS_CE]!, rnd());
      const toPoll = this.arch === Arch.x86_64 && notify === Notify.cmci ? st.cmci_to_poll_after : len;
      for (let j = 0; j < len;) {
        const tb = bi < nBg ? bg[bi]! : Infinity;
        const tq = this.qHead < this.qLen ? this.qT[this.qHead]! : Infinity;
        const next = tb <= tq ? tb : tq;
        if (next < sT[j]!) {
          if (tb <= tq) this.emitCes(bg, bi, ++bi);
          else this.emitQueued();
          continue;
        }
        let end = j + 1;
        while (end < len && sT[end]! <= next) end++;
        this.emitStorm(sT, j, end, loc, notify, toPoll);
        j = end;
      }
      this.stormEvents += len;
      si++;
      if (si < nStorms && starts[si]! < t) starts[si] = t;
    }
  }

  private enqueue(t: number, kind: number, ref: number): void {
    if (this.qLen === this.qT.length) {
      this.qT = grow(this.qT, this.qLen * 2);
      this.qKind = grow(this.qKind, this.qLen * 2);
      this.qRef = grow(this.qRef, this.qLen * 2);
    }
    // Sorted insertion (the queue holds a handful of entries).
    let i = this.qLen++;
    while (i > this.qHead && this.qT[i - 1]! > t) {
      this.qT[i] = this.qT[i - 1]!;
      this.qKind[i] = this.qKind[i - 1]!;
      this.qRef[i] = this.qRef[i - 1]!;
      i--;
    }
    this.qT[i] = t;
    this.qKind[i] = kind;
    this.qRef[i] = ref;
  }

  private emitQueued(): void {
    const i = this.qHead++;
    if (this.qKind[i] === 0) this.emitUe(this.qT[i]!);
    else this.emitAccess(this.qT[i]!, this.qRef[i]!);
  }

  private growLoc(n: number): void {
    const size = Math.max(n, this.locPa.length * 2);
    this.locPa = grow(this.locPa, size);
    this.locPage = grow(this.locPage, size);
    this.locShift = grow(this.locShift, size);
    this.rep = grow(this.rep, size);
  }

  /** A new location: a page of an existing multi-page fault (faults.spread) or of a new fault. */
  private newLocation(): number {
    const rnd = this.rnd;
    let pa: number;
    let permanent: boolean;
    if (this.nMulti > 0 && rnd() < this.mix.faults.spread) {
      const k = Math.floor(rnd() * this.nMulti);
      const f = this.multi[k]!;
      const used = ++this.fUsed[f]!;
      if (used >= GRAN_EXTRA[this.fGran[f]!]!) this.multi[k] = this.multi[--this.nMulti]!;
      pa = this.spreadPa(f, used);
      permanent = true;
    } else {
      const u = rnd();
      const cum = this.faultKindCum;
      let j = 0;
      while (u >= cum[j]! && j < cum.length - 1) j++;
      const gran = j >> 1;
      permanent = (j & 1) === 1;
      pa = MEM_BASE + Math.floor(rnd() * (this.memBytes / 64)) * 64;
      if (permanent && GRAN_EXTRA[gran]! > 0) {
        if (this.nFault === this.fBase.length) {
          this.fBase = grow(this.fBase, this.nFault * 2);
          this.fGran = grow(this.fGran, this.nFault * 2);
          this.fUsed = grow(this.fUsed, this.nFault * 2);
          this.multi = grow(this.multi, this.nFault * 2);
        }
        const f = this.nFault++;
        this.fBase[f] = pa;
        this.fGran[f] = gran;
        this.fUsed[f] = 0;
        this.multi[this.nMulti++] = f;
      }
    }
    const loc = this.nLoc++;
    this.locPa[loc] = pa;
    const page = pick(this.pageT[Context.none]!, rnd());
    this.locPage[loc] = page;
    this.locShift[loc] = this.shiftFor(page);
    return permanent ? loc : -1 - loc;
  }

  /** The k-th extra page of fault f (synthetic geometry, distinct pages for distinct k). */
  private spreadPa(f: number, k: number): number {
    const g = this.fGran[f]!;
    const h = Math.imul(k, 0x9e3779b1) >>> 0;
    const off = g === G_COLUMN ? k * 0x200000
      : g === G_ROW ? 0x1000
      : g === G_BANK ? (h & 8191) * 8192
      : g === G_MULTI_BANK ? (h & 65535) * 8192
      : (h & 524287) * 8192;
    return MEM_BASE + ((this.fBase[f]! - MEM_BASE + off) % this.memBytes);
  }

  private shiftFor(page: number): number {
    if (page === Page.hugetlb || page === Page.hugetlb_free) return this.rnd() < this.mix.ue.hugetlb_1g ? 30 : 21;
    return this.shiftOf[page]!;
  }

  /** The location of a storm: a permanent location of the host, or a new single-bit fault. */
  private stormLocation(): number {
    if (this.nRep > 0) return this.rep[Math.floor(this.rnd() * this.nRep)]!;
    const loc = this.nLoc++;
    this.rep[this.nRep++] = loc;
    this.locPa[loc] = MEM_BASE + Math.floor(this.rnd() * (this.memBytes / 64)) * 64;
    const page = pick(this.pageT[Context.none]!, this.rnd());
    this.locPage[loc] = page;
    this.locShift[loc] = this.shiftFor(page);
    return loc;
  }

  /** Background corrected errors at times bg[from..to): the hot loop (fields cached in locals). */
  private emitCes(bg: Float64Array, from: number, to: number): void {
    const c = this.c;
    const rnd = this.rnd;
    const repeat = this.mix.faults.repeat;
    const noAddr = this.mix.ce.no_addr;
    const nt = this.hostNotify[CLS_CE]!;
    const ntCum = nt.cum;
    const ntCodes = nt.codes;
    const ntLast = ntCum.length - 1;
    const arm = this.arch === Arch.arm64;
    const hostFf = this.hostFf;
    const flagsBase = F_RIPV | F_GUEST_RAS;
    const nSei = Notify.sei, nSea = Notify.sea, nCmci = Notify.cmci, nPoll = Notify.poll, nMce = Notify.mce;
    const ff1 = F_FIRMWARE_FIRST;
    const rep = this.rep;
    const locPa = this.locPa, locPage = this.locPage, locShift = this.locShift;
    let nRep = this.nRep;
    let first = this.hostErrors === 0;
    let hits = 0;
    for (let e = from; e < to; e++) {
      // Location.
      let loc: number;
      if (!first && nRep > 0 && rnd() < repeat) {
        loc = rep[Math.floor(rnd() * nRep)]!;
        hits++;
      } else {
        this.nRep = nRep;
        loc = this.newLocation();
        nRep = this.nRep;
      }
      first = false;
      if (loc >= 0) rep[nRep++] = loc;
      else loc = -1 - loc;
      // Notification.
      const u = rnd();
      let j = 0;
      while (u >= ntCum[j]! && j < ntLast) j++;
      const notify = ntCodes[j]!;
      const ff = arm ? notify !== nSei && (notify !== nSea || hostFf) : notify !== nCmci && notify !== nPoll && notify !== nMce;

      putCorrected(c, this.row(bg[e]!), notify, locPage[loc]!, locShift[loc]!, ff ? flagsBase | ff1 : flagsBase, rnd() < noAddr ? NO_ADDR : locPa[loc]!);
    }
    const n = to - from;
    this.nRep = nRep;
    // Repeat statistics: every corrected error outside storms after the host's first error.
    this.repeatEligible += this.hostErrors === 0 ? n - 1 : n;
    this.repeatHits += hits;
    this.hostErrors += n;
    this.hostCe += n;
    this.corrected += n;
  }

  /**
   * Storm events j in [from, to) at times sT[j], all at location `loc`; from event `toPoll` on the
   * notification is poll (the kernel polls the bank after a CMCI storm).
   */
  private emitStorm(sT: Float64Array, from: number, to: number, loc: number, notify: number, toPoll: number): void {
    const c = this.c;
    const arm = this.arch === Arch.arm64;
    const ffOf = (n: number): boolean => (arm ? n !== Notify.sei && (n !== Notify.sea || this.hostFf) : n !== Notify.cmci && n !== Notify.poll && n !== Notify.mce);
    const flagsA = F_RIPV | F_GUEST_RAS | (ffOf(notify) ? F_FIRMWARE_FIRST : 0);
    const flagsP = F_RIPV | F_GUEST_RAS | (ffOf(Notify.poll) ? F_FIRMWARE_FIRST : 0);
    const nPoll = Notify.poll;
    const page = this.locPage[loc]!, shift = this.locShift[loc]!, pa = this.locPa[loc]!;
    for (let j = from; j < to; j++) {
      const polled = j >= toPoll;
      putCorrected(c, this.row(sT[j]!), polled ? nPoll : notify, page, shift, polled ? flagsP : flagsA, pa);
    }
    const n = to - from;
    this.hostErrors += n;
    this.hostCe += n;
    this.corrected += n;
  }

  /** Start a row at time t (offset in ns from the window start) with the host's columns. */
  private row(t: number): number {
    const c = this.c;
    if (c.n === this.sink.batchRows) this.sink.flush();
    const i = c.n++;
    putIdTime(c, i, ++this.eventNo, this.baseLo, this.baseHi, t);
    c.host[i] = this.hostId;
    c.arch[i] = this.arch;
    c.earlyKill[i] = this.ek;
    c.recovery[i] = this.rec;
    c.panicOnOops[i] = this.poo;
    c.kdump[i] = this.kd;
    return i;
  }

  /** An uncorrectable error at time t: class, notification, target memory, page, consumer. */
  private emitUe(t: number): void {
    const m = this.mix;
    const ue = m.ue;
    const rnd = this.rnd;
    const x86 = this.arch === Arch.x86_64;
    const cls = rnd() < ue.fatal_share ? CLS_FATAL : rnd() < ue.ao_share ? CLS_AO : CLS_AR;
    const shape = errorShape(this.arch, this.hostFf, CLASSES[cls]!, pick(this.hostNotify[cls]!, rnd()));
    const sync = shape.sync;
    // Target memory.
    let mem: number = Mem.ram;
    let guest = this.kvm && rnd() < m.kvm.guest_share;
    if (this.device && rnd() < ue.device_share) mem = rnd() < ue.device_registered ? Mem.device : Mem.device_unregistered;
    else if (!sync && rnd() < ue.mem_none) {
      mem = Mem.none;
      guest = false;
    }
    // Who hits it and the page state.
    let ctx: number;
    if (sync) ctx = guest ? Context.guest : mem === Mem.ram ? pick(this.ctxT, rnd()) : Context.user;
    else ctx = guest ? Context.guest : Context.none;
    let page: number;
    if (mem === Mem.device || mem === Mem.device_unregistered) page = Page.pfnmap;
    else if (mem === Mem.none) page = Page.unknown;
    else page = pick(this.pageT[guest ? Context.guest : sync ? ctx : Context.none]!, rnd());
    const shift = mem === Mem.ram ? this.shiftFor(page) : 12;

    // Address: the page of an earlier UE, a CE page, or a new page.
    let pa: number;
    const slot = this.nUeSlots;
    if (mem === Mem.ram) {
      if (this.nUePa > 0 && rnd() < ue.same_page) pa = this.uePa[Math.floor(rnd() * this.nUePa)]!;
      else {
        let onCe = false;
        if (this.nLoc > 0) {
          this.ueCeEligible++;
          onCe = rnd() < ue.on_ce_page;
        }
        if (onCe) {
          pa = this.locPa[Math.floor(rnd() * this.nLoc)]!;
          this.ueCeHits++;
        } else pa = MEM_BASE + Math.floor(rnd() * (this.memBytes / 64)) * 64;
      }
    } else if (mem === Mem.none) pa = HOLE_BASE + Math.floor(rnd() * GIB / 64) * 64;
    else pa = DEVICE_BASE + Math.floor(rnd() * 64 * GIB / 64) * 64;
    const noAddr = rnd() < ue.no_addr;

    // Processes.
    let pid = 0, tid = 0, comm = 0, mappers = -1;
    let vaddr = NO_ADDR;
    const userMapped = PRIVATE_PAGES.has(page) || SHARED_PAGES.has(page) || page === Page.pfnmap;
    if (ctx === Context.guest || guest) {
      pid = this.vmm.pid;
      tid = pid + 1 + Math.floor(rnd() * 8);
      comm = this.vmm.comm;
      mappers = this.vmm.mappers;
      if (sync) vaddr = GUEST_HVA + (pa % (256 * GIB));
      else tid = pid;
    } else {
      let tpl: Template | null = null;
      if (page === Page.pfnmap) tpl = this.devT[Math.floor(rnd() * DEV_TEMPLATES)]!;
      else if (SHARED_PAGES.has(page)) tpl = this.sharedT[Math.floor(rnd() * USER_TEMPLATES)]!;
      else if (PRIVATE_PAGES.has(page)) tpl = this.userT[Math.floor(rnd() * USER_TEMPLATES)]!;
      if (tpl) mappers = tpl.mappers;
      if (sync) {
        if (ctx === Context.kthread_copy_mc) {
          const k = page === Page.ksm ? this.ksmd : this.khugepaged;
          pid = k.pid;
          comm = k.comm;
        } else {
          const who = tpl ?? this.userT[Math.floor(rnd() * USER_TEMPLATES)]!;
          pid = who.pid;
          comm = who.comm;
          if (ctx === Context.user || ctx === Context.kernel_copyin || ctx === Context.kernel_cow || ctx === Context.kernel_copy_mc) {
            vaddr = USER_VA + (pa % (256 * GIB));
          }
        }
        tid = pid;
      }
    }
    let flags = F_RIPV | (this.guestRas ? F_GUEST_RAS : 0) | (shape.firmwareFirst ? F_FIRMWARE_FIRST : 0) | (sync ? F_SYNC : 0);
    if (x86 && shape.notify === Notify.mce && rnd() < ue.ripv_clear) flags &= ~F_RIPV;
    if (userMapped && rnd() < ue.pinned) flags |= F_PINNED;
    if (this.hostUe === 0 && mem === Mem.ram && userMapped && !noAddr && rnd() < ue.poisoned_before) flags |= F_POISONED_BEFORE;

    const i = this.row(t);
    const c = this.c;
    c.kind[i] = Kind.error;
    c.notify[i] = shape.notify;
    c.severity[i] = shape.severity;
    c.mem[i] = mem;
    c.page[i] = page;
    c.context[i] = ctx;
    c.pageShift[i] = shift;
    c.flags[i] = flags;
    c.pa[i] = noAddr ? NO_ADDR : pa;
    c.vaddr[i] = vaddr;
    c.pid[i] = pid;
    c.tid[i] = tid;
    c.comm[i] = comm;
    c.mappers[i] = mappers;
    this.hostErrors++;
    if (mem === Mem.ram) {
      if (this.nUePa === this.uePa.length) this.uePa = grow(this.uePa, this.nUePa * 2);
      this.uePa[this.nUePa++] = pa;
    }
    this.hostUe++;
    this.uncorrectable++;
    if (cls === CLS_FATAL) this.fatal++;
    else if (cls === CLS_AO) this.ao++;
    else this.ar++;
    if (sync) this.ctxCount[ctx]!++;
    this.uePageCount[page]!++;

    // Later accesses to the page: by the VMM for guest RAM, else by a process mapping it.
    if (noAddr || !(userMapped || guest) || !(rnd() < m.access.after_ue)) return;
    const pool = this.sink.dicts.mappers;
    const accessor = pid !== 0 && ctx !== Context.kthread_copy_mc ? pid : mappers >= 0 ? pool.pids[pool.offsets[mappers]!]! : 0;
    if (accessor === 0) return;
    if ((slot + 1) * 8 > this.ueMeta.length) this.ueMeta = grow(this.ueMeta, (slot + 1) * 16);
    const meta = this.ueMeta;
    const o = slot * 8;
    meta[o] = mem;
    meta[o + 1] = page;
    meta[o + 2] = shift;
    meta[o + 3] = guest ? 1 : 0;
    meta[o + 4] = accessor;
    meta[o + 5] = mappers;
    meta[o + 6] = comm;
    meta[o + 7] = flags & (F_PINNED | F_GUEST_RAS);
    if (slot === this.accessPa.length) this.accessPa = grow(this.accessPa, slot * 2);
    this.accessPa[slot] = pa;
    this.nUeSlots++;
    let n = 1;
    while (rnd() >= 1 / m.access.per_ue_mean && n < 1000) n++;
    let ta = t;
    for (let k = 0; k < n; k++) {
      ta += Math.floor(-Math.log(1 - rnd()) * m.access.delay_mean_s * 1e9) + 1;
      this.enqueue(ta, 1, slot);
    }
  }

  private emitAccess(t: number, slot: number): void {
    const rnd = this.rnd;
    const o = slot * 8;
    const meta = this.ueMeta;
    const guest = meta[o + 3] === 1;
    const ctx = guest ? Context.guest : pick(this.accessCtxT, rnd());
    const pid = meta[o + 4]!;
    const pa = this.accessPa[slot]!;
    const i = this.row(t);
    const c = this.c;
    c.kind[i] = Kind.access;
    c.notify[i] = Notify.none;
    c.severity[i] = 0;
    c.mem[i] = meta[o]!;
    c.page[i] = meta[o + 1]!;
    c.context[i] = ctx;
    c.pageShift[i] = meta[o + 2]!;
    c.flags[i] = F_RIPV | (meta[o + 7]! & (F_PINNED | F_GUEST_RAS)) | (this.arch === Arch.arm64 ? F_FIRMWARE_FIRST : 0);
    c.pa[i] = pa;
    c.vaddr[i] = (guest ? GUEST_HVA : USER_VA) + (pa % (256 * GIB));
    c.pid[i] = pid;
    c.tid[i] = guest ? pid + 1 + Math.floor(rnd() * 8) : pid;
    c.comm[i] = meta[o + 6]!;
    c.mappers[i] = meta[o + 5]!;
    this.accesses++;
  }

  private stats(): FleetStats {
    const H = this.opts.hosts;
    const years = this.years;
    const annual = (share: number): number => 1 - (1 - share) ** (1 / years);
    const errors = this.corrected + this.uncorrectable;
    const nonFatal = this.ao + this.ar;
    const sync = this.ctxCount.reduce((a, x) => a + x, 0);
    const contextMix: Record<string, number> = {};
    CONTEXT.forEach((l, k) => {
      if (this.ctxCount[k]! > 0) contextMix[l] = this.ctxCount[k]! / sync;
    });
    const kernel = ['kernel_copyin', 'kernel_copyout', 'kernel_cow', 'kernel_copy_mc', 'kthread_copy_mc', 'kernel_other'].reduce((a, l) => a + this.ctxCount[Context[l as keyof typeof Context]]!, 0);
    const uePageMix: Record<string, number> = {};
    PAGE.forEach((l, k) => {
      if (this.uePageCount[k]! > 0) uePageMix[l] = this.uePageCount[k]! / this.uncorrectable;
    });
    const archHosts: Record<string, number> = {};
    ARCH.forEach((l, k) => (archHosts[l] = this.archHosts[k]!));
    return {
      fleetHosts: H,
      tracedHosts: this.perHostErrors.length,
      days: this.opts.days,
      events: this.eventNo,
      errors,
      corrected: this.corrected,
      uncorrectable: this.uncorrectable,
      accesses: this.accesses,
      errorsPerHost: dist(this.perHostErrors),
      correctedPerHost: dist(this.perHostCe),
      ceHosts: this.ceHosts,
      ceHostSharePerYear: annual(this.ceHosts / H),
      ueHosts: this.ueHosts,
      ueHostShare: this.ueHosts / H,
      ueHostSharePerYear: annual(this.ueHosts / H),
      repeatRate: this.repeatEligible ? this.repeatHits / this.repeatEligible : 0,
      stormEvents: this.stormEvents,
      stormShare: this.corrected ? this.stormEvents / this.corrected : 0,
      ueOnCePage: this.ueCeEligible ? this.ueCeHits / this.ueCeEligible : 0,
      ao: this.ao,
      ar: this.ar,
      fatal: this.fatal,
      aoShare: nonFatal ? this.ao / nonFatal : 0,
      contextMix,
      cowCopyoutShareOfKernel: kernel ? (this.ctxCount[Context.kernel_cow]! + this.ctxCount[Context.kernel_copyout]!) / kernel : 0,
      uePageMix,
      archHosts,
    };
  }
}

function remap(t: Cum, from: readonly string[], to: readonly string[]): Cum {
  return { codes: Uint8Array.from(t.codes, (k) => to.indexOf(from[k]!)), cum: t.cum, guide: t.guide };
}

function dist(values: number[]): Dist {
  if (!values.length) return { mean: 0, median: 0, p99: 0, max: 0 };
  const a = Float64Array.from(values).sort();
  const q = (p: number): number => a[Math.min(a.length - 1, Math.floor(p * a.length))]!;
  const mean = a.reduce((x, y) => x + y, 0) / a.length;
  const median = a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
  return { mean, median, p99: q(0.99), max: a[a.length - 1]! };
}

/** A random permutation of 0..n-1 (Fisher-Yates). */
function permutation(n: number, rnd: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const x = p[i]!;
    p[i] = p[j]!;
    p[j] = x;
  }
  return p;
}

/** n labels (codes) whose shares follow the weights as closely as n allows, in random order. */
function stratifiedLabels(w: Record<string, number>, labels: readonly string[], n: number, rnd: () => number): Uint8Array {
  const t = cumTable(w, labels);
  const out = new Uint8Array(n);
  for (let k = 0; k < n; k++) out[k] = pick(t, (k + 0.5) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const x = out[i]!;
    out[i] = out[j]!;
    out[j] = x;
  }
  return out;
}

/** Number of extra processes: geometric with the given mean (0 when the mean is 0). */
function geometricCount(rnd: () => number, mean: number): number {
  if (mean <= 0) return 0;
  const p = 1 / (1 + mean);
  let n = 0;
  while (rnd() >= p && n < 64) n++;
  return n;
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

