// The fleet generator: deterministic for a seed, every event valid (decoded by the validating
// TraceDecoder, per-host order checked, replayed through the model), and the generated statistics
// match the mix's parameters within the tolerances stated next to each check.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FleetStats, generateFleet, generateFleetInto, xoshiro128 } from '../../src/gen/fleet.js';
import { defaultMix, FleetMix, resolveMix, shares, UE_CONTEXTS } from '../../src/gen/mix.js';
import { F_SYNC } from '../../src/columns/events.js';
import { EventColumns } from '../../src/columns/events.js';
import { newTraceDicts } from '../../src/io/arrow-trace.js';
import { Arch, CONTEXT, Context, Kind, Notify, Severity } from '../../src/model/enums.js';
import { decodeTrace, replayTrace } from './decode.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-fleet-'));
const within = (x: number, target: number, tol: number, what: string) => {
  expect(Math.abs(x - target), `${what}: ${x} vs ${target} ± ${tol}`).toBeLessThanOrEqual(tol);
};

/** Truncated Pareto [min, max] with shape alpha: mean and quantiles. */
function pareto(m: FleetMix) {
  const { alpha: a, min, max } = m.ce.pareto;
  const tail = 1 - (min / max) ** a;
  return {
    mean: ((a * min ** a) / (1 - a)) * (max ** (1 - a) - min ** (1 - a)) / tail,
    q: (p: number) => min * (1 - p * tail) ** (-1 / a),
  };
}

describe('fleet generator', () => {
  it('is deterministic: same seed, same bytes; another seed, another trace', () => {
    const m = defaultMix();
    const a = generateFleet(join(dir, 'a.arrows'), m, { hosts: 2000, days: 30, seed: 5 });
    const b = generateFleet(join(dir, 'b.arrows'), m, { hosts: 2000, days: 30, seed: 5 });
    generateFleet(join(dir, 'c.arrows'), m, { hosts: 2000, days: 30, seed: 6 });
    expect(a.events).toBeGreaterThan(100);
    expect(readFileSync(join(dir, 'a.arrows')).equals(readFileSync(join(dir, 'b.arrows')))).toBe(true);
    expect(a.stats).toEqual(b.stats);
    expect(readFileSync(join(dir, 'a.arrows')).equals(readFileSync(join(dir, 'c.arrows')))).toBe(false);
    // Nothing half-written is left behind (temp + rename).
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('xoshiro128 is a uniform, reproducible stream', () => {
    const r = xoshiro128(42).f64;
    const s = xoshiro128(42).f64;
    let sum = 0;
    let same = true;
    for (let i = 0; i < 100_000; i++) {
      const x = r();
      same &&= x === s();
      sum += x;
    }
    expect(same).toBe(true);
    within(sum / 100_000, 0.5, 0.005, 'mean of uniforms');
  });

  describe('statistics of 20,000 hosts over a year with the default mix', () => {
    const m = defaultMix();
    let st: FleetStats;
    beforeAll(() => {
      st = generateFleet(join(dir, 'default.arrows'), m, { hosts: 20_000, days: 365, seed: 11 }).stats;
    });

    it('corrected errors per host: truncated Pareto, mean ≈ 55 × median (Facebook DSN 2015)', () => {
      const p = pareto(m);
      const d = st.correctedPerHost;
      // Host quantiles are stratified, so the sample follows the distribution closely.
      within(d.mean / p.mean, 1, 0.1, 'mean / analytic mean');
      expect(d.median).toBe(Math.round(p.q(0.5)));
      within(d.p99 / p.q(0.99), 1, 0.15, 'p99 / analytic p99');
      within(d.mean / d.median, 55, 8, 'mean / median');
      expect(d.max).toBeLessThanOrEqual(m.ce.pareto.max);
      expect(st.errorsPerHost.mean).toBeGreaterThan(st.errorsPerHost.median * 40);
    });

    it('host shares per year: CE about one third, UE about 1.3% (Google SIGMETRICS 2009)', () => {
      within(st.ceHostSharePerYear, m.ce.host_share_per_year, 0.002, 'CE host share');
      // Binomial: about 260 UE hosts of 20,000 (sd ≈ 16): ± 3 sd.
      within(st.ueHostSharePerYear, m.ue.host_share_per_year, 0.0025, 'UE host share');
      expect(st.corrected / st.errors).toBeGreaterThan(0.99);
    });

    it('repeats and storms', () => {
      within(st.repeatRate, m.faults.repeat, 0.02, 'repeat rate');
      // Only hosts above the storm threshold have storms, and they hold most corrected errors.
      expect(st.stormShare).toBeGreaterThan(0.25);
      expect(st.stormShare).toBeLessThanOrEqual(m.ce.storm.event_share);
      expect(st.ueOnCePage).toBeGreaterThan(0.3);
    });
  });

  describe('uncorrectable errors (a UE-heavy mix, 20,000 hosts)', () => {
    const m = resolveMix({ ue: { host_share_per_year: 0.5, ce_host_factor: 1 }, ce: { host_share_per_year: 0.05 } }, 'heavy');
    let st: FleetStats;
    beforeAll(() => {
      st = generateFleet(join(dir, 'heavy.arrows'), m, { hosts: 20_000, days: 365, seed: 12 }).stats;
    });

    it('UE host share, AO/AR share and fatal share match the mix', () => {
      within(st.ueHostSharePerYear, 0.5, 0.02, 'UE host share');
      // About 20,000 UEs: a share's sd is below 0.004.
      within(st.aoShare, m.ue.ao_share, 0.015, 'AO share');
      within(st.fatal / st.uncorrectable, m.ue.fatal_share, 0.008, 'fatal share');
    });

    it('consumption contexts: the mix outside guests, guests on KVM hosts, seed 004 kernel-mode share', () => {
      const guest = st.contextMix.guest ?? 0;
      within(guest, m.hosts.kvm * m.kvm.guest_share, 0.02, 'guest share');
      const want = shares(m.contexts);
      for (const ctx of UE_CONTEXTS) within((st.contextMix[ctx] ?? 0) / (1 - guest), want[ctx] ?? 0, 0.02, `context ${ctx}`);
      expect(st.cowCopyoutShareOfKernel).toBeGreaterThan(0.5);
      within(st.cowCopyoutShareOfKernel, 0.55, 0.03, 'COW + copyout share of kernel-mode consumption');
      expect(Object.keys(st.contextMix).sort()).toEqual([...UE_CONTEXTS, 'guest'].sort());
    });

    it('arch mix of traced hosts', () => {
      const total = (st.archHosts.x86_64 ?? 0) + (st.archHosts.arm64 ?? 0);
      expect(total).toBe(st.tracedHosts);
      within((st.archHosts.arm64 ?? 0) / total, 0.3, 0.02, 'arm64 host share');
    });
  });

  it('every event is valid, per-host ordered and replays; the stats agree with the file', () => {
    const m = resolveMix({ ue: { host_share_per_year: 0.6, ce_host_factor: 1 }, hosts: { kvm: 0.5, device_memory: 0.3 } }, 'heavy');
    const path = join(dir, 'check.arrows');
    const { stats } = generateFleet(path, m, { hosts: 3000, days: 90, seed: 13 });
    let ue = 0, ao = 0, ar = 0, access = 0, polled = 0;
    const ueHosts = new Set<number>();
    const sysctl = new Map<number, string>();
    const ctx = new Float64Array(CONTEXT.length);
    const { rows, hostOrdered } = decodeTrace(path, (c) => {
      for (let i = 0; i < c.n; i++) {
        const h = c.host[i]!;
        const s = `${c.earlyKill[i]}/${c.recovery[i]}/${c.panicOnOops[i]}/${c.kdump[i]}/${c.arch[i]}`;
        expect(sysctl.get(h) ?? s, 'host settings are constant within a host').toBe(s);
        sysctl.set(h, s);
        if (c.kind[i] === Kind.access) {
          access++;
          expect(c.pa[i]).toBeGreaterThanOrEqual(0);
          continue;
        }
        if (c.severity[i] === Severity.corrected) {
          if (c.notify[i] === Notify.poll) polled++;
          continue;
        }
        ue++;
        ueHosts.add(h);
        const sync = (c.flags[i]! & F_SYNC) !== 0;
        if (sync) ctx[c.context[i]!]!++;
        if (c.severity[i] !== Severity.fatal) sync ? ar++ : ao++;
        if (sync) expect(c.notify[i]).toBe(c.arch[i] === Arch.arm64 ? Notify.sea : Notify.mce);
        if (c.context[i] === Context.guest) expect(c.pid[i]).not.toBe(0);
      }
    });
    expect(rows).toBe(stats.events);
    expect(hostOrdered).toBe(true);
    expect(ue).toBe(stats.uncorrectable);
    expect(ueHosts.size).toBe(stats.ueHosts);
    expect(ao).toBe(stats.ao);
    expect(ar).toBe(stats.ar);
    expect(access).toBe(stats.accesses);
    expect(access).toBeGreaterThan(100);
    expect(polled).toBeGreaterThan(0);
    const sync = ctx.reduce((a, x) => a + x, 0);
    for (const [label, share] of Object.entries(stats.contextMix)) within(ctx[Context[label as keyof typeof Context]]! / sync, share, 1e-9, label);
    expect(replayTrace(path, ['pre', 'post'])).toBe(stats.events);
  });

  it('generates into any sink (the benchmark path) with the same rows', () => {
    const m = defaultMix();
    const cols = new EventColumns(4096);
    let rows = 0;
    const sink = { cols, dicts: newTraceDicts(), batchRows: 4096, flush() { rows += cols.n; cols.n = 0; } };
    const st = generateFleetInto(sink, m, { hosts: 500, days: 30, seed: 5 });
    rows += cols.n;
    expect(rows).toBe(st.events);
    expect(() => generateFleetInto(sink, m, { hosts: 0, days: 30, seed: 5 })).toThrow(/--hosts 0: expected a positive integer/);
    expect(() => generateFleetInto(sink, m, { hosts: 10, days: 0, seed: 5 })).toThrow(/--days 0: expected a positive number of days/);
  });
});
