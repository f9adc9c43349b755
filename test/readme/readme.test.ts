// The README runs top to bottom on a fresh clone (issue 14): every ```sh block after the quick start
// is run, in order, in a temporary copy of the repository, and every ```text block that follows a
// ```sh block must appear in what that block printed (stdout and stderr).
//
// Conventions of the README that this test relies on (keep them when editing it):
// - A command ending in `# exit N` must exit N; every other command must exit 0.
// - Continuation lines (`\`) and here-documents (`<<'TAG'` … `TAG`) belong to their command.
// - In a quoted output, `…` stands for any text within a line, and a line holding only `…` for any
//   number of lines. Numbers are compared as numbers-in-general (timings, sizes and counts vary with
//   the reduced sizes below) and runs of blanks as one blank; every other character must match.
// - Reduced sizes (the README's figures are the real defaults; on 2 shared cores they would take
//   minutes): SIZES below, applied to the commands and to the copied ras-replay.config.json, whose
//   generated fleet shrinks to 300 hosts and whose scenario matrix (64,655 events × 6 profiles,
//   about two minutes here) is left out.
// - The quick start's two commands are not run here (`npm test` would run this test again); the
//   block must hold exactly those two.
// Set RAS_REPLAY_README_OUTPUTS=FILE to also write every block's real output to FILE (to refresh
// the quotes after a deliberate change, by copying what the tool really printed).
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

export const SIZES: [RegExp, string][] = [
  [/--hosts 20000\b/g, '--hosts 300'],
  [/--events 20000000\b/g, '--events 20000'],
  [/--events 10000000\b/g, '--events 20000'],
  [/--large-events 100000000\b/g, '--large-events 40000'],
  [/--rows 100000000\b/g, '--rows 200000'],
  [/--oracle-rows 100000000\b/g, '--oracle-rows 200000'],
  [/--import-rows 1000000\b/g, '--import-rows 20000'],
  [/--import-lines 4000000\b/g, '--import-lines 40000'],
];
const CONFIG_SIZES: [RegExp, string][] = [[/"hosts": 20000\b/g, '"hosts": 300']];

interface Block { lang: string; body: string; line: number }
interface Command { text: string; exit: number; line: number }

export function blocks(md: string): Block[] {
  const out: Block[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!m) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    out.push({ lang: m[1]!, body: body.join('\n'), line: start + 1 });
  }
  return out;
}

export function commands(b: Block): Command[] {
  const lines = b.body.split('\n');
  const out: Command[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trim() || lines[i]!.trimStart().startsWith('#')) continue;
    const first = i;
    let text = lines[i]!;
    while (text.endsWith('\\') && i + 1 < lines.length) text += `\n${lines[++i]!}`;
    const here = /<<'?(\w+)'?/.exec(text);
    if (here) {
      while (i + 1 < lines.length && lines[i + 1] !== here[1]) text += `\n${lines[++i]!}`;
      text += `\n${lines[++i] ?? ''}`;
    }
    const exit = /#\s*exit (\d+)\s*$/.exec(text);
    out.push({ text, exit: exit ? Number(exit[1]) : 0, line: b.line + 1 + first });
  }
  return out;
}

// Numbers become N and runs of blanks one blank (tables pad their columns to the widest figure).
const num = (s: string) => s.replace(/-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?/gi, 'N').replace(/[ \t]+/g, ' ');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The quoted lines that do not appear, in order, in the actual output: empty when every line
 * matches; else the first quoted line that no placement reaches (a gap may match several candidate
 * lines once numbers are wildcards, so placements are searched, not taken greedily).
 */
export function missingLines(quoted: string, actual: string): string[] {
  const have = num(actual).split('\n').map((l) => l.trimEnd()).filter((l) => l !== ''); // blank lines and trailing blanks are layout
  const want: { re: RegExp; text: string; gap: boolean }[] = [];
  let gap = true; // output before the first quoted line is not quoted
  for (const q of quoted.split('\n')) {
    if (q.trim() === '') continue;
    if (q.trim() === '…') { gap = true; continue; }
    want.push({ re: new RegExp(`^${num(q.trimEnd()).split('…').map(escape).join('.*')}$`), text: q, gap });
    gap = false;
  }
  let furthest = 0;
  const seen = new Set<string>();
  const place = (qi: number, at: number): boolean => {
    furthest = Math.max(furthest, qi);
    if (qi === want.length) return true;
    const key = `${qi},${at}`;
    if (seen.has(key)) return false;
    seen.add(key);
    const w = want[qi]!;
    for (let j = at; j < have.length; j++) {
      if (w.re.test(have[j]!) && place(qi + 1, j + 1)) return true;
      if (!w.gap) break;
    }
    return false;
  };
  return place(0, 0) ? [] : [want[furthest]!.text];
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const all = blocks(README);
const dir = mkdtempSync(join(tmpdir(), 'rr-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function copyRepo(): void {
  const ls = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (ls.status !== 0) throw new Error(`git ls-files failed: ${ls.stderr}`);
  for (const f of ls.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the work tree
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  let cfg = readFileSync(join(dir, 'ras-replay.config.json'), 'utf8');
  for (const [re, to] of CONFIG_SIZES) cfg = cfg.replace(re, to);
  const doc = JSON.parse(cfg) as { traces: { name: string }[] };
  doc.traces = doc.traces.filter((t) => t.name !== 'matrix');
  writeFileSync(join(dir, 'ras-replay.config.json'), JSON.stringify(doc, null, 2));
}

describe('README', () => {
  it('has a quick start of exactly two commands', () => {
    const i = README.indexOf('## The quick start');
    const qs = all.find((b) => b.lang === 'sh' && README.split('\n').slice(0, b.line).join('\n').length > i);
    expect(qs?.body).toBe('npm ci && npm start\nnpm test');
  });

  it('names no path outside the repository', () => {
    expect(README).not.toMatch(/\.\.\/shared|\/work\//);
  });

  it('runs top to bottom and prints what it quotes', { timeout: 600_000 }, () => {
    copyRepo();
    const env: Record<string, string> = { ...process.env, NO_COLOR: '1' } as Record<string, string>;
    delete env.CI; // the README shows what a user sees at a terminal-less shell, not CI's update mode
    const dump = process.env.RAS_REPLAY_README_OUTPUTS;
    if (dump) writeFileSync(dump, '');
    const failures: string[] = [];
    const sh = all.filter((b) => b.lang === 'sh').slice(1);
    expect(sh.length).toBeGreaterThan(10);
    for (const b of sh) {
      let printed = '';
      for (const c of commands(b)) {
        let text = c.text;
        for (const [re, to] of SIZES) text = text.replace(re, to);
        const r = spawnSync('bash', ['-o', 'pipefail', '-c', text], { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 << 20 });
        printed += r.stdout + r.stderr;
        if (r.status !== c.exit) failures.push(`README.md:${c.line}: \`${c.text.split('\n')[0]}\` exited ${r.status ?? r.signal}, expected ${c.exit}\n${(r.stderr || r.stdout).slice(0, 2000)}`);
      }
      if (dump) appendFileSync(dump, `== README.md:${b.line}\n${printed}\n`);
      const next = all[all.indexOf(b) + 1];
      const gap = next ? README.split('\n').slice(b.line + b.body.split('\n').length + 1, next.line - 1).join('').trim() : 'x';
      if (next?.lang === 'text' && gap === '') {
        const miss = missingLines(next.body, printed);
        if (miss.length) failures.push(`README.md:${next.line}: quoted output not printed by the block at line ${b.line}:\n  ${miss.join('\n  ')}\n-- printed --\n${printed.slice(0, 3000)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('the README test itself', () => {
  it('matches quoted lines in order, with … and numbers as wildcards', () => {
    expect(missingLines('a 1 b\n…\nc …', 'x\na 22 b\ny\nc done')).toEqual([]);
    expect(missingLines('a 1 b\nc', 'a 2 b\nx\nc')).toEqual(['c']);
    // A gap before a line that, numbers aside, matches several: the placement that lets the rest match wins.
    expect(missingLines('…\nv 2\nend', 'v 1\nv 2\nv 3\nend')).toEqual([]);
    expect(missingLines('c\na', 'a\nc')).toEqual(['a']);
    expect(missingLines('a\nb', 'a\n\nb')).toEqual([]);
    expect(missingLines('scan    4.87M/s', 'scan  33.66M/s  ')).toEqual([]);
    expect(missingLines('scan 1 rows', 'scan 1 files')).toEqual(['scan 1 rows']);
  });
  it('splits commands, continuations, heredocs and exit marks', () => {
    const cs = commands({ lang: 'sh', line: 1, body: "a \\\n  b\ncat > f <<'J'\n{}\nJ\n# note\nc  # exit 1" });
    expect(cs.map((c) => [c.text, c.exit])).toEqual([['a \\\n  b', 0], ["cat > f <<'J'\n{}\nJ", 0], ['c  # exit 1', 1]]);
  });
});
