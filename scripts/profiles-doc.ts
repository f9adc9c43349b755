// Regenerates the tables of docs/profiles.md from the table of kernel changes
// (src/model/kernel-changes.ts): `npx tsx scripts/profiles-doc.ts` rewrites the part between the
// `<!-- generated:begin -->` and `<!-- generated:end -->` markers; test/model/profiles-doc.test.ts
// fails when the doc and the table disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KERNEL_CHANGES, MAINLINE_RELEASES, STABLE_LINES } from '../src/model/kernel-changes.js';
import { BUILTIN_PROFILES, RELEASE_NAMES, STABLE_NAMES, builtinProfile, sameSwitchNames } from '../src/model/profiles.js';

export const BEGIN = '<!-- generated:begin (scripts/profiles-doc.ts) -->';
export const END = '<!-- generated:end -->';

export function renderTables(): string {
  const out: string[] = [];
  out.push('### The table of kernel changes', '');
  out.push('| switch | change | commit | mainline | stable backports (first point release per line) | evidence |');
  out.push('|---|---|---|---|---|---|');
  for (const c of KERNEL_CHANGES) {
    const stable = Object.entries(c.stable).map(([l, p]) => `${l}.y: ${p}`).join(', ') || '-';
    out.push(`| \`${c.switch}\` | ${c.title.replace(/\|/g, '\\|')} | ${c.commit ?? '-'} | ${c.mainline ? `v${c.mainline}` : 'not merged'} | ${stable} | ${c.evidence.replace(/\|/g, '\\|')} |`);
  }
  out.push('', '### Tracked stable lines (`linux-X.Y.y`)', '');
  out.push('| profile | line | LTS | newest point release known | evidence |');
  out.push('|---|---|---|---|---|');
  for (const l of STABLE_LINES) out.push(`| \`linux-${l.line}.y\` | ${l.line} | ${l.lts ? 'yes' : 'no'} | ${l.latest} | ${l.evidence} |`);
  out.push('', '### Releases and their switch sets', '');
  out.push(`Mainline releases known: ${MAINLINE_RELEASES.map((r) => r.version).join(', ')} (LTS: ${MAINLINE_RELEASES.filter((r) => r.lts).map((r) => r.version).join(', ')}).`);
  out.push('Each suite profile stands for every profile with the same switches:', '');
  out.push('| suite profile | profiles with the same switches | switches on |');
  out.push('|---|---|---|');
  const all = ['pre', 'post', ...RELEASE_NAMES, ...STABLE_NAMES];
  for (const p of BUILTIN_PROFILES) {
    const same = sameSwitchNames(p.name).filter((n) => n !== p.name && all.includes(n));
    const on = KERNEL_CHANGES.filter((c) => builtinProfile(p.name).switches[c.switch]).map((c) => `\`${c.switch}\``).join(', ') || '-';
    out.push(`| \`${p.name}\` | ${same.join(', ') || '-'} | ${on} |`);
  }
  return out.join('\n');
}

/** The doc with its generated part replaced by `renderTables()`. */
export function renderDoc(doc: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/profiles.md: expected the markers ${BEGIN} … ${END}`);
  return `${doc.slice(0, a + BEGIN.length)}\n\n${renderTables()}\n\n${doc.slice(b)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = new URL('../docs/profiles.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const next = renderDoc(doc);
  if (next !== doc) writeFileSync(file, next);
  process.stdout.write(`docs/profiles.md ${next === doc ? 'unchanged' : 'rewritten'}\n`);
}
