// A small deterministic mutation engine over real seed files (traces, fixtures, golden files,
// profiles, configs): byte-level damage (truncation, bit flips, NUL, invalid UTF-8, BOM, CRLF) and
// token-level damage (numbers made huge, negative or NaN, enum words replaced, lines duplicated or
// blown up to megabytes). Every mutation is a pure function of (seed input, rng state).

/** xorshift32: small, fast, deterministic. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
}

/** Values a careless or hostile writer puts where a number or a word belongs. */
export const NASTY_TOKENS = [
  '', '-1', '0', '-0', 'NaN', 'nan', 'Infinity', '-Infinity', '1e400', '-1e400', '1e-400', '18446744073709551616', '18446744073709551615',
  '9223372036854775808', '-9223372036854775809', '4294967296', '0x', '0xffffffffffffffffff', '0x-1', '1.5', ' 7 ', '٣', '１', 'true', 'null',
  'undefined', '__proto__', 'constructor', 'toString', '"', '""', ',', '\\', '\u0000', '\uFFFD', '\u202e', 'x'.repeat(300),
  'user', 'kernel', 'sea', 'mce', 'arm64', 'x86_64', 'riscv', 'fatal', 'recoverable', 'corrected', 'Recovered', 'Ignored', 'huge', '4:4',
  '1:2:3', '[1,2]', '{"a":1}', '1e308', '5e-324', '0b1', '00000000000000000000000001', '+1', '--1',
];

export const MUTATORS = [
  'truncate', 'bitflip', 'byte', 'nul', 'badutf8', 'bom', 'crlf', 'token', 'tokens', 'dupline', 'dropline', 'swaplines', 'longline',
  'empty', 'splice', 'repeat', 'cr', 'quote',
] as const;
export type Mutator = (typeof MUTATORS)[number];

const NUM = /-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:e[+-]?\d+)?)/g;
const WORD = /[A-Za-z_][A-Za-z0-9_.-]*/g;

function spans(text: string, re: RegExp, limit = 4096): [number, number][] {
  const out: [number, number][] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && out.length < limit) {
    out.push([m.index, m.index + m[0].length]);
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

function lineStarts(b: Buffer): number[] {
  const out = [0];
  for (let i = 0; i < b.length && out.length < 100_000; i++) if (b[i] === 10) out.push(i + 1);
  return out;
}

function replaceToken(b: Buffer, rng: Rng, extra: readonly string[]): Buffer {
  const text = b.toString('latin1');
  const sp = spans(text, rng.chance(0.6) ? NUM : WORD);
  if (!sp.length) return b;
  const [s, e] = rng.pick(sp);
  const tok = rng.chance(0.3) && extra.length ? rng.pick(extra) : rng.pick(NASTY_TOKENS);
  return Buffer.concat([b.subarray(0, s), Buffer.from(tok, 'utf8'), b.subarray(e)]);
}

/** One mutation of `b`; `extra` adds format-specific words (enum labels, keys). `longBytes` caps the long line. */
export function mutateOnce(b: Buffer, rng: Rng, kind: Mutator, extra: readonly string[] = [], longBytes = 1 << 20): Buffer {
  const n = b.length;
  switch (kind) {
    case 'truncate': return b.subarray(0, rng.int(n + 1));
    case 'bitflip': {
      if (!n) return b;
      const c = Buffer.from(b);
      for (let k = 1 + rng.int(4); k > 0; k--) { const i = rng.int(n); c[i] = c[i]! ^ (1 << rng.int(8)); }
      return c;
    }
    case 'byte': {
      if (!n) return b;
      const c = Buffer.from(b);
      c[rng.int(n)] = rng.pick([0, 0xff, 0x7f, 0x80, 0x22, 0x2c, 0x0a, 0x0d, 0x7b, 0x5b, rng.int(256)]);
      return c;
    }
    case 'nul': { const i = rng.int(n + 1); return Buffer.concat([b.subarray(0, i), Buffer.from([0]), b.subarray(i)]); }
    case 'badutf8': { const i = rng.int(n + 1); return Buffer.concat([b.subarray(0, i), Buffer.from(rng.pick([[0xc3], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]])), b.subarray(i)]); }
    case 'bom': return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);
    case 'crlf': return Buffer.from(b.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
    case 'cr': return Buffer.from(b.toString('latin1').replace(/\n/g, '\r'), 'latin1');
    case 'token': return replaceToken(b, rng, extra);
    case 'tokens': { let c = b; for (let k = 2 + rng.int(6); k > 0; k--) c = replaceToken(c, rng, extra); return c; }
    case 'dupline': case 'dropline': case 'swaplines': case 'longline': {
      const ls = lineStarts(b);
      const li = rng.int(ls.length);
      const s = ls[li]!;
      const e = li + 1 < ls.length ? ls[li + 1]! : n;
      if (kind === 'dupline') return Buffer.concat([b.subarray(0, e), b.subarray(s, e), b.subarray(e)]);
      if (kind === 'dropline') return Buffer.concat([b.subarray(0, s), b.subarray(e)]);
      if (kind === 'swaplines') {
        const lj = rng.int(ls.length);
        const s2 = ls[lj]!;
        const e2 = lj + 1 < ls.length ? ls[lj + 1]! : n;
        if (s2 <= s) return b;
        if (s2 < e) return b;
        return Buffer.concat([b.subarray(0, s), b.subarray(s2, e2), b.subarray(e, s2), b.subarray(s, e), b.subarray(e2)]);
      }
      const pad = Buffer.alloc(Math.max(1, rng.int(longBytes)), rng.pick(['a', '9', ',', ' ', '"']));
      const at = s + rng.int(Math.max(1, e - s));
      return Buffer.concat([b.subarray(0, at), pad, b.subarray(at)]);
    }
    case 'empty': return rng.chance(0.5) ? Buffer.alloc(0) : Buffer.from(rng.pick(['\n', '\r\n', ' ', '\ufeff', '\n\n\n', '#']), 'utf8');
    case 'splice': {
      if (!n) return b;
      const a = rng.int(n), len = rng.int(Math.min(n - a, 4096) + 1), at = rng.int(n + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(a, a + len), b.subarray(at)]);
    }
    case 'repeat': { const c: Buffer[] = []; for (let k = 2 + rng.int(4); k > 0; k--) c.push(b); return Buffer.concat(c); }
    case 'quote': { const i = rng.int(n + 1); return Buffer.concat([b.subarray(0, i), Buffer.from(rng.pick(['"', "'", '\\', '\t', '#'])), b.subarray(i)]); }
    default: { const never: never = kind; throw new Error(`unknown mutator ${String(never)}`); }
  }
}

/** 1-3 stacked mutations; returns the bytes and the mutator names (for the failure report). */
export function mutate(seed: Buffer, rng: Rng, extra: readonly string[] = [], longBytes = 1 << 20): { bytes: Buffer; how: string[] } {
  let b = seed;
  const how: string[] = [];
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const m = rng.chance(0.02) ? 'longline' : rng.pick(MUTATORS.filter((x) => x !== 'longline'));
    how.push(m);
    b = mutateOnce(b, rng, m, extra, longBytes);
  }
  return { bytes: b, how };
}
