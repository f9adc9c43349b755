// The package's entry point for plain Node (`import { replay } from 'ras-replay'`): the sources are
// TypeScript run through tsx (as bin/ras-replay.js does), so this loads src/index.ts with tsx's
// scoped loader and re-exports its functions. Types: src/index.ts ("types" in package.json).
import { tsImport } from 'tsx/esm/api';

const m = await tsImport('../src/index.ts', import.meta.url);

export const {
  replay, explainEvent, outcomeJson, runTrace, diff, compare, importLog, detectFormat,
  readTraceCsv, parseTraceCsv, loadProfile, BUILTIN_NAMES, BUILTIN_PROFILES, InputError, TOOL_VERSION,
} = m;
