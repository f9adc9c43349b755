// Every test process, and every command a test runs, gets one private $TMPDIR, removed when the run
// ends: the tests make temp folders (mkdtemp) without removing each one, and a folder left in the
// system's temp by `npm test` would be left for good.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'rr-tests-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
