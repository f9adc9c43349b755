#!/usr/bin/env node
// Runs the prebuilt bundle (dist/, `npm run build`) when it is newer than every source file, else the
// TypeScript sources through tsx's loader. The sources are the truth: an edited source makes the
// bundle stale and this falls back to them; RAS_REPLAY_SOURCES=1 forces the sources.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Newest modification time (ms) of the files under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function bundleFresh() {
  if (process.env.RAS_REPLAY_SOURCES === '1') return false;
  let built;
  try {
    built = statSync(`${root}dist/BUILT`).mtimeMs;
  } catch {
    return false;
  }
  return built > newest(`${root}src`) && built > statSync(`${root}package.json`).mtimeMs;
}

let main;
if (bundleFresh()) {
  ({ main } = await import('../dist/ras-replay.mjs'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
