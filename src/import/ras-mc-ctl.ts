// rasdaemon's `ras-mc-ctl --errors` and `--summary` text (util/ras-mc-ctl.in): the records of the
// same SQLite tables the rasdaemon importer reads, printed one per line under a section title:
//   "Memory controller events:" then
//     "<id> <timestamp> <count> <type> error(s): <msg> at <label> location: <mc>:<top>:<mid>:<low>, addr <addr>, grain <g>, syndrome <s> <detail>"
//   "MCE events:" then
//     "<id> <timestamp> error: <msg>, CPU <cpu>, bank <name> (bank=<n>), mcg <…>, mci <…>, …, mcgcap=0x…, status=0x…, addr=0x…, misc=0x…, …"
// and "No <kind> errors." when a table is empty. The timestamp may be cut by whoever pasted it.
// `--summary` prints counts per DIMM/bank only: recognised, nothing to replay (a warning).
import { InputError } from '../io/errors.js';
import { correlate, defaultHost, ErrPoint, finishEvents, ImportResult, McePoint, McPoint, PointSet } from './common.js';
import { eachFileLine, newPrefix, parsePrefix } from './lines.js';

/** A ras-mc-ctl section title or empty-table line: how detection recognises the text. */
export const RAS_MC_CTL_LINE = /^(?:No (?:Memory|PCIe AER|ARM processor|Extlog|devlink|disk|MCE|Memory failure) errors\.|(?:Memory controller|MCE|ARM processor|Memory failure|Extlog|PCIe AER|devlink|Disk) events(?: summary)?:)\s*$/;

function stamp(s: string): bigint | null {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?: ([+-])(\d\d)(\d\d))?$/.exec(s.trim());
  if (!m) return null;
  let ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (m[7]) ms -= (m[7] === '-' ? -1 : 1) * ((+m[8]!) * 60 + +m[9]!) * 60_000;
  return BigInt(ms) * 1_000_000n;
}

export function importRasMcCtl(file: string, hostOpt: string | undefined): ImportResult {
  const warnings: string[] = [];
  const errors: ErrPoint[] = [];
  let section = '';
  let seq = 0;
  let summary = 0;
  let untimed = 0;
  const prefix = newPrefix();
  eachFileLine(file, (raw, n) => {
    const line = parsePrefix(raw.trim(), prefix).msg.trim();
    if (line === '') return;
    const where = `${file}: line ${n}`;
    const title = /^(.*) events( summary)?:$/.exec(line);
    if (title) {
      section = title[2] ? 'summary' : title[1]!;
      return;
    }
    if (section === '' || RAS_MC_CTL_LINE.test(line)) return;
    if (section === 'summary') { summary++; return; }
    const m = /^(\d+) (.*?) ?(?:(\d+) (\w+) error\(s\)|error): (.*)$/.exec(line);
    if (!m) return;
    let t = stamp(m[2]!);
    const timeInferred = t === null;
    if (t === null) { untimed++; t = BigInt(n); }
    const body = m[5]!;
    const hex = (k: string): bigint | null => {
      const r = new RegExp(`(?:^|[ ,])${k}=(0x[0-9a-fA-F]+|\\d+)`).exec(body);
      return r ? BigInt(r[1]!) : null;
    };
    if (section === 'MCE') {
      const status = hex('status');
      if (status === null) throw new InputError(`${where}: MCE event without "status=0x…": expected ras-mc-ctl's "…, status=0x%llx, addr=0x%llx, …"`, file, `line ${n}`);
      const cpu = /(?:^|, )CPU (\d+)/.exec(body);
      const bank = /\(bank=(\d+)\)/.exec(body);
      const p: McePoint = {
        kind: 'mce', tNs: t, seq: seq++, where, timeInferred, status, mcgstatus: hex('mcgstatus') ?? 0n, addr: hex('addr'), mcgcap: hex('mcgcap'),
        cs: null, cpu: cpu ? Number(cpu[1]) : null, bank: bank ? Number(bank[1]) : null,
        // ras-mc-ctl names AMD's SMCA banks ("Unified Memory Controller", "Load Store Unit", …).
        amd: /Unified Memory Controller|Load Store Unit|L2 Cache|Execution Unit|Floating Point Unit/.test(body),
      };
      errors.push(p);
    } else if (section === 'Memory controller') {
      const addr = /(?:^|, )addr (\d+|0x[0-9a-fA-F]+)/.exec(body);
      const label = /at (.+?) location:/.exec(body);
      const p: McPoint = { kind: 'mc', tNs: t, seq: seq++, where, timeInferred, errType: m[4] ?? 'Corrected', pa: addr && addr[1] !== '0' ? BigInt(addr[1]!) : null, label: label ? label[1]! : null };
      errors.push(p);
    } else {
      warnings.push(`${where}: ${section} event: recognised, not replayed`);
    }
  });
  if (summary) warnings.push(`${file}: ${summary} summary line(s) (ras-mc-ctl --summary: counts only): nothing to replay`);
  if (untimed) warnings.push(`${file}: ${untimed} event(s) without a readable timestamp: t_ns is the line number (inferred)`);
  const host = defaultHost(file, hostOpt);
  const ps: PointSet = {
    file, host, hostObserved: hostOpt !== undefined && hostOpt !== '', errors, mfs: [], sigs: [], signalsTraced: false,
    arch: errors.some((e) => e.kind === 'mce') ? 'x86_64' : null, archObserved: errors.some((e) => e.kind === 'mce'),
  };
  return finishEvents(correlate(ps, warnings), file, 'ras-mc-ctl', warnings);
}
