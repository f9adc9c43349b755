// CLI conventions: one-line exit-2 errors for user mistakes, help grouped by task with an example
// and docs link per command, --version, shell completion generated from the real program.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { HELP } from '../../src/cli/help.js';
import { cli, ROOT } from '../helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'ras-conv-'));

/** Exit 2, one line on stderr naming the problem, no stack trace. */
function oneLine(r: { code: number | null; stderr: string }, re: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(re);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('user mistakes exit 2 with one line', () => {
  it('a missing trace for run --out', () => {
    oneLine(cli(['run', join(tmp(), 'none.arrows'), '--out', join(tmp(), 'o')]), /none\.arrows: no such trace file/);
  });
  it('suite and golden check outside a project folder', () => {
    const d = tmp();
    oneLine(cli(['suite'], d), /not a ras-replay project folder \(no traces\/ and golden\/ here\)/);
    oneLine(cli(['golden', 'check'], d), /not a ras-replay project folder/);
  });
  it('nightly outside a project folder names the config and says how to point at one', () => {
    oneLine(cli(['nightly'], tmp()), /ras-replay\.config\.json: cannot read the nightly config: .*pass -c FILE/);
  });
  it('a reused --out holding another run is refused; --replace replaces it', () => {
    const out = join(tmp(), 'out');
    expect(cli(['run', join(ROOT, 'traces/x86.csv'), '-p', 'pre', '--out', out, '-q', '-w', '1', '--no-db']).code).toBe(0);
    oneLine(cli(['run', join(ROOT, 'traces/arm64.csv'), '-p', 'post', '--out', out, '-q', '-w', '1', '--no-db']), /--out .*out: holds an earlier run \(outcomes\): pass --replace/);
    const r = cli(['run', join(ROOT, 'traces/arm64.csv'), '-p', 'post', '--out', out, '-q', '-w', '1', '--no-db', '--replace']);
    expect(r.code).toBe(0);
    // Only the new run's profile is left: nothing of the first run is mixed in.
    expect(existsSync(join(out, 'outcomes', 'profile=pre'))).toBe(false);
    expect(existsSync(join(out, 'outcomes', 'profile=post', 'shard=0', 'part-0.arrows'))).toBe(true);
  });
  it('an --out that is a file', () => {
    oneLine(cli(['run', join(ROOT, 'traces/x86.csv'), '-p', 'pre', '--out', join(ROOT, 'package.json'), '-q']), /package\.json: is a file: expected a folder/);
  });
});

describe('output formats', () => {
  // Every command that prints a result takes --format with the same words: table (the human text,
  // the default) and json, plus markdown where the command writes one; --json stays a synonym.
  const PRINTS = ['diff', 'compare', 'bisect', 'policy', 'profiles', 'suite', 'nightly'];
  it('every result-printing command has --format table|json', () => {
    const cmds = new Map(buildProgram().commands.map((c) => [c.name(), c]));
    for (const name of PRINTS) {
      const f = cmds.get(name)!.options.find((o) => o.long === '--format');
      expect(f, name).toBeDefined();
      expect(f!.argChoices, name).toEqual(expect.arrayContaining(['table', 'json']));
      expect(f!.defaultValue, name).toBe('table');
    }
  });
  it('--format json and --json print the same document', () => {
    const a = cli(['profiles', '--format', 'json']);
    const b = cli(['profiles', '--json']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(Array.isArray(JSON.parse(a.stdout))).toBe(true);
    const s = cli(['profiles', 'show', 'linux-6.6', '--format', 'json']);
    expect(JSON.parse(s.stdout).name).toBe('linux-6.6');
  });
});

describe('help, version, completion', () => {
  it('every command has a group, an example and a docs page that exists', () => {
    for (const c of buildProgram().commands) {
      const h = HELP[c.name()];
      expect(h, c.name()).toBeDefined();
      expect(existsSync(join(ROOT, h!.docs.replace(/#.*$/, ''))), `${c.name()}: ${h!.docs}`).toBe(true);
      expect(h!.example.startsWith(`ras-replay ${c.name()}`) || h!.example.includes(`ras-replay ${c.name()}`), c.name()).toBe(true);
    }
  });
  it('groups the commands by task and prints each command\'s example and docs', () => {
    const top = cli(['--help']).stdout;
    for (const g of ['Replay traces:', 'Check against expectations:', 'Make and import traces:', 'Nightly batch, history and reports:']) expect(top).toContain(g);
    const run = cli(['run', '--help']).stdout;
    expect(run).toMatch(/Example:\n {2}ras-replay run /);
    expect(run).toMatch(/Docs: \S+/);
  });
  it('--version prints the package version', () => {
    const v = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(cli(['--version']).stdout.trim()).toBe(v);
  });
  it('completes commands, subcommands and option choices in bash', () => {
    const script = cli(['completion', 'bash']).stdout;
    const complete = (words: string[]) => {
      const r = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _ras_replay; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
      return r.stdout.trim().split(/\s+/);
    };
    expect(complete(['ras-replay', 'gol'])).toEqual(['golden']);
    expect(complete(['ras-replay', 'golden', 'che'])).toEqual(['check']);
    expect(complete(['ras-replay', 'golden', 'check', '--update', ''])).toEqual(['none', 'new', 'all']);
    expect(complete(['ras-replay', 'run', '--par'])).toEqual(['--parquet']);
    oneLine(cli(['completion', 'fish']), /completion "fish": expected bash or zsh/);
  });
});
