// `ras-replay run`: stream a trace batch by batch, replay each batch under every requested profile
// in one pass, and write outcomes and signals (Arrow IPC streams, DuckDB, optionally Parquet).
// Outputs are written under temporary names and renamed at the end; the DuckDB load is one
// transaction. A run that fails or is killed leaves nothing that looks complete.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { NotModelledError } from '../model/ctx.js';
import type { Profile } from '../model/profiles.js';
import { EventRecord, NO_ADDR, Outcome } from '../model/record.js';
import { Replayer, statelessKey } from '../model/replay.js';
import { FleetState, HostState } from '../model/state.js';
import { ArrowStreamFile } from '../io/arrow-util.js';
import { HostDictBuilder, OUTCOME_SCHEMA, outcomeBatch, outcomeLabelIds, SIGNAL_LABEL_IDS, SIGNAL_SCHEMA, signalBatch } from '../io/arrow-outcomes.js';
import { newTraceDicts, TraceDicts } from '../io/arrow-trace.js';
import { DuckSink } from '../io/duckdb-sink.js';
import { InputError } from '../io/errors.js';
import { parquetTree } from '../io/layout.js';
import { COLUMN_KEYS, EventColumns, F_FIRMWARE_FIRST, fillFromColumns, MapperPool } from '../columns/events.js';
import { OutcomeColumns, SignalColumns } from '../columns/outcomes.js';
import { FedBatch, openTraceSource, SourceBatch, TraceSource, traceFormat } from './source.js';
import { OrderCheck } from './order.js';
import { Shard, shardOfHost } from './shard.js';
import { EncodeReply, WorkerPool } from './workers.js';

import { TOOL_VERSION } from '../version.js';

export { TOOL_VERSION };

export interface RunOptions {
  trace: string;
  profiles: Profile[];
  outDir: string;
  /** DuckDB file; null: no database (default `outDir/ras.duckdb`). */
  db: string | null;
  parquet: boolean;
  shard: Shard | null;
  /** Sort a CSV trace by (host, t_ns, event_id) instead of rejecting it (holds it in memory). */
  sort?: boolean;
  /** Worker threads for the replay (1: replay on the main thread). */
  workers?: number;
  batchRows?: number;
  /** Called after each batch: events replayed so far and the fraction of the trace consumed. */
  onBatch?: (eventsDone: number, fraction: number) => void;
}

export interface RunSummary {
  runId: number | null;
  events: number;
  signals: number[];
  seconds: number;
  files: string[];
  traceSha256: string;
}

/** Replays batches for one profile, keeping per-host state in dense arrays indexed by host id. */
export class BatchReplayer {
  private readonly rec = new EventRecord();
  private readonly outcome = new Outcome();
  private readonly replayer = new Replayer();
  private readonly states = new FleetState();
  /** Outcomes of state-free events (statelessKey), computed once by the model. */
  private readonly memo: (Outcome | undefined)[] = [];
  private readonly scratchState = new HostState();
  private lastHost = -1;

  constructor(readonly profile: Profile, private readonly pool: MapperPool, private readonly where: string) {}

  /** Replay rows of `cols` (all rows, or those with host % parts === part). */
  run(cols: EventColumns, batchNo: number, out: OutcomeColumns, sig: SignalColumns, part = 0, parts = 1): void {
    const n = cols.n;
    out.ensure(n);
    out.n = n;
    sig.clear();
    const rec = this.rec;
    const o = this.outcome;
    const profile = this.profile;
    const ordered = cols.hostOrdered;
    for (let i = 0; i < n; i++) {
      const h = cols.host[i]!;
      if (parts > 1 && h % parts !== part) continue;
      if (ordered && h !== this.lastHost) {
        // A host-ordered trace never returns to a host: release the previous one's state.
        if (this.lastHost >= 0) this.states.reset(this.lastHost);
        this.lastHost = h;
      }
      const key = statelessKey(cols.arch[i]!, cols.kind[i]!, cols.notify[i]!, (cols.flags[i]! & F_FIRMWARE_FIRST) !== 0, cols.severity[i]!, cols.pa[i] !== NO_ADDR, profile);
      if (key >= 0) {
        let m = this.memo[key];
        if (m === undefined) {
          fillFromColumns(rec, cols, i, this.pool);
          m = new Outcome();
          this.replayer.replay(rec, profile, this.scratchState, m, null);
          if (m.signals.count !== 0 || m.panic || m.rebootLoop || !this.scratchState.isEmpty()) {
            throw new Error(`statelessKey ${key}: the model read or wrote host state for an event classed state-free`);
          }
          this.memo[key] = m;
        }
        out.set(i, m);
        continue;
      }
      fillFromColumns(rec, cols, i, this.pool);
      try {
        this.replayer.replay(rec, this.profile, this.states.host(h), o, null);
      } catch (e) {
        if (e instanceof NotModelledError) {
          throw new InputError(`${this.where}: batch ${batchNo} row ${i} (event_id ${cols.eventId[i]}) under profile ${this.profile.name}: ${e.message}`, undefined, undefined, undefined, { cause: e });
        }
        throw e;
      }
      out.set(i, o);
      if (o.signals.count) sig.add(i, o);
    }
  }
}

interface ProfileOut {
  replayer: BatchReplayer;
  out: OutcomeColumns;
  sig: SignalColumns;
  outcomes: ArrowStreamFile;
  signals: ArrowStreamFile;
  signalCount: number;
}

export async function runTrace(opts: RunOptions): Promise<RunSummary> {
  const t0 = Date.now();
  const started = new Date();
  const outDir = resolve(opts.outDir);
  outputFolder(opts.outDir, outDir, opts.db ?? null);
  removeStaleTemps(outDir);
  const tag = `.tmp-${process.pid}-${Date.now()}@${hostname()}`;
  const shardLabel = opts.shard ? String(opts.shard.index) : '0';
  const profileNames = opts.profiles.map((p) => p.name);
  if (new Set(profileNames).size !== profileNames.length) throw new InputError(`profiles named twice: ${profileNames.join(', ')}`);
  const dicts: TraceDicts = newTraceDicts();
  const temps: [string, string][] = [];
  const tmpFile = (final: string): string => {
    mkdirSync(dirname(final), { recursive: true });
    const t = final + tag;
    temps.push([t, final]);
    return t;
  };
  const hosts = new HostDictBuilder(dicts.hosts.names);
  const per: ProfileOut[] = opts.profiles.map((p) => {
    const part = (table: string) => join(outDir, table, `profile=${p.name}`, `shard=${shardLabel}`, 'part-0.arrows');
    return {
      replayer: new BatchReplayer(p, dicts.mappers, opts.trace),
      out: new OutcomeColumns(opts.batchRows ?? 65536),
      sig: new SignalColumns(),
      outcomes: new ArrowStreamFile(tmpFile(part('outcomes')), true),
      signals: new ArrowStreamFile(tmpFile(part('signals')), true),
      signalCount: 0,
    };
  });
  // Parquet is exported by DuckDB; without a requested database, a temporary file database is used.
  const scratchDb = !opts.db && opts.parquet ? join(outDir, `.scratch${tag}.duckdb`) : null;
  const spill = join(outDir, `.duckdb-spill${tag}`);
  const dbPath = opts.db ?? scratchDb;
  let sink: DuckSink | null = null;
  let events = 0;
  const batchRows = opts.batchRows ?? 65536;
  const nWorkers = Math.max(1, opts.workers ?? 1);
  // With workers and an Arrow IPC stream (not sharded), the workers read, decode, replay and encode
  // (traceMode, see replayInWorkers); else this thread decodes and encodes.
  const traceMode = nWorkers > 1 && !opts.shard && traceFormat(opts.trace) === 'arrow-stream';
  const wpool = nWorkers > 1 ? new WorkerPool(nWorkers, opts.profiles, batchRows, opts.trace, traceMode ? 2 * nWorkers + 2 : 2, traceMode ? opts.trace : null) : null;
  // With workers the batches are double-buffered: the workers replay slot k % 2 while this thread
  // writes the previous batch and decodes the next one into the other slot.
  const slotOf = (b: number): number => b % 2;
  const sigSlots = wpool ? [per.map(() => new SignalColumns()), per.map(() => new SignalColumns())] : null;
  const shardTmp = opts.shard ? new EventColumns(batchRows) : null;
  const source = openTraceSource(opts.trace, dicts, batchRows, wpool && !shardTmp && !traceMode ? (b) => wpool.slotCols[slotOf(b)]! : undefined, opts.sort ?? false);
  const order = new OrderCheck(opts.trace, dicts.hosts.names);

  /** Write one replayed batch's outcomes and signals to every output. */
  const emit = async (cols: EventColumns, outs: OutcomeColumns[], sigs: SignalColumns[]): Promise<void> => {
    for (let k = 0; k < per.length; k++) {
      const p = per[k]!;
      const out = outs[k]!;
      const sig = sigs[k]!;
      if (cols.n) p.outcomes.write(outcomeBatch(cols, out, k, profileNames, hosts));
      if (sig.n) p.signals.write(signalBatch(cols, sig, k, profileNames, hosts));
      p.signalCount += sig.n;
      if (sink) {
        sink.appendOutcomes(cols, out, k);
        sink.appendSignals(cols, sig, k);
      }
      await p.outcomes.drained();
    }
    events += cols.n;
    opts.onBatch?.(events, source.progress());
  };
  let inFlight: { done: Promise<void>; slot: number } | null = null;
  const finishInFlight = async (): Promise<void> => {
    if (!inFlight) return;
    const { done, slot } = inFlight;
    inFlight = null;
    try {
      await done;
    } catch (e) {
      if ((e as { input?: boolean }).input) throw new InputError((e as Error).message, undefined, undefined, undefined, { cause: e });
      throw e;
    }
    await emit(wpool!.slotCols[slot]!, wpool!.slotOuts[slot]!, sigSlots![slot]!);
  };
  // A database this run creates goes again if the run fails (a full disk, bad input on the way):
  // it would hold no run. One that was there keeps its earlier runs (this one rolls back).
  const dbIsNew = opts.db !== null && opts.db !== undefined && !existsSync(opts.db);
  try {
    if (dbPath) {
      mkdirSync(dirname(resolve(dbPath)), { recursive: true });
      try {
        sink = await DuckSink.open(dbPath, spill, dbPath === scratchDb);
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new InputError(`${dbPath}: cannot open as a DuckDB database: ${(e as Error).message.split('\n')[0]}`, dbPath, undefined, undefined, { cause: e });
      }
    }
    if (traceMode) {
      await replayInWorkers(wpool!, source, order, per.length, dicts.mappers, async (cols, outs, sigs, enc) => {
        for (let k = 0; k < per.length; k++) {
          const p = per[k]!;
          const o = enc.outcomes[k];
          const g = enc.signals[k];
          if (o) p.outcomes.writeEncoded(OUTCOME_SCHEMA, o.bytes);
          if (g) p.signals.writeEncoded(SIGNAL_SCHEMA, g.bytes);
          p.signalCount += sigs[k]!.n;
          if (sink) {
            sink.appendOutcomes(cols, outs[k]!, k);
            sink.appendSignals(cols, sigs[k]!, k);
          }
          await p.outcomes.drained();
        }
        events += cols.n;
        opts.onBatch?.(events, source.progress());
      });
    }
    for await (const { batchNo, cols: all } of traceMode ? noBatches() : source.batches()) {
      order.check(all, batchNo);
      if (wpool) {
        const slot = slotOf(batchNo);
        if (shardTmp) filterShard(all, wpool.slotCols[slot]!, opts.shard!, dicts.hosts.names);
        const done = wpool.replay(batchNo, dicts.mappers, sigSlots![slot]!, slot).then(() => undefined);
        done.catch(() => undefined); // observed in finishInFlight
        await finishInFlight();
        inFlight = { done, slot };
      } else {
        const cols = shardTmp ? filterShard(all, shardTmp, opts.shard!, dicts.hosts.names) : all;
        for (const p of per) p.replayer.run(cols, batchNo, p.out, p.sig);
        await emit(cols, per.map((p) => p.out), per.map((p) => p.sig));
      }
    }
    await finishInFlight();
    for (const p of per) {
      await p.outcomes.closeAsync();
      await p.signals.closeAsync();
    }
    const summary: RunSummary = {
      runId: sink?.runId ?? null,
      events,
      signals: per.map((p) => p.signalCount),
      seconds: (Date.now() - t0) / 1000,
      files: [],
      traceSha256: await source.sha256(),
    };
    if (sink) {
      const parquetTargets = opts.parquet ? opts.profiles.flatMap((p) => (['outcomes', 'signals'] as const).map((table) => ({
        table, profile: p.name, file: tmpFile(join(parquetTree(outDir, table), `profile=${p.name}`, `shard=${shardLabel}`, 'part-0.parquet')),
      }))) : [];
      await sink.commit({
        trace: opts.trace,
        traceSha256: summary.traceSha256,
        toolVersion: TOOL_VERSION,
        startedAt: started,
        durationS: (Date.now() - t0) / 1000,
        events,
        signals: summary.signals.reduce((a, b) => a + b, 0),
        workers: nWorkers,
        shard: opts.shard ? `${opts.shard.index}/${opts.shard.count}` : '',
        profiles: opts.profiles.map((p) => ({ name: p.name, switches: { ...p.switches, host: p.host } })),
        hosts: dicts.hosts.names,
      }, parquetTargets);
      sink = null;
    }
    if (opts.shard) {
      // A manifest per shard lets `merge` check that a shard set is complete and consistent.
      const m = tmpFile(join(outDir, '_shards', `${opts.shard.index}-of-${opts.shard.count}.json`));
      writeFileSync(m, `${JSON.stringify({
        shard: opts.shard.index, count: opts.shard.count, trace: opts.trace, trace_sha256: summary.traceSha256,
        profiles: profileNames, events, signals: summary.signals, parquet: opts.parquet, tool_version: TOOL_VERSION,
      }, null, 2)}\n`);
    }
    for (const [t, final] of temps) {
      if (existsSync(final)) rmSync(final, { force: true });
      renameSync(t, final);
      summary.files.push(final);
    }
    if (scratchDb) removeDb(scratchDb);
    rmSync(spill, { recursive: true, force: true });
    summary.seconds = (Date.now() - t0) / 1000;
    await wpool?.close();
    return summary;
  } catch (e) {
    await wpool?.close();
    for (const p of per) {
      try {
        await p.outcomes.closeAsync();
        await p.signals.closeAsync();
      } catch {
        /* already closed */
      }
    }
    for (const [t] of temps) rmSync(t, { force: true });
    try {
      if (sink) await sink.abort();
    } catch {
      /* keep the original error */
    }
    if (scratchDb) removeDb(scratchDb);
    if (dbIsNew) removeDb(opts.db!);
    rmSync(spill, { recursive: true, force: true });
    throw e;
  }
}

async function* noBatches(): AsyncGenerator<SourceBatch> {
  /* the batches went through replayInWorkers */
}

/**
 * The pipeline of trace mode. This thread reads each batch (interning its names only) and hands it
 * to worker b mod N to decode into slot b mod S; once decoded, the batch's order is checked here and
 * every worker replays its hosts' rows (replays are started in batch order, so each host's state
 * sees its events in order); once replayed, worker b mod N encodes the batch's outcome and signal
 * IPC messages, and `emit` writes them in batch order. Up to S batches are in flight. Errors are
 * reported in batch order, as a single-threaded run finds them: a batch's decode error before its
 * order error before its replay error, and an earlier batch's before a later one's.
 */
async function replayInWorkers(
  pool: WorkerPool, source: TraceSource, order: OrderCheck, nProfiles: number, mappers: MapperPool,
  emit: (cols: EventColumns, outs: OutcomeColumns[], sigs: SignalColumns[], enc: EncodeReply) => Promise<void>,
): Promise<void> {
  const S = pool.slots;
  const N = pool.n;
  const sigSlots = pool.slotCols.map(() => Array.from({ length: nProfiles }, () => new SignalColumns()));
  interface Labels {
    out: (readonly number[] | null)[];
    sig: (readonly number[] | null)[];
  }
  const queue: { slot: number; done: Promise<EncodeReply> }[] = [];
  let replayStarted: Promise<void> = Promise.resolve();
  let labels: Promise<Labels> = Promise.resolve({ out: new Array(nProfiles).fill(null), sig: new Array(nProfiles).fill(null) });
  const emitOldest = async (): Promise<void> => {
    const { slot, done } = queue.shift()!;
    let enc: EncodeReply;
    try {
      enc = await done;
    } catch (e) {
      if ((e as { input?: boolean }).input) throw new InputError((e as Error).message, undefined, undefined, undefined, { cause: e });
      throw e;
    }
    await emit(pool.slotCols[slot]!, pool.slotOuts[slot]!, sigSlots[slot]!, enc);
  };
  const quiet = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined); // observed in order by emitOldest
    return p;
  };
  // The fed path where the stream is a plain one (this thread reads it once; see feed.ts), else
  // every worker reads the trace itself.
  const fed = source.fed?.() ?? null;
  const batches: AsyncGenerator<{ batchNo: number; rows: number } | FedBatch> = fed ?? source.undecoded!();
  try {
    for (;;) {
      let next: IteratorResult<{ batchNo: number; rows: number } | FedBatch>;
      try {
        next = await batches.next();
      } catch (e) {
        // An earlier batch's error comes first.
        while (queue.length) await emitOldest();
        throw e;
      }
      if (next.done) break;
      const { batchNo, rows } = next.value;
      if (queue.length >= S) await emitOldest();
      const slot = batchNo % S;
      const cols = pool.slotCols[slot]!;
      pool.grow(slot, rows);
      const item = next.value;
      const decoded = quiet(!fed ? pool.decode(batchNo % N, batchNo, slot)
        : (item as FedBatch).tables ? pool.decodeFed(batchNo % N, item as FedBatch, slot)
        : (async () => {
          (item as FedBatch).decodeHere(cols);
          pool.hostNames(batchNo % N, cols, order.hostNames);
        })());
      // The batch's bytes are read once it is decoded (or failed): its read buffer may be reused.
      if (fed) void decoded.then(() => (item as FedBatch).done(), () => (item as FedBatch).done());
      const prevStarted = replayStarted;
      let started!: () => void;
      let failed!: (e: unknown) => void;
      replayStarted = quiet(new Promise<void>((res, rej) => {
        started = res;
        failed = rej;
      }));
      const replayed = quiet((async () => {
        try {
          await decoded;
          await prevStarted;
          order.check(cols, batchNo);
        } catch (e) {
          failed(e);
          throw e;
        }
        const p = pool.replay(batchNo, fed ? mappers : null, sigSlots[slot]!, slot);
        started();
        return p;
      })());
      const prevLabels = labels;
      labels = quiet((async () => {
        const formatted = await replayed;
        const prev = await prevLabels;
        const sigs = sigSlots[slot]!;
        return {
          out: prev.out.map((l, k) => (cols.n ? outcomeLabelIds(formatted[k]!) : l)),
          sig: prev.sig.map((l, k) => (sigs[k]!.n ? SIGNAL_LABEL_IDS : l)),
        };
      })());
      const done = quiet((async () => {
        const formatted = await replayed;
        const prev = await prevLabels;
        const sigs = sigSlots[slot]!;
        return pool.encode(batchNo % N, {
          batchNo, slot, n: cols.n, formattedPanic: formatted, prevOut: prev.out, prevSig: prev.sig,
          signals: sigs.map((s) => ({
            n: s.n, row: s.row.slice(0, s.n), seq: s.seq.slice(0, s.n), pid: s.pid.slice(0, s.n), tid: s.tid.slice(0, s.n),
            signo: s.signo.slice(0, s.n), siCode: s.siCode.slice(0, s.n), addr: s.addr.slice(0, s.n), lsb: s.lsb.slice(0, s.n),
          })),
        });
      })());
      queue.push({ slot, done });
    }
    while (queue.length) await emitOldest();
  } finally {
    // A run stopped by an error closes the read (the trace file; on the fed path, its hash).
    await batches.return(undefined);
  }
}

/** Rows of the shard's hosts, gathered into `dst`. */
function filterShard(src: EventColumns, dst: EventColumns, shard: Shard, hostNames: readonly string[]): EventColumns {
  const rows: number[] = [];
  for (let i = 0; i < src.n; i++) if (shardOfHost(hostNames[src.host[i]!]!, shard.count) === shard.index) rows.push(i);
  gatherRows(src, dst, rows);
  return dst;
}

export function gatherRows(src: EventColumns, dst: EventColumns, rows: readonly number[]): void {
  dst.ensure(rows.length);
  dst.n = rows.length;
  dst.hostOrdered = src.hostOrdered;
  for (const k of COLUMN_KEYS) {
    const s = src[k] as unknown as { [i: number]: number | bigint };
    const d = dst[k] as unknown as { [i: number]: number | bigint };
    for (let j = 0; j < rows.length; j++) d[j] = s[rows[j]!]!;
  }
}

function removeDb(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
}

/**
 * A killed run leaves `*.tmp-<pid>-<time>@<host>` files (and a scratch database or spill folder); a
 * later run in the same folder removes those of processes of this host that no longer exist. Other
 * jobs sharing the folder (shards on other nodes, or still running here) are left alone.
 */
/**
 * Create the output folder (and its parents); a path that is a file, a symlink loop or not
 * writable, or a --db that is a folder, is the user's input, reported as such.
 */
function outputFolder(given: string, outDir: string, db: string | null): void {
  try {
    mkdirSync(outDir, { recursive: true });
    if (!statSync(outDir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    accessSync(outDir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'it (or a parent) is a file, not a folder' : code === 'ELOOP' ? 'a symbolic link loop' : (e as Error).message;
    throw new InputError(`--out ${given}: cannot use as the output folder: ${why}: expected a folder (created if missing)`, given, undefined, undefined, { cause: e });
  }
  if (db !== null && existsSync(db) && statSync(db).isDirectory()) {
    throw new InputError(`--db ${db}: is a folder: expected a DuckDB database file (created if missing)`, db);
  }
}

function removeStaleTemps(dir: string): void {
  const me = hostname();
  const stale = (name: string): boolean => {
    const m = /\.tmp-(\d+)-\d+@(.+?)(\.duckdb(\.wal)?)?$/.exec(name);
    if (!m || m[2] !== me || Number(m[1]) === process.pid) return false;
    try {
      process.kill(Number(m[1]), 0);
      return false; // still running
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  };
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (stale(name)) rmSync(p, { recursive: true, force: true });
      else if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
}
