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
const TODAY_FAILS: Record<string, string> = {
  '01-x86-ucna-srar-race: 2 event(s)': 'lines indented by the commit message (two blanks) are not recognised',
  '01-x86-ucna-srar-race: event 1 (line 2)': 'lines indented by the commit message (two blanks) are not recognised',
  '01-x86-ucna-srar-race: event 2 (line 1)': 'lines indented by the commit message (two blanks) are not recognised',
  '02-arm64-qemu-guest-sea-ghes: event 1 (line 1)': 'the 4.x do_sea line \'Synchronous External Abort: synchronous external abort (0x…) at 0x…\' does not make the GHES record synchronous (notify sea)',
  '04-x86-ksm-einj-last-copy-killed: 9 event(s)': 'x86 do_sigbus\'s \'MCE: Killing %s:%d due to hardware memory corruption fault at %lx\' is not read as an access event with a BUS_MCEERR_AR signal',
  '04-x86-ksm-einj-last-copy-killed: 1 signal(s) in all': 'x86 do_sigbus\'s \'MCE: Killing %s:%d due to hardware memory corruption fault at %lx\' is not read as an access event with a BUS_MCEERR_AR signal',
  '04-x86-ksm-einj-last-copy-killed: event 9 (line 13)': 'x86 do_sigbus\'s \'MCE: Killing %s:%d due to hardware memory corruption fault at %lx\' is not read as an access event with a BUS_MCEERR_AR signal',
  '06-x86-testprog-copy-mc-sigbus: 2 event(s)': 'x86 do_sigbus\'s \'MCE: Killing … fault at\' line is not read as an access event with a BUS_MCEERR_AR signal',
  '06-x86-testprog-copy-mc-sigbus: 1 signal(s) in all': 'x86 do_sigbus\'s \'MCE: Killing … fault at\' line is not read as an access event with a BUS_MCEERR_AR signal',
  '06-x86-testprog-copy-mc-sigbus: event 2 (line 4)': 'x86 do_sigbus\'s \'MCE: Killing … fault at\' line is not read as an access event with a BUS_MCEERR_AR signal',
  '11-mcelog-syslog-iso-cut-records: imports': 'a record cut before its STATUS line at the end of the capture is an InputError, not a warning',
  '11-mcelog-syslog-iso-cut-records: 1 event(s)': 'a record cut before its STATUS line at the end of the capture is an InputError, not a warning',
  '11-mcelog-syslog-iso-cut-records: event 1 (line 7)': 'a record cut before its STATUS line at the end of the capture is an InputError, not a warning',
  '12-x86-syslog-edac-sbridge-ce: 1 event(s)': 'sb_edac\'s \'EDAC sbridge MCn: CPU n: Machine Check Event: … Bank n: <status>\' / \'ADDR …\' lines are not read',
  '12-x86-syslog-edac-sbridge-ce: event 1 (line 3)': 'sb_edac\'s \'EDAC sbridge MCn: CPU n: Machine Check Event: … Bank n: <status>\' / \'ADDR …\' lines are not read',
  '15-x86-fsdax-pmd-injection-sigbus: event 1 (line 3)': '\'Injecting memory failure for pfn … at process virtual address …\' does not set vaddr',
  '16-x86-2009-early-kill-then-late-kills: 4 event(s)': 'lines indented by the poster (eight blanks) are not recognised; 2.6.32\'s \'Killing … early\' (AO) and do_sigbus\'s \'MCE: Killing … fault at\' (AR) are not read',
  '16-x86-2009-early-kill-then-late-kills: event 1 (line 4)': 'lines indented by the poster (eight blanks) are not recognised; 2.6.32\'s \'Killing … early\' (AO) and do_sigbus\'s \'MCE: Killing … fault at\' (AR) are not read',
  '16-x86-2009-early-kill-then-late-kills: event 2 (line 13)': 'lines indented by the poster (eight blanks) are not recognised; 2.6.32\'s \'Killing … early\' (AO) and do_sigbus\'s \'MCE: Killing … fault at\' (AR) are not read',
  '16-x86-2009-early-kill-then-late-kills: event 3 (line 14)': 'lines indented by the poster (eight blanks) are not recognised; 2.6.32\'s \'Killing … early\' (AO) and do_sigbus\'s \'MCE: Killing … fault at\' (AR) are not read',
  '16-x86-2009-early-kill-then-late-kills: event 4 (line 15)': 'lines indented by the poster (eight blanks) are not recognised; 2.6.32\'s \'Killing … early\' (AO) and do_sigbus\'s \'MCE: Killing … fault at\' (AR) are not read',
  '19-x86-2013-madvise-dirty-mlocked: event 1 (line 1)': '3.x \'Injecting memory failure for page <pfn> at <vaddr>\' does not set vaddr',
  '19-x86-2013-madvise-dirty-mlocked: event 2 (line 4)': '3.x \'Injecting memory failure for page <pfn> at <vaddr>\' does not set vaddr',
  '20-arm64-qemu-tcg-sea-in-idle-panic: 1 event(s)': 'lines indented by the mail (four blanks) are not recognised',
  '20-arm64-qemu-tcg-sea-in-idle-panic: 1 panic(s)': 'lines indented by the mail (four blanks) are not recognised',
  '20-arm64-qemu-tcg-sea-in-idle-panic: event 1 (line 1)': 'lines indented by the mail (four blanks) are not recognised',
  '21-arm64-kvm-guest-mca-recover-merged-console: 1 event(s)': 'lines indented by the mail (four blanks) are not recognised; a kernel line glued to program output must be found mid-line',
  '21-arm64-kvm-guest-mca-recover-merged-console: event 1 (line 12)': 'lines indented by the mail (four blanks) are not recognised; a kernel line glued to program output must be found mid-line',
  '24-hugetlb-read-hwpoison-selftest-wrapped: event 1 (line 8)': '\'Injecting memory failure for pfn … at process virtual\' wrapped by the mail client: vaddr (on the next line) is not read',
  '25-hwpoison-panic-on-unrecoverable-kernel-page: 1 event(s)': 'tab-indented lines are not recognised',
  '25-hwpoison-panic-on-unrecoverable-kernel-page: 1 panic(s)': 'tab-indented lines are not recognised',
  '25-hwpoison-panic-on-unrecoverable-kernel-page: event 1 (line 5)': 'tab-indented lines are not recognised',
  '27-x86-bazzite-kdump-fatal-mce-elided: imports': 'a machine check line whose status the poster cut is an InputError; the panic and \'Processor context corrupt\' lines still state a fatal error',
  '27-x86-bazzite-kdump-fatal-mce-elided: 1 event(s)': 'a machine check line whose status the poster cut is an InputError; the panic and \'Processor context corrupt\' lines still state a fatal error',
  '27-x86-bazzite-kdump-fatal-mce-elided: 1 panic(s)': 'a machine check line whose status the poster cut is an InputError; the panic and \'Processor context corrupt\' lines still state a fatal error',
  '27-x86-bazzite-kdump-fatal-mce-elided: event 1 (line 1)': 'a machine check line whose status the poster cut is an InputError; the panic and \'Processor context corrupt\' lines still state a fatal error',
  '29-x86-rhel6-fatal-machine-check-panic: 1 event(s)': 'a \'Kernel panic - not syncing: Fatal Machine check\' without a record line opens no event',
  '29-x86-rhel6-fatal-machine-check-panic: 1 panic(s)': 'a \'Kernel panic - not syncing: Fatal Machine check\' without a record line opens no event',
  '29-x86-rhel6-fatal-machine-check-panic: event 1 (line 1)': 'a \'Kernel panic - not syncing: Fatal Machine check\' without a record line opens no event',
  '30-x86-amd-ras-mc-ctl-errors: imports': 'no importer reads ras-mc-ctl --errors text',
  '30-x86-amd-ras-mc-ctl-errors: 1 event(s)': 'no importer reads ras-mc-ctl --errors text',
  '30-x86-amd-ras-mc-ctl-errors: event 1 (line 15)': 'no importer reads ras-mc-ctl --errors text',
  '31-x86-amd-syslogd-wall-nb-ecc: 1 event(s)': 'edac_mce_amd\'s \'[Hardware Error]: MC4_STATUS[…]: <status>\' decoding is not read',
  '31-x86-amd-syslogd-wall-nb-ecc: event 1 (line 2)': 'edac_mce_amd\'s \'[Hardware Error]: MC4_STATUS[…]: <status>\' decoding is not read',
  '32-x86-trace-pipe-mce-record-shell-session: imports': 'shell prompt lines around a trace_pipe paste are an InputError',
  '32-x86-trace-pipe-mce-record-shell-session: 2 event(s)': 'shell prompt lines around a trace_pipe paste are an InputError',
  '32-x86-trace-pipe-mce-record-shell-session: event 1 (line 7)': 'shell prompt lines around a trace_pipe paste are an InputError',
  '32-x86-trace-pipe-mce-record-shell-session: event 2 (line 8)': 'shell prompt lines around a trace_pipe paste are an InputError',
  '33-arm64-juno-64k-ltp-madvise-interleaved: 1 event(s)': 'the result line is hard-wrapped by the mail client (\'clean LRU\' / \'page: Recovered\') and the injection line opens no event',
  '33-arm64-juno-64k-ltp-madvise-interleaved: event 1 (line 6)': 'the result line is hard-wrapped by the mail client; vaddr of the wrapped injection line is not read',
  '34-x86-syzkaller-unsplit-thp-sigbus-then-gpf: event 1 (line 1)': '\'Injecting memory failure for pfn … at process virtual address …\' does not set vaddr',
  '35-x86-old-openvz-syslog-mce-cpu-context-corrupt: 1 event(s)': 'the old x86_64 record wording (\'CPU %d: Machine Check Exception: %16Lx\' / \'Bank %d: %016Lx at %016Lx\') and \'Kernel panic: %s\' without \'not syncing\' are not read',
  '35-x86-old-openvz-syslog-mce-cpu-context-corrupt: 1 panic(s)': 'the old x86_64 record wording (\'CPU %d: Machine Check Exception: %16Lx\' / \'Bank %d: %016Lx at %016Lx\') and \'Kernel panic: %s\' without \'not syncing\' are not read',
  '35-x86-old-openvz-syslog-mce-cpu-context-corrupt: event 1 (line 1)': 'the old x86_64 record wording (\'CPU %d: Machine Check Exception: %16Lx\' / \'Bank %d: %016Lx at %016Lx\') and \'Kernel panic: %s\' without \'not syncing\' are not read',
  '39-x86-dmesg-T-edac-sbridge-ce-overflow: 1 event(s)': 'sb_edac\'s \'EDAC sbridge MCn: CPU n: Machine Check Event: … Bank n: <status>\' / \'ADDR …\' lines are not read',
  '39-x86-dmesg-T-edac-sbridge-ce-overflow: event 1 (line 2)': 'sb_edac\'s \'EDAC sbridge MCn: CPU n: Machine Check Event: … Bank n: <status>\' / \'ADDR …\' lines are not read',
};

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
const KINDS = new Set(['mce', 'ucna', 'sea', 'ghes', 'ce', 'access', 'inject']);
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

/** Pair each stated event with an imported one, in log order: by pfn, else pa, else vaddr, else the next unused. */
function matchEvents(t: Truth, r: ImportResult): (number | null)[] {
  const used = new Set<number>();
  const out: (number | null)[] = [];
  for (const te of t.events) {
    let pick: number | null = null;
    for (let i = 0; i < r.events.length && pick === null; i++) {
      if (used.has(i)) continue;
      const e = r.events[i]!;
      const ok = te.pfn !== undefined ? namesPfn(e, hexBig(te.pfn))
        : te.pa !== undefined ? e.pa >= 0 && BigInt(e.pa) === hexBig(te.pa)
          : te.vaddr !== undefined ? e.vaddr >= 0 && BigInt(e.vaddr) === hexBig(te.vaddr)
            : true;
      if (ok) pick = i;
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
    case 'sea': expect(NOTIFY[e.notify], 'notify').toBe('sea'); break;
    case 'ghes': expect(e.firmwareFirst, 'firmware first (GHES)').toBe(true); break;
    case 'ce': expect(SEVERITY[e.severity], 'severity').toBe('corrected'); break;
    case 'access': expect(KIND[e.kind], 'event kind').toBe('access'); break;
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
