// Help grouped by task, with an example and a docs link per command, applied once after every
// command is registered (so a command's own file stays about its options and action).
import type { Command } from 'commander';

interface HelpEntry { group: string; example: string; docs: string }

const GROUPS = {
  replay: 'Replay traces:',
  check: 'Check against expectations:',
  data: 'Make and import traces:',
  batch: 'Nightly batch, history and reports:',
  kernels: 'Kernels and policies:',
  shell: 'Shell:',
} as const;

/** Per command: its group, one example to copy, and the page that documents it. */
export const HELP: Record<string, HelpEntry> = {
  run: { group: GROUPS.replay, example: 'ras-replay run traces/arm64.csv -p pre -p post --jsonl', docs: 'README.md#replay-a-trace' },
  explain: { group: GROUPS.replay, example: 'ras-replay explain traces/arm64.csv --event 2001 -p pre -p post', docs: 'docs/model.md' },
  merge: { group: GROUPS.replay, example: 'ras-replay merge out/ --db fleet.duckdb', docs: 'docs/scale-out/' },
  suite: { group: GROUPS.check, example: 'ras-replay suite', docs: 'docs/golden-format.md' },
  golden: { group: GROUPS.check, example: 'ras-replay golden check --update new', docs: 'docs/golden-format.md' },
  diff: { group: GROUPS.check, example: 'ras-replay diff traces/x86.csv -p post -g golden/x86/post.golden', docs: 'docs/golden-format.md' },
  compare: { group: GROUPS.check, example: 'ras-replay compare traces/x86.csv -a pre -b post', docs: 'docs/profiles.md' },
  gen: { group: GROUPS.data, example: 'ras-replay gen --mix fleet --hosts 1000 -o fleet.arrows', docs: 'docs/fleet-mix.md' },
  import: { group: GROUPS.data, example: 'ras-replay import dmesg.log -o dmesg.arrows', docs: 'docs/import.md' },
  nightly: { group: GROUPS.batch, example: 'ras-replay nightly --junit nightly.xml --markdown summary.md', docs: 'docs/store.md' },
  sql: { group: GROUPS.batch, example: 'ras-replay sql --query kill-accuracy', docs: 'docs/store.md' },
  report: { group: GROUPS.batch, example: 'ras-replay report -o report.html', docs: 'docs/report.md' },
  profiles: { group: GROUPS.kernels, example: 'ras-replay profiles', docs: 'docs/profiles.md' },
  policy: { group: GROUPS.kernels, example: 'ras-replay policy fleet.arrows --sweep threshold=1..200/20', docs: 'docs/policy.md' },
  bisect: { group: GROUPS.kernels, example: 'ras-replay bisect fleet.arrows -a linux-6.6 -b linux-6.19', docs: 'docs/bisect.md' },
  completion: { group: GROUPS.shell, example: 'source <(ras-replay completion bash)', docs: 'README.md' },
};

/** Group the program's commands and add each one's example and docs link to its help. */
export function groupHelp(program: Command): void {
  for (const c of program.commands) {
    const h = HELP[c.name()];
    if (!h) continue; // test/cli/help.test.ts requires an entry for every command

    c.helpGroup(h.group);
    c.addHelpText('after', `\nExample:\n  ${h.example}\n\nDocs: ${h.docs}\n`);
  }
}
