#!/usr/bin/env node
// The npm registry reachable here serves only the linux builds of @duckdb/node-bindings, so
// `npm install` leaves the other platforms' optional packages out of package-lock.json and `npm ci`
// then refuses the lock ("Missing: @duckdb/node-bindings-darwin-arm64 from lock file"). This adds
// os/cpu-restricted entries for them; npm ci skips them as platform mismatches without fetching.
// Run after any `npm install` that rewrites the lock: node scripts/lock-platform-stubs.mjs
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (pkgs[key]) continue;
    const m = /-(darwin|linux|win32)-(x64|arm64)(-musl)?$/.exec(dep);
    if (!m) throw new Error(`${path}: optional dependency ${dep} is missing from the lock and is not a platform build`);
    pkgs[key] = { version, cpu: [m[2]], optional: true, os: [m[1]], ...(m[3] ? { libc: ['musl'] } : {}) };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
lock.packages = sorted;
writeFileSync(`${file.pathname}.tmp`, `${JSON.stringify(lock, null, 2)}\n`);
renameSync(`${file.pathname}.tmp`, file);
console.log(`package-lock.json: ${added} platform stub(s) added`);
