// docs/ci/*.yml (issue 14 item 7): the copy-paste CI files parse, install with a node_modules cache,
// run the golden gate with JUnit and a Markdown summary, upload the report, and call only ras-replay
// commands and options that exist (checked against the real commander program, as --help shows it).
// No YAML package is installed: the files keep to a strict subset (block mappings and sequences,
// plain or quoted scalars, `|` block scalars, comments) that the small parser below reads; anything
// outside it fails the test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { ROOT } from '../helpers.js';

type Y = string | Y[] | { [k: string]: Y };

function scalar(s: string, where: string): string {
  if (s.startsWith('"')) {
    if (!/^"([^"\\]|\\.)*"$/.test(s)) throw new Error(`${where}: bad double-quoted scalar ${s}`);
    return JSON.parse(s) as string;
  }
  if (s.startsWith("'")) {
    if (!/^'([^']|'')*'$/.test(s)) throw new Error(`${where}: bad single-quoted scalar ${s}`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[[{&*!%@`]/.test(s) || /: |\s#/.test(s)) throw new Error(`${where}: outside the YAML subset: ${s}`);
  return s;
}

/** Parse the subset. Lines: [indent, text, line number]. */
export function parseYaml(text: string, file: string): Y {
  const lines = text.split('\n').map((l, i) => [l.length - l.trimStart().length, l, i + 1] as [number, string, number]);
  let i = 0;
  const skip = () => { while (i < lines.length && (/^\s*(#.*)?$/.test(lines[i]![1]))) i++; };
  function block(indent: number): Y {
    skip();
    const [ind, raw] = lines[i]!;
    if (ind !== indent) throw new Error(`${file}:${lines[i]![2]}: expected indentation ${indent}`);
    return raw.trimStart().startsWith('- ') || raw.trim() === '-' ? seq(indent) : map(indent);
  }
  function value(rest: string, indent: number, where: string): Y {
    if (rest === '|') {
      const out: string[] = [];
      let inner = -1;
      while (i < lines.length) {
        const [ind, raw] = lines[i]!;
        if (raw.trim() === '') { out.push(''); i++; continue; }
        if (ind <= indent) break;
        if (inner < 0) inner = ind;
        out.push(raw.slice(inner));
        i++;
      }
      return `${out.join('\n').replace(/\n+$/, '')}\n`;
    }
    if (rest === '') {
      skip();
      if (i < lines.length && lines[i]![0] > indent) return block(lines[i]![0]);
      if (i < lines.length && lines[i]![0] === indent && lines[i]![1].trimStart().startsWith('- ')) return seq(indent);
      return '';
    }
    return scalar(rest, where);
  }
  function map(indent: number): Y {
    const o: { [k: string]: Y } = {};
    for (skip(); i < lines.length && lines[i]![0] === indent && !lines[i]![1].trimStart().startsWith('- '); skip()) {
      const [, raw, n] = lines[i]!;
      const m = /^([A-Za-z0-9_.$-]+):(?: (.*))?$/.exec(raw.trim());
      if (!m) throw new Error(`${file}:${n}: expected "key: value": ${raw.trim()}`);
      if (m[1]! in o) throw new Error(`${file}:${n}: duplicate key ${m[1]}`);
      i++;
      o[m[1]!] = value((m[2] ?? '').trim(), indent, `${file}:${n}`);
    }
    return o;
  }
  function seq(indent: number): Y {
    const a: Y[] = [];
    for (skip(); i < lines.length && lines[i]![0] === indent && lines[i]![1].trimStart().startsWith('- '); skip()) {
      const [, raw, n] = lines[i]!;
      const item = raw.trimStart().slice(2);
      if (/^[A-Za-z0-9_.$-]+:( |$)/.test(item)) {
        // "- key: value" starts a mapping indented by two more.
        lines[i] = [indent + 2, `${' '.repeat(indent + 2)}${item}`, n];
        a.push(map(indent + 2));
      } else {
        i++;
        a.push(value(item.trim(), indent, `${file}:${n}`));
      }
    }
    return a;
  }
  const doc = block(0);
  skip();
  if (i < lines.length) throw new Error(`${file}:${lines[i]![2]}: unexpected indentation`);
  return doc;
}

const obj = (y: Y | undefined): { [k: string]: Y } => {
  if (!y || typeof y !== 'object' || Array.isArray(y)) throw new Error(`expected a mapping, got ${JSON.stringify(y)}`);
  return y;
};

/** Every `node bin/ras-replay.js …` / `ras-replay …` invocation in a shell script, as argv. */
function invocations(script: string): string[][] {
  const out: string[][] = [];
  for (const line of script.split('\n')) {
    for (const m of line.matchAll(/(?:node bin\/ras-replay\.js|(?:^|\s)ras-replay)\s+([^|;&>]*)/g)) out.push(m[1]!.trim().split(/\s+/));
  }
  return out;
}

/** The command's long and short option names, following subcommands. */
function checkArgv(program: Command, argv: string[]): string[] {
  const errors: string[] = [];
  let cmd = program;
  let k = 0;
  for (let sub = cmd.commands.find((c) => c.name() === argv[k]); sub; sub = cmd.commands.find((c) => c.name() === argv[k])) {
    cmd = sub;
    k++;
  }
  if (cmd === program) return [`unknown command: ${argv.join(' ')}`];
  const known = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
  known.add('--help');
  for (const a of argv.slice(k)) if (a.startsWith('-') && !known.has(a)) errors.push(`${cmd.name()}: unknown option ${a}`);
  return errors;
}

const scripts = (steps: Y[]): string => steps.map((s) => (typeof s === 'string' ? s : String(obj(s).run ?? ''))).join('\n');

describe('docs/ci/github-actions.yml', () => {
  const doc = obj(parseYaml(readFileSync(join(ROOT, 'docs/ci/github-actions.yml'), 'utf8'), 'github-actions.yml'));
  const job = obj(obj(doc.jobs)['golden-gate']);
  const steps = job.steps as Y[];
  const uses = steps.map((s) => String(obj(s).uses ?? ''));

  it('caches node_modules, installs with npm ci, uploads the report and JUnit', () => {
    const cache = obj(steps[uses.findIndex((u) => u.startsWith('actions/cache@'))]);
    expect(obj(cache.with).path).toBe('node_modules');
    expect(String(obj(cache.with).key)).toContain("hashFiles('package-lock.json')");
    expect(scripts(steps)).toContain('npm ci');
    const up = obj(steps[uses.findIndex((u) => u.startsWith('actions/upload-artifact@'))]);
    expect(String(obj(up.with).path)).toContain('nightly/report.html');
    expect(String(obj(up.with).path)).toContain('artifacts/junit/');
  });

  it('gates on every golden file with JUnit and a job summary', () => {
    const s = scripts(steps);
    expect(s).toMatch(/--junit artifacts\/junit\//);
    expect(s).toMatch(/--markdown .*\n.*GITHUB_STEP_SUMMARY/);
    expect(s).toContain('exit $status');
  });

  it('calls only commands and options that exist', () => {
    const calls = invocations(scripts(steps));
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.flatMap((a) => checkArgv(buildProgram(), a))).toEqual([]);
  });
});

describe('docs/ci/gitlab-ci.yml', () => {
  const doc = obj(parseYaml(readFileSync(join(ROOT, 'docs/ci/gitlab-ci.yml'), 'utf8'), 'gitlab-ci.yml'));
  const job = obj(doc['golden-gate']);

  it('caches node_modules keyed on the lock file, publishes JUnit, the summary and the report', () => {
    expect(obj(job.cache).paths).toEqual(['node_modules/']);
    expect(obj(obj(job.cache).key).files).toEqual(['package-lock.json']);
    const art = obj(job.artifacts);
    expect(art.when).toBe('always');
    expect(art.paths).toEqual(['nightly/report.html', 'artifacts/summary.md', 'artifacts/junit/']);
    expect(obj(art.reports).junit).toBe('artifacts/junit/*.xml');
  });

  it('installs, gates with JUnit and Markdown, and calls only commands and options that exist', () => {
    const s = scripts(job.script as Y[]);
    expect(s).toContain('npm ci');
    expect(s).toMatch(/--junit artifacts\/junit\/.*--markdown/);
    const calls = invocations(s);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.flatMap((a) => checkArgv(buildProgram(), a))).toEqual([]);
  });
});

describe('the YAML subset parser', () => {
  it('reads mappings, sequences, quoted and block scalars, and rejects what is outside the subset', () => {
    expect(parseYaml('a:\n  - x\n  - k: "v"\n    j: |\n      l1\n      l2\nb: \'q\'\n', 't')).toEqual({ a: ['x', { k: 'v', j: 'l1\nl2\n' }], b: 'q' });
    expect(() => parseYaml('a: {x: 1}\n', 't')).toThrow(/outside the YAML subset/);
    expect(() => parseYaml('a: 1\na: 2\n', 't')).toThrow(/duplicate key/);
    expect(checkArgv(buildProgram(), ['diff', '--nope'])).toEqual(['diff: unknown option --nope']);
    expect(checkArgv(buildProgram(), ['frobnicate'])).toEqual(['unknown command: frobnicate']);
  });
});
