#!/usr/bin/env node
// `npm test` runs this first (the `pretest` script): the report's browser test drives a headless
// Chromium through playwright-core, and playwright's own browser download is not used (installs
// must work offline from the npm cache). The browser is Debian's chromium at /usr/bin/chromium, or
// the binary named by RAS_REPLAY_CHROMIUM. When the default one is missing it is installed with
// apt-get, as root or through sudo; otherwise this prints one line saying what to do and exits 1.
//   RAS_REPLAY_CHROMIUM=/path/to/chromium   use this binary (never installed by this script)
//   RAS_REPLAY_NO_INSTALL=1                 never run apt-get; fail with the message instead
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const DEFAULT = '/usr/bin/chromium';
const given = process.env.RAS_REPLAY_CHROMIUM;
const browser = given || DEFAULT;

function fail(msg) {
  process.stderr.write(`ras-replay test: ${msg}\n`);
  process.exit(1);
}

function works(bin) {
  const r = spawnSync(bin, ['--headless', '--no-sandbox', '--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0;
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

if (existsSync(browser)) {
  if (!works(browser)) fail(`${browser} does not run (\`${browser} --version\` failed): reinstall it or set RAS_REPLAY_CHROMIUM to a working Chromium`);
  process.exit(0);
}
if (given) fail(`RAS_REPLAY_CHROMIUM=${given}: no such file: point it at a Chromium binary, or unset it to use ${DEFAULT} (apt-get install chromium)`);
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !root && onPath('sudo');
if (process.env.RAS_REPLAY_NO_INSTALL || !onPath('apt-get') || (!root && !sudo)) {
  fail(`${DEFAULT} not found: the report's browser test needs Chromium: run \`apt-get install chromium\` as root (Debian/Ubuntu) or set RAS_REPLAY_CHROMIUM to a Chromium binary`);
}
process.stderr.write(`ras-replay test: ${DEFAULT} not found: installing Debian's chromium with apt-get${sudo ? ' (sudo)' : ''}\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'chromium']]) {
  const cmd = sudo ? ['sudo', 'apt-get', ...args] : ['apt-get', ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit', env });
  if (r.status !== 0) fail(`\`${cmd.join(' ')}\` failed (exit ${r.status ?? r.signal}): install chromium by hand or set RAS_REPLAY_CHROMIUM`);
}
if (!existsSync(DEFAULT) || !works(DEFAULT)) fail(`apt-get installed chromium but ${DEFAULT} does not run`);
