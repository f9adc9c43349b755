// ftrace / trace-cmd text of the RAS tracepoints (docs/import.md §ftrace). The line layout is the
// trace buffer's ("<task>-<pid> [cpu] <flags> <seconds>: <event>: <fields>", the flags column and a
// "(tgid)" column optional, as /sys/kernel/tracing/trace and `trace-cmd report` print it); the field
// text is each event's TP_printk, read from the kernel headers:
//   mce:mce_record (include/trace/events/mce.h; three layouts: "ADDR/MISC:", "ADDR/MISC/SYND:" and
//     the v5.x+ "IPID: ..., ADDR: ..., MISC: ..., SYND: ...")
//   ras:memory_failure_event "pfn %#lx: recovery action for %s: %s" (include/ras/ras_event.h)
//   ras:mc_event "%d %s error%s:%s%s on %s (mc:%d location:%d:%d:%d address:0x%08lx grain:%d ..."
//   ras:arm_event "affinity level: %d; MPIDR: %016llx; MIDR: %016llx; running state: %d; PSCI state: %d"
//   ras:extlog_mem_event "{%d} %s error: %s physical addr: %016llx (mask lsb: %x) ..."
//   signal:signal_generate "sig=%d errno=%d code=%d comm=%s pid=%d grp=%d res=%d" (include/trace/events/signal.h)
import { InputError } from '../io/errors.js';
import {
  correlate, defaultHost, ErrPoint, finishEvents, ImportResult, isMfResult, MfPoint, PointSet, secondsToNs, SigPoint,
} from './common.js';
import { eachFileLine } from './lines.js';

/** One trace line; groups: task, pid, cpu, seconds, fraction, system, event, fields. */
export const FTRACE_LINE = /^\s*(.+?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d{1,5})\]\s+(?:\S{4,7}\s+)?(\d+)\.(\d+):\s+(?:(\w+):)?(\w+):\s*(.*)$/;

const KNOWN = new Set(['mce_record', 'memory_failure_event', 'mc_event', 'arm_event', 'extlog_mem_event', 'signal_generate']);

const CPER_SEV: Record<string, number> = { recoverable: 0, fatal: 1, corrected: 2, info: 3 };

/** Lines a trace file may carry besides events. */
function isHeader(line: string): boolean {
  return line.trim() === '' || /^\s*#/.test(line) || /^cpus=\d+\s*$/.test(line) || /^CPU \d+ is empty\s*$/.test(line) ||
    /^version = /.test(line) || /^\s*CPU:\d+ \[LOST \d+ EVENTS\]\s*$/.test(line) || /^trace-cmd: /.test(line);
}

/**
 * The longest trace line read: the kernel formats one event into a trace_seq of PAGE_SIZE bytes
 * (include/linux/trace_seq.h, TRACE_SEQ_BUFFER_SIZE), so a real line is shorter than 64 KiB even
 * with 64K pages; a longer one is damage, and FTRACE_LINE's backtracking on it would take minutes.
 */
export const MAX_FTRACE_LINE = 64 * 1024;

export function importFtrace(file: string, hostOpt: string | undefined): ImportResult {
  const warnings: string[] = [];
  const errors: ErrPoint[] = [];
  const mfs: MfPoint[] = [];
  const sigs: SigPoint[] = [];
  let signalsTraced = false;
  let shellLines = 0;
  let seq = 0;
  // Streamed line by line (a multi-GB capture is never one string); the events are kept as points.
  eachFileLine(file, (line, n) => {
    const where = `${file}: line ${n}`;
    if (line.length > MAX_FTRACE_LINE) {
      throw new InputError(`${where}: a line of ${line.length} characters: expected a trace line of at most ${MAX_FTRACE_LINE} (the kernel's trace_seq holds one page)`, file, `line ${n}`);
    }
    const m = FTRACE_LINE.exec(line);
    if (!m) {
      if (/^\S+@\S+?[:>#$]|^[#$] /.test(line)) {
        // A shell session around the capture (prompt, "echo 1 > …/enable", "cat trace_pipe").
        shellLines++;
        return;
      }
      if (isHeader(line)) {
        if (/LOST \d+ EVENTS/.test(line)) warnings.push(`${where}: ${line.trim()}: the buffer overflowed, records may be missing`);
        return;
      }
      throw new InputError(`${where}: ${JSON.stringify(line.length > 80 ? `${line.slice(0, 77)}...` : line)}: expected a trace line "<task>-<pid> [cpu] <flags> <seconds>: <event>: <fields>" or a "#" header`, file, `line ${n}`);
    }
    const event = m[7]!;
    if (!KNOWN.has(event)) return;
    const tNs = secondsToNs(m[4]!, m[5]);
    const f = m[8]!;
    const bad = (expected: string): never => {
      throw new InputError(`${where}: ${event} fields ${JSON.stringify(f.length > 80 ? `${f.slice(0, 77)}...` : f)}: expected ${expected}`, file, `line ${n}`, event);
    };
    switch (event) {
      case 'memory_failure_event': {
        const r = /^pfn (0x[0-9a-fA-F]+|0): recovery action for (.+): (\w+)$/.exec(f);
        if (!r) return bad('"pfn %#lx: recovery action for %s: %s"');
        if (!isMfResult(r[3]!)) return bad('a result Ignored, Failed, Delayed or Recovered');
        mfs.push({ tNs, seq: seq++, where, pfn: BigInt(r[1]!), type: r[2]!, result: r[3]! });
        return;
      }
      case 'mce_record': {
        const h = /CPU: (\d+), MCGc\/s: ([0-9a-fA-F]+)\/([0-9a-fA-F]+), MC(\d+): ([0-9a-fA-F]+)/.exec(f);
        if (!h) return bad('"CPU: %d, MCGc/s: %llx/%llx, MC%d: %016llx, ..." (TP_printk of mce:mce_record)');
        const a = /ADDR(?:\/MISC(?:\/SYND)?)?: ([0-9a-fA-F]+)/.exec(f);
        const rip = /RIP: ([0-9a-fA-F]+):<([0-9a-fA-F]+)>/.exec(f);
        const vendor = /vendor: (\d+)/.exec(f) ?? /PROCESSOR: (\d+):/.exec(f);
        errors.push({
          kind: 'mce', tNs, seq: seq++, where, cpu: Number(h[1]), mcgcap: BigInt(`0x${h[2]}`), mcgstatus: BigInt(`0x${h[3]}`),
          bank: Number(h[4]), status: BigInt(`0x${h[5]}`), addr: a ? BigInt(`0x${a[1]}`) : null,
          cs: rip ? parseInt(rip[1]!, 16) : null, amd: vendor ? [2, 9].includes(Number(vendor[1])) : false,
        });
        return;
      }
      case 'mc_event': {
        const r = /^\d+ (\w+) errors?:/.exec(f);
        if (!r) return bad('"%d %s error%s:%s%s on %s (mc:%d location:... address:0x%08lx grain:%d ...)"');
        const addr = /address:0x([0-9a-fA-F]+)/.exec(f);
        const page = /page:0x([0-9a-fA-F]+) offset:0x([0-9a-fA-F]+)/.exec(f);
        const pa = addr ? BigInt(`0x${addr[1]}`) : page ? (BigInt(`0x${page[1]}`) << 12n) | BigInt(`0x${page[2]}`) : null;
        const label = / on (.*?) \(mc:/.exec(f);
        errors.push({ kind: 'mc', tNs, seq: seq++, where, errType: r[1]!, pa: pa === 0n ? null : pa, label: label ? label[1]! : null });
        return;
      }
      case 'arm_event': {
        if (!/affinity level: -?\d+; MPIDR: [0-9a-fA-F]+;/.test(f)) return bad('"affinity level: %d; MPIDR: %016llx; MIDR: %016llx; running state: %d; PSCI state: %d"');
        errors.push({ kind: 'arm', tNs, seq: seq++, where, pa: null, errorType: null });
        return;
      }
      case 'extlog_mem_event': {
        const r = /^\{\d+\} (\w+) error: .*? physical addr: ([0-9a-fA-F]+)/.exec(f);
        if (!r || CPER_SEV[r[1]!] === undefined) return bad('"{%d} %s error: %s physical addr: %016llx ..." with a CPER severity');
        const pa = BigInt(`0x${r[2]}`);
        errors.push({ kind: 'extlog', tNs, seq: seq++, where, sev: CPER_SEV[r[1]!]!, pa: pa === (1n << 64n) - 1n ? null : pa });
        return;
      }
      case 'signal_generate': {
        const r = /^sig=(\d+) errno=(-?\d+) code=(-?\d+) comm=(.*) pid=(\d+) grp=(\d+) res=(\d+)$/.exec(f);
        if (!r) return bad('"sig=%d errno=%d code=%d comm=%s pid=%d grp=%d res=%d"');
        signalsTraced = true;
        sigs.push({ tNs, seq: seq++, where, sig: Number(r[1]), code: Number(r[3]), comm: r[4]!, pid: Number(r[5]), res: Number(r[7]) });
        return;
      }
    }
  });
  const arch: PointSet['arch'] = errors.some((p) => p.kind === 'mce' || p.kind === 'extlog') ? 'x86_64' : errors.some((p) => p.kind === 'arm') ? 'arm64' : null;
  const ps: PointSet = {
    file, host: defaultHost(file, hostOpt), hostObserved: hostOpt !== undefined && hostOpt !== '', errors, mfs, sigs,
    signalsTraced, arch, archObserved: arch !== null,
  };
  if (shellLines) warnings.push(`${file}: ${shellLines} shell line(s) around the trace (prompts, commands) skipped`);
  return finishEvents(correlate(ps, warnings), file, 'ftrace', warnings);
}
