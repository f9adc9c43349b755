// Replay state of one host (docs/conventions.md C10, C13, C18-C21). The model reads and writes it
// through this class only; a host's state is reset when the host panics or reboots.

export const PageState = {
  HEALTHY: 0,
  /** PTEs replaced by hwpoison entries: a later access faults with BUS_MCEERR_AR. */
  POISONED_UNMAPPED: 1,
  /** Page cache / swap cache copy discarded: a later access reads good data. */
  POISONED_DROPPED: 2,
  /** PG_hwpoison (or the device PFN) marked, still mapped: a later access consumes it again. */
  POISONED_MAPPED: 3,
} as const;

/** GHES_ESTATUS_CACHES_SIZE (drivers/acpi/apei/ghes.c). */
const ESTATUS_CACHES = 4;
/** GHES_ESTATUS_IN_CACHE_MAX_NSEC: 10 s. */
export const ESTATUS_CACHE_NS = 10_000_000_000;
/** MAX_ELEMS of drivers/ras/cec.c: PAGE_SIZE / sizeof(u64). */
export const CEC_MAX_ELEMS = 512;
/** COUNT_MASK of drivers/ras/cec.c: (1 << (PAGE_SHIFT - DECAY_BITS)) - 1, the default threshold. */
export const CEC_COUNT_MASK = 1023;
/** MEMORY_FAILURE_FIFO_SIZE (mm/memory-failure.c). */
export const MF_FIFO_SIZE = 16;

export class HostState {
  // Allocated on first use: most hosts of a fleet only ever see corrected errors.
  private pages: Map<number, number> | null = null;
  private ce: Map<number, number> | null = null;
  private estatusPa: Float64Array | null = null;
  private estatusSev = new Int8Array(0);
  private estatusT = new Float64Array(0);
  private estatusN = 0;
  private mce: Map<number, { count: number; pfn: number; t: number }> | null = null;
  private fifo: number[] | null = null;
  private cec: Map<number, number> | null = null;

  reset(): void {
    this.pages = null;
    this.ce = null;
    this.estatusN = 0;
    this.mce = null;
    this.fifo = null;
    this.cec = null;
  }

  /**
   * RAS_CEC cec_add_elem(pfn): count one corrected error; returns the new count, or -1 when the
   * pfn is new and the array already holds CEC_MAX_ELEMS pfns (the kernel then evicts its least
   * recently used element, by decay generation: not modelled).
   */
  cecAdd(pfn: number): number {
    const m = (this.cec ??= new Map());
    const n = m.get(pfn);
    if (n === undefined && m.size >= CEC_MAX_ELEMS) return -1;
    const next = (n ?? 0) + 1;
    m.set(pfn, next);
    return next;
  }

  /** del_elem(): the pfn reached the threshold; its element is removed (a new count starts). */
  cecDelete(pfn: number): void {
    this.cec?.delete(pfn);
  }

  /** Nothing recorded (a state-free event must leave a fresh HostState like this). */
  isEmpty(): boolean {
    return this.pages === null && this.ce === null && this.estatusN === 0 && this.mce === null && this.fifo === null &&
      this.cec === null;
  }

  pageState(pfn: number): number {
    return this.pages === null ? PageState.HEALTHY : this.pages.get(pfn) ?? PageState.HEALTHY;
  }

  setPageState(pfn: number, s: number): void {
    if (s === PageState.HEALTHY) this.pages?.delete(pfn);
    else (this.pages ??= new Map()).set(pfn, s);
  }

  /** Count one corrected error on `pfn`; returns the new count. */
  countCorrected(pfn: number): number {
    const ce = (this.ce ??= new Map());
    const n = (ce.get(pfn) ?? 0) + 1;
    ce.set(pfn, n);
    return n;
  }

  /**
   * ghes_estatus_cached(): is an identical record (same pa and severity) cached and younger than
   * 10 s? If not, cache it (ghes_estatus_cache_add replaces the oldest slot when full).
   */
  estatusCachedOrAdd(pa: number, sev: number, t: number): boolean {
    if (this.estatusPa === null) {
      this.estatusPa = new Float64Array(ESTATUS_CACHES);
      this.estatusSev = new Int8Array(ESTATUS_CACHES);
      this.estatusT = new Float64Array(ESTATUS_CACHES);
    }
    for (let i = 0; i < this.estatusN; i++) {
      if (this.estatusPa[i] === pa && this.estatusSev[i] === sev && t - this.estatusT[i]! < ESTATUS_CACHE_NS) {
        return true;
      }
    }
    let slot = this.estatusN;
    if (slot === ESTATUS_CACHES) {
      slot = 0;
      for (let i = 1; i < ESTATUS_CACHES; i++) if (this.estatusT[i]! < this.estatusT[slot]!) slot = i;
    } else {
      this.estatusN++;
    }
    this.estatusPa[slot] = pa;
    this.estatusSev[slot] = sev;
    this.estatusT[slot] = t;
    return false;
  }

  /**
   * x86 queue_task_work(): the thread's MCE count, counting only machine checks within `window` ns
   * of the first one (conventions C18). Returns the thread's entry: the new count and the pfn of the
   * first one (a live view: read it before the next call).
   */
  mceEnter(tid: number, pfn: number, t: number, window: number): { count: number; pfn: number } {
    const m = (this.mce ??= new Map());
    let e = m.get(tid);
    if (e === undefined) {
      e = { count: 0, pfn, t };
      m.set(tid, e);
    }
    if (e.count === 0 || t - e.t > window) {
      e.count = 0;
      e.pfn = pfn;
      e.t = t;
    }
    e.count++;
    return e;
  }

  /**
   * memory_failure_queue(): returns false when the per-CPU kfifo (modelled per host) is full and
   * the entry is dropped (conventions C19).
   */
  /** memory_failure_queue_kick: the fifo is drained now. */
  mfDrain(): void {
    if (this.fifo) this.fifo.length = 0;
  }

  mfQueue(t: number, delay: number): boolean {
    const fifo = (this.fifo ??= []);
    let keep = 0;
    for (let i = 0; i < fifo.length; i++) {
      if (t - fifo[i]! < delay) fifo[keep++] = fifo[i]!;
    }
    fifo.length = keep;
    if (keep >= MF_FIFO_SIZE) return false;
    fifo.push(t);
    return true;
  }
}
