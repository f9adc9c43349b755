// The golden workflow on a copy of the x86 suite: update modes under CI=true and without it,
// pending review, accept/reject, obsolete rows, no rewrite when identical, and the deterministic form.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatGolden, parseGolden } from '../../src/oracle/golden.js';
import { checkSuites, defaultUpdateMode, MemoryStorage } from '../../src/oracle/golden-update.js';
import { builtinProfile } from '../../src/model/profiles.js';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin/ras-replay.js');

function golden(args: string[], root: string, ci: boolean) {
  const env = { ...process.env, NO_COLOR: '1' } as NodeJS.ProcessEnv;
  delete env.CI;
  if (ci) env.CI = 'true';
  const r = spawnSync(process.execPath, [BIN, 'golden', ...args, '--root', root, '-s', 'x86', '-p', 'pre'], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A project root with the x86 suite and its pre golden file, edited: one row changed, one removed, one obsolete. */
function fixture(): { root: string; file: string; original: string } {
  const root = mkdtempSync(join(tmpdir(), 'ras-golden-'));
  mkdirSync(join(root, 'traces'));
  mkdirSync(join(root, 'golden', 'x86'), { recursive: true });
  cpSync(join(ROOT, 'traces/x86.csv'), join(root, 'traces/x86.csv'));
  const original = readFileSync(join(ROOT, 'golden/x86/pre.golden'), 'utf8');
  const lines = original.split('\n');
  const i1005 = lines.findIndex((l) => l.startsWith('1005\t'));
  expect(lines[i1005]).toBe('1005\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t2140/2140:7:4:12');
  lines[i1005] = '1005\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t2140/2140:7:5:12'; // changed
  const i1006 = lines.findIndex((l) => l.startsWith('1006\t'));
  lines.splice(i1006, 1); // removed: the event comes back as added
  lines.splice(lines.length - 1, 0, '99999\tfalse\tfalse\tnone\t-\t-\t-'); // obsolete
  const file = join(root, 'golden/x86/pre.golden');
  writeFileSync(file, lines.join('\n'));
  return { root, file, original };
}

describe('golden update modes', () => {
  it('CI defaults to none; otherwise new', () => {
    expect(defaultUpdateMode({ CI: 'true' })).toBe('none');
    expect(defaultUpdateMode({ CI: '1' })).toBe('none');
    expect(defaultUpdateMode({})).toBe('new');
    expect(defaultUpdateMode({ CI: 'false' })).toBe('new');
  });

  it('none (CI=true): reports, writes nothing, exits 1', () => {
    const { root, file } = fixture();
    const before = readFileSync(file, 'utf8');
    const mtime = statSync(file).mtimeMs;
    const r = golden(['check'], root, true);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL x86 × pre: 124 unchanged, 1 added, 1 changed, 1 obsolete/);
    expect(r.stdout).toMatch(/mode none: .* 0 files written/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(existsSync(`${file}.pending`)).toBe(false);
  });

  it('new (no CI): adds new rows, puts changes up for review; review, accept and reject', () => {
    const { root, file, original } = fixture();
    const r = golden(['check'], root, false);
    expect(r.code).toBe(1); // a changed row fails until accepted
    expect(r.stdout).toMatch(/1 added, 1 changed, 1 obsolete, 1 pending review/);
    const g = parseGolden(readFileSync(file, 'utf8'), file);
    expect(g.rows.has(1006n)).toBe(true); // added
    expect(g.rows.has(99999n)).toBe(true); // obsolete stays under new
    expect(g.rows.get(1005n)!.signals[0]!.siCode).toBe(5); // changed row not applied
    const pending = parseGolden(readFileSync(`${file}.pending`, 'utf8'), 'p');
    expect([...pending.rows.keys()]).toEqual([1005n]);
    const review = golden(['review'], root, false);
    expect(review.stdout).toMatch(/event 1005: signals/);
    expect(review.stdout).toMatch(/golden {3}1005\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t2140\/2140:7:5:12/);
    expect(review.stdout).toMatch(/proposed 1005\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t2140\/2140:7:4:12/);
    expect(review.stdout).toMatch(/path: /);
    expect(golden(['accept', '--event', '4242'], root, false).code).toBe(2);
    const acc = golden(['accept', '--event', '1005'], root, false);
    expect(acc.stdout).toMatch(/accepted 1 row/);
    expect(existsSync(`${file}.pending`)).toBe(false);
    const again = golden(['check'], root, false);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/126 unchanged, 0 added, 0 changed, 1 obsolete/);
    // all: the obsolete row goes, and the file is the original byte for byte.
    const all = golden(['check', '--update', 'all'], root, false);
    expect(all.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
    // Nothing changed: no rewrite.
    const mtime = statSync(file).mtimeMs;
    expect(golden(['check', '--update', 'all'], root, false).stdout).toMatch(/0 files written/);
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it('reject drops pending rows without touching the golden file', () => {
    const { root, file } = fixture();
    golden(['check'], root, false);
    const before = readFileSync(file, 'utf8');
    expect(golden(['reject', '--all'], root, false).stdout).toMatch(/rejected 1 row/);
    expect(existsSync(`${file}.pending`)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('every curated golden file is already in its deterministic form', () => {
    for (const suite of ['x86', 'arm64']) {
      for (const p of ['pre', 'post', 'linux-6.1', 'linux-6.6', 'linux-6.12', 'linux-6.19']) {
        const f = join(ROOT, 'golden', suite, `${p}.golden`);
        const text = readFileSync(f, 'utf8');
        const g = parseGolden(text, f);
        expect(formatGolden(g.head, g.rows.values())).toBe(text);
      }
    }
  });

  it('redacted fields stay unchecked and are written as such (in-memory storage)', () => {
    const s = new MemoryStorage();
    const root = join(ROOT);
    const f = join(root, 'golden/x86/pre.golden');
    const text = readFileSync(f, 'utf8').replace('# profile: pre\n', '# profile: pre\n# redact: lsb, tid\n')
      .replace('1005\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t2140/2140:7:4:12\n', '');
    s.files.set(f, text);
    const [r] = checkSuites({ root, profiles: [builtinProfile('pre')], suites: ['x86'], mode: 'new', storage: s });
    expect(r!.added.map((c) => c.eventId)).toEqual([1005n]);
    expect(s.files.get(f)).toMatch(/\n1005\tfalse\tfalse\tnone\tdirty LRU page\tRecovered\t2140:7:4:\*\n/);
    expect(s.writes).toBe(1);
  });
});
