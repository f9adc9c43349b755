// Line shapes (docs/import.md "Line shapes"): one parser of every prefix real logs carry, and the
// streaming reader (chunks, CRLF, a last line without newline, candidate lines found by one search).
// Real lines are cited where they come from; the others follow the printing program's format.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedStamp, LineMatcher, newPrefix, newSyslogYear, parsePrefix, quickHost, quickHostBytes, scanFile } from '../../src/import/lines.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-lines-'));
const p = (line: string, year = newSyslogYear()) => {
  const r = parsePrefix(line, newPrefix(), year);
  return { shape: r.shape, msg: r.msg, host: r.host, ident: r.ident, identPid: r.identPid, uptimeNs: r.uptimeNs, wallNs: r.wallNs, caller: r.caller };
};
const utc = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;

describe('parsePrefix', () => {
  it('dmesg stamp, and the message kept verbatim', () => {
    // Tony Luck, "mm, hwpoison: Try to recover from copy-on write faults" cover letter (LKML 2022).
    expect(p('[ 1647.723414] MCE: Killing einj_mem_uc:3600 due to hardware memory corruption fault at 7f3309503400')).toEqual({
      shape: 'dmesg', msg: 'MCE: Killing einj_mem_uc:3600 due to hardware memory corruption fault at 7f3309503400',
      host: null, ident: null, identPid: null, uptimeNs: 1_647_723_414_000n, wallNs: null, caller: null,
    });
    // Fewer fraction digits (old kernels, some consoles) and a 5-digit uptime.
    expect(p('[12345.5] Memory failure: 0x1: recovery action for free buddy page: Recovered').uptimeNs).toBe(12_345_500_000_000n);
  });

  it('printk caller ids (CONFIG_PRINTK_CALLER): CPU and task', () => {
    // The caller-id forms of the issue: "[ 1419.542401][    C1]" (interrupt context on CPU 1), "[ T593001]" (task 593001).
    const c = p('[ 1419.542401][    C1] mce: [Hardware Error]: Machine check events logged');
    expect([c.shape, c.uptimeNs, c.caller, c.msg]).toEqual(['dmesg', 1_419_542_401_000n, -2, 'mce: [Hardware Error]: Machine check events logged']);
    const t = p('[ 1419.542452][ T593001] Memory failure: 0x2fc6d5: recovery action for dirty LRU page: Recovered');
    expect([t.caller, t.msg]).toEqual([593001, 'Memory failure: 0x2fc6d5: recovery action for dirty LRU page: Recovered']);
    // util-linux dmesg prints a space between the two brackets.
    expect(p('[    5.000001] [  T123] Memory failure: 0x1: already hardware poisoned').caller).toBe(123);
  });

  it('dmesg -T (with and without the weekday) and dmesg --time-format=iso', () => {
    const a = p('[Tue Mar  5 10:11:12 2024] Memory failure: 0x1: recovery action for clean LRU page: Recovered');
    expect([a.shape, a.wallNs, a.msg.slice(0, 15)]).toEqual(['dmesg-T', utc('2024-03-05T10:11:12Z'), 'Memory failure:']);
    expect(p('[Mar 15 01:02:03 2024] mce: x').wallNs).toBe(utc('2024-03-15T01:02:03Z'));
    const iso = p('2024-03-05T10:11:12,123456+01:00 Memory failure: 0x1: already hardware poisoned');
    expect([iso.shape, iso.wallNs, iso.host, iso.msg]).toEqual(['dmesg-iso', utc('2024-03-05T09:11:12Z') + 123_456_000n, null, 'Memory failure: 0x1: already hardware poisoned']);
  });

  it('syslog with a host field, without one, and with the kernel stamp inside', () => {
    const a = p('Mar  5 10:11:12 node17 kernel: [  311.245801] {1}[Hardware Error]: event severity: recoverable');
    expect([a.shape, a.host, a.ident, a.uptimeNs, a.wallNs, a.msg]).toEqual(['syslog', 'node17', 'kernel', 311_245_801_000n, utc('1970-03-05T10:11:12Z'), '{1}[Hardware Error]: event severity: recoverable']);
    const b = p('Mar 15 01:02:03 kernel: Memory failure: 0x1: recovery action for free buddy page: Recovered');
    expect([b.shape, b.host, b.ident, b.msg.slice(0, 14)]).toEqual(['syslog-nohost', null, 'kernel', 'Memory failure']);
    const c = p('Mar 15 01:02:03 db-4 mcelog[812]: Hardware event. This is not a software error.');
    expect([c.host, c.ident, c.identPid, c.msg]).toEqual(['db-4', 'mcelog', 812, 'Hardware event. This is not a software error.']);
    // RFC 3164 priority in front.
    expect(p('<3>Mar 15 01:02:03 h kernel: mce: x').host).toBe('h');
  });

  it('journalctl short, short-precise, short-iso, short-iso-precise and short-monotonic', () => {
    expect(p('Mar 05 10:11:12 h1 kernel: mce: x')).toMatchObject({ shape: 'syslog', host: 'h1', msg: 'mce: x' });
    expect(p('Mar 05 10:11:12.345678 h1 kernel: mce: x').wallNs).toBe(utc('1970-03-05T10:11:12Z') + 345_678_000n);
    expect(p('2024-03-05T10:11:12+0100 h2 kernel: mce: x')).toMatchObject({ shape: 'iso', host: 'h2', ident: 'kernel', wallNs: utc('2024-03-05T09:11:12Z') });
    expect(p('2024-03-05T10:11:12.500000+01:00 h2 kernel: mce: x').wallNs).toBe(utc('2024-03-05T09:11:12.5Z'));
    expect(p('2024-03-05T10:11:12Z h2 kernel: mce: x').wallNs).toBe(utc('2024-03-05T10:11:12Z'));
    expect(p('[  311.245801] h3 kernel: Memory failure: 0x1: already hardware poisoned')).toMatchObject({ shape: 'journal-monotonic', host: 'h3', uptimeNs: 311_245_801_000n, msg: 'Memory failure: 0x1: already hardware poisoned' });
    // "Memory failure:" is a message, not "host ident:".
    expect(p('[  311.245801] Memory failure: 0x1: already hardware poisoned')).toMatchObject({ shape: 'dmesg', host: null, msg: 'Memory failure: 0x1: already hardware poisoned' });
  });

  it('journalctl -o json', () => {
    const r = p(JSON.stringify({ __REALTIME_TIMESTAMP: '1709633472123456', _HOSTNAME: 'gpu-9', SYSLOG_IDENTIFIER: 'kernel', MESSAGE: 'Memory failure: 0x1: already hardware poisoned' }));
    expect(r).toMatchObject({ shape: 'journal-json', host: 'gpu-9', ident: 'kernel', wallNs: 1_709_633_472_123_456_000n, msg: 'Memory failure: 0x1: already hardware poisoned' });
    // journald keeps a message that is not valid UTF-8 as an array of bytes.
    expect(p(JSON.stringify({ MESSAGE: [109, 99, 101, 58, 32, 120] })).msg).toBe('mce: x');
  });

  it('the syslog year moves on when December turns to January', () => {
    const y = newSyslogYear(2023);
    expect(p('Dec 31 23:59:59 h kernel: x', y).wallNs).toBe(utc('2023-12-31T23:59:59Z'));
    expect(p('Jan  1 00:00:01 h kernel: x', y).wallNs).toBe(utc('2024-01-01T00:00:01Z'));
  });

  it('no prefix, and a serial console line with firmware output glued in front', () => {
    expect(p('Memory failure: 0x1: already hardware poisoned')).toMatchObject({ shape: 'none', msg: 'Memory failure: 0x1: already hardware poisoned' });
    const line = 'NOTICE:  BL31: SDEI event 805306368[   42.000100] {1}[Hardware Error]: event severity: recoverable';
    const k = embeddedStamp(line);
    expect(line.slice(k)).toBe('[   42.000100] {1}[Hardware Error]: event severity: recoverable');
    expect(embeddedStamp('[Hardware Error]: no stamp here')).toBe(-1);
  });
});

describe('scanFile', () => {
  it('candidates by one search, noise on demand, CRLF, last line without a newline', () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'boot\r\nmce: one\r\nnoise\n\nmce: two');
    const seen: string[] = [];
    let wantNoise = false;
    const n = scanFile(f, new LineMatcher([['mce', 1]]), {
      candidate: (l, i) => { seen.push(`c${i}:${l}`); wantNoise = true; },
      wantNoise: () => wantNoise,
      noise: (b, s0, e0, i) => { seen.push(`n${i}:${b.toString('utf8', s0, e0)}`); },
    });
    expect(n).toBe(5);
    expect(seen).toEqual(['c2:mce: one', 'n3:noise', 'n4:', 'c5:mce: two']);
  });

  it('the automaton finds every literal, overlapping ones and those sharing a suffix, with their bits', () => {
    const m = new LineMatcher([['he', 1], ['she', 2], ['hers', 4], ['his', 8]]);
    const bitsOf = (line: string): number => {
      let st = 0;
      let b = 0;
      for (const ch of Buffer.from(line)) { st = m.table[(st << 8) | ch]!; b |= m.out[st]!; }
      return b;
    };
    expect(bitsOf('ushers')).toBe(1 | 2 | 4);
    expect(bitsOf('this')).toBe(8);
    expect(bitsOf('hx')).toBe(0);
  });

  it('quickHost reads the host field of a noise line without parsing its time', () => {
    expect(quickHost('Mar  5 10:11:12 node17 sshd[1]: x')).toBe('node17');
    expect(quickHost('Mar 15 10:11:12 node17 sshd[1]: x')).toBe('node17');
    expect(quickHost('2024-03-05T10:11:12+0100 h2 kernel: x')).toBe('h2');
    expect(quickHost('Mar 15 10:11:12 kernel: x')).toBe(null);
    expect(quickHost('[  1.000000] random: crng init done')).toBe(null);
    const b = Buffer.from('x\nMar  5 10:11:12 node17 sshd[1]: x\n');
    expect(quickHostBytes(b, 2, b.length - 1)).toBe('node17');
  });

  it('lines across chunk boundaries and multi-byte characters split by a chunk', () => {
    const f = join(dir, 'big.log');
    // 9 MiB of lines: the 8 MiB chunk ends inside a line and inside a 3-byte character.
    const filler = `${'x'.repeat(98)}€\n`;
    const count = Math.ceil((9 * 1024 * 1024) / Buffer.byteLength(filler));
    writeFileSync(f, `${filler.repeat(count)}mce: end\n`);
    const hits: number[] = [];
    let clues = 0;
    const n = scanFile(f, new LineMatcher([['mce', 1], ['xxxx', 2]]), {
      candidate: (l, i) => { if (l.startsWith('mce')) hits.push(i); },
      wantNoise: () => false,
      noise: () => undefined,
      clues: (b) => { clues |= b; },
    });
    expect(n).toBe(count + 1);
    expect(hits).toEqual([count + 1]);
    expect(clues).toBe(2);
    // Decoded lines keep their multi-byte characters across the chunk boundary.
    let euro = 0;
    scanFile(f, null, { candidate: (l) => { if (l.endsWith('€') && l.length === 99) euro++; }, wantNoise: () => false, noise: () => undefined });
    expect(euro).toBe(count);
  });
});
