// Computes a file's SHA-256 on its own thread while the replay runs (reads through the page cache).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const hash = createHash('sha256');
const fd = openSync(workerData.path, 'r');
const buf = Buffer.allocUnsafe(8 << 20);
try {
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n <= 0) break;
    hash.update(n === buf.length ? buf : buf.subarray(0, n));
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage(hash.digest('hex'));
