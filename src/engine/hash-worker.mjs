// Computes a file's SHA-256 on its own thread while the replay runs. With a path, it reads the file
// itself (through the page cache); without one (the fed path, feed.ts), it hashes the chunks the
// reading thread sends (views of SharedArrayBuffers, not copies) until a null message.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const hash = createHash('sha256');
if (workerData.path === null) {
  parentPort.on('message', (chunk) => {
    if (chunk) {
      hash.update(chunk);
      parentPort.postMessage(1); // hashed: the reading thread bounds the chunks in flight
      return;
    }
    parentPort.postMessage(hash.digest('hex'));
    parentPort.close();
  });
} else {
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
}
