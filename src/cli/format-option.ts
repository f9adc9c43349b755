// `--format` on every command that prints a result: the same option name and the same words
// everywhere (`table` for the human text, `json`, `markdown` where the command has one). The older
// `--json` flag stays as a synonym of `--format json`.
import { Option } from 'commander';

export type OutputFormat = 'table' | 'json' | 'markdown';

export function formatOption(choices: readonly OutputFormat[]): Option {
  return new Option('--format <format>', 'output').choices([...choices]).default('table');
}

/** The format asked for: `--json` wins (it is the older spelling of `--format json`). */
export function outputFormat(o: { format?: string; json?: boolean }): OutputFormat {
  return o.json ? 'json' : ((o.format ?? 'table') as OutputFormat);
}
