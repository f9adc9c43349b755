// Text golden files (docs/golden-format.md): parsed and validated, never evaluated, and compared
// with outcomes field by field.
import { GUEST_ACTION, MF_RESULT, MF_TYPE, VMCORE } from '../model/enums.js';
import type { OutcomeRow } from '../engine/replay-events.js';
import { InputError } from '../io/errors.js';

export const GOLDEN_MAGIC = '# ras-replay golden v1';
export const GOLDEN_HEADER = ['event_id', 'panic', 'reboot_loop', 'vmcore', 'mf_type', 'mf_result', 'signals'];
/** The optional last column: what the VMM did with the signals (docs/conventions.md C12). */
export const GUEST_COLUMN = 'guest_action';

export interface GoldenSignal {
  pid: number;
  tid: number | null;
  signo: number;
  siCode: number;
  lsb: number | null;
  /** `*` in the file: addr_lsb is not checked (redacted). */
  lsbAny?: boolean;
}

/** Fields a golden file may leave unchecked (`# redact:` header): written as `*` or left out. */
export const REDACTABLE = ['mf_type', 'mf_result', 'tid', 'lsb'] as const;
export type Redaction = (typeof REDACTABLE)[number];

export interface GoldenRow {
  eventId: bigint;
  line: number;
  panic: boolean;
  rebootLoop: boolean;
  vmcore: string;
  /** '-' none, '*' unchecked, else the page type. */
  mfType: string;
  mfResult: string;
  signals: GoldenSignal[];
  /** guest_action (`*` unchecked); undefined when the file has no guest_action column. */
  guestAction?: string;
  /** Comment lines written just above the row (kept with it when the file is rewritten). */
  comments?: string[];
}

export interface Golden {
  file: string;
  meta: Record<string, string>;
  /** The comment lines between the magic line and the column header, verbatim. */
  head: string[];
  rows: Map<bigint, GoldenRow>;
  redact: Set<Redaction>;
  /** The file has the optional guest_action column. */
  guestAction: boolean;
}

export function parseGolden(text: string, file: string): Golden {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== GOLDEN_MAGIC) {
    throw new InputError(`${file}: line 1: value ${JSON.stringify(lines[0] ?? '')}: expected "${GOLDEN_MAGIC}"`, file, 'line 1');
  }
  const meta: Record<string, string> = {};
  const head: string[] = [];
  const rows = new Map<bigint, GoldenRow>();
  let headerSeen = false;
  let guestAction = false;
  let prev: bigint | null = null;
  let pending: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const ln = i + 1;
    const line = lines[i]!;
    if (line.includes('\r')) throw new InputError(`${file}: line ${ln}: carriage return: expected \\n line ends`, file, `line ${ln}`);
    if (line.startsWith('#')) {
      if (!headerSeen) {
        head.push(line);
        const m = /^#\s*([a-z_]+):\s*(.*)$/.exec(line);
        if (m) meta[m[1]!] = m[2]!;
      } else {
        pending.push(line);
      }
      continue;
    }
    if (line.trim() === '') continue;
    const f = line.split('\t');
    if (!headerSeen) {
      guestAction = f.join('\t') === [...GOLDEN_HEADER, GUEST_COLUMN].join('\t');
      if (!guestAction && f.join('\t') !== GOLDEN_HEADER.join('\t')) {
        throw new InputError(`${file}: line ${ln}: value ${JSON.stringify(line)}: expected the header row "${GOLDEN_HEADER.join('\\t')}" (optionally followed by "\\t${GUEST_COLUMN}")`, file, `line ${ln}`);
      }
      headerSeen = true;
      continue;
    }
    const at = (col: string, v: string, expected: string): never => {
      throw InputError.at(file, `line ${ln}`, col, v, expected);
    };
    const width = GOLDEN_HEADER.length + (guestAction ? 1 : 0);
    if (f.length !== width) at('(row)', line, `${width} tab-separated fields`);
    const [id, panic, loop, vmcore, mfType, mfResult, sigs, guest] = f as [string, string, string, string, string, string, string, string?];
    if (guest !== undefined && guest !== '*' && !(GUEST_ACTION as readonly string[]).includes(guest)) {
      at(GUEST_COLUMN, guest, `* or ${GUEST_ACTION.join(', ')}`);
    }
    if (!/^[0-9]+$/.test(id)) at('event_id', id, 'an unsigned integer');
    const eventId = BigInt(id);
    if (prev !== null && eventId <= prev) at('event_id', id, `rows sorted by event_id, each once (previous ${prev})`);
    prev = eventId;
    const bool = (col: string, v: string): boolean => (v === 'true' ? true : v === 'false' ? false : at(col, v, 'true or false'));
    if (!(VMCORE as readonly string[]).includes(vmcore)) at('vmcore', vmcore, VMCORE.join(', '));
    if (mfType !== '-' && mfType !== '*' && !(MF_TYPE as readonly string[]).includes(mfType)) {
      at('mf_type', mfType, `-, * or a kernel page type (${MF_TYPE.join(', ')})`);
    }
    if (mfResult !== '-' && mfResult !== '*' && !(MF_RESULT as readonly string[]).includes(mfResult)) {
      at('mf_result', mfResult, `-, * or ${MF_RESULT.join(', ')}`);
    }
    rows.set(eventId, {
      eventId,
      line: ln,
      panic: bool('panic', panic),
      rebootLoop: bool('reboot_loop', loop),
      vmcore,
      mfType,
      mfResult,
      signals: parseSignals(sigs, (v) => at('signals', v, 'space-separated PID[/TID]:SIGNO:SI_CODE:LSB tokens (LSB may be - or *), or -')),
      ...(guest !== undefined ? { guestAction: guest } : {}),
      ...(pending.length ? { comments: pending } : {}),
    });
    pending = [];
  }
  if (!headerSeen) throw new InputError(`${file}: no header row: expected "${GOLDEN_HEADER.join('\\t')}"`, file);
  const redact = new Set<Redaction>();
  for (const r of (meta.redact ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(REDACTABLE as readonly string[]).includes(r)) {
      throw new InputError(`${file}: header "# redact:": value ${JSON.stringify(r)}: expected a comma-separated list of ${REDACTABLE.join(', ')}`, file, 'header', 'redact');
    }
    redact.add(r as Redaction);
  }
  return { file, meta, head, rows, redact, guestAction };
}

function parseSignals(s: string, bad: (v: string) => never): GoldenSignal[] {
  if (s === '-') return [];
  return s.split(' ').map((tok) => {
    const m = /^([0-9]+)(?:\/([0-9]+))?:([0-9]+):([0-9]+):(-|\*|[0-9]+)$/.exec(tok);
    if (!m) bad(tok);
    const s: GoldenSignal = {
      pid: Number(m![1]),
      tid: m![2] === undefined ? null : Number(m![2]),
      signo: Number(m![3]),
      siCode: Number(m![4]),
      lsb: m![5] === '-' || m![5] === '*' ? null : Number(m![5]),
    };
    if (m![5] === '*') s.lsbAny = true;
    return s;
  });
}

export function signalToken(s: { pid: number; tid: number | null; signo: number; siCode: number; lsb: number | null; lsbAny?: boolean }): string {
  return `${s.pid}${s.tid === null ? '' : `/${s.tid}`}:${s.signo}:${s.siCode}:${s.lsbAny ? '*' : s.lsb === null ? '-' : s.lsb}`;
}

/** Golden order of signals: pid, tid (none first), signo, si_code, lsb. */
export function compareSignals(a: GoldenSignal, b: GoldenSignal): number {
  return a.pid - b.pid || (a.tid ?? -1) - (b.tid ?? -1) || a.signo - b.signo || a.siCode - b.siCode || (a.lsb ?? -1) - (b.lsb ?? -1);
}

/**
 * The expectation an outcome would make, with the file's redactions applied (and its guest_action
 * when the file has that column).
 */
export function goldenRowFromOutcome(o: OutcomeRow, redact: ReadonlySet<Redaction> = new Set(), guestAction = false): GoldenRow {
  const signals = o.signals.map((s): GoldenSignal => {
    const g: GoldenSignal = { pid: s.pid, tid: redact.has('tid') ? null : s.tid, signo: s.signo, siCode: s.si_code, lsb: redact.has('lsb') ? null : s.addr_lsb };
    if (redact.has('lsb')) g.lsbAny = true;
    return g;
  }).sort(compareSignals);
  return {
    eventId: o.event_id,
    line: 0,
    panic: o.panic,
    rebootLoop: o.reboot_loop,
    vmcore: o.vmcore,
    mfType: redact.has('mf_type') ? '*' : o.mf_type ?? '-',
    mfResult: redact.has('mf_result') ? '*' : o.mf_result ?? '-',
    signals,
    ...(guestAction ? { guestAction: o.guest_action } : {}),
  };
}

/**
 * The deterministic text form: magic line, the head comments, the column header, rows sorted by
 * event_id (each after its own comments), `\n` line ends.
 */
export function formatGolden(head: readonly string[], rows: Iterable<GoldenRow>): string {
  const sorted = [...rows].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  // The guest_action column is written when any row carries it; rows without it leave it unchecked.
  const guest = sorted.some((r) => r.guestAction !== undefined);
  const out = [GOLDEN_MAGIC, ...head, (guest ? [...GOLDEN_HEADER, GUEST_COLUMN] : GOLDEN_HEADER).join('\t')];
  for (const r of sorted) {
    if (r.comments) out.push(...r.comments);
    out.push(guest ? `${expectedLine({ ...r, guestAction: undefined })}\t${r.guestAction ?? '*'}` : expectedLine(r));
  }
  return `${out.join('\n')}\n`;
}

/** An outcome in golden-row syntax (with tids), for showing what was observed. */
export function goldenLine(o: OutcomeRow, guestAction = false): string {
  const sigs = o.signals
    .map((s) => ({ pid: s.pid, tid: s.tid, signo: s.signo, siCode: s.si_code, lsb: s.addr_lsb }))
    .sort((a, b) => a.pid - b.pid || a.tid - b.tid || a.signo - b.signo || a.siCode - b.siCode)
    .map(signalToken);
  const f = [o.event_id.toString(), String(o.panic), String(o.reboot_loop), o.vmcore, o.mf_type ?? '-', o.mf_result ?? '-', sigs.length ? sigs.join(' ') : '-'];
  if (guestAction) f.push(o.guest_action);
  return f.join('\t');
}

export function expectedLine(g: GoldenRow): string {
  const f = [g.eventId.toString(), String(g.panic), String(g.rebootLoop), g.vmcore, g.mfType, g.mfResult, g.signals.length ? g.signals.map(signalToken).join(' ') : '-'];
  if (g.guestAction !== undefined) f.push(g.guestAction);
  return f.join('\t');
}

export interface Mismatch {
  eventId: bigint;
  fields: string[];
  expected: string;
  actual: string;
}

/** Compare one profile's outcomes with its golden file. */
export function compareGolden(outcomes: OutcomeRow[], golden: Golden): Mismatch[] {
  const out: Mismatch[] = [];
  const seen = new Set<bigint>();
  for (const o of outcomes) {
    seen.add(o.event_id);
    const g = golden.rows.get(o.event_id);
    if (!g) {
      out.push({ eventId: o.event_id, fields: ['(no golden row)'], expected: '(missing)', actual: goldenLine(o, golden.guestAction) });
      continue;
    }
    const fields = rowMismatch(g, o);
    if (fields.length) out.push({ eventId: o.event_id, fields, expected: expectedLine(g), actual: goldenLine(o, g.guestAction !== undefined) });
  }
  for (const g of golden.rows.values()) {
    if (!seen.has(g.eventId)) out.push({ eventId: g.eventId, fields: ['(no such event)'], expected: expectedLine(g), actual: '(missing)' });
  }
  return out.sort((a, b) => (a.eventId < b.eventId ? -1 : 1));
}

/** The fields in which an outcome differs from its golden row (`*` fields and missing tids unchecked). */
export function rowMismatch(g: GoldenRow, o: OutcomeRow): string[] {
  const fields: string[] = [];
  if (g.panic !== o.panic) fields.push('panic');
  if (g.rebootLoop !== o.reboot_loop) fields.push('reboot_loop');
  if (g.vmcore !== o.vmcore) fields.push('vmcore');
  if (g.mfType !== '*' && g.mfType !== (o.mf_type ?? '-')) fields.push('mf_type');
  if (g.mfResult !== '*' && g.mfResult !== (o.mf_result ?? '-')) fields.push('mf_result');
  if (!signalsMatch(g.signals, o)) fields.push('signals');
  if (g.guestAction !== undefined && g.guestAction !== '*' && g.guestAction !== o.guest_action) fields.push(GUEST_COLUMN);
  return fields;
}

/** Multiset match; an expected signal without a tid matches any thread of the pid. */
function signalsMatch(expected: GoldenSignal[], o: OutcomeRow): boolean {
  if (expected.length !== o.signals.length) return false;
  const used = new Array<boolean>(o.signals.length).fill(false);
  // Signals with a tid first, so a tid-less expectation cannot steal their match.
  const order = [...expected].sort((a, b) => (a.tid === null ? 1 : 0) - (b.tid === null ? 1 : 0));
  for (const e of order) {
    const k = o.signals.findIndex((s, i) => !used[i] && s.pid === e.pid && (e.tid === null || s.tid === e.tid) &&
      s.signo === e.signo && s.si_code === e.siCode && (e.lsbAny || s.addr_lsb === e.lsb));
    if (k < 0) return false;
    used[k] = true;
  }
  return true;
}
