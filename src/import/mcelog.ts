// mcelog's ASCII machine check records (docs/import.md §mcelog), as `mcelog`, `mcelog --ascii` and
// the daemon's log print them (andikleen/mcelog mcelog.c dump_mce(): disclaimer, "MCE n",
// "CPU %d BANK %d [TSC %llx]", "RIP[ !INEXACT!] %02x:%llx", "MISC %llx ADDR %llx", "TIME %llu ...",
// the decoded status lines, "STATUS %llx MCGSTATUS %llx", "MCGCAP %llx APICID %x SOCKETID %x",
// "CPUID Vendor %s Family %u Model %u"). Older versions print "HARDWARE ERROR. This is *NOT* a
// software problem!" and AMD K8 records "CPU %d %d northbridge". Syslog prefixes are stripped.
import { InputError } from '../io/errors.js';
import { correlate, defaultHost, finishEvents, ImportResult, McePoint, PointSet } from './common.js';
import { eachFileLine, newPrefix, newSyslogYear, parsePrefix } from './lines.js';

const DISCLAIMER = /^(Hardware event\. This is not a software error\.|HARDWARE ERROR\. This is \*NOT\* a software problem!)\s*$/;

interface Rec {
  line: number;
  lastLine: number;
  cpu: number | null;
  bank: number | null;
  thermal: boolean;
  cs: number | null;
  addr: bigint | null;
  time: bigint | null;
  status: bigint | null;
  mcgstatus: bigint | null;
  mcgcap: bigint | null;
  amd: boolean;
  mca: string | null;
  host: string | null;
}

export function importMcelog(file: string, hostOpt: string | undefined): ImportResult {
  const warnings: string[] = [];
  const points: McePoint[] = [];
  const hostForced = hostOpt !== undefined && hostOpt !== '';
  let host: string | null = null;
  let rec: Rec | null = null;
  let lastTime = 0n;
  let seq = 0;
  let thermal = 0;

  const fail = (n: number, what: string, expected: string): never => {
    throw new InputError(`${file}: line ${n}: ${what}: expected ${expected}`, file, `line ${n}`);
  };
  const open = (n: number): Rec => ({
    line: n, lastLine: n, cpu: null, bank: null, thermal: false, cs: null, addr: null, time: null, status: null,
    mcgstatus: null, mcgcap: null, amd: false, mca: null, host,
  });
  const close = (): void => {
    const r = rec;
    rec = null;
    if (!r || (r.cpu === null && r.status === null)) return;
    if (r.thermal) { thermal++; return; }
    if (r.status === null || r.mcgstatus === null) {
      // Real captures cut records (a syslog excerpt, rate limiting): warned, not an event.
      warnings.push(`${file}: line ${r.lastLine}: the record that starts at line ${r.line} ends at line ${r.lastLine} without its status ("STATUS %llx MCGSTATUS %llx"): skipped`);
      return;
    }
    const where = `${file}: line ${r.line}`;
    let tNs: bigint;
    let timeInferred = false;
    if (r.time !== null) {
      tNs = r.time * 1_000_000_000n;
      lastTime = tNs;
    } else {
      tNs = lastTime;
      timeInferred = true;
    }
    points.push({
      kind: 'mce', tNs, seq: seq++, where, timeInferred, status: r.status!, mcgstatus: r.mcgstatus!, addr: r.addr,
      mcgcap: r.mcgcap, cs: r.cs, cpu: r.cpu, bank: r.bank, amd: r.amd,
    });
    if (r.host) host = r.host;
  };

  const prefix = newPrefix();
  const year = newSyslogYear();
  eachFileLine(file, (line, n) => {
    const p = parsePrefix(line, prefix, year);
    if (p.host) host = p.host;
    const msg = p.msg.trimEnd();
    if (msg.trim() === '') return;
    let m: RegExpExecArray | null;
    if (DISCLAIMER.test(msg)) {
      if (rec && (rec.cpu !== null || rec.status !== null)) close();
      rec ??= open(n);
      return;
    }
    if ((m = /^MCE (\d+)$/.exec(msg))) {
      if (rec && (rec.cpu !== null || rec.status !== null)) close();
      rec ??= open(n);
      return;
    }
    if ((m = /^CPU (\d+) (?:BANK (\d+)|(\d+) \w+|(THERMAL EVENT))/.exec(msg))) {
      if (rec && (rec.cpu !== null || rec.status !== null)) close();
      rec ??= open(n);
      rec.cpu = Number(m[1]);
      rec.bank = m[2] ? Number(m[2]) : m[3] ? Number(m[3]) : null;
      rec.thermal = m[4] !== undefined;
      rec.lastLine = n;
      return;
    }
    if (!rec && msg.startsWith('STATUS ')) {
      // The tail of a record whose start is before the capture.
      rec = open(n);
      rec.cpu = -1;
      warnings.push(`${file}: line ${n}: a record whose start is not in the file (its CPU/BANK/TIME lines are missing)`);
    }
    if (!rec) return; // text outside a record (mcelog's own warnings, other programs)
    rec.lastLine = n;
    if (msg.startsWith('STATUS ')) {
      m = /^STATUS ([0-9a-fA-F]+) MCGSTATUS ([0-9a-fA-F]+)\b/.exec(msg);
      if (!m) fail(n, `status line ${JSON.stringify(msg)}`, '"STATUS %llx MCGSTATUS %llx"');
      rec.status = BigInt(`0x${m![1]}`);
      rec.mcgstatus = BigInt(`0x${m![2]}`);
      return;
    }
    if (msg.startsWith('RIP')) {
      m = /^RIP(?: !INEXACT!)? ([0-9a-fA-F]+):([0-9a-fA-F]+)/.exec(msg);
      if (!m) fail(n, `RIP line ${JSON.stringify(msg)}`, '"RIP[ !INEXACT!] %02x:%llx"');
      rec.cs = parseInt(m![1]!, 16);
      return;
    }
    if (/^(MISC|ADDR) /.test(msg)) {
      if (!/^(?:MISC [0-9a-fA-F]+ ?)?(?:ADDR [0-9a-fA-F]+)?\s*$/.test(msg)) fail(n, `address line ${JSON.stringify(msg)}`, '"MISC %llx ADDR %llx" (hexadecimal)');
      m = /ADDR ([0-9a-fA-F]+)/.exec(msg);
      if (m) rec.addr = BigInt(`0x${m[1]}`);
      return;
    }
    if (msg.startsWith('TIME ')) {
      m = /^TIME (\d+)/.exec(msg);
      if (!m) fail(n, `time line ${JSON.stringify(msg)}`, '"TIME %llu <date>"');
      rec.time = BigInt(m![1]!);
      return;
    }
    if ((m = /^MCGCAP ([0-9a-fA-F]+)/.exec(msg))) {
      rec.mcgcap = BigInt(`0x${m[1]}`);
      return;
    }
    if ((m = /^CPUID Vendor (\S+)/.exec(msg))) {
      rec.amd = /AMD|Hygon/i.test(m[1]!);
      return;
    }
    if (msg.startsWith('MCA: ')) rec.mca = msg.slice(5);
  });
  close();
  if (thermal) warnings.push(`${file}: ${thermal} thermal event record(s) skipped (not memory errors)`);
  if (points.some((q) => q.timeInferred)) warnings.push(`${file}: records without a TIME line keep the previous record's time (t_ns inferred)`);
  const ps: PointSet = {
    file, host: hostForced ? defaultHost(file, hostOpt) : host ?? defaultHost(file, hostOpt), hostObserved: hostForced || host !== null,
    errors: points, mfs: [], sigs: [], signalsTraced: false, arch: 'x86_64', archObserved: true,
  };
  return finishEvents(correlate(ps, warnings), file, 'mcelog', warnings);
}
