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
export function scratchDir(prefix: string): string {
  const dir = tmpdir();
  for (const name of safeList(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
  }
  return mkdtempSync(join(dir, `${prefix}${process.pid}-`));
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
