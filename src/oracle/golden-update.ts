// The golden-file workflow for the curated suites (traces/<suite>.csv, golden/<suite>/<profile>.golden):
// check, update modes, pending changes, review, accept and reject. After vitest's snapshot state and
// insta's review: the rules, in one place —
//
//   outcome vs golden row     mode none        mode new                  mode all
//   same                      -                -                         -
//   added (no golden row)     fail             written to the golden     written to the golden
//   changed                   fail             written to .pending, fail written to the golden
//   obsolete (no such event)  reported         reported                  removed from the golden
//
// `none` is the default when the CI environment variable is set (nothing is ever written on CI),
// `new` otherwise. Pending changes (`<profile>.golden.pending`, the same text format) wait for
// `golden review`, then `golden accept` (into the golden file) or `golden reject` (dropped).
// Files are written only when their content changes (no rewrite when identical), atomically.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { InputError } from '../io/errors.js';
import { readTraceCsv } from '../io/csv-trace.js';
import type { Profile } from '../model/profiles.js';
import { goldenFileFor } from './golden-index.js';
import { explainEvent, OutcomeRow, replayEvents } from '../engine/replay-events.js';
import type { TraceEvent } from '../io/trace.js';
import { expectedLine, formatGolden, Golden, GoldenRow, goldenRowFromOutcome, parseGolden, rowMismatch, signalToken } from './golden.js';
import { listSuites } from './suite.js';

import { UpdateMode } from './update-modes.js';

export { UPDATE_MODES, type UpdateMode } from './update-modes.js';

export function defaultUpdateMode(env: NodeJS.ProcessEnv = process.env): UpdateMode {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false' ? 'none' : 'new';
}

/** Storage behind a small interface (a Node implementation; tests may use the in-memory one). */
export interface GoldenStorage {
  read(path: string): string | null;
  /** Write when the content differs; returns whether it wrote. */
  save(path: string, text: string): boolean;
  remove(path: string): boolean;
}

export const nodeStorage: GoldenStorage = {
  read: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : null),
  save: (p, text) => {
    if (existsSync(p) && readFileSync(p, 'utf8') === text) return false;
    writeFileAtomic(p, text);
    return true;
  },
  remove: (p) => {
    if (!existsSync(p)) return false;
    rmSync(p);
    return true;
  },
};

export class MemoryStorage implements GoldenStorage {
  readonly files = new Map<string, string>();
  writes = 0;
  read(p: string): string | null {
    return this.files.get(p) ?? null;
  }
  save(p: string, text: string): boolean {
    if (this.files.get(p) === text) return false;
    this.files.set(p, text);
    this.writes++;
    return true;
  }
  remove(p: string): boolean {
    return this.files.delete(p);
  }
}

export interface EventChange {
  eventId: bigint;
  fields: string[];
  expected: string | null;
  actual: string | null;
  note: string;
}

export interface SuiteCheck {
  suite: string;
  profile: string;
  golden: string;
  events: number;
  unchanged: number;
  added: EventChange[];
  changed: EventChange[];
  obsolete: EventChange[];
  written: string[];
  pending: number;
}

/** The golden file covering a profile (its `# profile:` or `# profiles:` header), else `<profile>.golden`. */
export const goldenPath = (root: string, suite: string, profile: string): string => goldenFileFor(root, suite, profile);
export const pendingPath = (golden: string): string => `${golden}.pending`;

/** Fields in which a pending row differs from the golden row it would replace (review). */
function rowFields(g: GoldenRow, a: GoldenRow): string[] {
  const f: string[] = [];
  if (g.panic !== a.panic) f.push('panic');
  if (g.rebootLoop !== a.rebootLoop) f.push('reboot_loop');
  if (g.vmcore !== a.vmcore) f.push('vmcore');
  if (g.mfType !== '*' && g.mfType !== a.mfType) f.push('mf_type');
  if (g.mfResult !== '*' && g.mfResult !== a.mfResult) f.push('mf_result');
  const sig = (r: GoldenRow) => r.signals.map(signalToken).join(' ');
  if (sig(g) !== sig(a)) f.push('signals');
  return f;
}

/**
 * The row an outcome would make in this golden file: redactions applied, and where the golden row
 * leaves a field unchecked (`*`, no tid) the new row keeps it unchecked too.
 */
function proposedRow(o: OutcomeRow, golden: Golden | null, old: GoldenRow | undefined): GoldenRow {
  const r = goldenRowFromOutcome(o, golden?.redact ?? new Set(), golden?.guestAction ?? false);
  if (old) {
    if (old.mfType === '*') r.mfType = '*';
    if (old.mfResult === '*') r.mfResult = '*';
    if (old.signals.length && old.signals.every((s) => s.tid === null)) for (const s of r.signals) s.tid = null;
    if (old.comments) r.comments = old.comments;
  }
  return r;
}

export interface CheckOptions {
  root: string;
  profiles: readonly Profile[];
  suites?: string[];
  mode: UpdateMode;
  storage?: GoldenStorage;
}

export function checkSuites(o: CheckOptions): SuiteCheck[] {
  const storage = o.storage ?? nodeStorage;
  const out: SuiteCheck[] = [];
  for (const suite of o.suites ?? listSuites(o.root)) {
    const events = readTraceCsv(join(o.root, 'traces', `${suite}.csv`));
    const notes = new Map(events.map((e) => [e.eventId, e.note]));
    const outcomes = replayEvents(events, [...o.profiles]);
    for (const p of o.profiles) {
      const gfile = goldenPath(o.root, suite, p.name);
      const text = storage.read(gfile);
      const golden = text === null ? null : parseGolden(text, gfile);
      const res: SuiteCheck = { suite, profile: p.name, golden: gfile, events: 0, unchanged: 0, added: [], changed: [], obsolete: [], written: [], pending: 0 };
      const next = new Map<bigint, GoldenRow>(golden?.rows ?? []);
      const pending = new Map<bigint, GoldenRow>();
      const seen = new Set<bigint>();
      for (const oc of outcomes) {
        if (oc.profile !== p.name) continue;
        res.events++;
        seen.add(oc.event_id);
        const old = golden?.rows.get(oc.event_id);
        const row = proposedRow(oc, golden, old);
        const note = notes.get(oc.event_id) ?? '';
        const fields = old ? rowMismatch(old, oc) : ['(new event)'];
        if (!old) {
          res.added.push({ eventId: oc.event_id, fields, expected: null, actual: expectedLine(row), note });
          if (o.mode !== 'none') next.set(oc.event_id, row);
        } else if (!fields.length) {
          res.unchanged++;
        } else {
          res.changed.push({ eventId: oc.event_id, fields, expected: expectedLine(old), actual: expectedLine(row), note });
          if (o.mode === 'all') next.set(oc.event_id, row);
          if (o.mode === 'new') pending.set(oc.event_id, row);
        }
      }
      for (const g of golden?.rows.values() ?? []) {
        if (seen.has(g.eventId)) continue;
        res.obsolete.push({ eventId: g.eventId, fields: ['(no such event)'], expected: expectedLine(g), actual: null, note: '' });
        if (o.mode === 'all') next.delete(g.eventId);
      }
      if (o.mode !== 'none') {
        const head = golden?.head ?? [`# suite: ${suite}`, `# profile: ${p.name}`];
        if ((res.added.length || (o.mode === 'all' && (res.changed.length || res.obsolete.length))) && storage.save(gfile, formatGolden(head, next.values()))) {
          res.written.push(gfile);
        }
        const pfile = pendingPath(gfile);
        if (o.mode === 'new' && pending.size) {
          if (storage.save(pfile, formatGolden([`# pending changes for ${gfile}`, `# suite: ${suite}`, `# profile: ${p.name}`], pending.values()))) res.written.push(pfile);
        } else if (o.mode === 'all' && storage.remove(pfile)) {
          res.written.push(`${pfile} (removed)`);
        }
      }
      const ptext = storage.read(pendingPath(gfile));
      res.pending = ptext === null ? 0 : parseGolden(ptext, pendingPath(gfile)).rows.size;
      out.push(res);
    }
  }
  return out;
}

/** A check fails on added or changed rows under `none`, and on changed rows under `new`. */
export function checkFailed(r: SuiteCheck, mode: UpdateMode): boolean {
  if (mode === 'all') return false;
  return r.changed.length > 0 || (mode === 'none' && r.added.length > 0);
}

export interface PendingEntry {
  suite: string;
  profile: string;
  golden: string;
  eventId: bigint;
  fields: string[];
  expected: string | null;
  proposed: string;
  note: string;
  explain: string[];
}

/** The pending changes of the suites, with each event's trace note and decision steps. */
export function reviewPending(root: string, profiles: readonly Profile[], suites?: string[], storage: GoldenStorage = nodeStorage): PendingEntry[] {
  const out: PendingEntry[] = [];
  for (const suite of suites ?? listSuites(root)) {
    let events: TraceEvent[] | null = null;
    for (const p of profiles) {
      const gfile = goldenPath(root, suite, p.name);
      const ptext = storage.read(pendingPath(gfile));
      if (ptext === null) continue;
      events ??= readTraceCsv(join(root, 'traces', `${suite}.csv`));
      const pending = parseGolden(ptext, pendingPath(gfile));
      const gtext = storage.read(gfile);
      const golden = gtext === null ? null : parseGolden(gtext, gfile);
      for (const r of pending.rows.values()) {
        const old = golden?.rows.get(r.eventId);
        const x = explainEvent(events, r.eventId, p);
        out.push({
          suite, profile: p.name, golden: gfile, eventId: r.eventId, fields: old ? rowFields(old, r) : ['(new event)'],
          expected: old ? expectedLine(old) : null, proposed: expectedLine(r), note: x?.event.note ?? '', explain: x ? [`  path: ${x.row.path}`, ...x.lines] : [],
        });
      }
    }
  }
  return out;
}

/**
 * Accept (into the golden file) or reject (drop) pending rows: the listed events, or all of them.
 * Returns the events handled per golden file.
 */
export function resolvePending(root: string, profiles: readonly Profile[], action: 'accept' | 'reject', events: bigint[] | 'all', suites?: string[], storage: GoldenStorage = nodeStorage): { golden: string; events: bigint[] }[] {
  const out: { golden: string; events: bigint[] }[] = [];
  const wanted = events === 'all' ? null : new Set(events);
  const found = new Set<bigint>();
  for (const suite of suites ?? listSuites(root)) {
    for (const p of profiles) {
      const gfile = goldenPath(root, suite, p.name);
      const pfile = pendingPath(gfile);
      const ptext = storage.read(pfile);
      if (ptext === null) continue;
      const pending = parseGolden(ptext, pfile);
      const take = [...pending.rows.values()].filter((r) => !wanted || wanted.has(r.eventId));
      if (!take.length) continue;
      for (const r of take) found.add(r.eventId);
      if (action === 'accept') {
        const gtext = storage.read(gfile);
        const golden = gtext === null ? null : parseGolden(gtext, gfile);
        const next = new Map(golden?.rows ?? []);
        for (const r of take) next.set(r.eventId, { ...r, comments: golden?.rows.get(r.eventId)?.comments });
        storage.save(gfile, formatGolden(golden?.head ?? [`# suite: ${suite}`, `# profile: ${p.name}`], next.values()));
      }
      for (const r of take) pending.rows.delete(r.eventId);
      if (pending.rows.size) storage.save(pfile, formatGolden(pending.head, pending.rows.values()));
      else storage.remove(pfile);
      out.push({ golden: gfile, events: take.map((r) => r.eventId) });
    }
  }
  if (wanted) {
    const missing = [...wanted].filter((e) => !found.has(e));
    if (missing.length) throw new InputError(`golden ${action}: no pending change for event ${missing.join(', ')} (see \`ras-replay golden review\`)`);
  }
  return out;
}
