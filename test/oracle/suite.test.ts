// The curated scenario suites replayed under every built-in profile must match their golden files,
// which were written by reasoning from the kernel source and the seeds (see each row's note).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, RELEASE_NAMES, STABLE_NAMES, builtinProfile } from '../../src/model/profiles.js';
import { suiteGoldenIndex } from '../../src/oracle/golden-index.js';
import { listSuites, runSuites } from '../../src/oracle/suite.js';
import { readTraceCsv } from '../../src/io/csv-trace.js';

const ROOT = resolve(__dirname, '../..');

describe('curated scenario suites', () => {
  const suites = listSuites(ROOT);

  it('exist, with at least 150 events in all and a note on every row', () => {
    let n = 0;
    for (const s of suites) {
      const events = readTraceCsv(resolve(ROOT, 'traces', `${s}.csv`));
      n += events.length;
      for (const e of events) expect(e.note, `${e.where} has no note`).not.toBe('');
    }
    expect(n).toBeGreaterThanOrEqual(150);
  });

  it('every release profile (linux-5.10 … linux-7.3, linux-X.Y.y) is covered by exactly one golden file per suite and matches it', () => {
    const all = [...RELEASE_NAMES, ...STABLE_NAMES];
    for (const suite of suites) {
      const index = suiteGoldenIndex(ROOT, suite);
      for (const n of all) expect(index.filter((g) => g.covers.includes(n)).map((g) => g.file), `${suite} × ${n}`).toHaveLength(1);
    }
    const bad = runSuites(ROOT, all.map((n) => builtinProfile(n))).filter((r) => r.mismatches.length).map((r) => `${r.suite} × ${r.profile} (${r.golden}): ${r.mismatches.map((m) => m.eventId).join(', ')}`);
    expect(bad).toEqual([]);
  });

  for (const suite of suites) {
    for (const p of BUILTIN_PROFILES) {
      it(`${suite} × ${p.name} matches the golden file covering it`, () => {
        const [r] = runSuites(ROOT, [p], [suite]);
        const report = r!.mismatches.map((m) => `event ${m.eventId} (${m.fields.join(', ')})\n  expected ${m.expected}\n  actual   ${m.actual}`).join('\n');
        expect(report, report).toBe('');
      });
    }
  }
});
