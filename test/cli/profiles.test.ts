// End-to-end: `profiles`, `profiles show` and `--kernel "$(uname -r)"` through the real CLI.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers.js';

describe('ras-replay profiles', () => {
  it('lists every release from 5.10 to 7.3 and the tracked lines\' newest point releases', () => {
    const r = cli(['profiles']);
    expect(r.code).toBe(0);
    const names = r.stdout.split('\n').map((l) => l.split(/\s+/)[0]);
    for (const v of ['5.10', '5.15', '6.1', '6.6', '6.12', '6.19', '7.0', '7.3']) expect(names).toContain(`linux-${v}`);
    expect(names).toContain('linux-6.6.y');
    expect(r.stdout).toMatch(/^linux-6\.6\.y\s+6\.6\.143\s+yes/m);
    const j = JSON.parse(cli(['profiles', '--json']).stdout) as { name: string; kernel: string | null; suite: boolean }[];
    expect(j.map((x) => x.name).slice(0, 3)).toEqual(['pre', 'post', 'linux-5.10']);
    expect(j.find((x) => x.name === 'linux-6.12.y')!.kernel).toBe('6.12.94');
    expect(j.filter((x) => x.suite).length).toBeGreaterThanOrEqual(8);
  });

  it('show explains where each switch comes from', () => {
    const r = cli(['profiles', 'show', 'linux-6.6.y']);
    expect(r.code).toBe(0);
    // Seed 002 reached 6.6.y in 6.6.16 ("[PATCH 6.6 012/322]", 6.6.16-rc1 review, 2 Feb 2024).
    expect(r.stdout).toMatch(/mce_panic_hwpoison\s+on\s+backported to 6\.6\.y in 6\.6\.16/);
    expect(r.stdout).toMatch(/kill_accessing_mm_check\s+on\s+in mainline since v6\.1 \(77677cdbc2aa\)/);
    expect(r.stdout).toMatch(/ghes_task_work\s+off\s+mainline from v6\.17; no 6\.6\.y backport known/);
    expect(cli(['profiles', 'show', 'linux-4.19']).code).toBe(2);
  });
});

describe('--kernel "$(uname -r)"', () => {
  const trace = join(ROOT, 'traces/x86.csv');
  it('resolves a distribution kernel to its release profile, with a warning naming a profile file', () => {
    const r = cli(['explain', trace, '-e', '1006', '--kernel', '6.12.9-200.fc41.x86_64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('under profile linux-6.12.9');
    expect(r.stderr).toContain('warning: --kernel 6.12.9-200.fc41.x86_64: replayed as linux-6.12.9');
    expect(r.stderr).toContain('{"extends": "linux-6.12.9", "switches": {');
    const plain = cli(['explain', trace, '-e', '1006', '--kernel', '6.6.47']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toContain('under profile linux-6.6.47');
  });

  it('an unknown or malformed version exits 2 naming what is accepted', () => {
    for (const k of ['4.19.0', '7.4.0', 'garbage', '6.6.999']) {
      const r = cli(['explain', trace, '-e', '1006', '--kernel', k]);
      expect(r.code, k).toBe(2);
      expect(r.stderr, k).toMatch(/a release from 5\.10 to 7\.3|newer than the newest 6\.6\.y point release/);
    }
  });

  it('compare takes profile B from --kernel', () => {
    const r = cli(['compare', trace, '-a', 'linux-6.6', '--kernel', '6.6.143']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^switches that differ from linux-6\.6 to linux-6\.6\.143:/);
  });
});
