// Replay state of a fleet's hosts (docs/conventions.md C10, C13, C18-C21), in dense typed arrays:
// per-host scalars indexed by host id (struct of arrays), per-page and per-thread entries in shared
// open-addressing tables keyed by (host, key), the estatus caches and kfifos in pooled slots. The
// model reads and writes one host's state through a HostState view. A host's state is reset when
// the host panics or reboots: its epoch is bumped, which makes its table entries stale (a lookup no
// longer matches them, a rehash drops them) and returns its pooled slots. Nothing is allocated per
// host or per event; every array grows by doubling, and a table rehash also shrinks it, so memory
// follows the live state (a host-ordered trace, which resets each host once it is done, stays small).

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

const EMPTY = -1;
const DELETED = -2;
const TWO32 = 4294967296;

/**
 * An open-addressing (linear probing) table of entries keyed by (host, key): host a dense id below
 * 2^31, key an integer of magnitude at most 2^53 (a pfn, at most 2^52 for a 64-bit physical
 * address, or a u32 tid). A slot is four int32 words: host (EMPTY, DELETED or the host id), the
 * host's epoch when the entry was made, and the key as a 64-bit two's complement integer, low and
 * high 32 bits (so 1 and 2^40 + 1, or -1 and 2^32 - 1, are distinct keys). An entry whose epoch is
 * not its host's current one is stale: never matched, reused by an insert of the same (host, key),
 * dropped by a rehash. Each entry has `ints` int32 and `floats` float64 values. The table is rehashed
 * when more than 3/4 of its slots are not EMPTY (live, deleted or stale), into the smallest power of
 * two of at least MIN_SLOTS slots that the live entries fill to at most 1/2: it grows by doubling
 * (to 3/8 full), and shrinks again once deleted and stale entries are dropped. (Rehashed at 1/2
 * into 3/8, a time-ordered 100M-event trace, whose 500k hosts keep their pages to the end, held
 * its page table at 16M slots, 335 MB, instead of 8M; the longer probes cost about 3% of model
 * CPU.) The floor of 256 slots (4 KiB of slot words) keeps a host-ordered run, whose hosts each
 * leave a few stale entries, from rebuilding a 16-slot table every eight inserts (a 10M-event run
 * spent 4% of its CPU in those rehashes).
 */
const MIN_SLOTS = 256;

class HostKeyTable {
  slots = new Int32Array(0);
  ival: Int32Array;
  fval: Float64Array;
  /** Set by insert(): the entry was made (not found). */
  made = false;
  private mask = -1;
  /** Slots not EMPTY (live, deleted or stale): the load that decides a rehash. */
  private used = 0;

  constructor(private readonly hosts: { readonly epoch: Uint32Array }, readonly ints: number, readonly floats: number) {
    this.ival = new Int32Array(0);
    this.fval = new Float64Array(0);
  }

  /** The slot of (host, key) with the host's current epoch, or -1. */
  find(host: number, key: number): number {
    if (this.used === 0) return -1;
    const lo = key | 0; // key mod 2^32 as int32 (ToInt32 is modular)
    const hi = Math.floor(key / TWO32) | 0; // exact: |key| ≤ 2^53, so |hi| < 2^21
    const ep = this.hosts.epoch[host]! | 0;
    const s = this.slots;
    const mask = this.mask;
    for (let i = hash(host, lo, hi) & mask; ; i = (i + 1) & mask) {
      const o = i << 2;
      const h = s[o]!;
      if (h === EMPTY) return -1;
      if (h === host && s[o + 2] === lo && s[o + 3] === hi && s[o + 1] === ep) return i;
    }
  }

  /** The slot of (host, key), made (values zeroed) when absent; `made` tells which. */
  insert(host: number, key: number): number {
    if ((this.used + 1) * 4 > (this.slots.length >> 2) * 3) this.rehash();
    const lo = key | 0;
    const hi = Math.floor(key / TWO32) | 0;
    const ep = this.hosts.epoch[host]! | 0;
    const s = this.slots;
    const mask = this.mask;
    let free = -1;
    let i = hash(host, lo, hi) & mask;
    for (; ; i = (i + 1) & mask) {
      const o = i << 2;
      const h = s[o]!;
      if (h === EMPTY) break;
      if (h === host && s[o + 2] === lo && s[o + 3] === hi) {
        if (s[o + 1] === ep) {
          this.made = false;
          return i;
        }
        if (free < 0) free = i; // this host's entry from before a reset
      } else if (h === DELETED && free < 0) {
        free = i;
      }
    }
    if (free >= 0) i = free;
    else this.used++;
    const o = i << 2;
    s[o] = host;
    s[o + 1] = ep;
    s[o + 2] = lo;
    s[o + 3] = hi;
    for (let k = 0; k < this.ints; k++) this.ival[i * this.ints + k] = 0;
    for (let k = 0; k < this.floats; k++) this.fval[i * this.floats + k] = 0;
    this.made = true;
    return i;
  }

  remove(slot: number): void {
    this.slots[slot << 2] = DELETED;
  }

  /** Delete every entry of `host`, whatever its epoch (before the host's epoch wraps around). */
  purge(host: number): void {
    const s = this.slots;
    for (let o = 0; o < s.length; o += 4) if (s[o] === host) s[o] = DELETED;
  }

  /** Slots allocated (a power of two, or 0 before the first insert). */
  get capacity(): number {
    return this.slots.length >> 2;
  }

  /** Copy the live entries into a table sized for them (at most 3/8 full afterwards). */
  private rehash(): void {
    const old = this.slots;
    const oldI = this.ival;
    const oldF = this.fval;
    const epoch = this.hosts.epoch;
    const n = old.length >> 2;
    let live = 0;
    for (let i = 0; i < n; i++) {
      const h = old[i << 2]!;
      if (h >= 0 && old[(i << 2) + 1] === (epoch[h]! | 0)) live++;
    }
    let cap = MIN_SLOTS;
    while ((live + 1) * 2 > cap) cap *= 2;
    const s = new Int32Array(cap * 4).fill(EMPTY);
    const iv = new Int32Array(cap * this.ints);
    const fv = new Float64Array(cap * this.floats);
    const mask = cap - 1;
    for (let i = 0; i < n; i++) {
      const o = i << 2;
      const h = old[o]!;
      if (h < 0 || old[o + 1] !== (epoch[h]! | 0)) continue;
      const lo = old[o + 2]!;
      const hi = old[o + 3]!;
      let j = hash(h, lo, hi) & mask;
      while (s[j << 2] !== EMPTY) j = (j + 1) & mask;
      const d = j << 2;
      s[d] = h;
      s[d + 1] = old[o + 1]!;
      s[d + 2] = lo;
      s[d + 3] = hi;
      for (let k = 0; k < this.ints; k++) iv[j * this.ints + k] = oldI[i * this.ints + k]!;
      for (let k = 0; k < this.floats; k++) fv[j * this.floats + k] = oldF[i * this.floats + k]!;
    }
    this.slots = s;
    this.ival = iv;
    this.fval = fv;
    this.mask = mask;
    this.used = live;
  }
}

function hash(host: number, lo: number, hi: number): number {
  let x = Math.imul(host, 0x9e3779b1) ^ lo;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) ^ Math.imul(hi, 0xc2b2ae35);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/**
 * Fixed-size per-host records (the estatus cache, the kfifo) in one pool: a host's slot is taken on
 * first use and given back when the host is reset. `width` float64 values and one count per slot.
 */
class SlotPool {
  vals = new Float64Array(0);
  count = new Uint8Array(0);
  private free = new Int32Array(16);
  private nFree = 0;
  private top = 0;

  constructor(readonly width: number) {}

  take(): number {
    if (this.nFree > 0) {
      const s = this.free[--this.nFree]!;
      this.count[s] = 0;
      return s;
    }
    if (this.top === this.count.length) {
      const n = Math.max(16, this.count.length * 2);
      const v = new Float64Array(n * this.width);
      v.set(this.vals);
      this.vals = v;
      const c = new Uint8Array(n);
      c.set(this.count);
      this.count = c;
    }
    this.count[this.top] = 0;
    return this.top++;
  }

  /** Slots allocated (taken or free). */
  get capacity(): number {
    return this.count.length;
  }

  give(s: number): void {
    if (this.nFree === this.free.length) {
      const f = new Int32Array(this.free.length * 2);
      f.set(this.free);
      this.free = f;
    }
    this.free[this.nFree++] = s;
  }
}

/** Per-host flag: the host has had state recorded since its last reset (HostState.isEmpty). */
const F_TOUCHED = 1;

/** The replay state of every host of a replay, indexed by dense host id. */
export class FleetState {
  /** Bumped by reset(): table entries made under an older epoch are stale. */
  epoch = new Uint32Array(0);
  private flags = new Uint8Array(0);
  /** Live RAS_CEC elements per host (cec_add_elem refuses a new pfn at CEC_MAX_ELEMS). */
  private cecN = new Uint16Array(0);
  /** Pool slot + 1 of the host's estatus cache and kfifo, 0 for none. */
  private estSlot = new Int32Array(0);
  private fifoSlot = new Int32Array(0);

  /** pfn -> PageState (HEALTHY is absent). */
  private readonly pages = new HostKeyTable(this, 1, 0);
  /** pfn -> CPER corrected-error count. */
  private readonly ce = new HostKeyTable(this, 1, 0);
  /** pfn -> RAS_CEC count. */
  private readonly cec = new HostKeyTable(this, 1, 0);
  /** tid -> machine-check count (int), and the first one's pfn and time (floats). */
  private readonly mce = new HostKeyTable(this, 1, 2);
  /** The estatus cache: per slot ESTATUS_CACHES (pa, severity, t) triples. */
  private readonly est = new SlotPool(ESTATUS_CACHES * 3);
  private readonly fifo = new SlotPool(MF_FIFO_SIZE);
  private readonly view = new HostState(this, 0);
  private readonly mceEntry = { count: 0, pfn: 0 };

  /** Host `h`'s state: one reused view (valid until the next call). */
  host(h: number): HostState {
    if (h >= this.epoch.length) this.grow(h + 1);
    this.view.id = h;
    return this.view;
  }

  /** Make room for host ids below `n`. */
  grow(n: number): void {
    if (n <= this.epoch.length) return;
    let c = Math.max(1024, this.epoch.length);
    while (c < n) c *= 2;
    this.epoch = widen(this.epoch, new Uint32Array(c));
    this.flags = widen(this.flags, new Uint8Array(c));
    this.cecN = widen(this.cecN, new Uint16Array(c));
    this.estSlot = widen(this.estSlot, new Int32Array(c));
    this.fifoSlot = widen(this.fifoSlot, new Int32Array(c));
  }

  reset(h: number): void {
    if (h >= this.epoch.length || this.flags[h] === 0) return; // nothing recorded
    const next = (this.epoch[h]! + 1) >>> 0;
    if (next === 0) {
      // After 2^32 resets the epoch would match entries made 2^32 resets ago that no rehash has
      // dropped yet: delete them all (a full scan, once per 2^32 resets of one host).
      this.pages.purge(h);
      this.ce.purge(h);
      this.cec.purge(h);
      this.mce.purge(h);
    }
    this.epoch[h] = next;
    this.flags[h] = 0;
    this.cecN[h] = 0;
    if (this.estSlot[h] !== 0) {
      this.est.give(this.estSlot[h]! - 1);
      this.estSlot[h] = 0;
    }
    if (this.fifoSlot[h] !== 0) {
      this.fifo.give(this.fifoSlot[h]! - 1);
      this.fifoSlot[h] = 0;
    }
  }

  /**
   * What is allocated, in entries: host ids, table slots (pages, corrected-error counts, RAS_CEC,
   * machine checks per thread) and pooled estatus caches and kfifos. For the bounded-memory tests and
   * the benchmark notes.
   */
  capacity(): { hosts: number; pages: number; ce: number; cec: number; mce: number; estatus: number; fifo: number } {
    return {
      hosts: this.epoch.length, pages: this.pages.capacity, ce: this.ce.capacity, cec: this.cec.capacity, mce: this.mce.capacity,
      estatus: this.est.capacity, fifo: this.fifo.capacity,
    };
  }

  /** Host `h` has state recorded (its arrays made to reach it, for a caller that skipped host()). */
  private touch(h: number): void {
    if (h >= this.flags.length) this.grow(h + 1);
    this.flags[h] = F_TOUCHED;
  }

  isEmpty(h: number): boolean {
    return h >= this.flags.length || this.flags[h] === 0;
  }

  pageState(h: number, pfn: number): number {
    const s = this.pages.find(h, pfn);
    return s < 0 ? PageState.HEALTHY : this.pages.ival[s]!;
  }

  setPageState(h: number, pfn: number, st: number): void {
    if (st === PageState.HEALTHY) {
      const s = this.pages.find(h, pfn);
      if (s >= 0) this.pages.remove(s);
      return;
    }
    this.touch(h);
    const s = this.pages.insert(h, pfn);
    this.pages.ival[s] = st;
  }

  countCorrected(h: number, pfn: number): number {
    this.touch(h);
    const s = this.ce.insert(h, pfn);
    return ++this.ce.ival[s]!;
  }

  cecAdd(h: number, pfn: number): number {
    this.touch(h);
    let s = this.cec.find(h, pfn);
    if (s < 0) {
      if (this.cecN[h]! >= CEC_MAX_ELEMS) return -1;
      s = this.cec.insert(h, pfn);
      this.cecN[h]!++;
    }
    return ++this.cec.ival[s]!;
  }

  cecDelete(h: number, pfn: number): void {
    const s = this.cec.find(h, pfn);
    if (s < 0) return;
    this.cec.remove(s);
    this.cecN[h]!--;
  }

  estatusCachedOrAdd(h: number, pa: number, sev: number, t: number): boolean {
    this.touch(h);
    let slot = this.estSlot[h]! - 1;
    if (slot < 0) {
      slot = this.est.take();
      this.estSlot[h] = slot + 1;
    }
    const v = this.est.vals;
    const base = slot * ESTATUS_CACHES * 3;
    const n = this.est.count[slot]!;
    for (let i = 0; i < n; i++) {
      const o = base + i * 3;
      if (v[o] === pa && v[o + 1] === sev && t - v[o + 2]! < ESTATUS_CACHE_NS) return true;
    }
    let k = n;
    if (k === ESTATUS_CACHES) {
      k = 0;
      for (let i = 1; i < ESTATUS_CACHES; i++) if (v[base + i * 3 + 2]! < v[base + k * 3 + 2]!) k = i;
    } else {
      this.est.count[slot] = n + 1;
    }
    const o = base + k * 3;
    v[o] = pa;
    v[o + 1] = sev;
    v[o + 2] = t;
    return false;
  }

  mceEnter(h: number, tid: number, pfn: number, t: number, window: number): { count: number; pfn: number } {
    this.touch(h);
    const tab = this.mce;
    const s = tab.insert(h, tid);
    const f = tab.fval;
    if (tab.made) {
      f[s * 2] = pfn;
      f[s * 2 + 1] = t;
    }
    if (tab.ival[s] === 0 || t - f[s * 2 + 1]! > window) {
      tab.ival[s] = 0;
      f[s * 2] = pfn;
      f[s * 2 + 1] = t;
    }
    const e = this.mceEntry;
    e.count = ++tab.ival[s]!;
    e.pfn = f[s * 2]!;
    return e;
  }

  mfDrain(h: number): void {
    const slot = this.fifoSlot[h]! - 1;
    if (slot >= 0) this.fifo.count[slot] = 0;
  }

  mfQueue(h: number, t: number, delay: number): boolean {
    this.touch(h);
    let slot = this.fifoSlot[h]! - 1;
    if (slot < 0) {
      slot = this.fifo.take();
      this.fifoSlot[h] = slot + 1;
    }
    const v = this.fifo.vals;
    const base = slot * MF_FIFO_SIZE;
    const n = this.fifo.count[slot]!;
    let keep = 0;
    for (let i = 0; i < n; i++) {
      if (t - v[base + i]! < delay) v[base + keep++] = v[base + i]!;
    }
    if (keep >= MF_FIFO_SIZE) {
      this.fifo.count[slot] = keep;
      return false;
    }
    v[base + keep] = t;
    this.fifo.count[slot] = keep + 1;
    return true;
  }
}

function widen<T extends Uint32Array | Uint16Array | Uint8Array | Int32Array>(a: T, b: T): T {
  b.set(a as never);
  return b;
}

/**
 * One host's replay state: a view of a FleetState at host `id`. `new HostState()` is a host of its
 * own (a fleet of one).
 */
export class HostState {
  constructor(private readonly fleet: FleetState = new FleetState(), public id = 0) {
    if (id >= fleet.epoch.length) fleet.grow(id + 1);
  }

  reset(): void {
    this.fleet.reset(this.id);
  }

  /**
   * RAS_CEC cec_add_elem(pfn): count one corrected error; returns the new count, or -1 when the
   * pfn is new and the array already holds CEC_MAX_ELEMS pfns (the kernel then evicts its least
   * recently used element, by decay generation: not modelled).
   */
  cecAdd(pfn: number): number {
    return this.fleet.cecAdd(this.id, pfn);
  }

  /** del_elem(): the pfn reached the threshold; its element is removed (a new count starts). */
  cecDelete(pfn: number): void {
    this.fleet.cecDelete(this.id, pfn);
  }

  /** Nothing recorded (a state-free event must leave a fresh HostState like this). */
  isEmpty(): boolean {
    return this.fleet.isEmpty(this.id);
  }

  pageState(pfn: number): number {
    return this.fleet.pageState(this.id, pfn);
  }

  setPageState(pfn: number, s: number): void {
    this.fleet.setPageState(this.id, pfn, s);
  }

  /** Count one corrected error on `pfn`; returns the new count. */
  countCorrected(pfn: number): number {
    return this.fleet.countCorrected(this.id, pfn);
  }

  /**
   * ghes_estatus_cached(): is an identical record (same pa and severity) cached and younger than
   * 10 s? If not, cache it (ghes_estatus_cache_add replaces the oldest slot when full).
   */
  estatusCachedOrAdd(pa: number, sev: number, t: number): boolean {
    return this.fleet.estatusCachedOrAdd(this.id, pa, sev, t);
  }

  /**
   * x86 queue_task_work(): the thread's MCE count, counting only machine checks within `window` ns
   * of the first one (conventions C18). Returns the thread's entry: the new count and the pfn of the
   * first one (a reused object: read it before the next call).
   */
  mceEnter(tid: number, pfn: number, t: number, window: number): { count: number; pfn: number } {
    return this.fleet.mceEnter(this.id, tid, pfn, t, window);
  }

  /** memory_failure_queue_kick: the fifo is drained now. */
  mfDrain(): void {
    this.fleet.mfDrain(this.id);
  }

  /**
   * memory_failure_queue(): returns false when the per-CPU kfifo (modelled per host) is full and
   * the entry is dropped (conventions C19).
   */
  mfQueue(t: number, delay: number): boolean {
    return this.fleet.mfQueue(this.id, t, delay);
  }
}
