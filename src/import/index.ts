// Importers of captured RAS logs into the canonical trace form (docs/trace-format.md §6, docs/import.md):
// the events as trace rows (what the source cannot say filled from documented defaults) and, per
// event, the outcome the machine actually showed, for comparison with a replay.
import { closeSync, openSync, readSync } from 'node:fs';
import { InputError } from '../io/errors.js';
import { ImportResult, SourceFormat } from './common.js';
import { FTRACE_LINE, importFtrace, MAX_FTRACE_LINE } from './ftrace.js';
import { importKernelLog } from './kernel-log.js';
import { importMcelog } from './mcelog.js';
import { importRasdaemon, SQLITE_MAGIC } from './rasdaemon.js';
import { importRasMcCtl, RAS_MC_CTL_LINE } from './ras-mc-ctl.js';

export type { ImportResult, ObservedRow, ObservedSignal, SourceFormat } from './common.js';
export type { ImportedEvents } from './builder.js';
export { SYNTHETIC_PID_BASE } from './common.js';

import { SOURCE_FORMATS } from './formats.js';

export { SOURCE_FORMATS };

/** How much of a file detection reads. */
const SNIFF_BYTES = 256 * 1024;

const FTRACE_EVENTS = /(?:^|:)(?:mce_record|memory_failure_event|mc_event|arm_event|extlog_mem_event|signal_generate)$/;

/**
 * The format of a captured file, by its content (the first 256 KiB): SQLite magic -> rasdaemon;
 * a trace header or trace lines of the RAS/signal tracepoints -> ftrace; mcelog's disclaimer at
 * the start of a line -> mcelog; kernel RAS lines (GHES dumps, "Memory failure:", "mce:", panics,
 * the einj_mem_uc transcript) -> kernel-log; other text -> kernel-log (a log without RAS lines
 * gives an empty trace); binary data or an empty file -> null.
 */
export function detectFormat(path: string): SourceFormat | null {
  let buf: Buffer;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`${path}: cannot read the source: ${(e as Error).message}`, path, undefined, undefined, { cause: e });
  }
  try {
    buf = Buffer.alloc(SNIFF_BYTES);
    buf = buf.subarray(0, readSync(fd, buf, 0, SNIFF_BYTES, 0));
  } finally {
    closeSync(fd);
  }
  if (buf.length >= 16 && buf.subarray(0, 16).toString('latin1') === SQLITE_MAGIC) return 'rasdaemon';
  const text = buf.toString('utf8');
  const lines = text.split('\n');
  if (buf.length === SNIFF_BYTES) lines.pop(); // a cut last line
  let traceLines = 0;
  for (const l of lines) {
    if (/^# tracer: /.test(l) || /^cpus=\d+\s*$/.test(l)) return 'ftrace';
    const m = l.length > MAX_FTRACE_LINE ? null : FTRACE_LINE.exec(l);
    if (m && FTRACE_EVENTS.test(`${m[6] ?? ''}:${m[7]}`)) traceLines++;
  }
  if (traceLines > 0) return 'ftrace';
  // ras-mc-ctl --errors / --summary: its section titles and "No … errors." lines.
  if (lines.some((l) => RAS_MC_CTL_LINE.test(l.trim()))) return 'ras-mc-ctl';
  if (/^(Hardware event\. This is not a software error\.|HARDWARE ERROR\. This is \*NOT\* a software problem!)\s*$/m.test(text)) return 'mcelog';
  if (/\[Hardware Error\]|Memory failure: |\bmce: |^MCE 0x[0-9a-f]+: |Kernel panic - not syncing: |synchronous external abort|^\d+: \S+ vaddr = 0x[0-9a-f]+ paddr = |^signal \d+ code \d+ addr /m.test(text)) return 'kernel-log';
  if (/mcelog(?:\[\d+\])?: (?:Hardware event\. This is not a software error\.|HARDWARE ERROR\.)/.test(text)) return 'mcelog';
  // Any other text is a log without a RAS line in its first 256 KiB: a kernel log (RAS lines may
  // come later; none at all gives an empty trace, which is an answer too). Binary data is not.
  // A .db/.sqlite file that is not SQLite is a broken database, not a log.
  if (buf.length > 0 && !buf.includes(0) && !text.includes('\uFFFD') && !/\.(db|sqlite3?)$/i.test(path)) return 'kernel-log';
  return null;
}

/** Import one captured file. `format` skips detection; `host` names the machine (else the source's or the file name). */
export async function importSource(path: string, opts: { format?: SourceFormat; host?: string } = {}): Promise<ImportResult> {
  const format = opts.format ?? detectFormat(path);
  if (format === null) {
    throw new InputError(
      `${path}: unknown source format: expected a rasdaemon SQLite database, a kernel log (dmesg/journal with RAS lines), ftrace/trace-cmd text of the ras/mce/signal tracepoints or mcelog ASCII records (or name the format)`,
      path);
  }
  switch (format) {
    case 'rasdaemon': return importRasdaemon(path, opts.host);
    case 'kernel-log': return importKernelLog(path, opts.host);
    case 'ftrace': return importFtrace(path, opts.host);
    case 'mcelog': return importMcelog(path, opts.host);
    case 'ras-mc-ctl': return importRasMcCtl(path, opts.host);
    default: throw new InputError(`format ${JSON.stringify(format)}: expected one of ${SOURCE_FORMATS.join(', ')}`);
  }
}
