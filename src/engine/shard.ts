// Scale-out: a host belongs to shard FNV-1a-32(host name) mod N, the same on every machine.
import { InputError } from '../io/errors.js';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new InputError(`--shard ${JSON.stringify(v)}: expected i/N with 0 <= i < N`);
  return { index, count };
}

export function shardOfHost(host: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    // UTF-16 code units, hashed as two bytes when above 0xff (stable for any host name).
    h ^= c & 0xff;
    h = Math.imul(h, 0x01000193);
    if (c > 0xff) {
      h ^= c >>> 8;
      h = Math.imul(h, 0x01000193);
    }
  }
  return (h >>> 0) % count;
}
