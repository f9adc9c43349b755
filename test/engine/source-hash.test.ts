// The trace content hash (runs.trace_sha256): files under 1 MiB are hashed on the calling thread,
// larger ones on a worker; both give the file's SHA-256 (FIPS 180-2 test vectors).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256InWorker } from '../../src/engine/source.js';

describe('sha256InWorker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ras-hash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a small file, on the calling thread: "abc" and one million "a"', async () => {
    writeFileSync(join(dir, 'abc'), 'abc');
    writeFileSync(join(dir, 'million'), 'a'.repeat(1_000_000));
    expect(await sha256InWorker(join(dir, 'abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256InWorker(join(dir, 'million'))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('a file of 1 MiB and more, on the worker: the digest node:crypto gives for its bytes', async () => {
    const big = Buffer.alloc((1 << 20) + 3, 'abc');
    writeFileSync(join(dir, 'big'), big);
    expect(await sha256InWorker(join(dir, 'big'))).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('a missing file rejects', async () => {
    await expect(sha256InWorker(join(dir, 'nosuch'))).rejects.toThrow(/ENOENT/);
  });
});
