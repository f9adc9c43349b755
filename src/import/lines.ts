// Text logs line by line, streamed (bounded memory for multi-GB files), and the one parser of line
// prefixes every text importer uses (docs/import.md "Line shapes").
//
// Speed: a fleet log is almost all noise. `scanFile` reads bytes and runs every line through one
// automaton of the literals that can matter (LineMatcher: one table lookup per byte, no regular
// expression), decodes and hands out only the lines that contain one, and decodes a noise line
// only when the importer asks to see noise (`wantNoise()`, e.g. while an event waits to learn
// whether its host kept logging).
// `parsePrefix` dispatches on the first byte; regular expressions run only for the rarer shapes.
import { closeSync, openSync, readSync } from 'node:fs';
import { InputError } from '../io/errors.js';

const CHUNK_BYTES = 8 * 1024 * 1024;

function fileError(file: string, e: unknown): InputError {
  return new InputError(`${file}: cannot read the source: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
}

/**
 * A set of literal strings searched in every line at once: an Aho-Corasick automaton over bytes
 * (the literals are ASCII, so UTF-8 text needs no decoding to be searched). Each literal carries a
 * bit; a line's bits are the OR of the literals found in it. One table lookup per byte.
 */
export class LineMatcher {
  /** next state = table[state * 256 + byte]; '\n' goes back to the root. */
  readonly table: Int32Array;
  /** Bits of the literals that end at each state (own and through the failure links). */
  readonly out: Uint8Array;

  constructor(literals: readonly (readonly [string, number])[]) {
    const trie: number[][] = [new Array<number>(256).fill(-1)];
    const outs: number[] = [0];
    for (const [lit, bit] of literals) {
      let st = 0;
      for (let k = 0; k < lit.length; k++) {
        const c = lit.charCodeAt(k);
        if (c > 127) throw new Error(`LineMatcher: literal ${JSON.stringify(lit)} is not ASCII`);
        if (trie[st]![c] === -1) {
          trie[st]![c] = trie.length;
          trie.push(new Array<number>(256).fill(-1));
          outs.push(0);
        }
        st = trie[st]![c]!;
      }
      outs[st]! |= bit;
    }
    const n = trie.length;
    const table = new Int32Array(n * 256);
    const fail = new Int32Array(n);
    const out = new Uint8Array(n);
    // Breadth-first: the failure link of a state is known before its children are completed.
    const queue: number[] = [];
    for (let c = 0; c < 256; c++) {
      const t = trie[0]![c]!;
      if (t >= 0) {
        table[c] = t;
        fail[t] = 0;
        queue.push(t);
      } else table[c] = 0;
    }
    out[0] = outs[0]!;
    for (let q = 0; q < queue.length; q++) {
      const st = queue[q]!;
      out[st] = outs[st]! | out[fail[st]!]!;
      for (let c = 0; c < 256; c++) {
        const t = trie[st]![c]!;
        if (t >= 0) {
          fail[t] = table[fail[st]! * 256 + c]!;
          table[st * 256 + c] = t;
          queue.push(t);
        } else table[st * 256 + c] = table[fail[st]! * 256 + c]!;
      }
    }
    for (let st = 0; st < n; st++) table[st * 256 + 10] = 0;
    this.table = table;
    this.out = out;
  }
}

export interface ScanHandlers {
  /** A line in which a literal of bit 1 was found (CR of CRLF removed); `bits` are all the line's bits. */
  candidate(line: string, n: number, bits: number): void;
  /** Whether the next noise lines should be handed to `noise` (checked once per noise line). */
  wantNoise(): boolean;
  /** A noise line as bytes buf[start, end) (CR included): decode only what is needed (lineText, quickHostBytes). */
  noise(buf: Buffer, start: number, end: number, n: number): void;
  /** Bits (other than 1) found in lines that were not candidates (file-wide clues). */
  clues?(bits: number): void;
}

/**
 * Read `file` in 8 MiB chunks of bytes; for each line (1-based number) call `candidate` when
 * `m` finds a literal of bit 1 in it (every line when `m` is null), else `noise` when asked.
 * Only the lines handed out are decoded (UTF-8). Returns the number of lines.
 */
export function scanFile(file: string, m: LineMatcher | null, h: ScanHandlers): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw fileError(file, e);
  }
  let buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let have = 0;
  let n = 0;
  try {
    for (;;) {
      if (have === buf.length) {
        // One line longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      let got: number;
      try {
        got = readSync(fd, buf, have, buf.length - have, null);
      } catch (e) {
        throw fileError(file, e);
      }
      const eof = got === 0;
      const len = have + got;
      let stop: number;
      if (eof) {
        stop = len;
      } else {
        const last = buf.lastIndexOf(10, len - 1);
        if (last < 0) { have = len; continue; }
        stop = last + 1;
      }
      n = m === null ? everyLine(buf, stop, n, h) : scanBytes(buf, stop, n, m, h);
      if (eof) break;
      buf.copy(buf, 0, stop, len);
      have = len - stop;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

/** The line buf[start, end) as text, without the CR of a CRLF. */
export function lineText(buf: Buffer, start: number, end: number): string {
  const e = end > start && buf[end - 1] === 13 ? end - 1 : end;
  return buf.toString('utf8', start, e);
}

/** Lines of buf[0, stop) through the automaton; a last line without '\n' ends at stop. */
function scanBytes(buf: Buffer, stop: number, n: number, m: LineMatcher, h: ScanHandlers): number {
  const table = m.table;
  const out = m.out;
  let st = 0;
  let bits = 0;
  let start = 0;
  let clueBits = 0;
  for (let i = 0; i < stop; i++) {
    const c = buf[i]!;
    if (c === 10) {
      n++;
      if ((bits & 1) !== 0) h.candidate(lineText(buf, start, i), n, bits);
      else {
        clueBits |= bits;
        if (h.wantNoise()) h.noise(buf, start, i, n);
      }
      bits = 0;
      st = 0;
      start = i + 1;
      continue;
    }
    st = table[(st << 8) | c]!;
    const o = out[st]!;
    if (o !== 0) {
      bits |= o;
      if ((bits & 1) !== 0) {
        // A candidate: the rest of the line needs no search.
        const nl = buf.indexOf(10, i);
        i = (nl < 0 || nl >= stop ? stop : nl) - 1;
      }
    }
  }
  if (start < stop) {
    n++;
    if ((bits & 1) !== 0) h.candidate(lineText(buf, start, stop), n, bits);
    else {
      clueBits |= bits;
      if (h.wantNoise()) h.noise(buf, start, stop, n);
    }
  }
  if (clueBits !== 0) h.clues?.(clueBits);
  return n;
}

function everyLine(buf: Buffer, stop: number, n: number, h: ScanHandlers): number {
  let start = 0;
  while (start < stop) {
    const nl = buf.indexOf(10, start);
    const end = nl < 0 || nl >= stop ? stop : nl;
    n++;
    h.candidate(lineText(buf, start, end), n, 1);
    start = end + 1;
  }
  return n;
}

/** Call `fn(line, n)` for every line of a file, streamed (CR of CRLF removed). */
export function eachFileLine(file: string, fn: (line: string, n: number) => void): number {
  return scanFile(file, null, { candidate: fn, wantNoise: () => false, noise: () => undefined });
}

// ---------------------------------------------------------------------------------------------
// Line prefixes.
// ---------------------------------------------------------------------------------------------

/** What the prefixes of one log line say (docs/import.md "Line shapes"). */
export interface LinePrefix {
  /** The message after every recognised prefix. */
  msg: string;
  /** Host from a syslog/journal prefix or a journal JSON record. */
  host: string | null;
  /** Program of a syslog/journal prefix ("kernel", "mcelog", "einj_mem_uc"), and its pid. */
  ident: string | null;
  identPid: number | null;
  /** dmesg "[seconds.micro]" stamp (time since boot), in ns. */
  uptimeNs: bigint | null;
  /** Wall-clock time of a syslog, journal or dmesg -T prefix, in ns since the epoch. */
  wallNs: bigint | null;
  /** printk caller id (CONFIG_PRINTK_CALLER): "T<pid>" → task pid, "C<cpu>" → -1 - cpu; null if absent. */
  caller: number | null;
  /** The shape of the outermost prefix (for messages and tests). */
  shape: LineShape;
}

export type LineShape = 'none' | 'dmesg' | 'dmesg-T' | 'syslog' | 'syslog-nohost' | 'iso' | 'dmesg-iso' | 'journal-json' | 'journal-monotonic';

export function newPrefix(): LinePrefix {
  return { msg: '', host: null, ident: null, identPid: null, uptimeNs: null, wallNs: null, caller: null, shape: 'none' };
}

const MONTH_CODE: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const DAY_NAMES = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

/**
 * Year state of BSD syslog lines, which print none: starts at `year` (1970 unless told) and moves
 * on when the month steps back by more than half a year (a log running from December into January).
 */
export interface SyslogYear {
  year: number;
  lastMonth: number;
}

export function newSyslogYear(year = 1970): SyslogYear {
  return { year, lastMonth: -1 };
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Digits of s[i, i + k) as a number, -1 when one is not a digit. */
function digits(s: string, i: number, k: number): number {
  let v = 0;
  for (let j = 0; j < k; j++) {
    const c = s.charCodeAt(i + j);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** "hh:mm:ss" at i as seconds of the day, -1 if not. */
function hms(s: string, i: number): number {
  if (s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 58) return -1;
  const h = digits(s, i, 2);
  const m = digits(s, i + 3, 2);
  const sec = digits(s, i + 6, 2);
  return h < 0 || m < 0 || sec < 0 || h > 23 || m > 59 || sec > 60 ? -1 : h * 3600 + m * 60 + sec;
}

/** A fraction ".ddd" / ",ddd" at i: [ns, end index]; [0, i] when none. */
function fraction(s: string, i: number): [bigint, number] {
  const c = s.charCodeAt(i);
  if (c !== 46 && c !== 44) return [0n, i];
  let j = i + 1;
  while (isDigit(s.charCodeAt(j))) j++;
  if (j === i + 1) return [0n, i];
  return [BigInt(s.slice(i + 1, Math.min(j, i + 10)).padEnd(9, '0')), j];
}

/**
 * "host ident[pid]: " or (no host) "ident[pid]: " at i. Returns the index after it, or -1.
 * `needHost`: the token before the ident is the host (BSD syslog always has one); a first token that
 * already ends in ':' is then an ident without a host (syslog-nohost).
 */
function hostIdent(s: string, i: number, out: LinePrefix, mode: 'syslog' | 'iso' | 'monotonic'): number {
  while (s.charCodeAt(i) === 32) i++; // a double blank (a host name removed by hand, padding)
  const sp1 = s.indexOf(' ', i);
  if (sp1 < 0) return -1;
  const tok1End = sp1;
  // No host: the first token is "ident:" or "ident[pid]:".
  if (s.charCodeAt(tok1End - 1) === 58 /* : */ && mode !== 'monotonic') {
    if (!identAt(s, i, tok1End - 1, out)) return -1;
    out.host = null;
    out.shape = mode === 'syslog' ? 'syslog-nohost' : out.shape;
    return tok1End + 1;
  }
  const sp2 = s.indexOf(' ', sp1 + 1);
  const tok2End = sp2 < 0 ? s.length : sp2;
  if (s.charCodeAt(tok2End - 1) !== 58) {
    if (mode !== 'syslog') return -1;
    // "Mmm dd hh:mm:ss host message" (a collector that drops the ident).
    out.host = s.slice(i, tok1End);
    out.ident = null;
    out.identPid = null;
    return sp1 + 1;
  }
  if (!identAt(s, sp1 + 1, tok2End - 1, out)) return -1;
  if (mode === 'monotonic' && out.ident !== 'kernel') return -1;
  out.host = s.slice(i, tok1End);
  return sp2 < 0 ? s.length : sp2 + 1;
}

/** "ident" or "ident[pid]" in s[i, end). */
function identAt(s: string, i: number, end: number, out: LinePrefix): boolean {
  if (end <= i) return false;
  if (s.charCodeAt(end - 1) === 93 /* ] */) {
    const open = s.lastIndexOf('[', end - 1);
    if (open <= i) return false;
    const pid = digits(s, open + 1, end - 1 - open - 1);
    if (pid < 0 || end - 1 - open - 1 === 0) return false;
    out.ident = s.slice(i, open);
    out.identPid = pid;
    return true;
  }
  for (let j = i; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 91 || c === 93 || c === 58) return false;
  }
  out.ident = s.slice(i, end);
  out.identPid = null;
  return true;
}

/** BSD syslog / journalctl short and short-precise: "Mmm dd hh:mm:ss[.frac] " at 0. Index after, or -1. */
function bsdTime(s: string, out: LinePrefix, year: SyslogYear): number {
  const mon = MONTH_CODE[s.slice(0, 3)];
  if (mon === undefined || s.charCodeAt(3) !== 32) return -1;
  let i = 4;
  if (s.charCodeAt(i) === 32) i++;
  let day = digits(s, i, 2);
  if (day >= 0) i += 2;
  else {
    day = digits(s, i, 1);
    if (day < 0) return -1;
    i += 1;
  }
  if (s.charCodeAt(i) !== 32) return -1;
  const secs = hms(s, i + 1);
  if (secs < 0) return -1;
  const [frac, j] = fraction(s, i + 9);
  if (s.charCodeAt(j) !== 32) return -1;
  if (year.lastMonth >= 0 && mon + 6 < year.lastMonth) year.year++;
  year.lastMonth = mon;
  out.wallNs = (BigInt(Date.UTC(year.year, mon, day)) / 1000n + BigInt(secs)) * 1_000_000_000n + frac;
  return j + 1;
}

/** ISO 8601 "YYYY-MM-DD[T ]hh:mm:ss[.,frac][Z|±hh[:]mm]" at 0; [index after, decimal comma] or [-1]. */
function isoTime(s: string, out: LinePrefix): [number, boolean] {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return [-1, false];
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const sep = s.charCodeAt(10);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || (sep !== 84 && sep !== 32)) return [-1, false];
  const secs = hms(s, 11);
  if (secs < 0) return [-1, false];
  const comma = s.charCodeAt(19) === 44;
  let [frac, i] = fraction(s, 19);
  let offMin = 0;
  const z = s.charCodeAt(i);
  if (z === 90 /* Z */) i++;
  else if (z === 43 || z === 45) {
    const hh = digits(s, i + 1, 2);
    let k = i + 3;
    if (s.charCodeAt(k) === 58) k++;
    const mm = digits(s, k, 2);
    if (hh < 0 || mm < 0) return [-1, false];
    offMin = (z === 45 ? -1 : 1) * (hh * 60 + mm);
    i = k + 2;
  }
  if (i < s.length && s.charCodeAt(i) !== 32) return [-1, false];
  const ms = Date.UTC(y, mo - 1, d) + secs * 1000 - offMin * 60_000;
  out.wallNs = BigInt(ms) * 1_000_000n + frac;
  return [i + 1, comma];
}

/**
 * dmesg "[ sssss.uuuuuu]" at i: [uptime ns, index after "]"], or null. Any number of fraction digits
 * (old kernels and some consoles print fewer than six).
 */
function dmesgStamp(s: string, i: number): [bigint, number] | null {
  let j = i + 1;
  while (s.charCodeAt(j) === 32) j++;
  const d0 = j;
  while (isDigit(s.charCodeAt(j))) j++;
  if (j === d0 || j - d0 > 12 || s.charCodeAt(j) !== 46) return null;
  const secEnd = j;
  j++;
  const f0 = j;
  while (isDigit(s.charCodeAt(j))) j++;
  if (j === f0 || j - f0 > 9 || s.charCodeAt(j) !== 93) return null;
  const sec = Number(s.slice(d0, secEnd));
  const frac = Number(s.slice(f0, j).padEnd(9, '0'));
  return [BigInt(sec) * 1_000_000_000n + BigInt(frac), j + 1];
}

/** printk caller id "[    C1]" / "[ T593001]" (also without the padding) at i: [caller, index after], or null. */
function callerId(s: string, i: number): [number, number] | null {
  if (s.charCodeAt(i) !== 91) return null;
  let j = i + 1;
  while (s.charCodeAt(j) === 32) j++;
  const k = s.charCodeAt(j);
  if (k !== 84 && k !== 67) return null;
  const d0 = j + 1;
  j = d0;
  while (isDigit(s.charCodeAt(j))) j++;
  if (j === d0 || s.charCodeAt(j) !== 93) return null;
  const v = Number(s.slice(d0, j));
  return [k === 84 ? v : -1 - v, j + 1];
}

/** dmesg -T "[Tue Mar  5 10:11:12 2024]" at 0: index after "]" or -1. */
function dmesgT(s: string, out: LinePrefix): number {
  let i = 1;
  if (DAY_NAMES.has(s.slice(1, 4)) && s.charCodeAt(4) === 32) i = 5;
  const mon = MONTH_CODE[s.slice(i, i + 3)];
  if (mon === undefined || s.charCodeAt(i + 3) !== 32) return -1;
  i += 4;
  if (s.charCodeAt(i) === 32) i++;
  let day = digits(s, i, 2);
  if (day >= 0) i += 2;
  else {
    day = digits(s, i, 1);
    if (day < 0) return -1;
    i++;
  }
  if (s.charCodeAt(i) !== 32) return -1;
  const secs = hms(s, i + 1);
  if (secs < 0 || s.charCodeAt(i + 9) !== 32) return -1;
  const y = digits(s, i + 10, 4);
  if (y < 0 || s.charCodeAt(i + 14) !== 93) return -1;
  out.wallNs = (BigInt(Date.UTC(y, mon, day)) / 1000n + BigInt(secs)) * 1_000_000_000n;
  return i + 15;
}

/** Skip one space after a prefix. */
const after = (s: string, i: number): number => (s.charCodeAt(i) === 32 ? i + 1 : i);

/**
 * Strip the prefixes of one log line into `out` (reused: no allocation per line beyond the slices):
 *
 * - journal JSON (`journalctl -o json`): MESSAGE, _HOSTNAME, SYSLOG_IDENTIFIER, _PID,
 *   __REALTIME_TIMESTAMP (µs, wall clock);
 * - BSD syslog and journalctl short / short-precise "Mmm dd hh:mm:ss[.frac] [host] ident[pid]: "
 *   (the year is not printed: `year`);
 * - ISO 8601 (journalctl short-iso, short-iso-precise, RFC 3339 syslog) "… host ident: ";
 *   dmesg --time-format=iso (decimal comma, no host);
 * - "<N>" priority (dmesg -r, some consoles);
 * - dmesg "[ sec.frac]", journalctl short-monotonic "[ sec.frac] host kernel: ", dmesg -T
 *   "[Day Mmm dd hh:mm:ss yyyy]", each optionally followed by a printk caller id "[    C1]" /
 *   "[ T593001]".
 *
 * Layers nest as real logs nest them (a syslog line carrying the kernel's own dmesg stamp).
 */
export function parsePrefix(line: string, out: LinePrefix, year: SyslogYear = newSyslogYear()): LinePrefix {
  out.host = null;
  out.ident = null;
  out.identPid = null;
  out.uptimeNs = null;
  out.wallNs = null;
  out.caller = null;
  out.shape = 'none';
  let s = line;
  let i = 0;
  let c0 = s.charCodeAt(0);
  if (c0 === 123 /* { */) {
    if (journalJson(s, out)) return out;
  }
  if (c0 === 60 /* < */) {
    // "<N>" priority, then possibly anything below.
    let j = 1;
    while (j < 5 && isDigit(s.charCodeAt(j))) j++;
    if (j > 1 && s.charCodeAt(j) === 62) {
      s = s.slice(j + 1);
      c0 = s.charCodeAt(0);
    }
  }
  if (c0 >= 65 && c0 <= 90) {
    const j = bsdTime(s, out, year);
    if (j > 0) {
      out.shape = 'syslog';
      const k = hostIdent(s, j, out, 'syslog');
      i = k > 0 ? k : j;
    }
  } else if (c0 >= 48 && c0 <= 57 && s.length > 19) {
    const [j, comma] = isoTime(s, out);
    if (j > 0) {
      if (comma) {
        out.shape = 'dmesg-iso';
        i = j;
      } else {
        out.shape = 'iso';
        const k = hostIdent(s, j, out, 'iso');
        i = k > 0 ? k : j;
      }
    }
  }
  // Inside a syslog/journal line: the kernel's own "<N>" and dmesg stamp may follow.
  if (s.charCodeAt(i) === 60) {
    let j = i + 1;
    while (j < i + 5 && isDigit(s.charCodeAt(j))) j++;
    if (j > i + 1 && s.charCodeAt(j) === 62) i = j + 1;
  }
  if (s.charCodeAt(i) === 91 /* [ */) {
    const st = dmesgStamp(s, i);
    if (st) {
      out.uptimeNs = st[0];
      i = st[1];
      if (out.shape === 'none') out.shape = 'dmesg';
      const cid = callerId(s, after(s, i)) ?? callerId(s, i);
      if (cid) { out.caller = cid[0]; i = cid[1]; }
      i = after(s, i);
      if (out.shape === 'dmesg') {
        // journalctl -o short-monotonic: "[ sec.frac] host kernel: ".
        const k = hostIdent(s, i, out, 'monotonic');
        if (k > 0) { out.shape = 'journal-monotonic'; i = k; } else { out.host = null; out.ident = null; }
      }
    } else if (out.shape === 'none' && i === 0) {
      const j = dmesgT(s, out);
      if (j > 0) {
        out.shape = 'dmesg-T';
        i = j;
        const cid = callerId(s, after(s, i)) ?? callerId(s, i);
        if (cid) { out.caller = cid[0]; i = cid[1]; }
        i = after(s, i);
      }
    }
  }
  out.msg = i === 0 ? s : s.slice(i);
  return out;
}

/**
 * quickHost on the bytes of a line: only the host is decoded (journal JSON lines are decoded whole).
 */
export function quickHostBytes(buf: Buffer, start: number, end: number): string | null {
  const c0 = buf[start]!;
  let i: number;
  if (c0 >= 65 && c0 <= 90 && buf[start + 3] === 32 && buf[start + 15] === 32 && buf[start + 9] === 58) i = start + 16;
  else if (c0 >= 48 && c0 <= 57 && buf[start + 4] === 45 && buf[start + 7] === 45) {
    if (buf[start + 19] === 44) return null; // dmesg --time-format=iso: no host
    const sp = buf.indexOf(32, start);
    if (sp < 0 || sp >= end) return null;
    i = sp + 1;
  } else if (c0 === 123) return quickHost(lineText(buf, start, end));
  else return null;
  while (i < end && buf[i] === 32) i++;
  let sp = buf.indexOf(32, i);
  if (sp < 0 || sp > end) sp = end;
  if (sp <= i || buf[sp - 1] === 58) return null;
  return buf.toString('latin1', i, sp);
}

/**
 * The host of a line, read cheaply (no time parsing, no allocation but the host): BSD syslog
 * "Mmm dd hh:mm:ss host …" and ISO "YYYY-MM-DDThh:mm:ss… host …" shapes; a journal JSON record
 * through parsePrefix; null when the line names no host (or the token is an "ident:").
 */
export function quickHost(line: string): string | null {
  const c0 = line.charCodeAt(0);
  let i: number;
  if (c0 >= 65 && c0 <= 90 && line.charCodeAt(3) === 32 && line.charCodeAt(15) === 32 && line.charCodeAt(9) === 58) i = 16;
  else if (c0 >= 48 && c0 <= 57 && line.charCodeAt(4) === 45 && line.charCodeAt(7) === 45) {
    i = line.indexOf(' ') + 1;
    if (i === 0 || line.charCodeAt(19) === 44 /* dmesg --time-format=iso */) return null;
  } else if (c0 === 123) return parsePrefix(line, newPrefix()).host;
  else return null;
  while (line.charCodeAt(i) === 32) i++;
  const sp = line.indexOf(' ', i);
  if (sp <= i || line.charCodeAt(sp - 1) === 58) return null;
  return line.slice(i, sp);
}

/**
 * Serial consoles interleave firmware output with the kernel's, sometimes within one line (a
 * firmware print not ending in a newline): the kernel line starts at the first dmesg stamp. Returns
 * the index of "[ sec.frac]" in `line`, or -1. Used only for lines whose prefix was not recognised.
 */
export function embeddedStamp(line: string): number {
  let i = line.indexOf('[', 1);
  while (i > 0) {
    if (dmesgStamp(line, i)) return i;
    i = line.indexOf('[', i + 1);
  }
  return -1;
}

function journalJson(s: string, out: LinePrefix): boolean {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(s) as Record<string, unknown>;
  } catch {
    return false;
  }
  if (o === null || typeof o !== 'object' || !('MESSAGE' in o)) return false;
  let msg = o.MESSAGE;
  // journald stores a message that is not valid UTF-8 as an array of bytes.
  if (Array.isArray(msg)) msg = Buffer.from(msg as number[]).toString('utf8');
  out.msg = typeof msg === 'string' ? msg.replace(/\r?\n$/, '') : '';
  out.host = typeof o._HOSTNAME === 'string' ? o._HOSTNAME : null;
  out.ident = typeof o.SYSLOG_IDENTIFIER === 'string' ? o.SYSLOG_IDENTIFIER : null;
  out.identPid = typeof o._PID === 'string' && /^\d+$/.test(o._PID) ? Number(o._PID) : null;
  const rt = o.__REALTIME_TIMESTAMP;
  if (typeof rt === 'string' && /^\d+$/.test(rt)) out.wallNs = BigInt(rt) * 1000n;
  out.shape = 'journal-json';
  return true;
}
