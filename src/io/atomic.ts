// Whole-file writes that are all or nothing: a temp file in the same folder, fsync, rename.
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** A temp name next to `path`, tagged with pid and time so concurrent writers never collide. */
export function tempNameFor(path: string): string {
  return `${path}.tmp-${process.pid}-${Date.now()}`;
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  removeStaleTempsOf(path);
  const tmp = tempNameFor(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    // A write by descriptor (a full disk, say) does not name the file: name the final one.
    const x = e as NodeJS.ErrnoException;
    if (x.code && x.path === undefined) x.path = path;
    throw e;
  }
}

/** The temp files of `path` (tempNameFor) left by processes that no longer run (killed mid-write). */
export function removeStaleTempsOf(path: string): void {
  const dir = dirname(path);
  const prefix = `${basename(path)}.tmp-`;
  for (const name of safeList(dir)) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-\d+$/.exec(name.slice(prefix.length));
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
  }
}

/**
 * A scratch folder in $TMPDIR named `<prefix><pid>-` plus six random characters (mkdtemp). Before making it, the folders of the
 * same prefix left by processes that no longer run (killed before their cleanup) are removed, so
 * no spill folder outlives the next command.
 */
/** Scratch folders this process made: removed when it exits, however it exits short of SIGKILL. */
const madeHere = new Set<string>();
let exitHook = false;

export function scratchDir(prefix: string): string {
  sweepScratch(prefix);
  const made = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`));
  madeHere.add(made);
  if (!exitHook) {
    exitHook = true;
    // process.exit() (SIGINT/SIGTERM, a nightly child whose parent is gone) runs no finally block.
    process.on('exit', () => {
      for (const d of madeHere) rmSync(d, { recursive: true, force: true });
    });
  }
  return made;
}

/**
 * Remove the scratch folders of dead processes in $TMPDIR (`<prefix><pid>-…`; every `ras-replay-…-`
 * prefix when none is given). Every command calls it at its start, so a command killed by SIGKILL
 * leaves nothing once the next one has run, whether or not that one needs a scratch folder.
 */
export function sweepScratch(prefix?: string): void {
  const dir = tmpdir();
  for (const name of safeList(dir)) {
    let rest: string;
    if (prefix !== undefined) {
      if (!name.startsWith(prefix)) continue;
      rest = name.slice(prefix.length);
    } else {
      const m = /^ras-replay-[a-z]+(?:-[a-z]+)*-(?=\d+-)/.exec(name);
      if (!m) continue;
      rest = name.slice(m[0].length);
    }
    const pid = Number(/^(\d+)-/.exec(rest)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
    } catch {
      // Another user's folder, or one being removed by another command: not ours to report.
    }
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
