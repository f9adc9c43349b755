// `ras-replay bisect TRACE -a A -b B`: which switch makes B's outcome of an event differ from A's.
// The replay and attribution modules are loaded only when the command runs.
import type { Command } from 'commander';
import { InputError } from '../io/errors.js';
import { formatOption, outputFormat } from './format-option.js';

function wholeNumber(opt: string, v: string, min: number): number {
  if (!/^[0-9]+$/.test(v) || Number(v) < min) throw new InputError(`${opt} ${JSON.stringify(v)}: expected a whole number ≥ ${min}`);
  return Number(v);
}

export function registerBisect(program: Command): void {
  program.command('bisect')
    .description('for every event whose outcome differs between profiles A and B, the switch (or pair of switches) whose change produces the difference')
    .argument('<trace>', 'trace file (.arrows, .arrow, .csv, .csv.gz)')
    .requiredOption('-a, --a <profile>', 'profile A (the baseline): a built-in or a profile file (.json)')
    .requiredOption('-b, --b <profile>', 'profile B')
    .option('--examples <n>', 'example events per decision path', '3')
    .option('--pair-cap <n>', 'test pairs only for events touched by at most N switches', '6')
    .option('--max-pairs <n>', 'at most N distinct switch pairs replayed in the second pass', '64')
    .addOption(formatOption(['table', 'json', 'markdown']))
    .option('--json', 'the result as JSON on stdout (same as --format json)')
    .option('--markdown [file]', 'Markdown (for CI job summaries): to FILE, or on stdout without one (--format markdown)')
    .action(async (trace: string, o: { a: string; b: string; examples: string; pairCap: string; maxPairs: string; format: string; json?: boolean; markdown?: string | boolean }) => {
      const examples = wholeNumber('--examples', o.examples, 0);
      const pairCap = wholeNumber('--pair-cap', o.pairCap, 2);
      const maxPairs = wholeNumber('--max-pairs', o.maxPairs, 0);
      const { existsSync } = await import('node:fs');
      if (!existsSync(trace)) throw new InputError(`${trace}: no such trace file`, trace);
      const { loadProfile } = await import('../io/profile-file.js');
      const a = loadProfile(o.a);
      const b = loadProfile(o.b);
      if (a.name === b.name) throw new InputError(`bisect: profile A and profile B are both named ${JSON.stringify(a.name)}`);
      const { bisect, bisectMarkdown, bisectText } = await import('../oracle/bisect.js');
      const r = await bisect({ trace, a, b, examples, pairCap, maxPairs });
      if (typeof o.markdown === 'string') {
        const { writeFileAtomic } = await import('../io/atomic.js');
        writeFileAtomic(o.markdown, bisectMarkdown(r));
      }
      const format = outputFormat(o);
      if (format === 'json') {
        const { jsonText } = await import('../io/json.js');
        process.stdout.write(`${jsonText(r, 2)}\n`);
      } else if (o.markdown === true || format === 'markdown') {
        process.stdout.write(bisectMarkdown(r));
      } else {
        process.stdout.write(bisectText(r));
      }
    });
}
