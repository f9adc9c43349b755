// The scenario matrix: every event valid, one host per combination, every value of every dimension
// covered at least once, and the whole matrix replays through every built-in profile.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { comboName, errorTypes, generateMatrix, matrixCombos } from '../../src/gen/matrix.js';
import { F_FIRMWARE_FIRST, F_GUEST_RAS, F_PINNED, F_POISONED_BEFORE, F_RIPV, F_SYNC } from '../../src/columns/events.js';
import { ARCH, CONTEXT, Kind, MEM, NOTIFY, PAGE, POLICY, SEVERITY } from '../../src/model/enums.js';
import { BUILTIN_NAMES } from '../../src/model/profiles.js';
import { decodeTrace, replayTrace } from './decode.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-matrix-'));
const path = join(dir, 'matrix.arrows');

describe('scenario matrix', () => {
  let result: { events: number; hosts: number };
  const seen = new Map<string, Set<string>>();
  const see = (dim: string, v: string | number | boolean) => {
    let s = seen.get(dim);
    if (!s) seen.set(dim, (s = new Set()));
    s.add(String(v));
  };
  const errTypes = new Set<string>();
  const perHost = new Map<number, number>();
  let rows = 0;
  beforeAll(() => {
    result = generateMatrix(path);
    rows = decodeTrace(path, (c, d) => {
      for (let i = 0; i < c.n; i++) {
        perHost.set(c.host[i]!, (perHost.get(c.host[i]!) ?? 0) + 1);
        const f = c.flags[i]!;
        see('arch', ARCH[c.arch[i]!]!);
        see('kind', c.kind[i]!);
        see('notify', NOTIFY[c.notify[i]!]!);
        see('page', PAGE[c.page[i]!]!);
        see('page_shift', c.pageShift[i]!);
        see('mem', MEM[c.mem[i]!]!);
        see('context', CONTEXT[c.context[i]!]!);
        see('pinned', (f & F_PINNED) !== 0);
        see('poisoned_before', (f & F_POISONED_BEFORE) !== 0);
        see('guest_ras', (f & F_GUEST_RAS) !== 0);
        see('ripv', (f & F_RIPV) !== 0);
        see('pa', c.pa[i]! < 0 ? 'null' : 'set');
        see('early_kill', c.earlyKill[i]!);
        see('recovery', c.recovery[i]!);
        see('panic_on_oops', c.panicOnOops[i]!);
        see('kdump', c.kdump[i]!);
        const m = c.mappers[i]!;
        if (m >= 0) see('policy', POLICY[d.mappers.policies[d.mappers.offsets[m]!]!]!);
        if (c.kind[i] === Kind.error) {
          see('severity', SEVERITY[c.severity[i]!]!);
          errTypes.add(`${c.arch[i]}/${c.notify[i]}/${(f & F_FIRMWARE_FIRST) !== 0}/${c.severity[i]}/${(f & F_SYNC) !== 0}`);
        }
      }
    }).rows;
  });

  it('every event passes the validator; one host per combination, names unique', () => {
    expect(rows).toBe(result.events);
    expect(perHost.size).toBe(result.hosts);
    const combos = matrixCombos();
    expect(new Set(combos.map(comboName)).size).toBe(combos.length);
    expect(result.hosts).toBeLessThanOrEqual(combos.length);
    // A host holds its error and at most one later access.
    expect(Math.max(...perHost.values())).toBeLessThanOrEqual(2);
    expect(result.events).toBeGreaterThan(result.hosts);
  });

  it('covers every value of every dimension at least once', () => {
    const all = (labels: readonly (string | number | boolean)[]) => new Set(labels.map(String));
    expect(seen.get('arch')).toEqual(all(ARCH));
    expect(seen.get('kind')).toEqual(all([Kind.error, Kind.access]));
    expect(seen.get('notify')).toEqual(all(NOTIFY));
    expect(seen.get('severity')).toEqual(all(SEVERITY));
    expect(seen.get('page')).toEqual(all(PAGE));
    expect(seen.get('page_shift')).toEqual(all([12, 14, 21, 30])); // 14: file_lbs with 16 KiB blocks
    expect(seen.get('mem')).toEqual(all(MEM));
    expect(seen.get('context')).toEqual(all(CONTEXT));
    expect(seen.get('policy')).toEqual(all(POLICY));
    for (const dim of ['pinned', 'poisoned_before', 'guest_ras', 'ripv']) expect(seen.get(dim), dim).toEqual(all([true, false]));
    expect(seen.get('pa')).toEqual(all(['null', 'set']));
    expect(seen.get('early_kill')).toEqual(all([-1, 0, 1]));
    for (const dim of ['recovery', 'panic_on_oops', 'kdump']) expect(seen.get(dim), dim).toEqual(all([-1, 0, 1]));
    // Every error type the validator accepts appears.
    const want = errorTypes().map((e) => `${e.arch}/${e.notify}/${e.firmwareFirst}/${e.severity}/${e.sync}`);
    expect(want.length).toBeGreaterThan(50);
    expect(new Set(errTypes)).toEqual(new Set(want));
  });

  it('replays through every built-in profile without a combination the model does not cover', () => {
    for (const p of BUILTIN_NAMES) expect(replayTrace(path, [p]), p).toBe(result.events);
  }, 60_000);

  it('is deterministic; the seed moves addresses only', () => {
    const again = join(dir, 'again.arrows');
    const other = join(dir, 'other.arrows');
    expect(generateMatrix(again)).toEqual(result);
    expect(readFileSync(again).equals(readFileSync(path))).toBe(true);
    expect(generateMatrix(other, { seed: 2 })).toEqual(result);
    expect(readFileSync(other).equals(readFileSync(path))).toBe(false);
  });
});
