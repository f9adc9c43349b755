// Text logs line by line, streamed (bounded memory for multi-GB files), and the one parser of line
// prefixes every text importer uses (docs/import.md "Line shapes").
//
// Speed: a fleet log is almost all noise. `scanFile` finds the lines that can matter with one
// global search of each decoded chunk (`hint`), hands those lines to the importer, and passes over
// the others with one indexOf per line; it slices a noise line only when the importer asks to see
// noise (`wantNoise()`, e.g. while an event waits to learn whether its host kept logging).
// `parsePrefix` dispatches on the first byte; regular expressions run only for the rarer shapes.
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from '../io/errors.js';

const CHUNK_BYTES = 8 * 1024 * 1024;

function fileError(file: string, e: unknown): InputError {
  return new InputError(`${file}: cannot read the source: ${(e as Error).message}`, file, undefined, undefined, { cause: e });
}

export interface ScanHandlers {
  /** A line with a `hint` match (CR of CRLF removed). */
  candidate(line: string, n: number): void;
  /** Whether the next noise lines should be handed to `noise` (checked once per noise line). */
  wantNoise(): boolean;
  noise(line: string, n: number): void;
  /** Each decoded chunk once, before its lines (file-wide clue searches). */
  chunk?(text: string): void;
}

/**
 * Read `file` in 8 MiB chunks; for each line (1-based number) call `candidate` when `hint` (a
 * global RegExp) matches somewhere in it, else `noise` when asked. Returns the number of lines.
 */
export function scanFile(file: string, hint: RegExp, h: ScanHandlers): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw fileError(file, e);
  }
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  const dec = new StringDecoder('utf8');
  let carry = '';
  let n = 0;
  try {
    for (;;) {
      let got: number;
      try {
        got = readSync(fd, buf, 0, CHUNK_BYTES, null);
      } catch (e) {
        throw fileError(file, e);
      }
      const eof = got === 0;
      let text = eof ? carry + dec.end() : carry + dec.write(buf.subarray(0, got));
      if (text.length === 0) {
        if (eof) break;
        continue;
      }
      let stop: number;
      if (eof) {
        stop = text.length;
        carry = '';
        if (text.charCodeAt(stop - 1) !== 10) text += '\n';
      } else {
        const last = text.lastIndexOf('\n');
        if (last < 0) { carry = text; continue; }
        carry = text.slice(last + 1);
        stop = last + 1;
      }
      h.chunk?.(text);
      n = scanText(text, stop, n, hint, h);
      if (eof) break;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

/** The lines of text[0, stop) (stop just past a '\n'), numbered from n + 1; returns the last number. */
function scanText(text: string, stop: number, n: number, hint: RegExp, h: ScanHandlers): number {
  hint.lastIndex = 0;
  let m = hint.exec(text);
  let nextHit = m && m.index < stop ? m.index : Infinity;
  let start = 0;
  while (start < stop) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 || nl >= stop ? stop : nl;
    n++;
    const lineEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (nextHit < end) {
      h.candidate(text.slice(start, lineEnd), n);
      hint.lastIndex = end + 1;
      m = end + 1 < stop ? hint.exec(text) : null;
      nextHit = m && m.index < stop ? m.index : Infinity;
    } else if (h.wantNoise()) {
      h.noise(text.slice(start, lineEnd), n);
    }
    start = end + 1;
  }
  return n;
}

/** Call `fn(line, n)` for every line of a file, streamed (CR of CRLF removed). */
export function eachFileLine(file: string, fn: (line: string, n: number) => void): number {
  const all = /[^]/g;
  return scanFile(file, all, { candidate: fn, wantNoise: () => true, noise: fn });
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
