// docs/profiles.md's tables are generated from the table of kernel changes: they must match it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDoc } from '../../scripts/profiles-doc.js';
import { KERNEL_CHANGES } from '../../src/model/kernel-changes.js';
import { ROOT } from '../helpers.js';

describe('docs/profiles.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'profiles.md'), 'utf8');
  it('holds the tables scripts/profiles-doc.ts renders from the table (run it after changing the table)', () => {
    expect(renderDoc(doc)).toBe(doc);
  });
  it('documents every stable backport of the table with its evidence', () => {
    for (const c of KERNEL_CHANGES) for (const pr of Object.values(c.stable)) expect(doc, `${c.switch} ${pr}`).toMatch(new RegExp(`\\| ${pr.replace(/\./g, '\\.')} \\|`));
  });
});
