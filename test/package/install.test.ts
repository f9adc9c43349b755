// SLOW (about a minute: npm pack, a global install into a temporary prefix, one small nightly):
// the package installs from its tarball and works from anywhere (issue 14 item 8). `nightly` run by
// the installed binary writes its night into the working directory, never into the package, and the
// library entry point (package.json "exports") loads in plain Node.
// The dependencies come from the npm cache (`--prefer-offline`); what the cache lacks (package
// metadata, which `npm ci` does not store) is fetched from the registry.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rr-install-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(cmd: string, args: string[], cwd: string) {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', npm_config_loglevel: 'error' };
  // Inside `npm test`, npm's own settings (prefix, cache location) must not leak into the child npm.
  for (const k of Object.keys(env)) if (k.startsWith('npm_config_') && k !== 'npm_config_loglevel' && k !== 'npm_config_cache') delete env[k];
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env, timeout: 240_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('npm pack + npm install -g of the tarball (slow)', () => {
  it('installs, and nightly from the installed package writes to the working directory', { timeout: 300_000 }, () => {
    const pack = sh('npm', ['pack', '--pack-destination', dir], ROOT);
    expect(pack.code, pack.out).toBe(0);
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tgz).toBeDefined();
    const prefix = join(dir, 'prefix');
    const inst = sh('npm', ['install', '-g', '--prefix', prefix, join(dir, tgz!), '--prefer-offline', '--no-audit', '--no-fund'], dir);
    expect(inst.code, inst.out).toBe(0);
    const pkg = join(prefix, 'lib', 'node_modules', 'ras-replay');
    // package.json "files": sources, entry points and the bundled examples; no tests, no CI scripts.
    for (const f of ['bin/ras-replay.js', 'lib/index.js', 'src/index.ts', 'docs/trace-format.md', 'traces/x86.csv', 'golden/x86/post.golden', 'ras-replay.config.json']) expect(existsSync(join(pkg, f)), f).toBe(true);
    for (const f of ['test', '.ci', 'vitest.config.ts']) expect(existsSync(join(pkg, f)), f).toBe(false);

    // A project folder of its own: two curated-suite events and their golden rows, copied from the
    // package's x86 suite (traces/x86.csv events 1001 and 1002 and their golden rows).
    const work = join(dir, 'work');
    mkdirSync(join(work, 'golden', 'x86'), { recursive: true });
    cpSync(join(pkg, 'traces', 'x86.csv'), join(work, 'x86.csv'));
    for (const p of ['pre', 'post']) cpSync(join(pkg, 'golden', 'x86', `${p}.golden`), join(work, 'golden', 'x86', `${p}.golden`));
    writeFileSync(join(work, 'ras-replay.config.json'), JSON.stringify({
      profiles: ['pre', 'post'], workers: 1,
      traces: [{ name: 'x86', trace: 'x86.csv', golden: 'golden/x86/{profile}.golden' }],
    }));
    const bin = join(prefix, 'bin', 'ras-replay');
    const night = sh(bin, ['nightly', '--night', '2026-01-02', '-q'], work);
    expect(night.code, night.out).toBe(0);
    expect(night.out).toContain('night 2026-01-02: no regression');
    expect(night.out).toContain(`report: ${join(work, 'nightly', 'nights', '2026-01-02', 'report.html')}`);
    expect(existsSync(join(work, 'nightly', 'store.duckdb'))).toBe(true);
    expect(existsSync(join(pkg, 'nightly'))).toBe(false);

    // The library entry point in plain Node.
    const lib = sh(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(pkg, 'lib', 'index.js'))}); const ev = m.readTraceCsv(${JSON.stringify(join(work, 'x86.csv'))}); console.log(m.TOOL_VERSION, m.replay(ev, [m.loadProfile('post')]).length === ev.length)`], work);
    expect(lib.code, lib.out).toBe(0);
    expect(lib.out.trim()).toMatch(/^\d+\.\d+\.\d+ true$/);
  });
});
