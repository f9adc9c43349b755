// `policy`: read a trace's CE/UE history (Arrow or CSV, batch by batch) and report each
// page-offline policy's prevented UEs and costs (docs/policy.md).
import { Kind } from '../model/enums.js';
import { newTraceDicts } from '../io/arrow-trace.js';
import { openTraceSource } from '../engine/source.js';
import { AddressMap, DEFAULT_ADDRESS_MAP, ErrorHistory, errorType, PolicyResult, PolicySpec, replayPolicies } from './policy.js';

export interface PolicyReport {
  trace: string;
  events: number;
  ces: number;
  ues: number;
  hosts: number;
  addressMap: AddressMap;
  results: PolicyResult[];
  seconds: number;
}

export async function readErrorHistory(trace: string): Promise<{ history: ErrorHistory; events: number }> {
  const dicts = newTraceDicts();
  const src = openTraceSource(trace, dicts, 65536, undefined, /\.csv(\.gz)?$/.test(trace));
  const h = new ErrorHistory();
  let events = 0;
  for await (const { cols: c } of src.batches()) {
    events += c.n;
    for (let i = 0; i < c.n; i++) {
      const type = errorType(c.kind[i]!, c.mem[i]!, c.severity[i]!, c.pa[i]!);
      if (type < 0) { if (c.kind[i] === Kind.error) h.skipped++; continue; }
      const tNs = c.tNsW[2 * i + 1]! * 4294967296 + (c.tNsW[2 * i]! >>> 0);
      h.add(c.host[i]!, c.pa[i]!, tNs / 1e9, type, c.eventId[i]!);
    }
  }
  h.hostNames = dicts.hosts.names;
  return { history: h, events };
}

export async function runPolicies(trace: string, specs: readonly PolicySpec[], map: AddressMap = DEFAULT_ADDRESS_MAP): Promise<PolicyReport> {
  const t0 = performance.now();
  const { history, events } = await readErrorHistory(trace);
  const results = replayPolicies(history, specs, map);
  let ces = 0;
  let ues = 0;
  for (let i = 0; i < history.n; i++) if (history.type[i] === 0) ces++; else ues++;
  return { trace, events, ces, ues, hosts: history.hostNames.length, addressMap: map, results, seconds: (performance.now() - t0) / 1000 };
}

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '-');
const mib = (b: number) => (b / 1048576).toFixed(2);
const win = (s: number) => (s === 0 ? 'none' : s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : `${s}s`);

const HEAD = ['policy', 'threshold', 'window', 'action', 'unit', 'UEs', 'prevented', 'share', 'fatal prevented', 'pages offlined', 'MiB', 'offlines without UE'];
function cells(r: PolicyResult): string[] {
  const p = r.policy;
  return [p.name, String(p.threshold), win(p.windowS), p.action, p.granularity, String(r.ues), String(r.prevented), pct(r.prevented, r.ues),
    `${r.fatalPrevented}/${r.fatalUes}`, String(r.pagesOfflined), mib(r.bytesOfflined), String(r.offlinesWithoutUe)];
}

export function policyText(rep: PolicyReport): string {
  const rows = [HEAD, ...rep.results.map(cells)];
  const w = HEAD.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  const lines = [`${rep.trace}: ${rep.events} events, ${rep.hosts} hosts, ${rep.ces} corrected and ${rep.ues} uncorrected errors on RAM with an address`];
  for (const r of rows) lines.push(r.map((c, k) => (k === 0 ? c.padEnd(w[k]!) : c.padStart(w[k]!))).join('  '));
  lines.push('prevented: the UE hit a page the policy had offlined before it (first UE per page and boot); fatal: severity fatal (a reboot, which resets policy state, when not prevented)');
  if (rep.results.some((r) => r.policy.family === 'firmware')) lines.push('firmware: the CE count per page is platform policy with no public default (--param firmware.threshold=N)');
  return `${lines.join('\n')}\n`;
}

export function policyMarkdown(rep: PolicyReport): string {
  const lines = [`### Page-offline policies: ${rep.trace}`, '', `${rep.events} events, ${rep.hosts} hosts, ${rep.ces} CEs, ${rep.ues} UEs.`, '',
    `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`];
  for (const r of rep.results) lines.push(`| ${cells(r).join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

export function policyJson(rep: PolicyReport): string {
  return JSON.stringify(rep, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
