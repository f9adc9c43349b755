// Every fuzz target on a bounded number of inputs (fixed seed: the same inputs on every run), so
// CI fails on a crash, a message that names nothing or a slow input. `npm run fuzz -- --minutes N`
// runs the same targets for as long as asked (scripts/fuzz.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive, session } from './lib/check.js';
import { TARGETS } from './lib/targets.js';

/** Inputs per target in CI: ~budget / cost (the costly ones spawn DuckDB or write Parquet). */
const BUDGET = Number(process.env.RAS_FUZZ_BUDGET ?? 300);

let s: Awaited<ReturnType<typeof session>>;
beforeAll(async () => { s = await session(TARGETS); }, 180_000);
afterAll(() => s?.dispose());

describe('fuzz targets (bounded)', () => {
  for (const t of TARGETS) {
    it(`${t.name}: returns or throws InputError naming the input`, async () => {
      const st = await drive(t, s.dir, { seed: 0x5eed + t.name.length, maxInputs: Math.max(10, Math.round(BUDGET / t.cost)), slowMs: 15_000, stopOnFailure: false });
      const shown = st.failures.slice(0, 3).map((f) => `[${f.how.join('+')}] ${f.error.split('\n').slice(0, 4).join(' | ')}`);
      expect(shown, `${st.failures.length} of ${st.inputs} inputs failed`).toEqual([]);
      expect(st.inputs).toBeGreaterThan(0);
    }, 300_000);
  }
});
