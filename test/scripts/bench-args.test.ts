// The bench scripts' command line (scripts/bench-args.ts): --help prints the usage comment and
// exits 0; an unknown option or one without its value exits 2 with one line, before any work (the
// scripts generate traces of gigabytes and run for minutes on their defaults).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

function bench(script: string, args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(ROOT, 'scripts', script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each([
  ['bench.ts', 'bench', '--events', /^ras-replay benchmark: /],
  ['bench-oracle.ts', 'bench:oracle', '--rows', /^ras-replay oracle benchmark: /],
  ['bench-import.ts', 'bench:import', '--rows', /^ras-replay import benchmark: /],
])('scripts/%s', (script, command, known, usage) => {
  it('--help prints the usage and runs nothing', () => {
    const r = bench(script, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(usage);
    expect(r.stdout).toContain(`npm run ${command} --`);
    expect(r.stderr).toBe('');
  });

  it('an unknown option is refused with one line naming it and the options it takes (exit 2)', () => {
    const r = bench(script, ['--nosuch', '1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${command}: "--nosuch": expected one of .*${known}`));
  });

  it('an option without its value is refused (exit 2)', () => {
    const r = bench(script, [known]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`${command}: ${known}: expected a value after it`);
  });
});
