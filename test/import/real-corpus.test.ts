// The real-log corpus (test/fixtures/real/, README.md there): each NN-name.log is a kernel log,
// mcelog or trace capture copied verbatim from a public post, and NN-name.truth.json states only
// what that log itself says (page type and result of each memory_failure() call, signals, panics,
// addresses, severities), with the source of each fact in its notes. This file imports every log
// with the importer of its format and checks each stated fact against the imported events and
// observed outcomes. The expectations come from the logs and the kernel source cited in the truth
// files, never from the importer's output.
//
// Facts today's importer does not yet reproduce are listed in TODAY_FAILS (test id -> why) and run
// as it.fails: the importer's owner turns them into passing tests by removing the entry.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importSource, type ImportResult, type ObservedRow, type ObservedSignal, type SourceFormat } from '../../src/import/index.js';
import type { TraceEvent } from '../../src/io/trace.js';
import { ARCH, CONTEXT, KIND, NOTIFY, SEVERITY } from '../../src/model/enums.js';

const DIR = resolve(__dirname, '../fixtures/real');

interface TruthSignal {
  comm?: string;
  pid?: number;
  /** SIGBUS (si_code not printed), BUS_MCEERR_AR, BUS_MCEERR_AO, SI_KERNEL or SIGKILL. */
  si_code: string;
  addr?: string;
  line?: number;
}

interface TruthEvent {
  pfn?: string;
  pa?: string;
  vaddr?: string;
  page_type?: string;
  result?: string;
  signals?: TruthSignal[];
  panic?: boolean;
  panic_msg?: string;
  kind?: string;
  ghes?: boolean;
  severity?: string;
  context?: string;
  pid?: number;
  comm?: string;
  poisoned_before?: boolean;
  early_kill?: number;
  status?: string;
  line?: number;
  lines?: Record<string, number>;
  notes: string;
}

interface Truth {
  source: string;
  license_note: string;
  arch?: 'x86' | 'arm64';
  kernel?: string;
  format: string;
  format_note?: string;
  importer?: string;
  events: TruthEvent[];
  not_replayable?: string[];
  expected_counts: { events?: number; signals?: number; panics?: number; signals_to?: Record<string, number> };
}

/**
 * Test ids ("NN-name: check") that fail with today's importer, and why. Each is a fact the log
 * states that the importer does not yet reproduce; remove the entry when it does.
 */
const TODAY_FAILS: Record<string, string> = {};

const SI_CODE: Record<string, { signo: number; code: number | null }> = {
  SIGBUS: { signo: 7, code: null }, // the log shows the SIGBUS but not its si_code
  BUS_MCEERR_AR: { signo: 7, code: 4 },
  BUS_MCEERR_AO: { signo: 7, code: 5 },
  SI_KERNEL: { signo: 7, code: 128 },
  SIGKILL: { signo: 9, code: null },
};

const TRUTH_KEYS = new Set(['source', 'license_note', 'arch', 'kernel', 'format', 'format_note', 'importer', 'events', 'not_replayable', 'expected_counts']);
const EVENT_KEYS = new Set(['pfn', 'pa', 'vaddr', 'page_type', 'result', 'signals', 'panic', 'panic_msg', 'kind', 'ghes', 'severity', 'context',
  'pid', 'comm', 'poisoned_before', 'early_kill', 'status', 'line', 'lines', 'notes']);
const KINDS = new Set(['mce', 'poll', 'ucna', 'sea', 'ghes', 'ce', 'access', 'inject', 'soft_offline']);
const MF_RESULTS = new Set(['Ignored', 'Failed', 'Delayed', 'Recovered']);

function hexBig(s: string): bigint {
  if (!/^0x[0-9a-f]+$/.test(s)) throw new Error(`not a lower-case 0x hex value: ${s}`);
  return BigInt(s);
}

/** The importer a truth file names (kernel-log by default); null = detect from the content. */
function formatOf(t: Truth): SourceFormat | null {
  if (t.importer === undefined) return t.format === 'mcelog' ? 'mcelog' : 'kernel-log';
  if (t.importer === 'ftrace' || t.importer === 'mcelog' || t.importer === 'kernel-log') return t.importer;
  return null; // a format no importer reads yet (e.g. ras-mc-ctl text): detection must find one
}

/** Whether an imported event's address names the pfn (4K, 16K or 64K base pages, as docs/import.md). */
function namesPfn(e: TraceEvent, pfn: bigint): boolean {
  if (e.pa < 0) return false;
  const pa = BigInt(e.pa);
  return pa >> 12n === pfn || pa >> 14n === pfn || pa >> 16n === pfn;
}

/** The first log line an imported event's `where` names (`<file>: line N` or `<file>: lines N-M`), else null. */
function whereLine(e: TraceEvent): number | null {
  const m = /: lines? (\d+)/.exec(e.where);
  return m ? Number(m[1]) : null;
}

/**
 * Pair each stated event with an imported one, in log order: by pfn, else pa, else vaddr, else the
 * next unused. Among the candidates, the one whose `where` starts on the stated event's line wins
 * (two events on one page, e.g. log 01's UCNA and SRAR of one pfn, pair by line, not by order).
 */
function matchEvents(t: Truth, r: ImportResult): (number | null)[] {
  const used = new Set<number>();
  const out: (number | null)[] = [];
  for (const te of t.events) {
    let pick: number | null = null;
    for (let i = 0; i < r.events.length; i++) {
      if (used.has(i)) continue;
      const e = r.events[i]!;
      const ok = te.pfn !== undefined ? namesPfn(e, hexBig(te.pfn))
        : te.pa !== undefined ? e.pa >= 0 && BigInt(e.pa) === hexBig(te.pa)
          : te.vaddr !== undefined ? e.vaddr >= 0 && BigInt(e.vaddr) === hexBig(te.vaddr)
            : true;
      if (!ok) continue;
      if (te.line !== undefined && whereLine(e) === te.line) {
        pick = i;
        break;
      }
      if (pick === null) pick = i;
    }
    if (pick !== null) used.add(pick);
    out.push(pick);
  }
  return out;
}

function hasSignal(o: ObservedRow, s: TruthSignal): boolean {
  const want = SI_CODE[s.si_code]!;
  return (o.signals ?? []).some((x: ObservedSignal) => x.signo === want.signo
    && (want.code === null || x.siCode === want.code)
    && (s.pid === undefined || x.pid === s.pid)
    && (s.addr === undefined || (x.addr !== null && BigInt(x.addr) === hexBig(s.addr))));
}

/** Every fact the truth file states for one event, checked against the imported event and outcome. */
function checkEvent(t: Truth, te: TruthEvent, e: TraceEvent, o: ObservedRow): void {
  if (t.arch !== undefined) expect(ARCH[e.arch], 'arch').toBe(t.arch === 'x86' ? 'x86_64' : 'arm64');
  if (te.pa !== undefined) expect(e.pa >= 0 ? BigInt(e.pa) : -1n, 'pa').toBe(hexBig(te.pa));
  if (te.vaddr !== undefined) expect(e.vaddr >= 0 ? BigInt(e.vaddr) : -1n, 'vaddr').toBe(hexBig(te.vaddr));
  if (te.page_type !== undefined) expect(o.mfType, 'page type').toBe(te.page_type);
  if (te.result !== undefined) expect(o.mfResult, 'result').toBe(te.result);
  if (te.panic !== undefined) expect(o.panic, 'panic').toBe(te.panic);
  if (te.panic_msg !== undefined) expect(o.panicMsg, 'panic message').toBe(te.panic_msg);
  if (te.ghes !== undefined) expect(e.firmwareFirst, 'firmware first (GHES)').toBe(te.ghes);
  if (te.severity !== undefined) expect(SEVERITY[e.severity], 'severity').toBe(te.severity);
  if (te.poisoned_before !== undefined) expect(e.poisonedBefore, 'poisoned_before').toBe(te.poisoned_before);
  if (te.early_kill !== undefined) expect(e.earlyKill, 'early_kill').toBe(te.early_kill);
  if (te.pid !== undefined) expect(e.pid, 'consumer pid').toBe(te.pid);
  if (te.comm !== undefined) expect(e.comm, 'consumer comm').toBe(te.comm);
  if (te.context === 'user') expect(CONTEXT[e.context], 'context').toBe('user');
  if (te.context === 'kernel') expect(CONTEXT[e.context], 'context').toMatch(/^kernel_/);
  switch (te.kind) {
    case 'mce': expect(NOTIFY[e.notify], 'notify').toBe('mce'); break;
    // MCG_STATUS without MCIP: machine_check_poll read the bank (poll timer, CMCI or boot), not the #MC handler.
    case 'poll': expect(['poll', 'cmci'], 'notify').toContain(NOTIFY[e.notify]); break;
    case 'sea': expect(NOTIFY[e.notify], 'notify').toBe('sea'); break;
    case 'ghes': expect(e.firmwareFirst, 'firmware first (GHES)').toBe(true); break;
    case 'ce': expect(SEVERITY[e.severity], 'severity').toBe('corrected'); break;
    case 'access': expect(KIND[e.kind], 'event kind').toBe('access'); break;
    // "Soft offlining pfn … at process virtual address …": madvise(MADV_SOFT_OFFLINE) (mm/madvise.c).
    case 'soft_offline': expect(NOTIFY[e.notify], 'notify').toBe('madvise_soft_offline'); break;
    default: break; // ucna, inject: how the error reached memory_failure(); no trace column states it from a log
  }
  for (const s of te.signals ?? []) {
    expect(hasSignal(o, s), `signal ${s.si_code}${s.pid !== undefined ? ` to ${s.comm ?? ''}:${s.pid}` : ''} in ${JSON.stringify(o.signals)}`).toBe(true);
  }
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.truth.json')).sort();

describe('real-log corpus: the fixtures', () => {
  it('has at least 30 incidents, each a log with its truth file and a README row', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
    for (const f of files) {
      const base = f.replace(/\.truth\.json$/, '');
      expect(readdirSync(DIR)).toContain(`${base}.log`);
      expect(readme, `README row for ${base}`).toContain(`${base}.log`);
    }
  });

  for (const f of files) {
    const base = f.replace(/\.truth\.json$/, '');
    it(`${base}: the truth file is well formed and its line numbers point into the log`, () => {
      const t = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Truth;
      const lines = readFileSync(join(DIR, `${base}.log`), 'utf8').split('\n');
      for (const k of Object.keys(t)) expect(TRUTH_KEYS.has(k), `key ${k}`).toBe(true);
      expect(t.source.length).toBeGreaterThan(10);
      expect(t.license_note.length).toBeGreaterThan(5);
      expect(Array.isArray(t.events)).toBe(true);
      if (t.expected_counts.events !== undefined) expect(t.events.length).toBe(t.expected_counts.events);
      const lineOk = (n: number): void => {
        expect(Number.isInteger(n) && n >= 1 && n <= lines.length, `line ${n} of ${lines.length}`).toBe(true);
        expect(lines[n - 1]!.trim(), `line ${n} is not blank`).not.toBe('');
      };
      for (const te of t.events) {
        for (const k of Object.keys(te)) expect(EVENT_KEYS.has(k), `event key ${k}`).toBe(true);
        expect(te.notes.length).toBeGreaterThan(3);
        if (te.kind !== undefined) expect(KINDS.has(te.kind), `kind ${te.kind}`).toBe(true);
        if (te.result !== undefined) expect(MF_RESULTS.has(te.result), `result ${te.result}`).toBe(true);
        for (const v of [te.pfn, te.pa, te.vaddr, te.status]) if (v !== undefined) hexBig(v);
        if (te.pfn !== undefined && te.pa !== undefined) {
          const pa = hexBig(te.pa);
          expect([pa >> 12n, pa >> 14n, pa >> 16n]).toContain(hexBig(te.pfn));
        }
        if (te.line !== undefined) lineOk(te.line);
        for (const n of Object.values(te.lines ?? {})) lineOk(n);
        if (te.result !== undefined && te.lines?.result !== undefined) expect(lines[te.lines.result - 1]).toContain(te.result);
        if (te.panic_msg !== undefined && te.lines?.panic !== undefined) expect(lines[te.lines.panic - 1]).toContain(te.panic_msg);
        for (const s of te.signals ?? []) {
          expect(Object.keys(SI_CODE)).toContain(s.si_code);
          if (s.line !== undefined) lineOk(s.line);
          // The pid is printed (on the kill line, or on the task line of the same error).
          if (s.pid !== undefined) expect(lines.join('\n')).toMatch(new RegExp(`\\b${s.pid}\\b`));
        }
        // A stated pfn is printed in the log (with or without 0x, in either case).
        if (te.pfn !== undefined) expect(lines.join('\n').toLowerCase()).toContain(te.pfn.slice(2));
      }
    });
  }
});

for (const f of files) {
  const base = f.replace(/\.truth\.json$/, '');
  const truth = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Truth;
  const path = join(DIR, `${base}.log`);

  describe(`real-log corpus: ${base}`, () => {
    let result: ImportResult | null = null;
    let failure: unknown = null;
    let match: (number | null)[] = [];
    beforeAll(async () => {
      const format = formatOf(truth);
      try {
        result = await importSource(path, format === null ? {} : { format });
        match = matchEvents(truth, result);
      } catch (e) {
        failure = e;
      }
    });
    const test = (name: string, body: () => void): void => {
      const id = `${base}: ${name}`;
      if (id in TODAY_FAILS) it.fails(`${name} (fails today: ${TODAY_FAILS[id]})`, body);
      else it(name, body);
    };
    const imported = (): ImportResult => {
      if (failure !== null) throw failure instanceof Error ? failure : new Error(String(failure));
      return result!;
    };

    test('imports', () => {
      expect(failure).toBeNull();
    });

    const c = truth.expected_counts;
    if (c.events !== undefined) test(`${c.events} event(s)`, () => expect(imported().events.length).toBe(c.events));
    if (c.signals !== undefined) {
      test(`${c.signals} signal(s) in all`, () => {
        expect(imported().observed.reduce((n, o) => n + (o.signals?.length ?? 0), 0)).toBe(c.signals);
      });
    }
    if (c.panics !== undefined) test(`${c.panics} panic(s)`, () => expect(imported().observed.filter((o) => o.panic === true).length).toBe(c.panics));

    truth.events.forEach((te, k) => {
      const at = te.line !== undefined ? ` (line ${te.line})` : '';
      test(`event ${k + 1}${at}`, () => {
        const r = imported();
        const i = match[k] ?? null;
        expect(i, `an imported event for stated event ${k + 1}${te.pfn !== undefined ? ` (pfn ${te.pfn})` : ''}`).not.toBeNull();
        checkEvent(truth, te, r.events[i!]!, r.observed[i!]!);
      });
    });
  });
}
