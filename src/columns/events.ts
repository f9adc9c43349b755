// Decoded trace columns of one batch: struct of arrays of small codes, filled from Arrow (or from
// parsed CSV rows) and read by the replay loop. Hosts and mapper lists are interned to dense ids so
// per-host state lives in arrays. Buffers can sit on SharedArrayBuffers for worker threads.
import { EventRecord, NO_ADDR } from '../model/record.js';

export const F_FIRMWARE_FIRST = 1;
export const F_SYNC = 2;
export const F_RIPV = 4;
export const F_PINNED = 8;
export const F_POISONED_BEFORE = 16;
export const F_GUEST_RAS = 32;
export const F_EXTRA_REFS = 64;
/** panic_on_unrecoverable given in the trace (else: the profile's default), and its value. */
export const F_PANIC_UNRECOV_SET = 128;
export const F_PANIC_UNRECOV = 256;
/** vendor = amd (x86 MCA graded by mce_severity_amd). */
export const F_VENDOR_AMD = 512;

/** The trace's panic_on_unrecoverable (-1: profile default) as flag bits. */
export function panicUnrecovFlags(v: number): number {
  return v < 0 ? 0 : F_PANIC_UNRECOV_SET | (v === 1 ? F_PANIC_UNRECOV : 0);
}

/** The flag bits back to -1 (profile default), 0 or 1. */
export function panicUnrecovOf(f: number): number {
  return (f & F_PANIC_UNRECOV_SET) === 0 ? -1 : (f & F_PANIC_UNRECOV) !== 0 ? 1 : 0;
}

/** Interned mapper lists: id -> (pid, policy) pairs, shared by every batch of a run. */
export class MapperPool {
  private readonly ids = new Map<string, number>();
  offsets: number[] = [0];
  pids: number[] = [];
  policies: number[] = [];
  texts: string[] = [];

  /** Intern a parsed list (flat pid, policy pairs) under its source text; returns its id. */
  intern(text: string, pairs: readonly number[]): number {
    const hit = this.ids.get(text);
    if (hit !== undefined) return hit;
    for (let i = 0; i < pairs.length; i += 2) {
      this.pids.push(pairs[i]!);
      this.policies.push(pairs[i + 1]!);
    }
    this.offsets.push(this.pids.length);
    this.texts.push(text);
    const id = this.offsets.length - 2;
    this.ids.set(text, id);
    return id;
  }

  lookup(text: string): number | undefined {
    return this.ids.get(text);
  }
}

const utf8 = new TextDecoder('utf-8');

/** `a` if it holds `cap` values, else a copy of it in a new array of `cap` (the rest zero). */
export function grown<T extends Int8Array | Uint8Array | Int32Array | Uint32Array | Float64Array | BigInt64Array>(a: T, cap: number): T {
  if (a.length >= cap) return a;
  const b = new (a.constructor as new (n: number) => T)(cap);
  (b as unknown as { set(x: T): void }).set(a);
  return b;
}

/** `arena` with room for `need` bytes after its first `used`: itself, or a copy at least twice as large. */
export function arenaRoom(arena: Uint8Array<ArrayBuffer>, used: number, need: number): Uint8Array<ArrayBuffer> {
  if (used + need <= arena.length) return arena;
  const a = new Uint8Array(Math.max(used + need, arena.length * 2, 1 << 16));
  a.set(arena.subarray(0, used));
  return a;
}

export class Interner {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];
  // Names by their UTF-8 bytes (idBytes): open addressing over FNV-1a hashes; slot value id + 1
  // (0: empty); each id's bytes at [start, start + len) of `arena`.
  private table = new Int32Array(0);
  private arena = new Uint8Array(0);
  private arenaUsed = 0;
  private start = new Int32Array(0);
  private len = new Int32Array(0);
  private inTable = 0;
  /** The id tried first by idBytes: the one after the id it last returned. */
  private next = 0;

  id(name: string): number {
    // Most callers ask for the name they asked for last (one host, a repeated note).
    if (name === this.lastName) return this.lastId;
    let i = this.ids.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.ids.set(name, i);
    }
    this.lastName = name;
    this.lastId = i;
    return i;
  }

  private lastName: string | null = null;
  private lastId = -1;

  /**
   * The id of the name whose UTF-8 bytes are `bytes[from, to)`, without making a string when the
   * bytes were seen before (a fleet trace's batch dictionaries repeat the same hosts). New bytes are
   * decoded (`decode`, else a non-fatal UTF-8 TextDecoder, as apache-arrow decodes a Utf8 value) and
   * interned through `id`, so both ways give the same id for a name. The id after the one last
   * returned is tried before the hash (consecutive dictionary entries are usually names interned
   * one after the other: a time-ordered trace's batches list the same hosts in the same order).
   */
  idBytes(bytes: Uint8Array, from: number, to: number, decode?: () => string): number {
    // Offsets outside the buffer (a damaged dictionary): no fast path; decoding reports or copes.
    if (!(from >= 0 && from <= to && to <= bytes.length)) return this.id(decode ? decode() : utf8.decode(bytes.subarray(from, to)));
    const n = to - from;
    const next = this.next;
    if (next < this.len.length && this.len[next] === n) {
      const s = this.start[next]! - from;
      const arena = this.arena;
      let k = from;
      while (k < to && arena[s + k] === bytes[k]) k++;
      if (k === to) {
        this.next = next + 1;
        return next;
      }
    }
    if (this.inTable * 2 >= this.table.length) this.rehash();
    const mask = this.table.length - 1;
    let h = 0x811c9dc5;
    for (let k = from; k < to; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const v = this.table[slot]!;
      if (v === 0) {
        const id = this.id(decode ? decode() : utf8.decode(bytes.subarray(from, to)));
        this.remember(id, bytes, from, to);
        this.table[slot] = id + 1;
        this.inTable++;
        this.next = id + 1;
        return id;
      }
      const id = v - 1;
      if (this.len[id] === n) {
        const s = this.start[id]!;
        let k = 0;
        while (k < n && this.arena[s + k] === bytes[from + k]) k++;
        if (k === n) {
          this.next = id + 1;
          return id;
        }
      }
    }
  }

  private remember(id: number, bytes: Uint8Array, from: number, to: number): void {
    if (id >= this.start.length) {
      const c = Math.max(id + 1, this.start.length * 2, 1024);
      const s = new Int32Array(c).fill(-1);
      s.set(this.start);
      this.start = s;
      const l = new Int32Array(c).fill(-1);
      l.set(this.len);
      this.len = l;
    }
    if (this.len[id]! >= 0) return; // the same name from other bytes (invalid UTF-8 decodes alike): keep the first
    const n = to - from;
    this.arena = arenaRoom(this.arena, this.arenaUsed, n);
    this.arena.set(bytes.subarray(from, to), this.arenaUsed);
    this.start[id] = this.arenaUsed;
    this.len[id] = n;
    this.arenaUsed += n;
  }

  private rehash(): void {
    const t = new Int32Array(Math.max(1024, this.table.length * 2));
    const mask = t.length - 1;
    for (let id = 0; id < this.len.length; id++) {
      const n = this.len[id]!;
      if (n < 0) continue;
      const s = this.start[id]!;
      let h = 0x811c9dc5;
      for (let k = s; k < s + n; k++) h = Math.imul(h ^ this.arena[k]!, 0x01000193);
      let slot = h & mask;
      while (t[slot] !== 0) slot = (slot + 1) & mask;
      t[slot] = id + 1;
    }
    this.table = t;
  }
}

type Alloc = (bytes: number) => ArrayBuffer | SharedArrayBuffer;
const plain: Alloc = (b) => new ArrayBuffer(b);

export class EventColumns {
  n = 0;
  capacity = 0;
  /** The trace declares that each host's events are contiguous (replay state can be released). */
  hostOrdered = false;
  eventId!: BigUint64Array;
  /** Little-endian lo/hi words of eventId (no BigInt arithmetic in loops). */
  eventIdW!: Uint32Array;
  tNs!: BigInt64Array;
  tNsW!: Int32Array;
  host!: Uint32Array;
  arch!: Uint8Array;
  kind!: Uint8Array;
  notify!: Uint8Array;
  severity!: Uint8Array;
  mem!: Uint8Array;
  page!: Uint8Array;
  context!: Uint8Array;
  pageShift!: Uint8Array;
  /** F_* bits. */
  flags!: Uint16Array;
  pa!: Float64Array;
  vaddr!: Float64Array;
  pid!: Uint32Array;
  tid!: Uint32Array;
  /** Interned comm id (0: none). */
  comm!: Uint32Array;
  /** MapperPool id, -1 for none. */
  mappers!: Int32Array;
  earlyKill!: Int8Array;
  recovery!: Int8Array;
  panicOnOops!: Int8Array;
  kdump!: Int8Array;

  constructor(capacity: number, private readonly alloc: Alloc = plain) {
    this.ensure(capacity);
  }

  ensure(capacity: number): void {
    if (capacity <= this.capacity) return;
    const a = this.alloc;
    const c = capacity;
    this.eventId = new BigUint64Array(a(c * 8));
    this.eventIdW = new Uint32Array(this.eventId.buffer);
    this.tNs = new BigInt64Array(a(c * 8));
    this.tNsW = new Int32Array(this.tNs.buffer);
    this.host = new Uint32Array(a(c * 4));
    this.arch = new Uint8Array(a(c));
    this.kind = new Uint8Array(a(c));
    this.notify = new Uint8Array(a(c));
    this.severity = new Uint8Array(a(c));
    this.mem = new Uint8Array(a(c));
    this.page = new Uint8Array(a(c));
    this.context = new Uint8Array(a(c));
    this.pageShift = new Uint8Array(a(c));
    this.flags = new Uint16Array(a(c * 2));
    this.pa = new Float64Array(a(c * 8));
    this.vaddr = new Float64Array(a(c * 8));
    this.pid = new Uint32Array(a(c * 4));
    this.tid = new Uint32Array(a(c * 4));
    this.comm = new Uint32Array(a(c * 4));
    this.mappers = new Int32Array(a(c * 4));
    this.earlyKill = new Int8Array(a(c));
    this.recovery = new Int8Array(a(c));
    this.panicOnOops = new Int8Array(a(c));
    this.kdump = new Int8Array(a(c));
    this.capacity = c;
  }

  /** The buffers, for handing the batch to a worker thread (SharedArrayBuffer-backed columns). */
  buffers(): Record<string, ArrayBufferLike> {
    const o: Record<string, ArrayBufferLike> = {};
    for (const k of COLUMN_KEYS) o[k] = (this[k] as { buffer: ArrayBufferLike }).buffer;
    return o;
  }

  static fromBuffers(n: number, capacity: number, b: Record<string, ArrayBufferLike>): EventColumns {
    const cols = new EventColumns(0);
    cols.n = n;
    cols.capacity = capacity;
    cols.eventId = new BigUint64Array(b.eventId!);
    cols.eventIdW = new Uint32Array(b.eventId!);
    cols.tNs = new BigInt64Array(b.tNs!);
    cols.tNsW = new Int32Array(b.tNs!);
    cols.host = new Uint32Array(b.host!);
    cols.arch = new Uint8Array(b.arch!);
    cols.kind = new Uint8Array(b.kind!);
    cols.notify = new Uint8Array(b.notify!);
    cols.severity = new Uint8Array(b.severity!);
    cols.mem = new Uint8Array(b.mem!);
    cols.page = new Uint8Array(b.page!);
    cols.context = new Uint8Array(b.context!);
    cols.pageShift = new Uint8Array(b.pageShift!);
    cols.flags = new Uint16Array(b.flags!);
    cols.pa = new Float64Array(b.pa!);
    cols.vaddr = new Float64Array(b.vaddr!);
    cols.pid = new Uint32Array(b.pid!);
    cols.tid = new Uint32Array(b.tid!);
    cols.comm = new Uint32Array(b.comm!);
    cols.mappers = new Int32Array(b.mappers!);
    cols.earlyKill = new Int8Array(b.earlyKill!);
    cols.recovery = new Int8Array(b.recovery!);
    cols.panicOnOops = new Int8Array(b.panicOnOops!);
    cols.kdump = new Int8Array(b.kdump!);
    return cols;
  }
}

export const COLUMN_KEYS = [
  'eventId', 'tNs', 'host', 'arch', 'kind', 'notify', 'severity', 'mem', 'page', 'context', 'pageShift',
  'flags', 'pa', 'vaddr', 'pid', 'tid', 'comm', 'mappers', 'earlyKill', 'recovery', 'panicOnOops', 'kdump',
] as const;

/** Only the fields validateEvent reads (cheaper than a full fill while decoding). */
export function fillValidateFields(rec: EventRecord, c: EventColumns, i: number): void {
  rec.arch = c.arch[i]!;
  rec.kind = c.kind[i]!;
  rec.notify = c.notify[i]!;
  rec.severity = c.severity[i]!;
  const f = c.flags[i]!;
  rec.firmwareFirst = (f & F_FIRMWARE_FIRST) !== 0;
  rec.sync = (f & F_SYNC) !== 0;
  rec.pa = c.pa[i]!;
  rec.pageShift = c.pageShift[i]!;
  rec.page = c.page[i]!;
  rec.vendor = (f & F_VENDOR_AMD) !== 0 ? 1 : 0;
  rec.context = c.context[i]!;
  rec.pid = c.pid[i]!;
}

/** Fill the model's reusable record from row i (no allocation). */
export function fillFromColumns(rec: EventRecord, c: EventColumns, i: number, pool: MapperPool): void {
  fillValidateFields(rec, c, i);
  rec.eventId = c.eventIdW[2 * i + 1]! * 4294967296 + c.eventIdW[2 * i]!;
  rec.hostId = c.host[i]!;
  rec.tNs = c.tNsW[2 * i + 1]! * 4294967296 + (c.tNsW[2 * i]! >>> 0);
  const f = c.flags[i]!;
  rec.ripv = (f & F_RIPV) !== 0;
  rec.pinned = (f & F_PINNED) !== 0;
  rec.poisonedBefore = (f & F_POISONED_BEFORE) !== 0;
  rec.guestRas = (f & F_GUEST_RAS) !== 0;
  rec.extraRefs = (f & F_EXTRA_REFS) !== 0;
  rec.panicOnUnrecoverable = panicUnrecovOf(f);
  rec.mem = c.mem[i]!;
  rec.tid = c.tid[i]!;
  rec.comm = '';
  rec.vaddr = c.vaddr[i]!;
  rec.mapperCount = 0;
  const m = c.mappers[i]!;
  if (m >= 0) {
    const end = pool.offsets[m + 1]!;
    for (let k = pool.offsets[m]!; k < end; k++) rec.addMapper(pool.pids[k]!, pool.policies[k]!);
  }
  rec.earlyKill = c.earlyKill[i]!;
  rec.recovery = c.recovery[i]!;
  rec.panicOnOops = c.panicOnOops[i]!;
  rec.kdump = c.kdump[i]!;
}

export { NO_ADDR };

/**
 * Row i as a TraceEvent, written into `out` (reused: no allocation beyond cached mapper lists).
 * For consumers that take whole events (the ideal policy); the replay loop uses fillFromColumns.
 */
export function eventFromColumns(
  c: EventColumns, i: number, names: { hosts: readonly string[]; comms: readonly string[] }, pool: MapperPool,
  out: import('../io/trace.js').TraceEvent, mapperCache: number[][] = [],
): void {
  out.eventId = c.eventId[i]!;
  out.host = names.hosts[c.host[i]!]!;
  out.tNs = c.tNs[i]!;
  out.arch = c.arch[i]!;
  out.kind = c.kind[i]!;
  out.notify = c.notify[i]!;
  out.severity = c.severity[i]!;
  const f = c.flags[i]!;
  out.firmwareFirst = (f & F_FIRMWARE_FIRST) !== 0;
  out.sync = (f & F_SYNC) !== 0;
  out.ripv = (f & F_RIPV) !== 0;
  out.pinned = (f & F_PINNED) !== 0;
  out.poisonedBefore = (f & F_POISONED_BEFORE) !== 0;
  out.guestRas = (f & F_GUEST_RAS) !== 0;
  out.extraRefs = (f & F_EXTRA_REFS) !== 0;
  out.panicOnUnrecoverable = panicUnrecovOf(f);
  out.vendor = (f & F_VENDOR_AMD) !== 0 ? 1 : 0;
  out.pa = c.pa[i]!;
  out.mem = c.mem[i]!;
  out.page = c.page[i]!;
  out.pageShift = c.pageShift[i]!;
  out.context = c.context[i]!;
  out.pid = c.pid[i]!;
  out.tid = c.tid[i]!;
  out.comm = names.comms[c.comm[i]!] ?? '';
  out.vaddr = c.vaddr[i]!;
  const m = c.mappers[i]!;
  if (m < 0) out.mappers = [];
  else {
    let pairs = mapperCache[m];
    if (!pairs) {
      pairs = [];
      for (let k = pool.offsets[m]!; k < pool.offsets[m + 1]!; k++) pairs.push(pool.pids[k]!, pool.policies[k]!);
      mapperCache[m] = pairs;
    }
    out.mappers = pairs;
  }
  out.earlyKill = c.earlyKill[i]!;
  out.recovery = c.recovery[i]!;
  out.panicOnOops = c.panicOnOops[i]!;
  out.kdump = c.kdump[i]!;
}
