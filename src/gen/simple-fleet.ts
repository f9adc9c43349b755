// A simple seeded fleet-like trace generator (host-ordered Arrow IPC stream) for benchmarks and
// tests until the full `gen --mix fleet` exists: mostly corrected errors, some uncorrectable ones
// (scrubbed and consumed), later accesses to poisoned pages, both architectures. Columns are filled
// directly; no per-event objects.
import { Arch, Context, Kind, Mem, Notify, Page, Policy, Severity } from '../model/enums.js';
import { NO_ADDR, PROFILE_DEFAULT } from '../model/record.js';
import { F_FIRMWARE_FIRST, F_GUEST_RAS, F_RIPV, F_SYNC } from '../columns/events.js';
import { TraceStreamWriter } from '../io/arrow-trace.js';

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimpleFleetOptions {
  events: number;
  eventsPerHost?: number;
  seed?: number;
  batchRows?: number;
  /**
   * Order the trace by time, as a captured fleet trace is: event e belongs to host e mod H (H =
   * events / eventsPerHost), so every host's events spread over the whole file, and t_ns grows over
   * the whole trace. The schema then does not declare `ras-replay.host_ordered`.
   */
  timeOrdered?: boolean;
}

export function writeSimpleFleet(path: string, o: SimpleFleetOptions): { events: number; hosts: number } {
  const rnd = prng(o.seed ?? 1);
  const perHost = o.eventsPerHost ?? 200;
  const timeOrdered = o.timeOrdered ?? false;
  const w = new TraceStreamWriter(path, o.batchRows ?? 65536, !timeOrdered);
  const c = w.cols;
  const d = w.dicts;
  const mapperIds = [
    d.mappers.intern('4001:early;4002:late', [4001, Policy.early, 4002, Policy.late]),
    d.mappers.intern('4001:default', [4001, Policy.default]),
  ];
  let host = -1;
  let hostArch = 0;
  let t = 0;
  let lastPa: number[] = [];
  // Time-ordered: per-host arch and pages, one clock for the fleet (advancing 1/H as fast per event).
  const nHosts = Math.max(1, Math.ceil(o.events / perHost));
  const archOf = timeOrdered ? new Uint8Array(nHosts) : null;
  const pasOf: number[][] = [];
  try {
    for (let e = 0; e < o.events; e++) {
      if (timeOrdered) {
        const k = e % nHosts;
        if (e < nHosts) {
          d.hosts.id(`host-${String(k).padStart(7, '0')}`);
          archOf![k] = rnd() < 0.3 ? Arch.arm64 : Arch.x86_64;
          pasOf.push([]);
          if (e === 0) t = 1_700_000_000_000_000_000 / 1;
        }
        host = k;
        hostArch = archOf![k]!;
        lastPa = pasOf[k]!;
      } else if (e % perHost === 0) {
        host = d.hosts.id(`host-${String(e / perHost).padStart(7, '0')}`);
        hostArch = rnd() < 0.3 ? Arch.arm64 : Arch.x86_64;
        t = 1_700_000_000_000_000_000 / 1; // a 2023 epoch in ns (as a double; fine for generation)
        lastPa.length = 0;
      }
      if (c.n === w.batchRows) w.flush();
      const i = c.n++;
      c.eventId[i] = BigInt(e + 1);
      t += timeOrdered ? 1_000 + Math.floor((rnd() * 60_000_000_000) / nHosts) : 1_000_000 + Math.floor(rnd() * 60_000_000_000);
      c.tNs[i] = BigInt(Math.floor(t));
      c.host[i] = host;
      c.arch[i] = hostArch;
      c.kind[i] = Kind.error;
      c.mem[i] = Mem.ram;
      c.pageShift[i] = 12;
      c.pid[i] = 0;
      c.tid[i] = 0;
      c.comm[i] = 0;
      c.mappers[i] = -1;
      c.vaddr[i] = NO_ADDR;
      c.earlyKill[i] = PROFILE_DEFAULT;
      c.recovery[i] = PROFILE_DEFAULT;
      c.panicOnOops[i] = PROFILE_DEFAULT;
      c.kdump[i] = PROFILE_DEFAULT;
      const arm = hostArch === Arch.arm64;
      const r = rnd();
      const pa = lastPa.length && rnd() < 0.5 ? lastPa[Math.floor(rnd() * lastPa.length)]! : (0x100000 + Math.floor(rnd() * 0x3ffffff)) * 4096;
      c.pa[i] = pa;
      c.page[i] = rnd() < 0.7 ? Page.anon : Page.file_clean;
      c.flags[i] = F_RIPV | F_GUEST_RAS | (arm ? F_FIRMWARE_FIRST : 0);
      c.context[i] = Context.none;
      if (r < 0.9) {
        // corrected error
        c.severity[i] = Severity.corrected;
        c.notify[i] = arm ? Notify.gsiv : Notify.cmci;
      } else if (r < 0.95) {
        // uncorrectable, found by patrol scrub
        c.severity[i] = arm ? Severity.recoverable : Severity.deferred;
        c.notify[i] = arm ? Notify.sdei : Notify.cmci;
        c.mappers[i] = mapperIds[0]!;
        lastPa.push(pa);
      } else if (r < 0.985) {
        // consumed by a user process
        c.severity[i] = Severity.recoverable;
        c.notify[i] = arm ? Notify.sea : Notify.mce;
        c.flags[i]! |= F_SYNC;
        c.context[i] = Context.user;
        c.pid[i] = 4001;
        c.tid[i] = 4001;
        c.vaddr[i] = 0x7f0000000000 + (pa % 0x100000000);
        c.mappers[i] = mapperIds[1]!;
        lastPa.push(pa);
      } else {
        // a later access to a page that may be poisoned
        c.kind[i] = Kind.access;
        c.notify[i] = Notify.none;
        c.severity[i] = 0;
        c.context[i] = Context.user;
        c.pid[i] = 4002;
        c.tid[i] = 4002;
        c.vaddr[i] = 0x7f0000000000 + (pa % 0x100000000);
      }
    }
    w.close();
  } catch (err) {
    w.abort();
    throw err;
  }
  return { events: o.events, hosts: d.hosts.names.length };
}
