// The ras-replay command line: the only place that reads argv, writes to the terminal and sets the
// exit code (0 ok, 1 regression, 2 usage or bad input).
import { Command, CommanderError, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
// Only light modules are imported up front (commander, the input error, the profile table and the
// lists that option choices need), so `--help`, `--version` and `profiles` start at once; each
// command loads its heavy modules (DuckDB, Arrow, sql.js, vega, the engine) when it runs.
import { diskFullError, InputError } from '../io/errors.js';
import { sweepScratch } from '../io/atomic.js';
import { loadProfile } from '../io/profile-file.js';
import { BUILTIN_NAMES, BUILTIN_PROFILES } from '../model/profiles.js';
import { KERNEL_OPTION_HELP, kernelProfileName } from './kernel-option.js';
import { registerProfiles } from './profiles.js';
import { REDACTABLE, goldenLine, type Redaction } from '../oracle/golden.js';
import { UPDATE_MODES, type UpdateMode } from '../oracle/update-modes.js';
import { SQL_FORMATS, type SqlFormat } from '../nightly/sql-formats.js';
import { formatOption, outputFormat } from './format-option.js';
import { SOURCE_FORMATS } from '../import/formats.js';
import { TOOL_VERSION } from '../version.js';
import { addPolicyCommand } from './policy.js';
import { addCompletionCommand } from './completion.js';
import { groupHelp } from './help.js';
import type { SourceFormat } from '../import/common.js';
import type { TraceEvent } from '../io/trace.js';
import { registerBisect } from './bisect.js';

/** A throttled progress line on stderr (only on a terminal). */
class Progress {
  private last = 0;
  private readonly t0 = Date.now();
  constructor(private readonly profiles: string[]) {}
  update(events: number, fraction: number): void {
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const secs = Math.max((now - this.t0) / 1000, 1e-3);
    const rate = events / secs;
    const eta = fraction > 0 ? Math.max(0, secs / fraction - secs) : NaN;
    const bar = '#'.repeat(Math.round(fraction * 20)).padEnd(20, '.');
    process.stderr.write(`\r\x1b[K[${bar}] ${(fraction * 100).toFixed(0)}% ${events.toLocaleString('en')} events × ${this.profiles.join(', ')}, ${(rate / 1e6).toFixed(2)}M events/s, ETA ${Number.isNaN(eta) ? '?' : `${eta.toFixed(0)}s`}`);
  }
  done(): void {
    process.stderr.write('\r\x1b[K');
  }
}

export const EXIT_OK = 0;
export const EXIT_REGRESSION = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

class Output {
  private chunks: string[] = [];
  line(s: string): void {
    this.chunks.push(s, '\n');
    if (this.chunks.length > 4096) this.flush();
  }
  flush(): void {
    if (this.chunks.length) process.stdout.write(this.chunks.join(''));
    this.chunks = [];
  }
}

async function readTrace(file: string, sort: boolean) {
  if (/\.arrows?$/.test(file)) {
    const { readTraceArrowEvents } = await import('../io/arrow-events.js');
    return readTraceArrowEvents(file, sort);
  }
  const { readTraceCsv } = await import('../io/csv-trace.js');
  if (!/\.csv(\.gz)?$/.test(file)) {
    throw new InputError(`${file}: unsupported trace format: expected .csv, .csv.gz, .arrows or .arrow`, file);
  }
  return readTraceCsv(file, { sort });
}

function parseWorkers(v: string): number {
  if (!/^[1-9][0-9]*$/.test(v) || Number(v) > 256) throw new InputError(`--workers ${JSON.stringify(v)}: expected a whole number from 1 to 256`);
  return Number(v);
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** The profiles asked for with -p and --kernel (pre and post when neither is given). */
function profileRefs(profiles: string[], kernels: string[]): string[] {
  const all = [...profiles, ...kernels.map((k) => kernelProfileName(k))];
  return all.length ? all : ['pre', 'post'];
}

export function buildProgram(): Command {
  const program = new Command('ras-replay')
    .description('Trace-driven batch analyzer and regression oracle for the Linux hwpoison stack')
    .version(TOOL_VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // A command's options belong to it: `profiles show X --format json` is show's --format, not
    // the `profiles` list's (both have one).
    .enablePositionalOptions();

  program.command('run')
    .description('replay a trace under one or more profiles')
    .argument('<trace>', 'trace file (.arrows, .arrow, .csv, .csv.gz)')
    .option('-p, --profile <name|file.json>', 'profile (repeatable): a built-in or a JSON profile file', collect, [])
    .option('--kernel <uname-r>', `${KERNEL_OPTION_HELP} (repeatable, with -p)`, collect, [])
    .option('--jsonl', 'write one JSON object per event and profile to stdout (docs/trace-format.md §3; CSV and Arrow traces)')
    .option('-o, --out <dir>', 'write outcomes and signals (Arrow IPC, hive layout profile=…/shard=…) and the DuckDB file under DIR')
    .option('--db <file>', 'DuckDB database to load the run into (default DIR/ras.duckdb)')
    .option('--no-db', 'do not load a DuckDB database')
    .option('--parquet', 'also write Parquet (zstd) next to the Arrow files')
    .option('--shard <i/N>', 'replay only the hosts of shard i of N (stable hash of the host name)')
    .option('-w, --workers <n>', 'worker threads for the replay (default: the number of cores)', String(availableParallelism()))
    .option('--sort', 'sort a CSV trace by (host, t_ns, event_id) instead of rejecting it when out of order')
    .option('--replace', 'replace the earlier run an --out folder holds: its outputs are removed first (without it, such a folder is refused: runs are never mixed)')
    .option('-q, --quiet', 'no progress output')
    .action(async (trace: string, o: { profile: string[]; kernel: string[]; jsonl?: boolean; out?: string; db?: string | boolean; parquet?: boolean; shard?: string; workers: string; sort?: boolean; replace?: boolean; quiet?: boolean }) => {
      const profiles = profileRefs(o.profile, o.kernel).map((p) => loadProfile(p));
      if (o.jsonl) {
        if (o.out) throw new InputError('run: --jsonl writes to stdout; it does not combine with --out');
        const { outcomeJson, replayEvents } = await import('../engine/replay-events.js');
        const events = await readTrace(trace, o.sort ?? false);
        const out = new Output();
        for (const r of replayEvents(events, profiles)) out.line(outcomeJson(r));
        out.flush();
        return;
      }
      if (!o.out) throw new InputError('run: choose an output: --out DIR (Arrow, DuckDB, Parquet) or --jsonl (stdout)');
      const progress = !o.quiet && process.stderr.isTTY ? new Progress(profiles.map((p) => p.name)) : null;
      const { runTrace } = await import('../engine/run.js');
      const { parseShard } = await import('../engine/shard.js');
      const { prepareOutDir } = await import('../io/out-dir.js');
      const { existsSync } = await import('node:fs');
      if (!existsSync(trace)) throw new InputError(`${trace}: no such trace file`, trace);
      const shard = o.shard ? parseShard(o.shard) : null;
      const db = o.db === false ? null : typeof o.db === 'string' ? o.db : join(o.out, 'ras.duckdb');
      prepareOutDir(o.out, { shard, replace: o.replace ?? false, db });
      const summary = await runTrace({
        trace,
        profiles,
        outDir: o.out,
        db,
        parquet: o.parquet ?? false,
        shard,
        workers: parseWorkers(o.workers),
        sort: o.sort ?? false,
        onBatch: progress ? (n, f) => progress.update(n, f) : undefined,
      });
      progress?.done();
      const out = new Output();
      out.line(JSON.stringify({
        run_id: summary.runId, events: summary.events, profiles: profiles.map((p) => p.name), signals: summary.signals,
        seconds: summary.seconds, events_per_s: Math.round(summary.events / Math.max(summary.seconds, 1e-9)),
        trace_sha256: summary.traceSha256, max_rss_mb: (await import('../io/peak-rss.js')).peakRssMb(), files: summary.files,
      }));
      out.flush();
    });

  program.command('gen')
    .description('synthetic traces: a fleet-scale mix (docs/fleet-mix.md) or the scenario matrix, deterministic for a seed')
    .addOption(new Option('--mix <mix>', 'fleet: statistics from field studies; matrix: every page type × error × context × policy').choices(['fleet', 'matrix']).makeOptionMandatory())
    .option('--mix-file <file.json>', 'fleet: a mix file deep-merged over the defaults (mixes/fleet.json lists every parameter)')
    .option('--hosts <n>', 'fleet: hosts', '1000')
    .option('--days <n>', 'fleet: days', '365')
    .option('--seed <n>', 'random seed', '1')
    .requiredOption('-o, --out <file.arrows>', 'the trace to write (Arrow IPC stream, host-ordered)')
    .action(async (o: { mix: string; mixFile?: string; hosts: string; days: string; seed: string; out: string }) => {
      const { generateFleet } = await import('../gen/fleet.js');
      const { generateMatrix } = await import('../gen/matrix.js');
      const { defaultMix, loadMix } = await import('../gen/mix.js');
      const int = (k: string, v: string, min: number) => {
        if (!/^[0-9]+$/.test(v) || Number(v) < min) throw new InputError(`--${k} ${JSON.stringify(v)}: expected a whole number ≥ ${min}`);
        return Number(v);
      };
      if (!o.out.endsWith('.arrows')) throw new InputError(`--out ${JSON.stringify(o.out)}: expected a .arrows file (Arrow IPC stream)`);
      const t0 = performance.now();
      let summary: Record<string, unknown>;
      if (o.mix === 'fleet') {
        const r = generateFleet(o.out, o.mixFile ? loadMix(o.mixFile) : defaultMix(), { hosts: int('hosts', o.hosts, 1), days: int('days', o.days, 1), seed: int('seed', o.seed, 0) });
        summary = { events: r.events, hosts: r.hosts, stats: r.stats };
      } else {
        if (o.mixFile) throw new InputError('--mix-file applies to --mix fleet');
        summary = { ...generateMatrix(o.out, { seed: int('seed', o.seed, 0) }) };
      }
      const seconds = (performance.now() - t0) / 1000;
      const out = new Output();
      out.line(JSON.stringify({ out: o.out, mix: o.mix, seconds, ...summary }));
      out.flush();
    });

  program.command('import')
    .description('captured logs or CSV to the canonical trace (.arrows), with the observed outcomes next to it (.observed.parquet)')
    .argument('<source>', 'rasdaemon SQLite database, kernel log (dmesg/journal), trace-cmd/ftrace text, mcelog output, or CSV')
    .requiredOption('-o, --out <file.arrows>', 'output trace')
    .addOption(new Option('--format <format>', 'the source format (default: detected from the content)').choices([...SOURCE_FORMATS, 'csv']))
    .option('--host <name>', 'host name for sources that do not name one')
    .option('--sort', 'CSV: sort by (host, t_ns, event_id) instead of rejecting an out-of-order trace')
    .option('--bulk', 'CSV: read with DuckDB (large files; same validation and messages as the strict reader, no --sort)')
    .option('-v, --verbose', 'kernel logs: list the lines that look like RAS but were not understood, with their line numbers (stderr)')
    .action(async (source: string, o: { out: string; format?: string; host?: string; sort?: boolean; bulk?: boolean; verbose?: boolean }) => {
      if (!o.out.endsWith('.arrows')) throw new InputError(`--out ${JSON.stringify(o.out)}: expected a .arrows file (Arrow IPC stream)`);
      const csv = o.format === 'csv' || (!o.format && /\.csv(\.gz)?$/.test(source));
      const { rmSync } = await import('node:fs');
      if (o.bulk) {
        const { importCsvBulk } = await import('../import/csv-bulk.js');
        if (!csv) throw new InputError('--bulk reads CSV traces only');
        if (o.sort) throw new InputError('--bulk does not sort: sort the CSV first or use the strict reader with --sort');
        const r = await importCsvBulk(source, o.out);
        process.stdout.write(`${JSON.stringify({ source, format: 'csv', events: r.rows, trace: o.out, seconds: r.seconds })}\n`);
        return;
      }
      const { importSource } = await import('../import/index.js');
      const { readTraceCsv } = await import('../io/csv-trace.js');
      const { TraceStreamWriter } = await import('../io/arrow-trace.js');
      const { writeObservedTable } = await import('../oracle/observed.js');
      const res = csv ? null : await importSource(source, { format: o.format as SourceFormat | undefined, host: o.host });
      const csvEvents = res ? null : readTraceCsv(source, { sort: o.sort ?? false });
      const count = res ? res.table.count : csvEvents!.length;
      const observedFile = o.out.replace(/\.arrows$/, '.observed.parquet');
      const w = new TraceStreamWriter(o.out);
      try {
        if (res) {
          // From the import's columns, one reused event object (docs/import.md "Event builder").
          const e = {} as TraceEvent;
          for (let r = 0; r < count; r++) w.add(res.table.eventAt(r, e));
          // The observed outcomes first: the trace appears (rename) only when both are written.
          await writeObservedTable(observedFile, res.table);
        } else {
          for (const e of csvEvents!) w.add(e);
        }
        w.close();
      } catch (e) {
        w.abort();
        if (res) rmSync(observedFile, { force: true });
        throw e;
      }
      for (const warn of res?.warnings ?? []) process.stderr.write(`ras-replay: warning: ${warn}\n`);
      if (res && o.verbose) {
        for (const u of res.unrecognizedLines) process.stderr.write(`ras-replay: not understood: ${source}: line ${u.line}: ${u.text}\n`);
        if (res.unrecognized > res.unrecognizedLines.length) process.stderr.write(`ras-replay: not understood: ${res.unrecognized - res.unrecognizedLines.length} more line(s) not listed\n`);
      }
      if (count === 0) process.stderr.write(`ras-replay: ${source}: no RAS event found${res?.lines != null ? ` in ${res.lines} line(s)` : ''}; wrote an empty trace (every command reads it)\n`);
      const out = new Output();
      out.line(JSON.stringify({ source, format: res ? res.format : 'csv', events: count, trace: o.out, observed: res ? observedFile : null, warnings: res?.warnings.length ?? 0, ...(res?.lines != null ? { lines: res.lines, not_understood: res.unrecognized } : {}) }));
      out.flush();
    });

  program.command('merge')
    .description('read the outputs of shard jobs (run --shard i/N --parquet) back as one DuckDB dataset')
    .argument('<dir>', 'the shared output folder of the shard jobs')
    .requiredOption('--db <file>', 'DuckDB file to create (tables outcomes, signals, shards)')
    .action(async (dir: string, o: { db: string }) => {
      const { mergeShards } = await import('../io/merge.js');
      const s = await mergeShards(dir, o.db);
      const out = new Output();
      out.line(JSON.stringify({ db: o.db, ...s }));
      out.flush();
    });

  program.command('explain')
    .description("one event's decision path and the kernel log lines the real kernel would print")
    .argument('<trace>', 'trace file (.csv, .csv.gz, .arrows; an imported trace shows its source lines and observed outcome from X.observed.parquet)')
    .requiredOption('-e, --event <event_id>', 'the event to explain')
    .option('-p, --profile <name|file.json>', 'profile (repeatable)', collect, [])
    .option('--kernel <uname-r>', `${KERNEL_OPTION_HELP} (repeatable, with -p)`, collect, [])
    .option('--sort', 'sort an out-of-order trace')
    .action(async (trace: string, o: { event: string; profile: string[]; kernel: string[]; sort?: boolean }) => {
      if (!/^[0-9]+$/.test(o.event)) throw new InputError(`--event ${JSON.stringify(o.event)}: expected an event_id (unsigned integer)`);
      const id = BigInt(o.event);
      const { explainEvent } = await import('../engine/replay-events.js');
      const events = await readTrace(trace, o.sort ?? false);
      const out = new Output();
      const { existsSync } = await import('node:fs');
      const sidecar = trace.replace(/\.arrows?$/, '.observed.parquet');
      if (sidecar !== trace && existsSync(sidecar)) {
        const { readObservedEvent } = await import('../oracle/observed.js');
        const ob = await readObservedEvent(sidecar, id);
        const ev = events.find((e) => e.eventId === id);
        if (ob && ev) {
          if (ob.where) ev.where = ob.where;
          if (ob.note) ev.note = ob.note;
          const sig = ob.signals === null ? '-' : ob.signals.map((x) => `${x.pid}:${x.signo}/${x.siCode ?? '?'}`).join(' ') || 'none';
          out.line(`event ${id} observed (${sidecar}): panic=${ob.panic ?? '-'}${ob.panicMsg ? ` ("${ob.panicMsg}")` : ''} mf=${ob.mfType ?? '-'}/${ob.mfResult ?? '-'} signals=${sig}`);
        }
      }
      for (const name of profileRefs(o.profile, o.kernel)) {
        const profile = loadProfile(name);
        const x = explainEvent(events, id, profile);
        if (!x) throw new InputError(`${trace}: no event with event_id ${id}`);
        const { event: target, row, lines } = x;
        out.line(`event ${id} (${target.where}) under profile ${profile.name}${target.note ? `: ${target.note}` : ''}`);
        out.line(`  path: ${row.path}`);
        for (const l of lines) out.line(l);
        out.line(`  outcome: panic=${row.panic}${row.panic_msg ? ` ("${row.panic_msg}")` : ''} reboot_loop=${row.reboot_loop} vmcore=${row.vmcore} mf=${row.mf_type ?? '-'}/${row.mf_result ?? '-'} mf_ret=${row.mf_ret ?? '-'} poisoned=${row.poisoned} unmapped=${row.unmapped} guest_action=${row.guest_action}`);
        for (const s of row.signals) {
          out.line(`  signal: pid ${s.pid} tid ${s.tid} signo ${s.signo} si_code ${s.si_code} addr ${s.addr === null ? '-' : `0x${s.addr.toString(16)}`} addr_lsb ${s.addr_lsb ?? '-'}`);
        }
        out.line('');
      }
      out.flush();
    });

  program.command('suite')
    .description('replay the curated scenario suites under the built-in profiles and diff them against golden/')
    .option('--root <dir>', 'project root holding traces/ and golden/', process.cwd())
    .option('-p, --profile <name>', 'only this built-in profile (repeatable)', collect, [])
    .addOption(new Option('--format <format>', 'output (text is the older name of table)').choices(['table', 'text', 'json']).default('table'))
    .action(async (o: { root: string; profile: string[]; format: string }) => {
      if (o.format === 'text') o.format = 'table';
      const { runSuites } = await import('../oracle/suite.js');
      const { jsonText } = await import('../io/json.js');
      const profiles = o.profile.length ? o.profile.map((p) => loadProfile(p)) : [...BUILTIN_PROFILES];
      const results = runSuites(o.root, profiles);
      const out = new Output();
      let bad = 0;
      if (o.format === 'json') {
        out.line(jsonText(results, 2));
      }
      for (const r of results) {
        bad += r.mismatches.length;
        if (o.format === 'table') {
          out.line(`${r.mismatches.length ? 'FAIL' : 'ok  '} ${r.suite} × ${r.profile}: ${r.events} events, ${r.mismatches.length} differ from ${relative(o.root, r.golden)}`);
          for (const m of r.mismatches) {
            out.line(`  event ${m.eventId}: ${m.fields.join(', ')}`);
            out.line(`    expected ${m.expected}`);
            out.line(`    actual   ${m.actual}`);
          }
        }
      }
      if (o.format === 'table') {
        const total = results.reduce((n, r) => n + r.events, 0);
        out.line(`${results.length} suite×profile runs, ${total} outcomes, ${bad} differ from their golden files`);
      }
      out.flush();
      if (bad) process.exitCode = EXIT_REGRESSION;
    });

  program.command('diff')
    .description('outcomes vs a golden file: panic avoidance, si_code correctness, kill accuracy, reboot loops, vmcore (docs/trace-format.md §4)')
    .argument('<outcomes>', "a run's --out folder, a .duckdb, .parquet or .jsonl (run --jsonl) file, or a trace to replay first")
    .option('-g, --golden <file>', 'golden file (.golden text or .parquet)')
    .option('--observed <file>', "instead of a golden file: the observed outcomes of an imported trace (X.observed.parquet); agreement per path")
    .option('-p, --profile <name|file.json>', "the profile's outcomes to check (default: the golden file's profile; with --observed: every profile present, or every built-in for a trace)")
    .option('--kernel <uname-r>', `${KERNEL_OPTION_HELP}: instead of --profile`)
    .option('--by <columns>', 'group by outcome or trace columns (comma-separated, e.g. path,context)', (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean), [] as string[])
    .option('--trace <file>', 'the trace (.csv, .parquet): trace columns for --by, explain steps for examples')
    .option('--examples <n>', 'examples per category', '3')
    .addOption(formatOption(['table', 'json', 'markdown']))
    .option('--json', 'the result as JSON on stdout (same as --format json)')
    .option('--junit <file>', 'also write JUnit XML')
    .option('--markdown <file>', 'also write a Markdown summary (for CI job summaries)')
    .action(async (outcomes: string, o: { golden?: string; observed?: string; profile?: string; kernel?: string; by: string[]; trace?: string; examples: string; format: string; json?: boolean; junit?: string; markdown?: string }) => {
      if (!/^[0-9]+$/.test(o.examples)) throw new InputError(`--examples ${JSON.stringify(o.examples)}: expected a whole number`);
      const format = outputFormat(o);
      if (!o.golden === !o.observed) throw new InputError('diff: give exactly one of --golden FILE or --observed FILE');
      if (o.kernel) {
        if (o.profile) throw new InputError('diff: give --profile or --kernel, not both');
        o.profile = kernelProfileName(o.kernel);
      }
      if (o.observed) {
        const { diffObserved, observedText } = await import('../oracle/observed.js');
        const profiles = o.profile ? [o.profile] : /\.(csv|csv\.gz|arrows|arrow)$/.test(outcomes) ? BUILTIN_NAMES : [];
        if (format === 'markdown') throw new InputError('diff --observed: --format markdown is not available (table or json)');
        const rs = await diffObserved(outcomes, o.observed, [...profiles]);
        process.stdout.write(format === 'json' ? `${JSON.stringify(rs, null, 2)}\n` : observedText(rs));
        return;
      }
      const { diffFiles } = await import('../oracle/commands.js');
      const { diffJson, diffJunit, diffMarkdown, diffText } = await import('../oracle/diff-output.js');
      const { writeFileAtomic } = await import('../io/atomic.js');
      const r = await diffFiles({ outcomes, golden: o.golden!, profile: o.profile, by: o.by, trace: o.trace, examples: Number(o.examples) });
      if (o.junit) writeFileAtomic(o.junit, diffJunit([r]));
      if (o.markdown) writeFileAtomic(o.markdown, diffMarkdown([r]));
      process.stdout.write(format === 'json' ? `${diffJson(r)}\n` : format === 'markdown' ? diffMarkdown([r]) : diffText(r));
      if (r.regression) process.exitCode = EXIT_REGRESSION;
    });

  program.command('compare')
    .description('the same trace under profile A and profile B: what changed, in which direction')
    .argument('<source>', "a trace (replayed under both), a run's --out folder, a .duckdb, .parquet or .jsonl file")
    .requiredOption('-a, --a <profile>', 'profile A (the baseline)')
    .option('-b, --b <profile>', 'profile B')
    .option('--kernel <uname-r>', `${KERNEL_OPTION_HELP}: profile B, instead of -b`)
    .option('--examples <n>', 'example events per change', '3')
    .addOption(formatOption(['table', 'json']))
    .option('--json', 'as JSON (same as --format json)')
    .action(async (source: string, o: { a: string; b?: string; kernel?: string; examples: string; format: string; json?: boolean }) => {
      if (!/^[0-9]+$/.test(o.examples)) throw new InputError(`--examples ${JSON.stringify(o.examples)}: expected a whole number`);
      if (!o.b === !o.kernel) throw new InputError('compare: give profile B with exactly one of -b PROFILE or --kernel "$(uname -r)"');
      const b = o.b ?? kernelProfileName(o.kernel!);
      const { compareFiles } = await import('../oracle/commands.js');
      const { compareText } = await import('../oracle/compare.js');
      const { jsonText } = await import('../io/json.js');
      const r = await compareFiles({ source, a: o.a, b, examples: Number(o.examples) });
      process.stdout.write(outputFormat(o) === 'json' ? `${jsonText(r, 2)}\n` : compareText(r));
    });

  registerBisect(program);

  const golden = program.command('golden').description('golden files: check and update the curated suites, review and accept changes, create from outcomes or the ideal policy');
  const suiteOpts = (c: Command) => c
    .option('--root <dir>', 'project root holding traces/ and golden/', process.cwd())
    .option('-s, --suite <name>', 'only this suite (repeatable)', collect, [])
    .option('-p, --profile <name>', 'only this built-in profile (repeatable)', collect, []);
  const profilesOf = (names: string[]) => (names.length ? names.map((p) => loadProfile(p)) : [...BUILTIN_PROFILES]);
  const suitesOf = (names: string[]) => (names.length ? names : undefined);

  suiteOpts(golden.command('check'))
    .description('replay the suites and compare with golden/; update according to the mode (none on CI, new otherwise)')
    .addOption(new Option('--update <mode>', 'none: write nothing; new: add new events, changed ones go to .pending for review; all: rewrite, removing obsolete rows').choices([...UPDATE_MODES]))
    .action(async (o: { root: string; suite: string[]; profile: string[]; update?: UpdateMode }) => {
      const { checkFailed, checkSuites, defaultUpdateMode } = await import('../oracle/golden-update.js');
      const mode = o.update ?? defaultUpdateMode();
      const results = checkSuites({ root: o.root, profiles: profilesOf(o.profile), suites: suitesOf(o.suite), mode });
      const out = new Output();
      let failed = 0;
      const t = { added: 0, changed: 0, obsolete: 0, unchanged: 0, pending: 0, written: 0 };
      for (const r of results) {
        const bad = checkFailed(r, mode);
        if (bad) failed++;
        t.added += r.added.length; t.changed += r.changed.length; t.obsolete += r.obsolete.length; t.unchanged += r.unchanged; t.pending += r.pending; t.written += r.written.length;
        out.line(`${bad ? 'FAIL' : 'ok  '} ${r.suite} × ${r.profile}: ${r.unchanged} unchanged, ${r.added.length} added, ${r.changed.length} changed, ${r.obsolete.length} obsolete${r.pending ? `, ${r.pending} pending review` : ''}`);
        for (const c of [...r.changed, ...r.added, ...r.obsolete]) {
          out.line(`  event ${c.eventId}: ${c.fields.join(', ')}${c.note ? ` (${c.note})` : ''}`);
          if (c.expected !== null) out.line(`    golden ${c.expected}`);
          if (c.actual !== null) out.line(`    actual ${c.actual}`);
        }
        for (const w of r.written) out.line(`  wrote ${w}`);
      }
      out.line(`mode ${mode}: ${results.length} suite×profile files, ${t.unchanged} unchanged, ${t.added} added, ${t.changed} changed, ${t.obsolete} obsolete, ${t.pending} pending review, ${t.written} files written`);
      out.flush();
      if (failed) process.exitCode = EXIT_REGRESSION;
    });

  suiteOpts(golden.command('review'))
    .description('list pending changes: each event with its golden row, the proposed row, its trace note and decision path')
    .action(async (o: { root: string; suite: string[]; profile: string[] }) => {
      const { reviewPending } = await import('../oracle/golden-update.js');
      const entries = reviewPending(o.root, profilesOf(o.profile), suitesOf(o.suite));
      const out = new Output();
      for (const e of entries) {
        out.line(`${e.golden}: event ${e.eventId}: ${e.fields.join(', ')}${e.note ? ` (${e.note})` : ''}`);
        out.line(`  golden   ${e.expected ?? '(none)'}`);
        out.line(`  proposed ${e.proposed}`);
        for (const l of e.explain) out.line(`  ${l}`);
      }
      out.line(`${entries.length} pending change${entries.length === 1 ? '' : 's'}${entries.length ? ': `ras-replay golden accept --event ID` or `--all`; `golden reject` drops them' : ''}`);
      out.flush();
    });

  for (const action of ['accept', 'reject'] as const) {
    suiteOpts(golden.command(action))
      .description(action === 'accept' ? 'move pending rows into their golden files' : 'drop pending rows')
      .option('-e, --event <event_id>', 'this event (repeatable)', collect, [])
      .option('--all', 'every pending row')
      .action(async (o: { root: string; suite: string[]; profile: string[]; event: string[]; all?: boolean }) => {
        const { resolvePending } = await import('../oracle/golden-update.js');
        if (!o.all === !o.event.length) throw new InputError(`golden ${action}: give --event ID (repeatable) or --all`);
        for (const e of o.event) if (!/^[0-9]+$/.test(e)) throw new InputError(`--event ${JSON.stringify(e)}: expected an event_id (unsigned integer)`);
        const done = resolvePending(o.root, profilesOf(o.profile), action, o.all ? 'all' : o.event.map((e) => BigInt(e)), suitesOf(o.suite));
        const out = new Output();
        for (const d of done) out.line(`${action}ed ${d.events.length} row${d.events.length === 1 ? '' : 's'} of ${d.golden} (event ${d.events.join(', ')})`);
        if (!done.length) out.line('nothing pending');
        out.flush();
      });
  }

  golden.command('create')
    .description('a golden file from outcomes (what a run did) or from the ideal policy (what a correct stack does); .golden text or .parquet')
    .requiredOption('--from <what>', 'outcomes or ideal')
    .argument('<source>', 'outcomes (--from outcomes: run folder, .duckdb, .parquet, .jsonl, or a trace with --profile) or a trace (--from ideal)')
    .requiredOption('-o, --out <file>', 'the golden file to write (.golden or .parquet)')
    .option('-p, --profile <name|file.json>', 'the profile whose outcomes to take (--from outcomes)')
    .option('--redact <fields>', `leave fields unchecked: ${REDACTABLE.join(', ')}`, (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean), [] as string[])
    .action(async (source: string, o: { from: string; out: string; profile?: string; redact: string[] }) => {
      for (const r of o.redact) if (!(REDACTABLE as readonly string[]).includes(r)) throw new InputError(`--redact ${JSON.stringify(r)}: expected some of ${REDACTABLE.join(', ')}`);
      const { createFromIdeal, createFromOutcomes } = await import('../oracle/golden-create.js');
      let r;
      if (o.from === 'ideal') {
        if (o.profile || o.redact.length) throw new InputError('golden create --from ideal: --profile and --redact apply to --from outcomes only');
        r = await createFromIdeal(source, o.out);
      } else if (o.from === 'outcomes') {
        r = await createFromOutcomes(source, o.out, { profile: o.profile, redact: o.redact as Redaction[] });
      } else {
        throw new InputError(`--from ${JSON.stringify(o.from)}: expected outcomes or ideal`);
      }
      const out = new Output();
      out.line(JSON.stringify(r));
      out.flush();
    });

  program.command('nightly')
    .description('the batch job: every trace × profile of the config, golden diffs, compares, history, report; exit 1 if a gated diff regressed')
    .option('-c, --config <file>', 'the nightly config', 'ras-replay.config.json')
    .option('--night <YYYY-MM-DD>', 'the night to record (default: today, UTC)')
    .option('--restart', 'run the night afresh (discard a partial night, replace a complete one)')
    .addOption(new Option('--format <format>', 'output: a verdict and one line per diff (table), or one JSON document (json)').choices(['table', 'json']).default('table'))
    .option('--junit <file>', 'also write the golden-gated diffs as JUnit XML (for CI test reports)')
    .option('--markdown <file>', 'also write a Markdown summary (for CI job summaries)')
    .option('-q, --quiet', 'no step log on stderr')
    .action(async (o: { config: string; night?: string; restart?: boolean; format: string; junit?: string; markdown?: string; quiet?: boolean }) => {
      const { runNightly } = await import('../nightly/nightly.js');
      const s = await runNightly({ config: o.config, night: o.night, restart: o.restart, log: o.quiet ? undefined : (l) => process.stderr.write(`nightly: ${l}\n`) });
      const gated = s.record.diffs.filter((d) => d.gate).map((d) => d.result);
      if (o.junit || o.markdown) {
        const { diffJunit, diffMarkdown } = await import('../oracle/diff-output.js');
        const { writeFileAtomic } = await import('../io/atomic.js');
        if (o.junit) writeFileAtomic(o.junit, diffJunit(gated));
        if (o.markdown) writeFileAtomic(o.markdown, `# ras-replay nightly ${s.night}: ${s.regressed ? 'REGRESSED' : 'no regression'}\n\nReport: ${s.report}\n\n${diffMarkdown(gated)}`);
      }
      const out = new Output();
      const bad = gated.filter((r) => r.regression).length;
      const verdict = `night ${s.night}: ${s.regressed ? `REGRESSED (${bad} of ${gated.length} golden-gated diffs)` : `no regression (${gated.length} golden-gated diffs clean)`}${s.resumedSteps ? ` (resumed ${s.resumedSteps} steps)` : ''}${s.alreadyComplete ? ' (already complete: as recorded; --restart runs it again)' : ''}`;
      if (o.format === 'json') {
        const { jsonText } = await import('../io/json.js');
        out.line(jsonText({ night: s.night, regressed: s.regressed, report: s.report, folder: s.folder, resumed_steps: s.resumedSteps, already_complete: s.alreadyComplete ?? false,
          diffs: s.record.diffs.map((d) => ({ trace: d.trace, golden: d.golden, gate: d.gate, profile: d.result.profile, regressed: d.gate && d.result.regression, events: d.result.total.events, counts: d.result.total.counts })),
          compares: s.record.compares.map((c) => ({ trace: c.trace, a: c.result.a, b: c.result.b, summary: c.result.summary })) }, 2));
      } else {
        out.line(verdict);
        out.line(`report: ${s.report}`);
        out.line('lines: "ok"/"REGRESSED" a golden-gated diff (its regressions decide the verdict and exit 1); "distance" the distance from the ideal policy (measured, never gates); "compare" what changes between two profiles on one trace; "policy" a page-offline policy sweep (docs/policy.md); "bisect" which kernel change (switch) makes each differing event differ between two profiles (docs/bisect.md)');
        for (const l of s.lines) out.line(l);
      }
      out.flush();
      if (s.regressed) process.exitCode = EXIT_REGRESSION;
    });

  program.command('sql')
    .description('SQL over the store (history, diffs) and every retained night\'s outcomes and signals')
    .argument('[query]', 'the SQL (or - for stdin)')
    .option('-f, --file <file>', 'read the SQL from a file')
    .option('--query <name>', 'a named query (see --list)')
    .option('--list', 'list the named queries')
    .option('--store <file>', 'the store', 'nightly/store.duckdb')
    .option('--attach <dir>', 'also read the Parquet outputs of this run folder as outcomes/signals (repeatable)', collect, [])
    .addOption(new Option('--format <format>', 'output').choices([...SQL_FORMATS]))
    .option('-o, --out <file>', 'output file (required for --format parquet)')
    .option('--allow-write', 'also run statements that write files, attach databases, load extensions or change settings (COPY, ATTACH, INSTALL, LOAD, SET, …); without it only queries run')
    .action(async (query: string | undefined, o: { file?: string; query?: string; list?: boolean; store: string; attach: string[]; format?: SqlFormat; out?: string; allowWrite?: boolean }) => {
      const out = new Output();
      const { namedQuery, openSqlSession, runSql } = await import('../nightly/sql.js');
      const { NAMED_QUERIES } = await import('../nightly/store.js');
      const { writeFileAtomic } = await import('../io/atomic.js');
      const { readFileSync } = await import('node:fs');
      if (o.list) {
        for (const [k, v] of Object.entries(NAMED_QUERIES)) out.line(`${k.padEnd(22)} ${v.about}`);
        out.flush();
        return;
      }
      const given = [query !== undefined, o.file !== undefined, o.query !== undefined].filter(Boolean).length;
      if (given !== 1) throw new InputError('sql: give exactly one of a query argument (or - for stdin), --file FILE or --query NAME');
      const sql = o.query ? namedQuery(o.query) : o.file ? readFileSync(o.file, 'utf8') : query === '-' ? readFileSync(0, 'utf8') : query!;
      const format: SqlFormat = o.format ?? (o.out?.endsWith('.parquet') ? 'parquet' : process.stdout.isTTY ? 'table' : 'csv');
      const s = await openSqlSession(o.store, o.attach);
      try {
        const text = await runSql(s, sql, format, o.out, o.allowWrite ?? false);
        if (o.out && format !== 'parquet') writeFileAtomic(o.out, text);
        else if (text) process.stdout.write(text);
      } finally {
        s.db.close();
      }
    });

  program.command('report')
    .description('write the HTML report of a recorded night from the store')
    .option('--store <file>', 'the store', 'nightly/store.duckdb')
    .option('--night <YYYY-MM-DD>', 'the night (default: the latest)')
    .requiredOption('-o, --out <file.html>', 'the report to write')
    .action(async (o: { store: string; night?: string; out: string }) => {
      const { existsSync } = await import('node:fs');
      const { Duck } = await import('../oracle/duck.js');
      const { reportData } = await import('../nightly/report-data.js');
      const { writeReport } = await import('../report/html.js');
      if (!existsSync(o.store)) throw new InputError(`${o.store}: no store: run \`ras-replay nightly\` first`, o.store);
      const { statSync } = await import('node:fs');
      if (statSync(o.out, { throwIfNoEntry: false })?.isDirectory()) throw new InputError(`-o ${o.out}: is a folder: expected the report file to write (for example ${o.out.replace(/\/+$/, '')}/report.html)`, o.out);
      const db = await Duck.open(o.store, { readOnly: true });
      try {
        const { assertStore } = await import('../nightly/sql.js');
        await assertStore(db, o.store);
        const night = o.night ?? String(await db.scalar('SELECT max(night) FROM nights'));
        if (!(await db.scalar(`SELECT count(*) FROM nights WHERE night = '${night.replace(/'/g, "''")}'`))) throw new InputError(`${o.store}: no night ${night}`, o.store);
        await writeReport(o.out, await reportData(db, night, new Date().toISOString()));
      } finally {
        db.close();
      }
      process.stdout.write(`report: ${o.out}\n`);
    });

  addPolicyCommand(program);
  registerProfiles(program);

  addCompletionCommand(program);
  groupHelp(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  // Outputs are written under temporary names and renamed when complete, and every command removes
  // the temporaries of dead processes, so stopping at once is safe: say so and exit 128 + signal.
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(sig, () => {
      process.stderr.write(`ras-replay: stopped by ${sig}: files not yet at their final names are incomplete and the next command removes them\n`);
      process.exit(code);
    });
  }
  // A child of `nightly` (`run`, `gen`) stops once the nightly is gone (SIGKILLed: no handler ran),
  // so a rerun of the night never shares its folder with an orphan still writing there. The
  // variable is not passed on (a grandchild has another parent).
  const parent = Number(process.env.RAS_REPLAY_PARENT_PID ?? '');
  delete process.env.RAS_REPLAY_PARENT_PID;
  if (Number.isInteger(parent) && parent > 0) {
    setInterval(() => {
      if (process.ppid === parent) return;
      process.stderr.write(`ras-replay: stopped: the nightly that started this command (process ${parent}) is gone: files not yet at their final names are incomplete and the next command removes them\n`);
      process.exit(143);
    }, 200).unref();
  }
  // The scratch folders of killed commands (SIGKILL runs no exit handler) go now, whatever this
  // command needs: "nothing left in $TMPDIR once the next command has run".
  sweepScratch();
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    } else if (diskFullError(e)) {
      // A full disk is the environment's, not a defect: exit 2 with the file, like bad input.
      process.stderr.write(`ras-replay: ${diskFullError(e)!.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else if (e instanceof InputError) {
      process.stderr.write(`ras-replay: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      // Not the input's fault and not a regression (exit 1 means "regression found").
      process.stderr.write(`ras-replay: internal error: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = EXIT_INTERNAL;
    }
  }
}

export { BUILTIN_NAMES, goldenLine };
