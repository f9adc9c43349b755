// The curated scenario suites: traces/<suite>.csv replayed under each built-in profile and compared
// with golden/<suite>/<profile>.golden.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BUILTIN_PROFILES, Profile } from '../model/profiles.js';
import { readTraceCsv } from '../io/csv-trace.js';
import { InputError } from '../io/errors.js';
import { replayEvents } from '../engine/replay-events.js';
import { compareGolden, Mismatch, parseGolden } from './golden.js';
import { goldenFileFor } from './golden-index.js';

export interface SuiteResult {
  suite: string;
  profile: string;
  events: number;
  /** The golden file compared with (it may cover several profiles). */
  golden: string;
  mismatches: Mismatch[];
}

export function listSuites(root: string): string[] {
  const dir = join(root, 'traces');
  if (!existsSync(dir) || !existsSync(join(root, 'golden'))) {
    throw new InputError(`${root}: not a ras-replay project folder (no traces/ and golden/ here): run this in the project folder or pass --root DIR`, root);
  }
  return readdirSync(dir).filter((f) => f.endsWith('.csv')).map((f) => basename(f, '.csv')).sort();
}

export function runSuites(root: string, profiles: readonly Profile[] = BUILTIN_PROFILES, suites = listSuites(root)): SuiteResult[] {
  const results: SuiteResult[] = [];
  for (const suite of suites) {
    const events = readTraceCsv(join(root, 'traces', `${suite}.csv`));
    const outcomes = replayEvents(events, [...profiles]);
    for (const p of profiles) {
      const gfile = goldenFileFor(root, suite, p.name);
      if (!existsSync(gfile)) throw new InputError(`${gfile}: no golden file for suite ${suite} under profile ${p.name} (no file in golden/${suite}/ lists it in "# profiles:")`, gfile);
      const golden = parseGolden(readFileSync(gfile, 'utf8'), gfile);
      const mine = outcomes.filter((o) => o.profile === p.name);
      results.push({ suite, profile: p.name, events: mine.length, golden: gfile, mismatches: compareGolden(mine, golden) });
    }
  }
  return results;
}
