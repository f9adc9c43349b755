// The library API (`import { replay, runTrace, diff, importLog } from 'ras-replay'`): thin re-exports
// of what the CLI commands call, with their types. Each function is the one behind a command:
//   replay     run TRACE --jsonl   (a small trace in memory: one outcome row per event and profile)
//   runTrace   run TRACE --out DIR (a large trace, batch by batch, to Arrow/Parquet/DuckDB)
//   diff       diff OUTCOMES -g GOLDEN;  compare: compare SOURCE -a A -b B
//   importLog  import SOURCE       (captured logs to trace events and observed outcomes)
// Bad input throws InputError (its message is the one line the CLI prints before exiting 2).
export { replayEvents as replay, explainEvent, outcomeJson } from './engine/replay-events.js';
export type { OutcomeRow, SignalRow, ReplayOptions } from './engine/replay-events.js';
export { runTrace } from './engine/run.js';
export type { RunOptions, RunSummary } from './engine/run.js';
export { diffFiles as diff, compareFiles as compare } from './oracle/commands.js';
export type { DiffFilesOptions, CompareFilesOptions } from './oracle/commands.js';
export type { DiffResult } from './oracle/diff.js';
export type { CompareResult } from './oracle/compare.js';
export { importSource as importLog, detectFormat } from './import/index.js';
export type { ImportedEvents, ImportResult, ObservedRow, ObservedSignal, SourceFormat } from './import/index.js';
export { readTraceCsv, parseTraceCsv } from './io/csv-trace.js';
export type { TraceEvent } from './io/trace.js';
export { loadProfile } from './io/profile-file.js';
export { BUILTIN_NAMES, BUILTIN_PROFILES } from './model/profiles.js';
export type { Profile, Switches, HostDefaults } from './model/profiles.js';
export { InputError } from './io/errors.js';
export { TOOL_VERSION } from './version.js';
