// `import` and `diff --observed` through the real CLI: seed 000's captured logs pick the profile
// whose kernel printed them (before the patch: code 5 as pre; after: code 4 as post), and a bad
// source exits 2 with nothing written.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-import-cli-'));
const fx = (f: string) => join(ROOT, 'test/fixtures/import', f);

function agreement(log: string): Record<string, number> {
  const out = join(dir, `${log}.arrows`);
  const imp = cli(['import', fx(log), '-o', out]);
  expect(imp.stderr).toBe('');
  expect(JSON.parse(imp.stdout)).toMatchObject({ format: 'kernel-log', events: 1 });
  const r = cli(['diff', out, '--observed', out.replace(/\.arrows$/, '.observed.parquet'), '--json']);
  expect(r.code).toBe(0);
  return Object.fromEntries((JSON.parse(r.stdout) as { profile: string; agreement: number }[]).map((x) => [x.profile, x.agreement]));
}

describe('import and diff --observed', () => {
  it("seed 000: the log before the patch agrees with pre, the log after with post", () => {
    const before = agreement('seed000-before.log');
    expect(before.pre).toBe(1);
    expect(before.post).toBeLessThan(1);
    const after = agreement('seed000-after.log');
    expect(after.post).toBe(1);
    expect(after.pre).toBeLessThan(1);
  });

  it('a non-SQLite file given as rasdaemon exits 2 and writes nothing', () => {
    const out = join(dir, 'bad.arrows');
    const r = cli(['import', fx('not-sqlite.db'), '--format', 'rasdaemon', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not-sqlite.db: not an SQLite database/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, 'bad.observed.parquet'))).toBe(false);
  });
});
