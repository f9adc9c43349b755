// The `pretest` step that makes `npm test` pass on a fresh machine: it finds the browser test's
// Chromium or says, in one line, how to get one. The missing-browser case is exercised through
// RAS_REPLAY_CHROMIUM (a path that does not exist), never by uninstalling the system's chromium.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const SCRIPT = resolve(ROOT, 'scripts/ensure-chromium.mjs');

function run(env: Record<string, string>) {
  const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stderr: r.stderr };
}

describe('scripts/ensure-chromium.mjs (npm pretest)', () => {
  it('is what `npm test` runs first, and .ci/run calls exactly `npm test`', async () => {
    const pkg = JSON.parse((await import('node:fs')).readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe('node scripts/ensure-chromium.mjs');
    const ci = (await import('node:fs')).readFileSync(resolve(ROOT, '.ci/run'), 'utf8');
    const calls = ci.split('\n').filter((l) => !l.trimStart().startsWith('#') && /\bnpm (test|run test)\b/.test(l));
    expect(calls).toEqual(['npm test || status=$?']);
    expect(ci).not.toMatch(/apt-get/);
  });

  it('fails with one line naming the missing binary and the way out', () => {
    const r = run({ RAS_REPLAY_CHROMIUM: '/nonexistent/ras-replay-test/chromium' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'ras-replay test: RAS_REPLAY_CHROMIUM=/nonexistent/ras-replay-test/chromium: no such file: point it at a Chromium binary, or unset it to use /usr/bin/chromium (apt-get install chromium)',
    ]);
  });

  it('fails when the named binary does not run as a browser', () => {
    const r = run({ RAS_REPLAY_CHROMIUM: '/bin/false' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/bin/false does not run');
  });

  it.runIf(existsSync('/usr/bin/chromium'))('passes silently when the browser is there', () => {
    const r = run({ RAS_REPLAY_CHROMIUM: '/usr/bin/chromium' });
    expect(r).toEqual({ code: 0, stderr: '' });
  });
});
