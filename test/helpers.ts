// Build small traces inline (CSV text, the same reader as the CLI) and replay them; run the real CLI.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseTraceCsv } from '../src/io/csv-trace.js';
import { loadProfile } from '../src/io/profile-file.js';
import { builtinProfile, Profile, resolveProfile } from '../src/model/profiles.js';
import { OutcomeRow, replayEvents } from '../src/engine/replay-events.js';

export const HEADER = 'event_id,host,t_ns,arch,kind,notify,firmware_first,severity,sync,ripv,pa,mem,page,page_shift,pinned,poisoned_before,context,pid,tid,vaddr,mappers,guest_ras,early_kill,recovery,panic_on_oops,kdump';

/** Rows as objects keyed by column; missing keys are empty cells. */
export function csv(rows: Record<string, string | number | boolean>[]): string {
  const cols = HEADER.split(',');
  const lines = rows.map((r, i) => cols.map((c) => {
    if (c === 'event_id' && r[c] === undefined) return String(i + 1);
    if (c === 'host' && r[c] === undefined) return 'h';
    if (c === 't_ns' && r[c] === undefined) return String((i + 1) * 1_000_000_000);
    const v = r[c];
    return v === undefined ? '' : String(v);
  }).join(','));
  return [HEADER, ...lines].join('\n');
}

export function profile(name: string, over?: Record<string, unknown>): Profile {
  if (!over) return builtinProfile(name);
  return resolveProfile({ extends: name, ...over }, 'test');
}

export function replay(rows: Record<string, string | number | boolean>[], p: Profile | string): OutcomeRow[] {
  const prof = typeof p === 'string' ? loadProfile(p) : p;
  return replayEvents(parseTraceCsv(csv(rows), 'test.csv'), [prof]);
}

/** Signals as compact tokens "pid/tid:signo:code:lsb". */
export function sigs(o: OutcomeRow): string[] {
  return o.signals.map((s) => `${s.pid}/${s.tid}:${s.signo}:${s.si_code}:${s.addr_lsb ?? '-'}`);
}

export const ROOT = resolve(__dirname, '..');
const BIN = resolve(ROOT, 'bin/ras-replay.js');

/** The real CLI in a child process, with CI=true. */
export function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, pid: r.pid };
}
