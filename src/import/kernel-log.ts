// Kernel logs: dmesg or journal text, with or without dmesg timestamps and syslog prefixes
// (docs/import.md §kernel-log). The strings are the kernel's printk formats (kernel-model §8,
// drivers/firmware/efi/cper.c, drivers/acpi/apei/ghes.c, arch/x86/kernel/cpu/mce/core.c,
// mm/memory-failure.c), old and new wordings, plus the ras-tools einj_mem_uc output of seed 000
// ("signal 7 code 5 addr ..."). Lines of one error are grouped into one event: a report (GHES
// CPER record, x86 machine check record or kill_me_maybe line, arm64 SEA die) opens an event;
// memory_failure() lines join the event whose address is in their pfn; lines without a pfn
// (panic, GHES SIGBUS) join the latest event within LINK_WINDOW_NS.
import { InputError } from '../io/errors.js';
import {
  addrString, applyMfPage, ARM64_ASYNC_NOTIFY, coalesce, contextFromCs, decodeMca, defaultHost, Draft,
  finalize, hex, ImportResult, isMfResult, LINK_WINDOW_NS, MCI_ADDRV, MERGE_WINDOW_NS, newDraft, NS_PER_S,
  ObservedSignal, pfnCandidates, setCol, SYNTHETIC_PID_BASE,
} from './common.js';
import { embeddedStamp, LineMatcher, lineText, newPrefix, newSyslogYear, parsePrefix, quickHostBytes, scanFile } from './lines.js';

type Arch = 'x86_64' | 'arm64';

interface Section {
  line: number;
  type: string | null;
  sev: string;
  details: number;
  pa: bigint | null;
}

interface Cper {
  seq: string | null;
  source: string;
  headerLine: number;
  lastLine: number;
  sev: string | null;
  sections: Section[];
}

interface KSignal extends ObservedSignal {
  comm: string | null;
  /** Sent to the consumer whose pid the line does not print (x86 kill_me_now). */
  toConsumer: boolean;
  line: number;
}

interface ToolsRun {
  line: number;
  test: string;
  vaddr: bigint;
  paddr: bigint;
  signals: { signo: number; code: number; addr: bigint | null; line: number }[];
  notes: string[];
  pid: number | null;
}

interface KEv {
  idx: number;
  line: number;
  /** Replay order within equal times when it is not `line` (claimAlreadyPoisoned). */
  order?: number;
  /** Pids a v2.6.32 "Killing %s:%d early" line names: collect_procs took them as early-kill mappers. */
  earlyKilled?: number[];
  /** madvise_inject_error's "Injecting memory failure for pfn … at process virtual address …": a software injection (notify madvise). */
  injected?: boolean;
  /** madvise_inject_error's "Soft offlining pfn … at process virtual address …" (notify madvise_soft_offline), and what soft_offline_page printed of it. */
  softOffline?: { page: string | null; shift: number | null; pinned: boolean; what: string | null };
  lastLine: number;
  t: bigint;
  tObs: boolean;
  host: string;
  hostObs: boolean;
  source: 'ghes' | 'mce' | 'mce-user' | 'mce-copyin' | 'sea' | 'mf' | 'tools' | 'edac' | 'access';
  arch: Arch | null;
  discard: boolean;
  cper: Cper | null;
  /** status -1: the 2.6-era header printed without its "Bank %d: %016Lx" line yet; amd: an edac_mce_amd decode. */
  mca: { status: bigint; mcgstatus: bigint; cs: number | null; addr: bigint | null; cpu: number; bank: number; amd: boolean } | null;
  /** The task a printk caller id "[T<pid>]" names on a line printed in the consumer's own context (kill_me_maybe/kill_me_now task work). */
  callerPid: number | null;
  /** The task of an oops/panic header ("CPU: n PID: p Comm: c") printed after the event's lines. */
  oops: { pid: number; comm: string } | null;
  /** kind=access (x86 #PF on a poisoned page, "MCE: Killing … fault at"): the faulting task's virtual address. */
  vaddr: bigint | null;
  /** The line of the memory_failure() result joined to the event, and of its "already hardware poisoned". */
  mfLine: number | null;
  apLine: number | null;
  severity: string | null;
  sync: boolean | null;
  syncObs: boolean;
  pa: bigint | null;
  paObs: boolean;
  context: string | null;
  pid: number | null;
  pidObs: boolean;
  comm: string | null;
  mfType: string | null;
  mfResult: string | null;
  mfPfn: bigint | null;
  signals: KSignal[];
  panic: boolean | null;
  panicMsg: string | null;
  notes: string[];
  mem: string | null;
  alreadyPoisoned: boolean;
  /** Host sysctls echoed in the log before the event (shared snapshot, replaced on change). */
  sysctl: ReadonlyMap<string, string>;
  tools: ToolsRun | null;
}

/** ras-tools einj_mem_uc tests that consume the poison (kernel-model §9; x86 list, arm64 adds core/cmn tests). */
const CONSUMING_TESTS = new Set(['single', 'double', 'split', 'THP', 'hugetlb', 'memcpy', 'instr', 'copyin', 'copyout', 'copy-on-write', 'futex', 'mlock', 'thread', 'share', 'overflow']);
const TEST_CONTEXT: Record<string, string> = { copyin: 'kernel_copyin', copyout: 'kernel_copyout', 'copy-on-write': 'kernel_cow', futex: 'kernel_other' };
/**
 * einj_mem_uc tests whose target is data_alloc()'s page: mmap(MAP_SHARED|MAP_ANON) filled with
 * random bytes, a dirty shmem page (ras-tools einj_mem_uc.c tests[]). Others allocate otherwise
 * (THP, hugetlb, tmpfile, mlock, text) and are left unknown.
 */
const DATA_ALLOC_TESTS = new Set(['single', 'double', 'split', 'store', 'prefetch', 'memcpy', 'patrol', 'thread', 'overflow', 'llc', 'copyin', 'futex']);

const SYSCTLS: Record<string, string> = {
  'vm.memory_failure_early_kill': 'early_kill',
  'vm.memory_failure_recovery': 'recovery',
  'kernel.panic_on_oops': 'panic_on_oops',
};

/** RAS-looking lines not understood, kept for --verbose (all are counted). */
const MAX_UNKNOWN_KEPT = 10_000;

const CPER_LINE = /^(?:\{(\d+)\})?\[Hardware Error\]: ?(.*)$/;
/** __print_mce (v2.6.32+: "Machine Check: %Lx Bank %d: %016Lx"), the 2.6 x86_64 "Machine Check Exception: %16Lx Bank …" and i386 (Bank on its own line), and the EDAC sbridge/skx decoders' "Machine Check Event: …". */
const MCE_HEADER = /^CPU (\d+): Machine Check(?: Exception| Event)?:\s*([0-9a-fA-F]+)(?: Bank (\d+)(?:: ([0-9a-fA-F]+))?)?\s*$/;
/** edac_mce_amd decode_smca_error / decode_mc*_mce: "CPU:%d (%x:%x:%x) MC%d_STATUS[%s|%s|…]: 0x%016llx". */
const AMD_STATUS = /^(?:CPU:(\d+) \([0-9a-fA-F]+:[0-9a-fA-F]+:[0-9a-fA-F]+\) )?MC(\d+)_STATUS\[[^\]]*\]: 0x([0-9a-fA-F]+)/;
/** severities[] messages (mce_panic "Machine check: %s"), graded as the trace grades them. */
const SEVERITY_MSG: [RegExp, string, boolean][] = [
  [/^Corrected error/, 'corrected', false],
  [/^Uncorrected no action required/, 'deferred', false],
  [/^Action required: (?!unknown)|^Action required but unaffected/, 'recoverable', true],
  [/^Action optional/, 'recoverable', false],
  [/./, 'fatal', false],
];
/** Panic messages of the machine check handlers (mce_panic, ghes_panic) that name the error themselves. */
const MCE_PANIC = /[Mm]achine [Cc]heck|^Fatal hardware error!|^Timeout: Not all CPUs entered broadcast exception handler/;
/** edac_mc: "EDAC MC%d: %d CE|UE %s%son %s (%s page:0x%lx offset:0x%lx grain:%ld …)" (v3.5+), older "EDAC MC%d: CE page 0x%lx, offset 0x%lx, …". */
const EDAC_MC = /^EDAC (?:\w+ )?MC(\d+): (?:(\d+) )?(CE|UE)\b(.*)$/;
/** x86 do_sigbus (arch/x86/mm/fault.c, also parisc/powerpc): "MCE: Killing %s:%d due to hardware memory corruption fault at %lx". */
const PF_KILL = /^MCE: Killing (.+):(\d+) due to hardware memory corruption fault at ([0-9a-fA-F]+)\s*$/;
/**
 * The first part of a line a mail client hard-wrapped: the result line without its result, the
 * injection or soft offline line without its address (mm/madvise.c "Injecting memory failure for
 * pfn %#lx at process virtual address %#lx", "Soft offlining pfn …"), "still referenced by %d"
 * without "users".
 */
// (`[^:]+$`, not `[^:]+\s*$`: the same lines, but the two overlapping runs backtracked
// quadratically over a long run of spaces followed by a colon.)
const WRAPPED = /^(?:Memory failure: 0x[0-9a-fA-F]+: recovery action for [^:]+$|(?:(?:Injecting memory failure for|Soft offlining) (?:pfn |page )?(?:0x)?[0-9a-fA-F]+ at(?: process(?: virtual(?: address)?)?)?|Memory failure: 0x[0-9a-fA-F]+: .* still referenced by \d+)\s*$)/;
/** madvise_inject_error: "Injecting memory failure for pfn %#lx at process virtual address %#lx" (v4.x+), v3.x "… for page %#lx at %#lx". */
const INJECT = /^Injecting memory failure for (?:pfn |page )?(?:0x)?([0-9a-fA-F]+) at (?:process virtual address )?(?:0x)?([0-9a-fA-F]+)\s*$/;
/** madvise_inject_error with MADV_SOFT_OFFLINE: "Soft offlining pfn %#lx at process virtual address %#lx" (v4.x+), v3.x "Soft offlining page %#lx at %#lx". */
const SOFT = /^Soft offlining (?:pfn |page )?(?:0x)?([0-9a-fA-F]+) at (?:process virtual address )?(?:0x)?([0-9a-fA-F]+)\s*$/;
/**
 * soft_offline_page / soft_offline_in_use_page: pr_fmt "Soft offline: " and "%#lx: …" since v6.11
 * ("mm/memory-failure: refactor log format in soft offline code"); before, "soft offline: %#lx: …",
 * "soft offline: %#lx page already poisoned", "soft_offline: %#lx: invalidated",
 * "soft_offline_page: %#lx page already poisoned", after pr_fmt "Memory failure: " in the v6.x
 * releases before v6.11.
 */
const SOFT_RESULT = /^(?:Memory failure: )?(?:Soft offline|soft offline|soft_offline|soft_offline_page): (0x[0-9a-fA-F]+):? (.*)$/;
/** soft_offline_page with vm.enable_soft_offline = 0 (v6.11; pr_info_once: once per boot). */
const SOFT_DISABLED = /^(?:Soft offline: )?disabled by \/proc\/sys\/vm\/enable_soft_offline\s*$/;
/** get_any_page() of older kernels with its function name: "__get_any_page: %#lx: unknown zero refcount page type %lx", "… free buddy page". */
const GET_ANY = /^(?:Memory failure: )?_?_?get_any_page: (0x[0-9a-fA-F]+):? (.*)$/;
/** drivers/ras/cec.c at its action threshold: "RAS: Soft-offlining pfn: 0x%llx" (then memory_failure_queue(MF_SOFT_OFFLINE)). */
const CEC_OFFLINE = /^RAS: Soft-offlining pfn: (0x[0-9a-fA-F]+)\s*$/;
/** dump_stack_print_info: "CPU: %d UID: %u PID: %d Comm: %.20s …" (UID since v6.12). */
const TASK_HEADER = /^CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: (\S+)/;

/**
 * Lines that can matter (bit 1): every handler below reads a line containing one of these, and so
 * does every line counted as RAS-looking but not understood (RAS_LOOKING's words are among them);
 * the boot banner is here so that a reboot resets the uptime clock. Bits 2 and 4 are the x86 and
 * arm64 architecture clues (X86_CLUE, ARM_CLUE) found anywhere in the file. One automaton
 * (lines.ts LineMatcher) finds them all in one pass over the bytes.
 */
const HINT_LITERALS: readonly string[] = [
  'Hardware Error', 'emory failure', 'emory_failure', 'MCE', 'mce', 'achine check', 'achine Check', 'EDAC', 'oison', 'GHES', 'APEI',
  'CPER', 'xternal abort', 'xternal Abort', 'SIGBUS', 'Kernel panic', 'Linux version ', 'vaddr = ', 'signal ', 'Test passed',
  'Test failed', 'panic_on_oops', 'HARDWARE ERROR', 'Hardware event', 'Comm: ', 'page not present', 'Manually take', 'Big surprise',
  'Bank ', 'RIP ', 'TSC ', 'Message from syslogd@', '_sea+', 'Recover: sig=', 'software problem', 'Pid: ', 'Firmware Warn',
  'memory corruption', 'Run the above', 'Run through', 'Injecting', 'offlin', 'get_any_page',
];
const X86_LITERALS = ['mce: ', 'Machine Check Exception', 'x86_64', 'x86/', 'GenuineIntel', 'AuthenticAMD'];
const ARM_LITERALS = ['ARM processor error', 'synchronous external abort', 'aarch64', 'arm64', 'Booting Linux on physical CPU'];
const HINT = new LineMatcher([
  ...HINT_LITERALS.map((l) => [l, 1] as const), ...X86_LITERALS.map((l) => [l, 2] as const), ...ARM_LITERALS.map((l) => [l, 4] as const),
]);
/** The message of a line (prefixes stripped) that looks like RAS: counted when no handler understood it. */
const RAS_LOOKING = /Hardware Error|Memory failure|[Ss]oft[ _-]offlin|enable_soft_offline|[Mm]achine [Cc]heck|\bmce\b|\bMCE\b|EDAC|[Hh][Ww][Pp]oison|GHES|CPER|external abort|SIGBUS|memory corruption|memory_failure|HARDWARE ERROR/;
/** RAS-looking lines that are known and carry no event: shell commands of a transcript, driver and firmware-table boot messages. */
const RAS_BOILERPLATE = /^(?:[#$] ?\S|\S+@\S+[#$>]|\.\/\S+$|(?:Kernel )?[Cc]ommand line: |Triggering MCE exception on CPU|MCE exception done on CPU|Machine check events logged|EDAC MC: Removed device|\.\.\. |mce: (?:CPU ?\d*:? ?(?:supports|Thermal)|Using \d+ MCE banks|In-kernel MCE decoding|\[Hardware Error\]: Machine check events logged)|MCE: In-kernel MCE decoding enabled|EDAC (?:MC: Ver:|DEBUG:|\w+: (?:Ver:|ECC|DRAM|MC\d+: Giving out device|Mem)|sbridge: Seeking|skx: |i10nm: |MC\d+: Giving out device|amd64: |PCI0:)|GHES: APEI firmware first mode|HEST: |ERST: |BERT: |EINJ: |APEI: |ACPI: (?:HEST|ERST|BERT|EINJ)|RAS: Correctable Errors collector|EDAC \w+: (?:Ver|No ECC|ECC))/;

export function importKernelLog(file: string, hostOpt: string | undefined): ImportResult {
  const warnings: string[] = [];
  let x86Clue = false;
  let armClue = false;
  const events: KEv[] = [];
  const tools: ToolsRun[] = [];
  /** x86 page-fault SIGBUS lines (kind=access), resolved to a page after the scan. */
  const accesses: { line: number; t: bigint; tObs: boolean; host: string; hostObs: boolean; comm: string; pid: number; vaddr: bigint }[] = [];
  let mcelogLines = 0;
  let sysctl: ReadonlyMap<string, string> = new Map<string, string>();
  const hostForced = hostOpt !== undefined && hostOpt !== '';
  const fallbackHost = defaultHost(file, hostOpt);
  let timeMode: 'uptime' | 'wall' | null = null;
  let lastT = 0n;
  let lastUptime = -1n;
  let bootOffset = 0n;
  let haveTime = false;
  /** The last line with content that the scan looked at (every line while a CPER record is open). */
  let lastSeen = 0;
  /** Per host, the last line of that host the scan looked at; hosts whose events wait for a later line. */
  const hostLast = new Map<string, number>();
  const waiting = new Set<string>();
  const unknown: { line: number; text: string }[] = [];
  let unknownCount = 0;
  let cper: { ev: KEv; c: Cper } | null = null;
  let currentTools: ToolsRun | null = null;
  let seaDie: KEv | null = null;
  let skippedCper = 0;

  const where = (n: number): string => `${file}: line ${n}`;
  const fail = (n: number, what: string, expected: string): never => {
    throw new InputError(`${where(n)}: ${what}: expected ${expected}`, file, `line ${n}`);
  };

  const newEv = (source: KEv['source'], n: number, t: bigint, host: string, hostObs: boolean): KEv => {
    const ev: KEv = {
      idx: events.length, line: n, lastLine: n, t, tObs: haveTime, host, hostObs, source, arch: null, discard: false,
      cper: null, mca: null, severity: null, sync: null, syncObs: false, pa: null, paObs: false, context: null,
      pid: null, pidObs: false, comm: null, mfType: null, mfResult: null, mfPfn: null, signals: [], panic: null,
      panicMsg: null, notes: [], mem: null, alreadyPoisoned: false, sysctl, tools: null, callerPid: null, oops: null, vaddr: null, mfLine: null, apLine: null,
    };
    events.push(ev);
    return ev;
  };
  /** The latest live event within the link window whose address is in `pfn`. */
  const byPfn = (pfn: bigint, t: bigint, host: string, needNoResult: boolean, skipSoft = false): KEv | null => {
    const l = pfnIndex.get(Number(pfn));
    if (!l) return null;
    for (let i = l.length - 1; i >= 0; i--) {
      const ev = l[i]!;
      if (t - ev.t > LINK_WINDOW_NS) break;
      if (ev.discard || ev.host !== host) continue;
      if (needNoResult && ev.mfType !== null) continue;
      if (skipSoft && ev.softOffline) continue;
      return ev;
    }
    return null;
  };
  /** The latest soft offline request of `pfn` on the host within the link window. */
  const softFor = (pfn: bigint, t: bigint, host: string): KEv | null => {
    const l = pfnIndex.get(Number(pfn));
    if (!l) return null;
    for (let i = l.length - 1; i >= 0; i--) {
      const ev = l[i]!;
      if (t - ev.t > LINK_WINDOW_NS) break;
      if (!ev.discard && ev.host === host && ev.softOffline) return ev;
    }
    return null;
  };
  /**
   * What soft_offline_page printed about a request, as trace facts: "%s migration failed" /
   * "%s isolation failed" (%s "hugepage" or "page") and "thp split failed" say the page could not
   * be moved (taken as `pinned`, the model's cause of a failed migration; hugepage: a hugetlb page,
   * thp: an anonymous THP), "invalidated" a clean page-cache page dropped instead of migrated,
   * "page already poisoned" PG_hwpoison set before (poisoned_before when no earlier line of the
   * log poisoned the pfn).
   */
  const softResult = (ev: KEv, rest: string, n: number): void => {
    const so = ev.softOffline!;
    let r: RegExpExecArray | null;
    if ((r = /^(hugepage|page) (migration|isolation) failed\b/.exec(rest))) {
      so.what = `${r[1]} ${r[2]} failed`;
      so.pinned = true;
      if (r[1] === 'hugepage') { so.page = 'hugetlb'; so.shift = 21; }
    } else if (/^thp split failed/.test(rest)) {
      so.what = 'thp split failed';
      so.pinned = true;
      so.page = 'anon_thp';
      so.shift = 21;
    } else if (/^invalidated/.test(rest)) {
      so.what = 'invalidated';
      so.page = 'file_clean';
    } else if (/^page already poisoned/.test(rest)) {
      so.what = 'page already poisoned';
      ev.alreadyPoisoned = true;
      ev.apLine = n;
    }
    ev.notes.push(`soft offline: ${rest}`);
    ev.lastLine = n;
  };
  const latest = (t: bigint, host: string): KEv | null => {
    for (let i = events.length - 1; i >= 0; i--) {
      const ev = events[i]!;
      if (t - ev.t > LINK_WINDOW_NS) return null;
      if (!ev.discard && ev.host === host) return ev;
    }
    return null;
  };

  // Events by every page number their address may have, for the pfn lookups of memory_failure lines.
  // Keys are Numbers: a pfn of a 64-bit address is below 2^52, and Number keys hash faster than BigInt.
  const pfnIndex = new Map<number, KEv[]>();
  const indexPfn = (ev: KEv, pfn: bigint): void => {
    const key = Number(pfn);
    const l = pfnIndex.get(key);
    if (!l) pfnIndex.set(key, [ev]);
    else if (l[l.length - 1] !== ev) l.push(ev);
  };
  const setPa = (ev: KEv, pa: bigint): void => {
    ev.pa = pa;
    ev.paObs = true;
    for (const pfn of pfnCandidates(pa)) indexPfn(ev, pfn);
  };

  const closeCper = (atEof: boolean): void => {
    if (!cper) return;
    const { ev, c } = cper;
    cper = null;
    const block = `the CPER record of APEI source ${c.source} that starts at line ${c.headerLine}`;
    const pfx = `${c.seq !== null ? `{${c.seq}}` : ''}[Hardware Error]:`;
    if (c.sev === null) fail(c.lastLine, `${block} ends at line ${c.lastLine}`, `"${pfx} event severity: <recoverable|fatal|corrected|info>" after the header`);
    if (c.sections.length === 0) fail(c.lastLine, `${block} ends at line ${c.lastLine} without a section`, `"${pfx}  Error 0, type: <severity>" after the event severity`);
    for (const s of c.sections) {
      if (s.type === null) fail(s.line, `${block}: section at line ${s.line} has no section type`, `"${pfx}   section_type: <type>" after "Error N, type:"`);
      if (s.type === 'memory error' && s.details === 0) {
        if (atEof) fail(s.line, `${block} ends with the file right after its memory section header`, `the memory section's fields (error_status, physical_address, ...) after line ${s.line}`);
        ev.notes.push(`memory section at line ${s.line} prints no field (no valid physical address)`);
      }
    }
    const mem = c.sections.find((s) => s.type === 'memory error');
    const armSec = c.sections.find((s) => s.type === 'ARM processor error');
    for (const sec of c.sections) {
      if (sec.type !== 'memory error' && sec.type !== 'ARM processor error') {
        // Vendor-specific (unknown GUID) and other sections: recognised and reported, not replayed.
        warnings.push(`${where(sec.line)}: CPER section "${sec.type}" of the record at line ${c.headerLine}: recognised, not replayed (not a memory error section)`);
      }
    }
    if (armSec && !mem) {
      // An ARM processor error section alone describes the processor's view (cache, TLB, bus
      // error): reported; it becomes an event only if memory_failure()/SIGBUS lines of it follow.
      ev.notes.push(`ARM processor error section (line ${armSec.line}) without a memory error section`);
    }
    if ((!mem && !armSec) || c.sev === 'info') {
      ev.discard = true;
      skippedCper++;
      return;
    }
    ev.severity = c.sev;
    if (armSec) ev.arch = 'arm64';
    const pa = mem?.pa ?? armSec?.pa ?? null;
    if (pa !== null && ev.pa === null) setPa(ev, pa);
    for (const s of c.sections) if (s.sev !== c.sev) ev.notes.push(`section ${s.type} has severity ${s.sev}, the record ${c.sev}`);
  };

  const prefix = newPrefix();
  const year = newSyslogYear();
  /** syslogd's console broadcast "Message from syslogd@host at Mmm dd hh:mm:ss ..." names the host and time of the next line. */
  let wallMsg: { host: string; t: bigint } | null = null;
  let lastMsg = '';
  let lastStamp: bigint | null = null;
  /** A line a mail client hard-wrapped: its first part waits for the next line (docs/import.md). */
  let wrapped: { line: string; n: number } | null = null;
  /** The line after a wrapped one: its continuation when it is the next line (else the first part stands alone). */
  function joinWrapped(line: string, n: number): boolean {
    const w = wrapped!;
    wrapped = null;
    const next = line.trim();
    if (n === w.n + 1 && next.length > 0 && !/^[[{<]/.test(next) && next.length < 80) {
      handle(`${w.line.trimEnd()} ${next}`, w.n);
      return true;
    }
    handle(w.line, w.n);
    return false;
  }

  function handle(raw: string, n: number): boolean {
    let line = raw;
    let c = line.charCodeAt(0);
    if (c === 32 || c === 9 || c === 62 /* > */) {
      // Quoted in a mail or a report: indentation and "> " quoting before the log line.
      let i = 0;
      while (i < line.length && ((c = line.charCodeAt(i)) === 32 || c === 9 || c === 62)) i++;
      line = line.slice(i);
    }
    let wm: RegExpExecArray | null;
    if (line.charCodeAt(0) === 77 && (wm = /^Message from syslogd@(\S+) at (.+?) \.\.\.\s*$/.exec(line))) {
      const q = parsePrefix(`${wm[2]} ${wm[1]} kernel: x`, newPrefix(), year);
      wallMsg = { host: wm[1]!, t: q.wallNs ?? 0n };
      prefix.host = wm[1]!;
      return true;
    }
    if (wallMsg && line.startsWith('kernel:')) {
      const wmsg = wallMsg;
      wallMsg = null;
      line = `${new Date(Number(wmsg.t / 1_000_000n)).toISOString()} ${wmsg.host} kernel: ${line.slice(7).trimStart()}`;
    }
    let p = parsePrefix(line, prefix, year);
    if (p.shape === 'none') {
      // A serial console: firmware or program output glued before the kernel's stamped line (no
      // newline between them). The output before the stamp is a line of its own, printed first.
      const k = embeddedStamp(line);
      if (k > 0) {
        handle(line.slice(0, k), n);
        p = parsePrefix(line.slice(k), prefix, year);
      }
    }
    const msg = p.msg;
    if (msg.length === 0 || (msg.charCodeAt(0) <= 32 && msg.trim() === '')) return true;
    lastSeen = n;
    if (WRAPPED.test(msg)) {
      wrapped = { line, n };
      return true;
    }
    const stamp = p.uptimeNs;
    if (stamp !== null && stamp === lastStamp && msg === lastMsg) {
      // The same line with the same microsecond stamp twice (a console echoing the kernel's
      // buffer, corpus 21): one print. Second-resolution syslog stamps are not compared.
      return true;
    }
    lastStamp = stamp;
    lastMsg = msg;
    // Time: the first stamped line decides between uptime (dmesg) and wall clock (syslog).
    if (timeMode === null && (p.uptimeNs !== null || p.wallNs !== null)) timeMode = p.uptimeNs !== null ? 'uptime' : 'wall';
    if (timeMode === 'uptime' && p.uptimeNs !== null) {
      // A log of several boots: uptime restarts; keep t_ns increasing.
      if (p.uptimeNs + NS_PER_S < lastUptime) bootOffset += lastUptime;
      lastUptime = p.uptimeNs;
      lastT = bootOffset + p.uptimeNs;
      haveTime = true;
    } else if (timeMode === 'wall' && p.wallNs !== null) {
      lastT = p.wallNs;
      haveTime = true;
    }
    const t = haveTime ? lastT : BigInt(n);
    const host = hostForced ? fallbackHost : p.host ?? fallbackHost;
    const hostObs = hostForced || p.host !== null;
    /** printk caller id of a task ("[T1234]"), else null (an interrupt/CPU context or no caller id). */
    const callerTask = p.caller !== null && p.caller >= 0 ? p.caller : null;
    let r: RegExpExecArray | null;
    const c00 = msg.charCodeAt(0);
    if (c00 === 77 /* M */ && (r = PF_KILL.exec(msg))) {
      accesses.push({ line: n, t, tObs: haveTime, host, hostObs, comm: r[1]!, pid: Number(r[2]), vaddr: BigInt(`0x${r[3]}`) });
      return true;
    }
    if (c00 === 69 /* E */ && msg.startsWith('EDAC ')) return handleEdac(msg, n, t, host, hostObs);
    if (c00 === 67 /* C */ && msg.startsWith('CPU ') && msg.includes(': Machine Check')) return handleMce(msg, n, t, host, hostObs);
    if ((c00 === 66 /* B */ || c00 === 82 /* R */ || c00 === 84 /* T */ || c00 === 72 /* H */) && /^(?:Bank \d+: |RIP |TSC |HARDWARE ERROR\s*$)/.test(msg)) {
      // 2.6-era records print these lines without a prefix; they continue the record before them.
      if (latestMce(t, host)) return handleMce(msg.trim(), n, t, host, hostObs);
    }
    if (c00 === 84 /* T */ && /^This is not a software problem!|^Run (?:the above )?through/.test(msg)) return latestMce(t, host) !== null;
    if (p.ident === 'mcelog' || /^(?:Hardware event\. This is not a software error\.|HARDWARE ERROR\. This is \*NOT\* a software problem!)/.test(msg)) {
      // The mcelog daemon's decoded record in the same log: the kernel's own record of the machine
      // check is the event; the daemon's lines are counted (import the mcelog output to read them).
      mcelogLines++;
      return true;
    }

    // ---- GHES CPER dump and old-style "[Hardware Error]:" MCE lines.
    const c0 = msg.charCodeAt(0);
    if ((c0 === 123 /* { */ || c0 === 91 /* [ */) && msg.includes('[Hardware Error]')) {
      const m = CPER_LINE.exec(msg);
      if (m) {
        const seq = m[1] ?? null;
        let body = m[2]!;
        if (body.charCodeAt(0) === 32) body = body.trimStart();
        if (body.charCodeAt(body.length - 1) <= 32) body = body.trimEnd();
        if (seq === null && handleMce(body, n, t, host, hostObs)) return true;
        const h = /^Hardware error from APEI Generic Hardware Error Source: (\d+)$/.exec(body);
        if (h) {
          closeCper(false);
          const prev = latest(t, host);
          const joinSea = prev !== null && prev.source === 'sea' && prev.cper === null && t - prev.t <= MERGE_WINDOW_NS && !prev.notes.some((x) => x.startsWith('die()'));
          const ev = joinSea ? prev! : newEv('ghes', n, t, host, hostObs);
          if (joinSea) ev.source = 'ghes';
          const c: Cper = { seq, source: h[1]!, headerLine: n, lastLine: n, sev: null, sections: [] };
          ev.cper = c;
          cper = { ev, c };
          return true;
        }
        if (!cper || cper.c.seq !== seq) {
          if (!/^It has been corrected by h\/w/.test(body)) warnings.push(`${where(n)}: CPER line outside a record (the header was not captured): ignored`);
          return true;
        }
        const c = cper.c;
        c.lastLine = n;
        cper.ev.lastLine = n;
        if ((r = /^event severity: (\w+)$/.exec(body))) {
          c.sev = r[1]!;
          if (!['recoverable', 'fatal', 'corrected', 'info', 'unknown'].includes(c.sev)) fail(n, `event severity ${JSON.stringify(c.sev)}`, 'recoverable, fatal, corrected, info or unknown (cper_severity_str)');
        } else if ((r = /^Error (\d+), type: (\w+)$/.exec(body))) {
          c.sections.push({ line: n, type: null, sev: r[2]!, details: 0, pa: null });
        } else if ((r = /^section[_ ]type: (.+)$/.exec(body))) {
          const s = c.sections[c.sections.length - 1];
          if (!s) fail(n, 'section_type before any "Error N, type:" line', '"Error N, type: <severity>" first');
          s!.type = r[1]!.startsWith('unknown') ? 'unknown' : r[1]!;
        } else {
          const s = c.sections[c.sections.length - 1];
          if (s) s.details++;
          if ((r = /^physical_address: (.*)$/.exec(body)) || (r = /^physical fault address: (.*)$/.exec(body))) {
            if (!/^0x[0-9a-fA-F]{1,16}$/.test(r[1]!)) fail(n, `physical address ${JSON.stringify(r[1])}`, 'a hexadecimal address "0x%016llx"');
            if (s) s.pa = BigInt(r[1]!);
            // Known at once, so the memory_failure() lines that follow find the record by pfn.
            if (s && cper.ev.pa === null && (s.type === 'memory error' || s.type === 'ARM processor error')) setPa(cper.ev, s.pa!);
          }
        }
        return true;
      }
    }
    if (msg.startsWith('mce: ')) {
      const rest = msg.slice(5);
      const hw = /^\[Hardware Error\]: (.*)$/.exec(rest);
      if (hw) {
        handleMce(hw[1]!.trim(), n, t, host, hostObs);
        return true;
      }
      if ((r = /^Uncorrected hardware memory error in user-access at ([0-9a-fA-F]+)/.exec(rest)) || (r = /^Kernel accessed poison in user space at ([0-9a-fA-F]+)/.exec(rest))) {
        const pa = BigInt(`0x${r[1]}`);
        const copyin = rest.startsWith('Kernel');
        const prev = latest(t, host);
        let ev = prev && prev.source === 'mce' && t - prev.t <= MERGE_WINDOW_NS && (prev.pa === null || (prev.pa >> 12n) === (pa >> 12n)) ? prev : null;
        if (!ev) ev = newEv(copyin ? 'mce-copyin' : 'mce-user', n, t, host, hostObs);
        ev.arch = 'x86_64';
        ev.context = copyin ? 'kernel_copyin' : 'user';
        ev.sync = true;
        ev.syncObs = true;
        if (ev.pa === null) setPa(ev, pa);
        // kill_me_maybe/kill_me_never run as task work of the consumer: a caller id names it.
        if (callerTask !== null) ev.callerPid = callerTask;
        ev.lastLine = n;
        return true;
      }
      if (/^Memory error not recovered/.test(rest)) {
        // kill_me_maybe prints this when its memory_failure() call did not return 0: the line
        // belongs to the machine check of that call (the latest kill_me_maybe report of the host).
        const owner = latestReport(t, host);
        const ev = owner ?? latest(t, host);
        if (owner) claimAlreadyPoisoned(owner);
        if (ev) {
          if (callerTask !== null && ev.callerPid === null) ev.callerPid = callerTask;
          ev.signals.push({ pid: -1, tid: null, signo: 7, siCode: 128, addr: null, lsb: null, comm: null, toConsumer: true, line: n });
          ev.notes.push('kill_me_now: SIGBUS (SI_KERNEL) to the consumer');
          ev.lastLine = n;
        }
        return true;
      }
      return false;
    }
    if (msg.startsWith('Memory failure: ') || msg.startsWith('MCE 0x')) {
      const legacy = msg.startsWith('MCE 0x');
      const r = legacy ? /^MCE (0x[0-9a-fA-F]+): (.*)$/.exec(msg) : /^Memory failure: (0x[0-9a-fA-F]+|0): (.*)$/.exec(msg);
      if (r) return handleMf(BigInt(r[1]!), r[2]!, legacy, n, t, host, hostObs);
      // "Memory failure: ..." without a pfn: not a per-page line (e.g. "just unpoisoned" of old
      // kernels), unless it is a soft offline line under the v6.x pr_fmt (read below).
      if (!msg.startsWith('Memory failure: soft') && !msg.startsWith('Memory failure: get_any_page')) return false;
    }
    if ((r = INJECT.exec(msg))) {
      // A software injection names the page and the task's virtual address; memory_failure() follows.
      const ev = mfEvent(BigInt(`0x${r[1]}`), t, host, hostObs, n, true);
      ev.vaddr = BigInt(`0x${r[2]}`);
      ev.injected = true;
      ev.notes.push('injected by madvise(MADV_HWPOISON)');
      return true;
    }
    if ((r = SOFT.exec(msg))) {
      // madvise(MADV_SOFT_OFFLINE): a request of its own (soft_offline_page() in the task, printed
      // in the task's context: a caller id names it); what soft_offline_page prints next joins it.
      const pfn = BigInt(`0x${r[1]}`);
      const ev = newEv('mf', n, t, host, hostObs);
      ev.mfPfn = pfn;
      ev.vaddr = BigInt(`0x${r[2]}`);
      ev.softOffline = { page: null, shift: null, pinned: false, what: null };
      if (callerTask !== null) ev.callerPid = callerTask;
      ev.notes.push('soft offline requested by madvise(MADV_SOFT_OFFLINE)');
      indexPfn(ev, pfn);
      return true;
    }
    if ((r = SOFT_RESULT.exec(msg))) {
      const ev = softFor(BigInt(r[1]!), t, host);
      if (!ev) return false;
      softResult(ev, r[2]!.trim(), n);
      return true;
    }
    if (SOFT_DISABLED.test(msg)) {
      const ev = latest(t, host);
      if (!ev?.softOffline) return false;
      ev.softOffline.what = 'disabled';
      ev.lastLine = n;
      ev.notes.push('vm.enable_soft_offline = 0: soft_offline_page() refused (-EOPNOTSUPP)');
      warnings.push(`${where(n)}: vm.enable_soft_offline is 0 on host ${host} (the trace has no column for it): replay with a profile whose host enable_soft_offline is 0`);
      return true;
    }
    if ((r = GET_ANY.exec(msg))) {
      // get_any_page() about the page a soft offline request (or a memory_failure() call) looks up.
      const pfn = BigInt(r[1]!);
      const ev = softFor(pfn, t, host) ?? byPfn(pfn, t, host, false);
      if (!ev) return false;
      const rest = r[2]!.trim();
      if (ev.softOffline) {
        if (/^(?:unhandlable page|unknown zero refcount page type)/.test(rest)) { ev.softOffline.what = 'unhandlable page'; ev.softOffline.page = 'unknown'; }
        else if (/^free buddy page/.test(rest)) ev.softOffline.page = 'free';
      }
      ev.notes.push(`get_any_page: ${rest}`);
      ev.lastLine = n;
      return true;
    }
    if ((r = CEC_OFFLINE.exec(msg))) {
      // RAS_CEC reached its threshold for the pfn: the corrected error it just counted (the latest
      // report of the page) is the one that soft-offlines it (memory_failure_queue, MF_SOFT_OFFLINE).
      const ev = byPfn(BigInt(r[1]!), t, host, false);
      if (!ev) return false;
      ev.notes.push(`RAS_CEC soft-offlines pfn ${r[1]} (its action threshold)`);
      ev.lastLine = n;
      return true;
    }
    if ((r = /^Recover: sig=(\d+) si=(0x[0-9a-fA-F]+|\(nil\)) v=(0x[0-9a-fA-F]+|\(nil\))/.exec(msg))) {
      // ras-tools mca-recover's SIGBUS handler: the program received the signal (si_code not printed).
      const ev = latest(t, host);
      if (!ev) return false;
      ev.signals.push({ pid: -1, tid: null, signo: Number(r[1]), siCode: null, addr: null, lsb: null, comm: null, toConsumer: true, line: n });
      ev.notes.push(`mca-recover received signal ${r[1]}`);
      return true;
    }
    if (msg.startsWith('Kernel panic - not syncing: ') || msg.startsWith('Kernel panic: ')) {
      const ev = latest(t, host);
      // "Kernel panic: %s" is the 2.6.1x panic() wording (before "not syncing").
      const pm = msg.slice(msg.indexOf(': ') + 2).trim();
      if (ev) {
        ev.panic = true;
        ev.panicMsg = pm;
        ev.lastLine = n;
      } else if (MCE_PANIC.test(pm)) {
        // The panic of the machine check handler is the only line of its error (the record was not
        // captured): a fatal error event (x86 mce_panic; "Fatal hardware error!" is ghes_panic).
        const ghes = pm.startsWith('Fatal hardware error!');
        const e2 = newEv(ghes ? 'ghes' : 'mce', n, t, host, hostObs);
        if (!ghes) e2.arch = 'x86_64';
        e2.severity = 'fatal';
        e2.panic = true;
        e2.panicMsg = pm;
        e2.notes.push('only the panic line of this error is in the log');
      } else {
        warnings.push(`${where(n)}: panic "${pm}" follows no memory error within ${LINK_WINDOW_NS / NS_PER_S} s; not attached to an event`);
      }
      return true;
    }
    if ((r = /^Synchronous External Abort: (.+) \(0x([0-9a-fA-F]+)\) at 0x([0-9a-fA-F]+)\s*$/.exec(msg))) {
      // arm64 v4.x do_sea: the abort is printed before ghes_notify_sea() reads the firmware record.
      const ev = newEv('sea', n, t, host, hostObs);
      ev.arch = 'arm64';
      ev.sync = true;
      ev.syncObs = true;
      ev.context = 'user';
      ev.vaddr = BigInt(`0x${r[3]}`);
      ev.notes.push(`do_sea: ${r[1]} (ESR ${r[2]}) at ${hex(ev.vaddr)}`);
      return true;
    }
    if (/\b(?:ghes_notify_sea|do_sea)\+0x/.test(msg)) {
      // A call trace through do_sea/ghes_notify_sea: the record was taken by a synchronous external abort.
      const ev = latest(t, host);
      if (ev && ev.source === 'ghes') {
        if (ev.sync !== true) ev.notes.push('call trace through do_sea: SEA');
        ev.sync = true;
        ev.syncObs = true;
        ev.arch = 'arm64';
        ev.lastLine = n;
        return true;
      }
      return false;
    }
    if ((r = /\[Hardware Error\]: GHES: (.+):(\d+): synchronous unrecoverable error \(SIGBUS\)\s*$/.exec(msg))) {
      const ev = latest(t, host);
      if (!ev) return !!warnings.push(`${where(n)}: GHES synchronous SIGBUS follows no memory error; ignored`);
      ev.sync = true;
      ev.syncObs = true;
      ev.arch = 'arm64';
      if (ev.context === null) ev.context = 'user';
      ev.pid = Number(r[2]);
      ev.pidObs = true;
      ev.comm = r[1]!;
      ev.signals.push({ pid: Number(r[2]), tid: Number(r[2]), signo: 7, siCode: 128, addr: null, lsb: null, comm: r[1]!, toConsumer: false, line: n });
      ev.lastLine = n;
      return true;
    }
    if ((r = /^(0x[0-9a-fA-F]+): Sending SIGBUS to (.+):(\d+) due to hardware memory corruption\s*$/.exec(msg))) {
      // GHES memory_failure_cb (seed 000 task work): memory_failure() failed, force_sig(SIGBUS) to current.
      const pfn = BigInt(r[1]!);
      const ev = byPfn(pfn, t, host, false) ?? latest(t, host);
      if (!ev) return !!warnings.push(`${where(n)}: memory_failure_cb SIGBUS for pfn ${r[1]} follows no memory error; ignored`);
      ev.signals.push({ pid: Number(r[3]), tid: Number(r[3]), signo: 7, siCode: 128, addr: null, lsb: null, comm: r[2]!, toConsumer: false, line: n });
      ev.pid = Number(r[3]);
      ev.pidObs = true;
      ev.comm = r[2]!;
      ev.lastLine = n;
      return true;
    }
    if ((r = /^Internal error: synchronous external abort: ([0-9a-fA-F]+) \[#(\d+)\]/.exec(msg))) {
      const prev = latest(t, host);
      const ev = prev && prev.source === 'ghes' && t - prev.t <= MERGE_WINDOW_NS ? prev : newEv('sea', n, t, host, hostObs);
      ev.arch = 'arm64';
      ev.sync = true;
      ev.syncObs = true;
      ev.context = 'kernel_other';
      ev.notes.push(`die() on a kernel-mode synchronous external abort (ESR ${r[1]})`);
      ev.lastLine = n;
      seaDie = ev;
      return true;
    }
    if (c00 === 67 /* C */ && (r = TASK_HEADER.exec(msg))) {
      if (seaDie && n <= seaDie.lastLine + 4) {
        seaDie.pid = Number(r[1]);
        seaDie.pidObs = true;
        seaDie.comm = r[2]!;
        seaDie.lastLine = n;
        seaDie = null;
        return true;
      }
      // The oops/panic header of the task that was running right after an error's lines (the
      // consumer of a synchronous error: used in toDraft only when the event is synchronous).
      const ev = latest(t, host);
      if (ev && ev.oops === null && ev.pid === null && n <= ev.lastLine + 30) {
        ev.oops = { pid: Number(r[1]), comm: r[2]! };
        ev.lastLine = n;
        return true;
      }
      return false;
    }
    if ((r = /^\[Firmware Warn\]: GHES: Invalid address in generic error data: (0x[0-9a-fA-F]+)/.exec(msg))) {
      const ev = latest(t, host);
      if (ev) { ev.notes.push(`GHES rejected the address ${r[1]} (not a valid pfn)`); ev.lastLine = n; }
      return true;
    }
    if (msg.startsWith('APEI work queued but not completed')) {
      const ev = latest(t, host);
      if (ev) { ev.notes.push('APEI work queued but not completed'); ev.lastLine = n; }
      return true;
    }
    if ((r = /^(vm\.memory_failure_early_kill|vm\.memory_failure_recovery|kernel\.panic_on_oops)\s*=\s*([01])\s*$/.exec(msg))) {
      sysctl = new Map([...sysctl, [SYSCTLS[r[1]!]!, r[2]!]]);
      return true;
    }
    // ---- ras-tools einj_mem_uc output (seed 000 "before"/"after" transcript).
    if ((r = /^\d+: (\S+) vaddr = (0x[0-9a-fA-F]+) paddr = (?:0x)?([0-9a-fA-F]+)\s*$/.exec(msg))) {
      currentTools = { line: n, test: r[1]!, vaddr: BigInt(r[2]!), paddr: BigInt(`0x${r[3]}`), signals: [], notes: [], pid: p.identPid };
      tools.push(currentTools);
      return true;
    }
    if (currentTools) {
      if ((r = /^signal (\d+) code (\d+) addr (0x[0-9a-fA-F]+|\(nil\))\s*$/.exec(msg))) {
        currentTools.signals.push({ signo: Number(r[1]), code: Number(r[2]), addr: r[3] === '(nil)' ? 0n : BigInt(r[3]!), line: n });
        return true;
      }
      if (/^(page not present|Test passed|Test failed|Expected SIGBUS, didn't get one|Unexpected SIGBUS|Manually take page offline|Big surprise .*)\s*$/.test(msg)) {
        currentTools.notes.push(`einj_mem_uc: ${msg.trim()}`);
        if (/^Test (passed|failed)/.test(msg)) currentTools = null;
        return true;
      }
    }
    return false;
  }
  const lineCount = scanFile(file, HINT, {
    clues(bits) {
      if (bits & 2) x86Clue = true;
      if (bits & 4) armClue = true;
    },
    candidate(line, n, bits) {
      if (bits & 2) x86Clue = true;
      if (bits & 4) armClue = true;
      if (wrapped && joinWrapped(line, n)) return;
      const understood = handle(line, n);
      const host = hostForced ? fallbackHost : prefix.host ?? fallbackHost;
      hostLast.set(host, n);
      // An event of this host may have taken the line: wait for a later line of the host (panic).
      if (understood) waiting.add(host);
      else if (RAS_LOOKING.test(prefix.msg) && !RAS_BOILERPLATE.test(prefix.msg)) {
        unknownCount++;
        if (unknown.length < MAX_UNKNOWN_KEPT) unknown.push({ line: n, text: line });
      }
    },
    wantNoise: () => waiting.size > 0 || cper !== null || wrapped !== null,
    noise(buf, start, end, n) {
      if (wrapped && joinWrapped(lineText(buf, start, end), n)) return;
      let k = start;
      while (k < end && buf[k]! <= 32) k++;
      if (k === end) return; // blank
      lastSeen = n;
      const host = hostForced ? fallbackHost : quickHostBytes(buf, start, end) ?? fallbackHost;
      hostLast.set(host, n);
      waiting.delete(host);
    },
  });
  if (wrapped) {
    const w: { line: string; n: number } = wrapped;
    wrapped = null;
    handle(w.line, w.n);
  }
  const fileArch: Arch | null = x86Clue === armClue ? null : x86Clue ? 'x86_64' : 'arm64';
  closeCper(lastSeen === (cper as { c: Cper } | null)?.c.lastLine);
  if (mcelogLines) warnings.push(`${file}: ${mcelogLines} line(s) of mcelog's decoded records: not replayed from a kernel log (the kernel's own record of each machine check is; import the mcelog output itself to read its records)`);
  if (skippedCper) warnings.push(`${file}: ${skippedCper} CPER record(s) without a memory or ARM processor section (or informational) skipped`);

  // ---- ras-tools runs: attach each to the error whose address is its paddr, else the next event.
  for (const run of tools) {
    let ev = events.filter((e) => !e.discard && e.pa !== null && (e.pa >> 12n) === (run.paddr >> 12n))
      .sort((a, b) => Math.abs(a.line - run.line) - Math.abs(b.line - run.line))[0] ?? null;
    if (!ev) ev = events.find((e) => !e.discard && e.line > run.line && !e.tools) ?? null;
    if (!ev) {
      ev = newEv('tools', run.line, 0n, fallbackHost, hostForced);
      ev.tObs = false;
      ev.t = BigInt(run.line);
      ev.pa = run.paddr;
      ev.paObs = true;
      ev.notes.push('no kernel line of this error was captured');
    }
    ev.tools = run;
  }

  // ---- x86 page-fault SIGBUS lines (do_sigbus): kind=access events on the page an error of the
  // same host poisoned: the latest such error earlier in the log, else the first within 10 s after
  // it (memory_failure() may print its result after the fault, Tony Luck's copy-on-write log).
  if (accesses.length > 0) {
    const byHost = new Map<string, KEv[]>();
    for (const e of events) {
      if (e.discard || (e.pa === null && e.mfPfn === null)) continue;
      const l = byHost.get(e.host);
      if (l) l.push(e);
      else byHost.set(e.host, [e]);
    }
    for (const a of accesses) {
      const l = byHost.get(a.host) ?? [];
      let src: KEv | null = null;
      for (const e of l) {
        if (e.line < a.line) src = e;
        else {
          if (src === null && e.t - a.t <= LINK_WINDOW_NS) src = e;
          break;
        }
      }
      if (!src) {
        warnings.push(`${where(a.line)}: page-fault SIGBUS to ${a.comm}:${a.pid} at ${hex(a.vaddr)}: no memory error of this host in the log names the page; not replayed`);
        continue;
      }
      const ev = newEv('access', a.line, a.t, a.host, a.hostObs);
      ev.tObs = a.tObs;
      ev.arch = 'x86_64';
      const pfn = src.mfPfn ?? (src.pa! >> 12n);
      ev.pa = (pfn << 12n) | (a.vaddr & 0xfffn);
      ev.paObs = false;
      ev.pid = a.pid;
      ev.pidObs = true;
      ev.comm = a.comm;
      ev.vaddr = a.vaddr;
      ev.notes.push(`x86 #PF on a poisoned page (do_sigbus: force_sig_mceerr(BUS_MCEERR_AR)); page of the error at line ${src.line}`);
    }
  }

  const drafts: Draft[] = [];
  /** host + pfn of every page an earlier line of the log poisoned (memory_failure() ran on it). */
  const seenPfn = new Set<string>();
  // In the order of the lines that poisoned or found poisoned each page (poisoned_before looks back).
  const order = events.filter((e) => !e.discard).sort((a, b) => (a.apLine ?? a.mfLine ?? a.line) - (b.apLine ?? b.mfLine ?? b.line));
  for (const ev of order) {
    const d = toDraft(ev, drafts.length);
    if (d) drafts.push(d);
  }
  const res = finalize(drafts, file, 'kernel-log', warnings);
  res.lines = lineCount;
  res.unrecognized = unknownCount;
  res.unrecognizedLines = unknown;
  if (unknownCount > 0) warnings.push(`${file}: ${unknownCount} line(s) look like RAS messages but were not understood (import --verbose lists them)`);
  return res;

  // ---------------------------------------------------------------------------------------------

  function handleMce(body: string, n: number, t: bigint, host: string, hostObs: boolean): boolean {
    let r: RegExpExecArray | null;
    if (body.startsWith('CPU ') && body.includes('Machine Check')) {
      r = MCE_HEADER.exec(body);
      if (!r) fail(n, `machine check record ${JSON.stringify(body)}`, '"CPU %d: Machine Check%s: %Lx Bank %d: %016Lx" (__print_mce)');
      // -1: the Bank line follows (2.6 i386); -2: "Bank N" printed without its status (an elided copy).
      const status = r![4] !== undefined ? BigInt(`0x${r![4]}`) : r![3] !== undefined ? -2n : -1n;
      const prev = latestMce(t, host);
      if (prev?.mca && status >= 0n && prev.mca.status === status && prev.mca.bank === Number(r![3]) && prev.mca.cpu === Number(r![1]) && t - prev.t <= MERGE_WINDOW_NS) {
        // The same record printed twice (__print_mce and an EDAC decoder of the same mce).
        prev.notes.push(`record repeated at line ${n}`);
        prev.lastLine = n;
        return true;
      }
      const ev = newEv('mce', n, t, host, hostObs);
      ev.arch = 'x86_64';
      ev.mca = { cpu: Number(r![1]), mcgstatus: BigInt(`0x${r![2]}`), bank: r![3] !== undefined ? Number(r![3]) : -1, status, cs: null, addr: null, amd: false };
      return true;
    }
    if ((r = AMD_STATUS.exec(body))) {
      // edac_mce_amd's decode of a logged mce (polled or from #MC; MCG_STATUS is not printed).
      const status = BigInt(`0x${r[3]}`);
      const prev = latestMce(t, host);
      if (prev?.mca && prev.mca.status === status && t - prev.t <= MERGE_WINDOW_NS) {
        prev.mca.amd = true;
        prev.lastLine = n;
        return true;
      }
      const ev = newEv('mce', n, t, host, hostObs);
      ev.arch = 'x86_64';
      ev.mca = { cpu: r[1] !== undefined ? Number(r[1]) : -1, mcgstatus: 0n, bank: Number(r[2]), status, cs: null, addr: null, amd: true };
      ev.notes.push('edac_mce_amd decode (MCG_STATUS not printed: taken as a polled record)');
      return true;
    }
    const ev = latestMce(t, host);
    if ((r = /^Bank (\d+): ([0-9a-fA-F]+)(?: (?:at|ADDR) ([0-9a-fA-F]+))?/.exec(body))) {
      if (!ev?.mca) return false;
      if (ev.mca.status >= 0n) return false;
      ev.mca.bank = Number(r[1]);
      ev.mca.status = BigInt(`0x${r[2]}`);
      if (r[3] !== undefined) {
        ev.mca.addr = BigInt(`0x${r[3]}`);
        if ((ev.mca.status & MCI_ADDRV) !== 0n) setPa(ev, ev.mca.addr);
      }
      ev.lastLine = n;
      return true;
    }
    if ((r = /^Error Addr: 0x([0-9a-fA-F]+)/.exec(body)) || (r = /^ADDR ([0-9a-fA-F]+)\s*$/.exec(body))) {
      if (!ev?.mca) return false;
      ev.mca.addr = BigInt(`0x${r[1]}`);
      if (ev.mca.status >= 0n && (ev.mca.status & MCI_ADDRV) !== 0n) setPa(ev, ev.mca.addr);
      ev.lastLine = n;
      return true;
    }
    if (/^(?:IPID: |Syndrome: |MISC |HARDWARE ERROR$|HANDLING MCE MEMORY ERROR|PROCESSOR |Northbridge Error|.* Ext\. Error Code: |cache level: |Corrected error, no action required\.|Uncorrected, software (?:restartable|containable) error\.|Deferred error, no action required\.|System Fatal error\.)/.test(body)) {
      // The rest of an edac_mce_amd / sbridge / 2.6 record: nothing a trace column holds.
      if (ev) ev.lastLine = n;
      return ev !== null || /^(?:Corrected error|Uncorrected, software|Deferred error|System Fatal)/.test(body);
    }
    if ((r = /^RIP( !INEXACT!)? ([0-9a-fA-F]+):<([0-9a-fA-F]+)>/.exec(body))) {
      if (ev?.mca) { ev.mca.cs = parseInt(r[2]!, 16); ev.lastLine = n; }
      return true;
    }
    if (body.startsWith('TSC ')) {
      const a = /ADDR ([0-9a-fA-F]+)/.exec(body);
      if (ev?.mca) {
        if (a) {
          ev.mca.addr = BigInt(`0x${a[1]}`);
          if (ev.mca.status >= 0n && (ev.mca.status & MCI_ADDRV) !== 0n) setPa(ev, ev.mca.addr);
        }
        ev.lastLine = n;
      }
      return true;
    }
    if (body.startsWith('PROCESSOR ')) {
      // "PROCESSOR %u:%x": the CPU vendor (X86_VENDOR_AMD 2, X86_VENDOR_HYGON 9) picks AMD's grading.
      const v = /^PROCESSOR (\d+):/.exec(body);
      if (ev?.mca && v && (v[1] === '2' || v[1] === '9')) ev.mca.amd = true;
      if (ev) ev.lastLine = n;
      return true;
    }
    if ((r = /^Machine check: (.*)$/.exec(body))) {
      const e = ev ?? latest(t, host);
      if (e) {
        e.notes.push(`severity: ${r[1]}`);
        if (/in a user process/.test(r[1]!)) e.context = 'user';
        e.lastLine = n;
      }
      return true;
    }
    return /^(Run the above through|Machine check events logged|Machine Check Exception)/.test(body);
  }

  /**
   * EDAC lines. The decoders of the x86 mce (sbridge, skx, i10nm: "EDAC <drv> MC<n>: CPU %d: Machine
   * Check Event: …", "TSC", "ADDR", "MISC", "PROCESSOR" lines) repeat the machine check record; the
   * EDAC core's "MC<n>: <k> CE|UE … page:0x%lx offset:0x%lx …" line reports a memory controller
   * error: it joins the report of the same error within 1 s (the machine check, GHES record or AMD
   * decode), else it is an error event of its own (corrected or uncorrected, asynchronous).
   */
  function handleEdac(msg: string, n: number, t: bigint, host: string, hostObs: boolean): boolean {
    const r = EDAC_MC.exec(msg);
    if (!r) {
      const dec = /^EDAC \w+ MC\d+: (.*)$/.exec(msg);
      if (dec) return handleMce(dec[1]!.trim(), n, t, host, hostObs);
      return false;
    }
    const ue = r[3] === 'UE';
    const rest = r[4]!;
    const page = /page[: ]0x([0-9a-fA-F]+)/.exec(rest);
    const off = /offset[: ]0x([0-9a-fA-F]+)/.exec(rest);
    const pa = page ? (BigInt(`0x${page[1]}`) << 12n) | (off ? BigInt(`0x${off[1]}`) & 0xfffn : 0n) : null;
    const label = `EDAC MC${r[1]}: ${r[2] ?? '1'} ${r[3]}${pa !== null ? ` at ${hex(pa)}` : ''}`;
    const prev = latest(t, host);
    if (prev && prev.source !== 'edac' && prev.source !== 'access' && t - prev.t <= MERGE_WINDOW_NS && (prev.pa === null || pa === null || (prev.pa >> 12n) === (pa >> 12n))) {
      prev.notes.push(`${label} (line ${n})`);
      if (prev.pa === null && pa !== null) setPa(prev, pa);
      prev.lastLine = n;
      return true;
    }
    const ev = newEv('edac', n, t, host, hostObs);
    ev.severity = ue ? 'recoverable' : 'corrected';
    ev.sync = false;
    ev.syncObs = true;
    if (/APEI location:/.test(rest)) ev.notes.push('ghes_edac (firmware first)');
    ev.notes.push(label);
    if (pa !== null) setPa(ev, pa);
    return true;
  }

  /** The latest x86 machine check of the host within the link window that kill_me_maybe reported. */
  function latestReport(t: bigint, host: string): KEv | null {
    for (let i = events.length - 1; i >= 0; i--) {
      const ev = events[i]!;
      if (t - ev.t > LINK_WINDOW_NS) return null;
      if (!ev.discard && ev.host === host && (ev.source === 'mce-user' || ev.source === 'mce-copyin')) return ev;
    }
    return null;
  }

  /**
   * One memory_failure() call prints either "already hardware poisoned" or a result line. When the
   * kill_me_maybe call of `owner` failed ("Memory error not recovered") but a Recovered/Delayed
   * result was joined to it, that result was another path's call (the UCNA/CMCI memory_failure()
   * racing it, as in commit 046545a661af's log), and the "already hardware poisoned" lines that
   * followed (with their kills) were this call's: swap them.
   */
  function claimAlreadyPoisoned(owner: KEv): void {
    if (owner.mfResult !== 'Recovered' && owner.mfResult !== 'Delayed') return;
    const pfn = owner.mfPfn ?? (owner.pa !== null ? owner.pa >> 12n : null);
    if (pfn === null) return;
    const other = events.find((e) => e !== owner && !e.discard && e.source === 'mf' && e.host === owner.host && e.alreadyPoisoned && e.mfType === null && e.mfPfn === pfn && e.line > owner.line);
    if (!other) return;
    other.mfType = owner.mfType;
    other.mfResult = owner.mfResult;
    other.line = owner.mfLine ?? other.line;
    other.alreadyPoisoned = false;
    other.notes = other.notes.filter((x) => x !== 'already hardware poisoned');
    other.notes.push('memory_failure() of another path that won the race with the machine check (its result line)');
    owner.mfType = null;
    owner.mfResult = null;
    owner.alreadyPoisoned = true;
    owner.apLine = other.apLine;
    other.apLine = null;
    other.mfLine = owner.mfLine;
    owner.mfLine = null;
    owner.notes.push('already hardware poisoned (another path poisoned the page first)');
    owner.signals.push(...other.signals);
    other.signals = [];
    owner.lastLine = Math.max(owner.lastLine, other.lastLine);
    // The winning call poisoned the page before the machine check's call found it poisoned (its
    // result line comes before "already hardware poisoned"): it replays first, at the owner's time.
    if (other.t > owner.t) other.t = owner.t;
    other.order = owner.line - 0.5;
  }

  function latestMce(t: bigint, host: string): KEv | null {
    const ev = latest(t, host);
    return ev && ev.source === 'mce' ? ev : null;
  }

  /** The event a pfn line belongs to, or a new one (the report of this error was not captured). */
  function mfEvent(pfn: bigint, t: bigint, host: string, hostObs: boolean, n: number, needNoResult: boolean): KEv {
    // A memory_failure() line never belongs to a soft offline request (soft_offline_page is another call).
    let ev = byPfn(pfn, t, host, needNoResult, true);
    if (!ev) {
      ev = newEv('mf', n, t, host, hostObs);
      ev.mfPfn = pfn;
      indexPfn(ev, pfn);
    }
    ev.lastLine = n;
    if (ev.mfPfn === null) ev.mfPfn = pfn;
    return ev;
  }

  function handleMf(pfn: bigint, rest: string, legacy: boolean, n: number, t: bigint, host: string, hostObs: boolean): boolean {
    let r: RegExpExecArray | null;
    if ((r = /^recovery action for (.+): (\S+)\s*$/.exec(rest)) || (legacy && (r = /^(.+?) page recovery: (\S+)\s*$/.exec(rest)))) {
      const type = legacy && !rest.startsWith('recovery action') ? `${r[1]} page` : r[1]!;
      if (!isMfResult(r[2]!)) fail(n, `memory_failure result ${JSON.stringify(r[2])}`, 'Ignored, Failed, Delayed or Recovered (action_result)');
      const ev = mfEvent(pfn, t, host, hostObs, n, true);
      ev.mfType = type;
      ev.mfLine = n;
      ev.mfResult = r[2]!;
      return true;
    }
    if ((r = /^(?:Sending SIGBUS to|Killing) (.+?):(\d+)( early)? due to hardware memory corruption\s*$/.exec(rest))) {
      const ev = mfEvent(pfn, t, host, hostObs, n, true);
      // v2.6.32 kill_proc_ao: "Killing %s:%d early due to …" is the early-kill signal, BUS_MCEERR_AO.
      ev.signals.push({ pid: Number(r[2]), tid: Number(r[2]), signo: 7, siCode: r[3] ? 5 : null, addr: null, lsb: null, comm: r[1]!, toConsumer: false, line: n });
      // kill_proc_ao prints "early" only for a task collect_procs took by task_early_kill()
      // (PF_MCE_EARLY, or the early_kill sysctl): a mapper of the page with the early policy.
      if (r[3]) (ev.earlyKilled ??= []).push(Number(r[2]));
      return true;
    }
    if ((r = /^forcibly killing (.+):(\d+) because of failure to unmap corrupted page\s*$/.exec(rest))) {
      const ev = mfEvent(pfn, t, host, hostObs, n, true);
      ev.signals.push({ pid: Number(r[2]), tid: Number(r[2]), signo: 9, siCode: 128, addr: null, lsb: null, comm: r[1]!, toConsumer: false, line: n });
      return true;
    }
    if (/^already hardware poisoned/.test(rest)) {
      const ev = mfEvent(pfn, t, host, hostObs, n, true);
      ev.alreadyPoisoned = true;
      ev.apLine = n;
      ev.notes.push('already hardware poisoned');
      return true;
    }
    if (/^memory outside kernel control/.test(rest)) {
      const ev = mfEvent(pfn, t, host, hostObs, n, true);
      ev.mem = 'device_unregistered';
      ev.notes.push('memory outside kernel control (no struct page: memory_failure returns -ENXIO)');
      return true;
    }
    // Any other line about the pfn ("unhandlable page.", "page flags …", "huge page still referenced
    // by N", …) is printed by the memory_failure() call of that page: it joins that call's event.
    const ev = byPfn(pfn, t, host, false) ?? mfEvent(pfn, t, host, hostObs, n, true);
    // get_any_page()'s "unhandlable page." in a soft offline request: a kernel page (-EIO).
    if (ev.softOffline && /^unhandlable page/.test(rest)) { ev.softOffline.what = 'unhandlable page'; ev.softOffline.page = 'unknown'; }
    ev.notes.push(rest.trim());
    ev.lastLine = n;
    return true;
  }

  /** A kind=access event: the faulting task gets SIGBUS BUS_MCEERR_AR (4) at its virtual address. */
  function accessDraft(ev: KEv): Draft {
    const d = newDraft(ev.host, ev.hostObs, ev.t, ev.tObs, ev.line, where(ev.line));
    setCol(d, 'kind', 'access', true);
    setCol(d, 'arch', 'x86_64', true);
    setCol(d, 'pa', hex(ev.pa!), false);
    setCol(d, 'vaddr', hex(ev.vaddr!), true);
    setCol(d, 'context', 'user', false);
    setCol(d, 'pid', String(ev.pid), true);
    setCol(d, 'comm', ev.comm!, true);
    for (const [col, v] of ev.sysctl) setCol(d, col, v, true);
    const addr = ev.vaddr! <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ev.vaddr) : null;
    d.signals = [{ pid: ev.pid!, tid: ev.pid!, signo: 7, siCode: 4, addr, lsb: null }];
    d.panic = ev.panic ?? ((hostLast.get(ev.host) ?? 0) > ev.lastLine ? false : null);
    d.panicMsg = ev.panicMsg;
    d.notes.push(...ev.notes);
    return d;
  }

  function toDraft(ev: KEv, index: number): Draft | null {
    const d = newDraft(ev.host, ev.hostObs, ev.t, ev.tObs, ev.order ?? ev.line, where(ev.line));
    const obs = true;
    setCol(d, 'kind', 'error', obs);
    let arch: Arch;
    let archObs = true;
    if (ev.arch) arch = ev.arch;
    else if (fileArch) arch = fileArch;
    else {
      // GHES alone: the firmware-first path of arm64 servers (seed 000); other lines: x86.
      arch = ev.source === 'ghes' || ev.source === 'tools' ? 'arm64' : 'x86_64';
      archObs = false;
      d.notes.push(`architecture not in the log; ${arch} assumed`);
    }
    setCol(d, 'arch', arch, archObs);
    const run = ev.tools;
    const consuming = run ? CONSUMING_TESTS.has(run.test) : false;
    let sync = ev.sync ?? false;
    let syncObs = ev.sync !== null && ev.syncObs;

    const sevNote = ev.notes.find((x) => x.startsWith('severity: '));
    if (ev.source === 'mce' && (!ev.mca || ev.mca.status < 0n) && !sevNote && ev.panic !== true) {
      warnings.push(`${where(ev.line)}: machine check record without its status (the "Bank %d: %016Lx" part): not an error event`);
      return null;
    }
    if (ev.source === 'ghes' && ev.cper && !ev.cper.sections.some((x) => x.type === 'memory error') && ev.mfType === null && ev.signals.length === 0 && ev.panic === null && !ev.tools) {
      warnings.push(`${where(ev.line)}: CPER record with an ARM processor error section and no memory error section, and no memory_failure() line of it: recognised, reported, not replayed`);
      return null;
    }
    if (ev.source === 'access') return accessDraft(ev);
    if (ev.source === 'mce' && (!ev.mca || ev.mca.status < 0n)) {
      // The status was not captured: mce_panic's "Machine check: <severities[] message>" line, or the
      // panic of the handler, grades the error.
      const msgSev = sevNote ? sevNote.slice('severity: '.length) : 'panic';
      const [, sev, syncM] = SEVERITY_MSG.find(([re]) => re.test(msgSev))!;
      setCol(d, 'firmware_first', 'false', obs);
      setCol(d, 'severity', sev, true);
      setCol(d, 'notify', 'mce', true);
      sync = syncM;
      syncObs = sevNote !== undefined;
      if (ev.mca?.cs != null && ev.context === null) ev.context = contextFromCs(ev.mca.cs);
      d.notes.push(`status not in the log; graded from "${msgSev}"`);
    } else if (ev.source === 'mce' && ev.mca) {
      const m = decodeMca(ev.mca.status, ev.mca.mcgstatus, ev.mca.addr, null, ev.mca.amd);
      if (m.skip) {
        warnings.push(`${where(ev.line)}: ${m.skip}; not an error event`);
        return null;
      }
      setCol(d, 'firmware_first', 'false', obs);
      setCol(d, 'severity', m.severity, obs);
      setCol(d, 'notify', m.notify, m.notify === 'mce');
      setCol(d, 'ripv', String(m.ripv), m.inMce);
      sync = m.sync || (ev.sync ?? false);
      syncObs = true;
      if (m.pa !== null) { ev.pa = m.pa; ev.paObs = true; } else if (ev.mca.addr !== null && (ev.mca.status & MCI_ADDRV) === 0n) ev.pa = null;
      d.notes.push(`MCi_STATUS ${hex(ev.mca.status)} MCG_STATUS ${hex(ev.mca.mcgstatus)}: ${m.rule}, CPU ${ev.mca.cpu} bank ${ev.mca.bank}`);
      if (ev.context === null && ev.mca.cs !== null) ev.context = contextFromCs(ev.mca.cs);
    } else if (ev.source === 'mce-user' || ev.source === 'mce-copyin') {
      // kill_me_maybe / kill_me_never run only for an action-required machine check.
      setCol(d, 'firmware_first', 'false', obs);
      setCol(d, 'severity', 'recoverable', obs);
      setCol(d, 'notify', 'mce', obs);
    } else if (ev.source === 'ghes') {
      setCol(d, 'firmware_first', 'true', obs);
      setCol(d, 'severity', ev.severity!, obs);
      if (arch === 'arm64') {
        if (ev.sync === null) {
          // Not printed: an ARM processor section or a consuming test says SEA.
          let armSec = false;
          for (const sec of ev.cper?.sections ?? []) if (sec.type === 'ARM processor error') armSec = true;
          sync = (armSec || consuming) && ev.severity !== 'corrected';
          syncObs = false;
        }
        setCol(d, 'notify', sync ? 'sea' : ARM64_ASYNC_NOTIFY, syncObs && sync);
      } else {
        if (sync) d.notes.push('x86 GHES notifications are asynchronous (is_hest_sync_notify is SEA only): taken as async');
        sync = false;
        syncObs = false;
        setCol(d, 'notify', ev.severity === 'corrected' ? 'polled' : 'nmi', false);
      }
    } else if (ev.source === 'sea') {
      setCol(d, 'notify', 'sea', obs);
      setCol(d, 'severity', 'recoverable', false);
    } else if (ev.source === 'edac') {
      // An EDAC memory controller report without a machine check or GHES record of it: the error
      // was found asynchronously (CMCI/poll on x86, GHES on arm64); the line says CE or UE.
      setCol(d, 'severity', ev.severity!, obs);
      const ghesEdac = ev.notes.some((x) => x.startsWith('ghes_edac'));
      if (arch === 'arm64' || ghesEdac) {
        setCol(d, 'firmware_first', 'true', ghesEdac);
        setCol(d, 'notify', arch === 'arm64' ? ARM64_ASYNC_NOTIFY : ev.severity === 'corrected' ? 'polled' : 'nmi', false);
      } else {
        setCol(d, 'firmware_first', 'false', false);
        setCol(d, 'notify', ev.severity === 'corrected' ? 'cmci' : 'mce', false);
      }
      sync = false;
      syncObs = true;
    } else if (ev.softOffline) {
      // madvise(MADV_SOFT_OFFLINE): soft_offline_page() in the task; no error record, nothing consumed.
      setCol(d, 'notify', 'madvise_soft_offline', true);
      setCol(d, 'severity', 'corrected', false);
      setCol(d, 'firmware_first', 'false', false);
      sync = false;
      syncObs = true;
    } else if (ev.injected && ev.source === 'mf') {
      // madvise(MADV_HWPOISON): memory_failure() runs in the injecting task; no hardware record.
      setCol(d, 'notify', 'madvise', true);
      setCol(d, 'severity', 'recoverable', false);
      setCol(d, 'firmware_first', 'false', false);
      sync = false;
      syncObs = true;
    } else {
      // A memory_failure() line or a ras-tools run without a captured report.
      setCol(d, 'severity', 'recoverable', false);
      if (ev.sync === null) {
        sync = consuming && arch === 'arm64';
        syncObs = false;
      }
      if (arch === 'x86_64' && consuming) {
        sync = true;
        syncObs = false;
      }
      setCol(d, 'notify', arch === 'arm64' ? (sync ? 'sea' : ARM64_ASYNC_NOTIFY) : 'mce', false);
      if (arch === 'arm64') setCol(d, 'firmware_first', 'true', false);
    }
    setCol(d, 'sync', String(sync), syncObs);

    // Address.
    if (ev.pa !== null) {
      const a = addrString(ev.pa, 'physical address', where(ev.line), warnings);
      if (a) setCol(d, 'pa', a, ev.paObs);
    } else if (run) {
      setCol(d, 'pa', hex(run.paddr), true);
    } else if (ev.mfPfn !== null) {
      setCol(d, 'pa', hex(ev.mfPfn << 12n), false);
      d.notes.push('pa is the page address pfn << 12 (the log prints the pfn)');
    }
    if (ev.vaddr !== null && !run) setCol(d, 'vaddr', hex(ev.vaddr), true);
    if (run) {
      setCol(d, 'vaddr', hex(run.vaddr), true);
      d.notes.push(`einj_mem_uc ${run.test} (line ${run.line})`);
      d.notes.push(...run.notes);
    }

    // Outcome.
    if (ev.mfType !== null) {
      d.mfType = ev.mfType;
      d.mfResult = ev.mfResult;
      applyMfPage(d, ev.mfType, ev.mfResult!);
    } else if (run && DATA_ALLOC_TESTS.has(run.test)) {
      setCol(d, 'page', 'shmem', false);
      d.notes.push(`page shmem: einj_mem_uc ${run.test} targets data_alloc()'s MAP_SHARED|MAP_ANON page`);
    } else if (ev.softOffline) {
      const so = ev.softOffline;
      if (so.page !== null) setCol(d, 'page', so.page, so.page === 'hugetlb' || so.page === 'free');
      else {
        // get_user_pages_fast() found the page in the task's mapping: a user page, anonymous assumed
        // (not `unknown`, which replays as a page soft_offline_page cannot handle).
        setCol(d, 'page', 'anon', false);
        d.notes.push('page anon assumed: the task maps it (soft_offline_page printed nothing more about it)');
      }
      if (so.shift !== null) setCol(d, 'page_shift', String(so.shift), false);
      if (so.pinned) {
        setCol(d, 'pinned', 'true', false);
        d.notes.push(`pinned: "${so.what}" (the page could not be moved; a pinned page is the model's cause of that)`);
      }
    }
    const pfn = ev.mfPfn ?? (ev.pa !== null ? ev.pa >> 12n : null);
    const pfnKey = pfn === null ? '' : `${ev.host}\u0000${pfn}`;
    if ((ev.alreadyPoisoned || d.mfType === 'already poisoned page' || d.mfType === 'already poisoned') && pfn !== null && !seenPfn.has(pfnKey)) {
      setCol(d, 'poisoned_before', 'true', true);
      d.notes.push('the kernel reports the page already poisoned and no earlier error on it is in the log');
    }
    // The pfn is poisoned from here on: memory_failure() ran on it, or a soft offline moved the
    // page away (no failure line printed) and left PG_hwpoison on the old pfn.
    const offlined = ev.softOffline !== undefined && (ev.softOffline.what === null || ev.softOffline.what === 'invalidated');
    if (pfn !== null && (ev.mfResult !== null || ev.alreadyPoisoned || offlined)) seenPfn.add(pfnKey);
    if (ev.mem) setCol(d, 'mem', ev.mem, false);

    // Consumer: named by a line about current, else the killed task the test program is, else the
    // first killed task (inferred), else synthetic.
    const toolComm = run ? 'einj_mem_uc' : null;
    if (ev.pid === null && ev.callerPid !== null) {
      // A line printed in the consumer's own task work names it through its printk caller id.
      ev.pid = ev.callerPid;
      ev.pidObs = true;
      ev.comm = ev.signals.find((x) => x.pid === ev.callerPid && x.comm !== null)?.comm ?? null;
    }
    if (ev.pid === null && sync && ev.oops) {
      // The oops/panic header after a synchronous error names the task that consumed it.
      ev.pid = ev.oops.pid;
      ev.pidObs = true;
      ev.comm = ev.oops.comm;
    }
    if (ev.pid === null) {
      const k = toolComm === null ? undefined : firstSignal(ev.signals, toolComm);
      if (k) { ev.pid = k.pid; ev.comm = k.comm; ev.pidObs = true; } else if (run?.pid) { ev.pid = run.pid; ev.pidObs = true; ev.comm = toolComm; }
    }
    if (ev.softOffline) {
      // soft_offline_page() runs in the calling task: its pid is the caller id's task (above), else synthetic.
      setCol(d, 'context', 'user', true);
      if (ev.pid === null) {
        ev.pid = SYNTHETIC_PID_BASE + index;
        ev.pidObs = false;
        d.notes.push(`calling task not in the log; synthetic pid ${ev.pid}`);
      }
    } else if (ev.injected && ev.source === 'mf') {
      // The injector is current of memory_failure(): its pid is the caller id's task (above), else
      // the first task the kill lines name (since v6.11 the injector itself, BUS_MCEERR_AR), else synthetic.
      setCol(d, 'context', 'user', true);
      if (ev.pid === null) {
        const k = firstSignal(ev.signals, null);
        if (k) { ev.pid = k.pid; ev.comm = k.comm; ev.pidObs = false; }
      }
      if (ev.pid === null) {
        ev.pid = SYNTHETIC_PID_BASE + index;
        ev.pidObs = false;
        d.notes.push(`injecting task not in the log; synthetic pid ${ev.pid}`);
      }
    } else if (sync) {
      let ctx = ev.context;
      let ctxObs = ctx !== null;
      if (ctx === null && run && TEST_CONTEXT[run.test]) { ctx = TEST_CONTEXT[run.test]!; ctxObs = false; }
      if (ctx === null) { ctx = 'user'; ctxObs = false; }
      setCol(d, 'context', ctx, ctxObs);
      if (ev.pid === null) {
        const k = firstSignal(ev.signals, null);
        if (k) { ev.pid = k.pid; ev.comm = k.comm; ev.pidObs = false; }
      }
      if (ev.pid === null && ctx !== 'kernel_other' && ctx !== 'kernel_copyout') {
        ev.pid = SYNTHETIC_PID_BASE + index;
        ev.pidObs = false;
        d.notes.push(`consumer not in the log; synthetic pid ${ev.pid}`);
      }
    } else if (ev.context !== null && ev.source === 'mce') {
      // An asynchronous machine check whose record prints the interrupted context (RIP cs): the
      // trace has no context for an asynchronous error (TRACE.md §1); kept in the note.
      d.notes.push(`interrupted context ${ev.context} (RIP cs)`);
    }
    if (ev.pid !== null) setCol(d, 'pid', String(ev.pid), ev.pidObs);
    if (ev.comm ?? toolComm) setCol(d, 'comm', (ev.comm ?? toolComm)!, ev.comm !== null && ev.pidObs);
    for (const [col, v] of ev.sysctl) setCol(d, col, v, true);
    // action_result() panics "Memory failure: %#lx: unrecoverable page" only when
    // vm.panic_on_unrecoverable_memory_failure is 1 (panic_on_unrecoverable_mf, v7.3).
    if (ev.panicMsg !== null && /^Memory failure: 0x[0-9a-fA-F]+: unrecoverable page$/.test(ev.panicMsg) && !ev.sysctl.has('panic_on_unrecoverable')) {
      setCol(d, 'panic_on_unrecoverable', '1', false);
      d.notes.push('vm.panic_on_unrecoverable_memory_failure = 1 (only then does action_result panic "unrecoverable page")');
    }
    if (ev.earlyKilled) {
      setCol(d, 'mappers', [...new Set(ev.earlyKilled)].map((p) => `${p}:early`).join(';'), false);
      d.notes.push(`mappers ${[...new Set(ev.earlyKilled)].join(', ')} early (the "Killing … early" line: task_early_kill took them)`);
    }

    // Signals: kernel kill lines, completed by what the test program saw (si_code, si_addr).
    const sigs: KSignal[] = [];
    for (const s of ev.signals) sigs.push({ ...s });
    if (run) {
      for (const u of run.signals) {
        const k = sigs.find((s) => s.signo === u.signo && s.siCode === null && (s.comm === toolComm || s.pid === ev.pid)) ??
          sigs.find((s) => s.signo === u.signo && s.siCode === u.code && s.addr === null && (s.comm === toolComm || s.pid === ev.pid));
        const addr = u.addr !== null && u.addr <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(u.addr) : null;
        if (k) {
          k.siCode = u.code;
          k.addr = addr;
        } else {
          const pid = ev.pid ?? SYNTHETIC_PID_BASE + index;
          sigs.push({ pid, tid: pid, signo: u.signo, siCode: u.code, addr, lsb: null, comm: toolComm, toConsumer: false, line: u.line });
        }
      }
    }
    for (const s of sigs) {
      if (s.toConsumer || s.pid < 0) {
        // Never a signal to pid 0: a consumer the log does not name gets the event's synthetic pid.
        if (ev.pid === null) {
          ev.pid = SYNTHETIC_PID_BASE + index;
          ev.pidObs = false;
          setCol(d, 'pid', String(ev.pid), false);
          d.notes.push(`consumer not in the log; synthetic pid ${ev.pid}`);
        }
        s.pid = ev.pid;
        s.tid = ev.pid;
      }
    }
    if (sigs.length > 0) {
      const plain: ObservedSignal[] = [];
      for (const { pid, tid, signo, siCode, addr, lsb } of sigs) plain.push({ pid, tid, signo, siCode, addr, lsb });
      d.signals = coalesce(plain, d.notes);
    } else if (ev.mfResult !== null || ev.panic === true || ev.softOffline) {
      // memory_failure() ran (kill_proc prints every SIGBUS it sends), the kernel panicked, or a
      // soft offline (which never signals anyone): the log would show a signal, and shows none.
      d.signals = [];
    }

    // Panic: printed; else the kernel kept logging after the event (no panic); else unknown.
    d.panic = ev.panic ?? ((hostLast.get(ev.host) ?? 0) > ev.lastLine ? false : null);
    d.panicMsg = ev.panicMsg;
    if (ev.lastLine > ev.line) d.notes.push(`lines ${ev.line}-${ev.lastLine}`);
    d.notes.push(...ev.notes);
    return d;
  }
}

/** The first signal to a named task (`comm`), or to any named task when `comm` is null. */
function firstSignal(signals: KSignal[], comm: string | null): KSignal | undefined {
  for (const s of signals) if (s.comm !== null && (comm === null || s.comm === comm)) return s;
  return undefined;
}
