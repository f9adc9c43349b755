// The fleet mix: every parameter of `gen --mix` (src/gen/fleet.ts), its default (mixes/fleet.json,
// which must equal DEFAULT_MIX), and the loader that deep-merges a user's JSON over the defaults and
// validates every value. Sources of the defaults: docs/fleet-mix.md.
import { readFileSync } from 'node:fs';
import { ARCH, Arch, Context, Kind, NOTIFY, Notify, PAGE, POLICY, Severity } from '../model/enums.js';
import { EventRecord } from '../model/record.js';
import { validateEvent } from '../model/validate.js';
import { InputError } from '../io/errors.js';

/** Label -> weight (weights need not sum to 1; they are normalised). */
export type Weights = Record<string, number>;

export interface NotifyTable {
  /** Corrected errors. */
  ce: Weights;
  /** Uncorrectable errors found out of context (patrol scrub, write-back): action optional. */
  ao: Weights;
  /** Uncorrectable errors consumed by an access: action required. */
  ar: Weights;
  /** Uncorrectable errors with a fatal (PCC / CPER fatal) severity. */
  fatal: Weights;
}

export interface FleetMix {
  /** Start of the trace window (ISO 8601, UTC). */
  start: string;
  hosts: {
    arch: Weights;
    /** Installed DRAM per host; physical addresses are drawn from [4 GiB, 4 GiB + memory_gib). */
    memory_gib: number;
    /** Share of hosts whose firmware reports through APEI GHES, per architecture. */
    firmware_first: { x86_64: number; arm64: number };
    /** Share of hosts that run KVM guests. */
    kvm: number;
    /** Share of hosts with device memory (no struct page) mapped into processes (seed 003). */
    device_memory: number;
    /** Write each host's sysctls into the trace (false: leave them null = the profile's defaults). */
    sysctls_in_trace: boolean;
    /** Share of hosts with the sysctl (or kdump loaded) set to 1. */
    early_kill: number;
    recovery: number;
    panic_on_oops: number;
    kdump: number;
  };
  ce: {
    /** Share of hosts with at least one corrected error in a year. */
    host_share_per_year: number;
    /** Corrected errors per erroring host-year: Pareto, truncated to [min, max]. */
    pareto: { alpha: number; min: number; max: number };
    /** Share of corrected-error records without a valid address. */
    no_addr: number;
    storm: {
      /** Hosts with at least this many corrected errors in the window have storms. */
      min_host_errors: number;
      /** Share of such a host's corrected errors that arrive in storms. */
      event_share: number;
      /** Mean number of errors in one storm. */
      length_mean: number;
      /** Errors per second during a storm. */
      rate_per_s: number;
      /** x86 CMCI: after this many CMCIs in a storm the kernel polls the bank (notify poll). */
      cmci_to_poll_after: number;
    };
  };
  faults: {
    /** Share of an erroring host's later corrected errors that hit a page that already had one. */
    repeat: number;
    /** Share of errors on a new page that extend an existing multi-page fault (row/column/bank). */
    spread: number;
    /** Fault granularity: [transient FIT, permanent FIT] per DRAM device. Transient faults never repeat. */
    granularity: Record<Granularity, [number, number]>;
  };
  ue: {
    /** Share of hosts with at least one uncorrectable error in a year. */
    host_share_per_year: number;
    /** A host with corrected errors is this many times as likely to have an uncorrectable one. */
    ce_host_factor: number;
    /** Share of uncorrectable-error hosts with exactly one (the count is 1 + geometric). */
    single_share: number;
    /** Among non-fatal uncorrectable errors: share found by patrol scrub (AO) rather than consumed (AR). */
    ao_share: number;
    /** Share of uncorrectable errors with a fatal severity. */
    fatal_share: number;
    /** Share of uncorrectable errors on a page that already had a corrected error (if any). */
    on_ce_page: number;
    /** Share of a host's later uncorrectable errors on the page of an earlier one. */
    same_page: number;
    no_addr: number;
    /** x86 machine checks with MCG_STATUS.RIPV clear. */
    ripv_clear: number;
    /** The host's first uncorrectable error hits a page poisoned before the window (still mapped). */
    poisoned_before: number;
    /** User-mapped pages with extra references (unmapping / THP split fails). */
    pinned: number;
    /** On device-memory hosts: share of uncorrectable errors in device memory. */
    device_share: number;
    /** Of device memory: share whose driver registered for poison notification (seed 003). */
    device_registered: number;
    /** Share of records whose address is backed by no memory at all. */
    mem_none: number;
    /** Share of hugetlb pages that are 1 GiB (else 2 MiB). */
    hugetlb_1g: number;
  };
  notify: {
    x86_64: { native: NotifyTable; firmware_first: NotifyTable };
    arm64: { firmware_first: NotifyTable; kernel_first: NotifyTable };
  };
  /** Who consumes an uncorrectable error (AR), outside KVM guests. */
  contexts: Weights;
  kvm: {
    /** On KVM hosts: share of uncorrectable errors in guest RAM. */
    guest_share: number;
    /** Share of KVM hosts whose VMM forwards AR to the guest (vMCE / vSEA). */
    guest_ras: number;
    /** PR_MCE_KILL policy of the VMM process. */
    vmm_policy: Weights;
  };
  /** Page state when the error hits, by who hits it (scrub: found out of context). */
  pages: Record<PageTable, Weights>;
  mappers: {
    /** PR_MCE_KILL policy of mapping processes. */
    policy: Weights;
    /** Mean number of other processes mapping a shared page (file, shmem, KSM). */
    shared_extra_mean: number;
    /** Mean number of other processes mapping a private page (anon after fork). */
    private_extra_mean: number;
  };
  access: {
    /** Share of uncorrectable errors followed by later accesses to the page. */
    after_ue: number;
    /** Mean number of later accesses (1 + geometric). */
    per_ue_mean: number;
    /** Mean delay of an access after the error (exponential), seconds. */
    delay_mean_s: number;
    /** Who accesses a poisoned non-guest page later. */
    contexts: Weights;
  };
}

export const GRANULARITIES = ['single_bit', 'single_word', 'single_column', 'single_row', 'single_bank', 'multi_bank', 'multi_rank'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
export const PAGE_TABLES = [
  'scrub', 'user', 'kernel_copyin', 'kernel_copyout', 'kernel_cow', 'kernel_copy_mc', 'kthread_copy_mc', 'kernel_other', 'guest',
] as const;
export type PageTable = (typeof PAGE_TABLES)[number];
export const UE_CONTEXTS = ['user', 'kernel_copyin', 'kernel_copyout', 'kernel_cow', 'kernel_copy_mc', 'kthread_copy_mc', 'kernel_other'] as const;
export const ACCESS_CONTEXTS = ['user', 'kernel_copyin', 'kernel_copyout'] as const;

export const DEFAULT_MIX: FleetMix = {
  start: '2024-01-01T00:00:00Z',
  hosts: {
    arch: { x86_64: 0.7, arm64: 0.3 },
    memory_gib: 512,
    firmware_first: { x86_64: 0.1, arm64: 0.95 },
    kvm: 0.3,
    device_memory: 0.05,
    sysctls_in_trace: true,
    early_kill: 0.1,
    recovery: 0.99,
    panic_on_oops: 0.5,
    kdump: 0.8,
  },
  ce: {
    host_share_per_year: 0.32,
    pareto: { alpha: 0.585, min: 1, max: 100000 },
    no_addr: 0.01,
    storm: { min_host_errors: 1000, event_share: 0.5, length_mean: 200, rate_per_s: 1000, cmci_to_poll_after: 15 },
  },
  faults: {
    repeat: 0.67,
    spread: 0.5,
    granularity: {
      single_bit: [14.2, 18.6],
      single_word: [1.4, 0.3],
      single_column: [1.4, 5.6],
      single_row: [0.2, 8.2],
      single_bank: [0.8, 10.0],
      multi_bank: [0.3, 1.4],
      multi_rank: [0.9, 2.8],
    },
  },
  ue: {
    host_share_per_year: 0.013,
    ce_host_factor: 10,
    single_share: 0.5,
    ao_share: 0.6,
    fatal_share: 0.05,
    on_ce_page: 0.5,
    same_page: 0.2,
    no_addr: 0.01,
    ripv_clear: 0.01,
    poisoned_before: 0.01,
    pinned: 0.02,
    device_share: 0.2,
    device_registered: 0.5,
    mem_none: 0.002,
    hugetlb_1g: 0.1,
  },
  notify: {
    x86_64: {
      native: { ce: { cmci: 0.95, poll: 0.05 }, ao: { mce: 0.5, cmci: 0.4, poll: 0.1 }, ar: { mce: 1 }, fatal: { mce: 1 } },
      firmware_first: { ce: { sci: 0.4, polled: 0.6 }, ao: { nmi: 1 }, ar: { mce: 1 }, fatal: { nmi: 1 } },
    },
    arm64: {
      firmware_first: { ce: { gsiv: 0.6, polled: 0.4 }, ao: { sdei: 0.5, gsiv: 0.5 }, ar: { sea: 1 }, fatal: { sea: 0.5, sdei: 0.5 } },
      kernel_first: { ce: { sei: 1 }, ao: { sei: 1 }, ar: { sea: 1 }, fatal: { sei: 1 } },
    },
  },
  contexts: {
    user: 0.6, kernel_copyout: 0.12, kernel_cow: 0.1, kernel_copyin: 0.06, kernel_copy_mc: 0.02, kthread_copy_mc: 0.04, kernel_other: 0.06,
  },
  kvm: { guest_share: 0.6, guest_ras: 0.9, vmm_policy: { early: 0.9, late: 0, default: 0.1 } },
  pages: {
    scrub: {
      free: 0.3, anon: 0.24, anon_clean: 0.02, anon_thp: 0.06, file_clean: 0.14, file_dirty: 0.03, file_text: 0.02, shmem: 0.03,
      swapcache_clean: 0.005, swapcache_dirty: 0.005, mlocked: 0.01, ksm: 0.01, hugetlb: 0.03, hugetlb_free: 0.01,
      slab: 0.04, pagetable: 0.01, kernel: 0.04, dax: 0.01,
    },
    user: {
      anon: 0.45, anon_clean: 0.03, anon_thp: 0.1, file_clean: 0.08, file_dirty: 0.04, file_text: 0.05, shmem: 0.08,
      swapcache_dirty: 0.01, mlocked: 0.03, ksm: 0.02, hugetlb: 0.06, dax: 0.05,
    },
    kernel_copyin: { anon: 0.7, anon_thp: 0.1, file_dirty: 0.1, shmem: 0.1 },
    kernel_copyout: { file_clean: 0.6, file_dirty: 0.25, shmem: 0.1, kernel: 0.05 },
    kernel_cow: { anon: 0.85, ksm: 0.05, file_clean: 0.1 },
    kernel_copy_mc: { anon: 0.8, anon_thp: 0.1, file_dirty: 0.1 },
    kthread_copy_mc: { anon: 0.7, ksm: 0.3 },
    kernel_other: { slab: 0.5, pagetable: 0.2, kernel: 0.3 },
    guest: { anon: 0.4, anon_thp: 0.35, hugetlb: 0.25 },
  },
  mappers: { policy: { default: 0.9, early: 0.07, late: 0.03 }, shared_extra_mean: 2, private_extra_mean: 0.2 },
  access: { after_ue: 0.5, per_ue_mean: 1.5, delay_mean_s: 3600, contexts: { user: 0.8, kernel_copyout: 0.1, kernel_copyin: 0.1 } },
};

// ---------------------------------------------------------------------------------------------
// Shape of every leaf: what the loader accepts.

type Leaf =
  | { t: 'prob' }
  | { t: 'num'; min: number; max: number; int?: boolean; open?: boolean }
  | { t: 'bool' }
  | { t: 'date' }
  | { t: 'weights'; labels: readonly string[] }
  | { t: 'fit' };
type Spec = { [k: string]: Spec | Leaf };

const prob: Leaf = { t: 'prob' };
const num = (min: number, max: number, int = false, open = false): Leaf => ({ t: 'num', min, max, int, open });
const weights = (labels: readonly string[]): Leaf => ({ t: 'weights', labels });
const notifyTable = (labels: readonly string[]): Spec => ({
  ce: weights(labels), ao: weights(labels), ar: weights(labels), fatal: weights(labels),
});

const SPEC: Spec = {
  start: { t: 'date' },
  hosts: {
    arch: weights(ARCH), memory_gib: num(1, 1 << 20, true), firmware_first: { x86_64: prob, arm64: prob }, kvm: prob,
    device_memory: prob, sysctls_in_trace: { t: 'bool' }, early_kill: prob, recovery: prob, panic_on_oops: prob, kdump: prob,
  },
  ce: {
    host_share_per_year: prob,
    pareto: { alpha: num(0, 10, false, true), min: num(1, 1e9), max: num(1, 1e9) },
    no_addr: prob,
    storm: {
      min_host_errors: num(1, 1e12, true), event_share: prob, length_mean: num(1, 1e9), rate_per_s: num(0, 1e9, false, true),
      cmci_to_poll_after: num(0, 1e9, true),
    },
  },
  faults: { repeat: prob, spread: prob, granularity: Object.fromEntries(GRANULARITIES.map((g) => [g, { t: 'fit' } as Leaf])) },
  ue: {
    host_share_per_year: prob, ce_host_factor: num(0, 1e6), single_share: num(0, 1, false, true), ao_share: prob, fatal_share: prob,
    on_ce_page: prob, same_page: prob, no_addr: prob, ripv_clear: prob, poisoned_before: prob, pinned: prob, device_share: prob,
    device_registered: prob, mem_none: prob, hugetlb_1g: prob,
  },
  notify: {
    x86_64: { native: notifyTable(NOTIFY), firmware_first: notifyTable(NOTIFY) },
    arm64: { firmware_first: notifyTable(NOTIFY), kernel_first: notifyTable(NOTIFY) },
  },
  contexts: weights(UE_CONTEXTS),
  kvm: { guest_share: prob, guest_ras: prob, vmm_policy: weights(POLICY) },
  pages: Object.fromEntries(PAGE_TABLES.map((p) => [p, weights(PAGE)])),
  mappers: { policy: weights(POLICY), shared_extra_mean: num(0, 64), private_extra_mean: num(0, 64) },
  access: { after_ue: prob, per_ue_mean: num(1, 1e6), delay_mean_s: num(0, 1e9), contexts: weights(ACCESS_CONTEXTS) },
};

function isLeaf(s: Spec | Leaf): s is Leaf {
  return typeof (s as Leaf).t === 'string';
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * Deep-merge `over` (parsed JSON) onto `base` following SPEC, validating every value. Objects merge
 * key by key; a weight table or a [transient, permanent] pair replaces the default as a whole (so
 * `"contexts": {"user": 1}` means only user). `$comment` keys are ignored. Unknown keys are errors.
 */
function merge(base: unknown, over: unknown, spec: Spec, path: string, bad: (key: string, v: unknown, expected: string) => never): unknown {
  if (typeOf(over) !== 'object') bad(path || '(top level)', over, 'an object');
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (k === '$comment') continue;
    const key = path ? `${path}.${k}` : k;
    const s = spec[k];
    if (!s) bad(key, v, `one of the keys ${Object.keys(spec).map((x) => (path ? `${path}.${x}` : x)).join(', ')} (unknown key)`);
    out[k] = isLeaf(s!) ? leaf(v, s!, key, bad) : merge(out[k], v, s!, key, bad);
  }
  return out;
}

function leaf(v: unknown, s: Leaf, key: string, bad: (key: string, v: unknown, expected: string) => never): unknown {
  switch (s.t) {
    case 'prob':
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) bad(key, v, 'a probability between 0 and 1');
      return v;
    case 'num': {
      const range = `${s.open ? '>' : '≥'} ${s.min} and ≤ ${s.max}`;
      if (typeof v !== 'number' || !Number.isFinite(v) || (s.open ? v <= s.min : v < s.min) || v > s.max) {
        bad(key, v, `${s.int ? 'an integer' : 'a number'} ${range}`);
      }
      if (s.int && !Number.isInteger(v)) bad(key, v, `an integer ${range}`);
      return v;
    }
    case 'bool':
      if (typeof v !== 'boolean') bad(key, v, 'true or false');
      return v;
    case 'date':
      if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v) || Number.isNaN(Date.parse(v))) {
        bad(key, v, 'a UTC ISO 8601 time such as "2024-01-01T00:00:00Z"');
      }
      return v;
    case 'fit':
      if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x))) {
        bad(key, v, 'a pair [transient FIT, permanent FIT] of numbers ≥ 0');
      }
      return [...(v as number[])];
    case 'weights': {
      if (typeOf(v) !== 'object') bad(key, v, `an object of weights keyed by ${s.labels.join(', ')}`);
      let sum = 0;
      const o: Weights = {};
      for (const [l, w] of Object.entries(v as Record<string, unknown>)) {
        if (l === '$comment') continue;
        if (!s.labels.includes(l)) bad(`${key}.${l}`, w, `a key among ${s.labels.join(', ')}`);
        if (typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w)) bad(`${key}.${l}`, w, 'a weight ≥ 0');
        o[l] = w as number;
        sum += w as number;
      }
      if (!(sum > 0)) bad(key, v, 'at least one positive weight');
      return o;
    }
  }
}

/** Cross-field rules, checked after the merge. */
function check(m: FleetMix, bad: (key: string, v: unknown, expected: string) => never): void {
  if (m.ce.pareto.max < m.ce.pareto.min) bad('ce.pareto.max', m.ce.pareto.max, `a value ≥ ce.pareto.min (${m.ce.pareto.min})`);
  let fit = 0;
  for (const g of GRANULARITIES) fit += m.faults.granularity[g][0] + m.faults.granularity[g][1];
  if (!(fit > 0)) bad('faults.granularity', m.faults.granularity, 'at least one positive FIT');
  // Every notification a table can pick must be one the trace validator accepts for that class.
  for (const arch of ARCH) {
    const modes = m.notify[arch] as unknown as Record<string, NotifyTable>;
    for (const [mode, table] of Object.entries(modes)) {
      for (const cls of ['ce', 'ao', 'ar', 'fatal'] as const) {
        for (const [label, w] of Object.entries(table[cls])) {
          if (w <= 0) continue;
          const e = errorShape(Arch[arch], mode === 'firmware_first', cls, Notify[label as keyof typeof Notify]);
          const rec = new EventRecord();
          rec.arch = Arch[arch];
          rec.kind = Kind.error;
          rec.notify = e.notify;
          rec.firmwareFirst = e.firmwareFirst;
          rec.severity = e.severity;
          rec.sync = e.sync;
          rec.pa = 0x100000000;
          rec.context = e.sync ? Context.user : Context.none;
          rec.pid = e.sync ? 1 : 0;
          const v = validateEvent(rec);
          if (v) bad(`notify.${arch}.${mode}.${cls}.${label}`, w, `a notification valid for this class (${v.column}: ${v.expected})`);
        }
      }
    }
  }
}

/**
 * The fields an error of class `cls` delivered by `notify` takes: the graded severity, the sync
 * flag and firmware_first (docs/trace-format.md §1): x86 mce/cmci/poll are native MCA; GHES sources are
 * firmware-first; arm64 sea follows the host, sei is kernel-first only. AO on x86 is SRAO through
 * a machine check, UCNA (deferred) through CMCI or polling; on kernel-first arm64 an AO error is a
 * restartable SError (UEO, deferred). Fatal errors are synchronous only through sea.
 */
export function errorShape(arch: number, hostFf: boolean, cls: 'ce' | 'ao' | 'ar' | 'fatal', notify: number): { notify: number; firmwareFirst: boolean; severity: number; sync: boolean } {
  const x86 = arch === Arch.x86_64;
  const native = x86 ? notify === Notify.mce || notify === Notify.cmci || notify === Notify.poll : notify === Notify.sei || (notify === Notify.sea && !hostFf);
  const firmwareFirst = !native;
  let severity: number;
  if (cls === 'ce') severity = Severity.corrected;
  else if (cls === 'fatal') severity = Severity.fatal;
  else if (cls === 'ar') severity = Severity.recoverable;
  else severity = (x86 && (notify === Notify.cmci || notify === Notify.poll)) || notify === Notify.sei ? Severity.deferred : Severity.recoverable;
  const sync = cls === 'ar' || (cls === 'fatal' && notify === Notify.sea);
  return { notify, firmwareFirst, severity, sync };
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Merge an already-parsed override object over the defaults (`file` names it in errors). */
export function resolveMix(over: unknown, file = '(mix)'): FleetMix {
  const bad = (key: string, v: unknown, expected: string): never => {
    let shown: string;
    try {
      shown = typeof v === 'number' && !Number.isFinite(v) ? `${v} (a JSON number out of the double range)` : JSON.stringify(v) ?? String(v);
    } catch {
      shown = Array.isArray(v) ? '[…]' : '{…}'; // nested too deep to print
    }
    throw new InputError(`${file}: key ${key}: value ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown}: expected ${expected}`, file, undefined, key);
  };
  const m = merge(clone(DEFAULT_MIX), over, SPEC, '', bad) as FleetMix;
  check(m, bad);
  return m;
}

/** Load a mix file (JSON): a partial mix deep-merged over DEFAULT_MIX. */
export function loadMix(file: string): FleetMix {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read the mix: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
  }
  let over: unknown;
  try {
    over = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
  }
  return resolveMix(over, file);
}

/** The defaults, validated (a fresh copy). */
export function defaultMix(): FleetMix {
  return resolveMix({}, 'DEFAULT_MIX');
}

// ---------------------------------------------------------------------------------------------
// Tables for the generator's loops: cumulative distributions over label codes.

/**
 * Cumulative table: codes[i] is chosen when cum[i-1] <= u < cum[i] (the last entry is 1). `guide`
 * (Chen's guide table) gives, for each of GUIDE equal slices of [0, 1), the first candidate index,
 * so a pick scans one or two entries whatever the table's length.
 */
export interface Cum {
  codes: Uint8Array;
  cum: Float64Array;
  guide: Uint8Array;
}

const GUIDE = 64;

export function cumTable(w: Weights, labels: readonly string[]): Cum {
  const entries = labels.map((l, i) => [i, w[l] ?? 0] as const).filter(([, x]) => x > 0);
  const sum = entries.reduce((a, [, x]) => a + x, 0);
  const codes = new Uint8Array(entries.length);
  const cum = new Float64Array(entries.length);
  let acc = 0;
  entries.forEach(([code, x], i) => {
    acc += x / sum;
    codes[i] = code;
    cum[i] = acc;
  });
  cum[cum.length - 1] = 1;
  const guide = new Uint8Array(GUIDE);
  let i = 0;
  for (let g = 0; g < GUIDE; g++) {
    while (i < cum.length - 1 && cum[i]! <= g / GUIDE) i++;
    guide[g] = i;
  }
  return { codes, cum, guide };
}

/** The code for a uniform u in [0, 1). */
export function pick(t: Cum, u: number): number {
  const cum = t.cum;
  const last = cum.length - 1;
  let i = t.guide[(u * GUIDE) | 0]!;
  while (i < last && u >= cum[i]!) i++;
  return t.codes[i]!;
}

/** The normalised share of each label of a weight table. */
export function shares(w: Weights): Record<string, number> {
  const sum = Object.values(w).reduce((a, x) => a + x, 0);
  return Object.fromEntries(Object.entries(w).map(([k, x]) => [k, x / sum]));
}

