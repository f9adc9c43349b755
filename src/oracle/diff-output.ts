// A diff result for people (a terminal table), for machines (JSON), and for CI (JUnit XML and a
// Markdown summary).
import { jsonText } from '../io/json.js';
import { CATEGORIES, CATEGORY_INFO, DiffCounts, DiffResult } from './diff.js';

const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(2)}%`);

function title(r: DiffResult): string {
  return `${r.outcomes} vs ${r.golden} (profile ${r.profile})`;
}

/** The categories worth a column: all with a count, plus the headline ones. */
function shownCategories(rs: DiffCounts[]) {
  return CATEGORIES.filter((c) => ['unexpected_panic', 'missed_panic', 'si_code_wrong', 'over_kill', 'under_kill'].includes(c) || rs.some((r) => r.counts[c] > 0));
}

function pad(rows: string[][]): string[] {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd());
}

export function diffText(r: DiffResult): string {
  const lines: string[] = [];
  const t = r.total;
  lines.push(`${r.regression ? 'REGRESSION' : 'ok'}: ${title(r)}: ${t.events} events, ${r.join} join, ${r.seconds.toFixed(2)} s`);
  lines.push('');
  let group = '';
  for (const c of CATEGORIES) {
    const info = CATEGORY_INFO[c];
    if (info.group !== group) {
      group = info.group;
      lines.push(`${group}:`);
      if (group === 'kill accuracy') lines.push(`  precision ${pct(t.precision)}, recall ${pct(t.recall)} (${t.true_kill} pids signalled as expected)`);
    }
    lines.push(`  ${String(t.counts[c]).padStart(9)}  ${c}  (${info.text})`);
  }
  if (r.by.length && r.groups.length) {
    const cats = shownCategories(r.groups.map((g) => g.counts));
    lines.push('');
    lines.push(`by ${r.by.join(', ')}:`);
    const rows = [[r.by.join(' / '), 'events', ...cats, 'precision', 'recall']];
    for (const g of r.groups) {
      rows.push([r.by.map((b) => g.key[b] ?? 'null').join(' / '), String(g.counts.events), ...cats.map((c) => String(g.counts.counts[c])), pct(g.counts.precision), pct(g.counts.recall)]);
    }
    lines.push(...pad(rows).map((l) => `  ${l}`));
  }
  if (r.examples.length) {
    lines.push('');
    lines.push('examples:');
    for (const e of r.examples) {
      lines.push(`  [${e.category}] event ${e.eventId}${e.host ? ` host ${e.host}` : ''}${e.path ? ` path ${e.path}` : ''}`);
      lines.push(`    expected ${e.expected}`);
      lines.push(`    actual   ${e.actual}`);
      for (const x of e.explain ?? []) lines.push(`    ${x}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function diffJson(r: DiffResult): string {
  return jsonText(r, 2);
}

const md = (s: string) => s.replace(/[|\\`*_<>]/g, (c) => `\\${c}`).replace(/\n/g, ' ');

export function diffMarkdown(rs: DiffResult[]): string {
  const out: string[] = [];
  const bad = rs.filter((r) => r.regression).length;
  out.push(`## ras-replay diff: ${bad ? `${bad} of ${rs.length} regressed` : `${rs.length} clean`}`);
  out.push('');
  out.push('| outcomes | golden | profile | events | unexpected panics | missed panics | si_code errors | over-kill | under-kill | precision | recall | reboot loops | vmcore | result |');
  out.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rs) {
    const c = r.total.counts;
    out.push(`| ${md(r.outcomes)} | ${md(r.golden)} | ${md(r.profile)} | ${r.total.events} | ${c.unexpected_panic} | ${c.missed_panic} | ${c.si_code_wrong + c.lsb_wrong} | ${c.over_kill} | ${c.under_kill} | ${pct(r.total.precision)} | ${pct(r.total.recall)} | ${c.reboot_loop_new + c.reboot_loop_gone} | ${c.vmcore_incomplete + c.vmcore_mismatch} | ${r.regression ? '❌ regression' : '✅'} |`);
  }
  for (const r of rs.filter((x) => x.examples.length)) {
    out.push('');
    out.push(`<details><summary>${md(title(r))}: examples</summary>`);
    out.push('');
    out.push('| category | event | path | expected | actual |');
    out.push('|---|---:|---|---|---|');
    for (const e of r.examples) out.push(`| ${e.category} | ${e.eventId} | ${md(e.path ?? '')} | \`${e.expected.replace(/`/g, "'")}\` | \`${e.actual.replace(/`/g, "'")}\` |`);
    out.push('');
    out.push('</details>');
  }
  return `${out.join('\n')}\n`;
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  // XML 1.0 forbids most control characters even as references.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** One testsuite per diff, one testcase per category: a failure when the category has a count. */
export function diffJunit(rs: DiffResult[]): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = rs.reduce((n, r) => n + CATEGORIES.filter((c) => r.total.counts[c] > 0).length, 0);
  const time = rs.reduce((n, r) => n + r.seconds, 0);
  out.push(`<testsuites name="ras-replay diff" tests="${rs.length * CATEGORIES.length}" failures="${failures}" errors="0" time="${time.toFixed(3)}">`);
  for (const r of rs) {
    const f = CATEGORIES.filter((c) => r.total.counts[c] > 0).length;
    out.push(`  <testsuite name="${xml(title(r))}" tests="${CATEGORIES.length}" failures="${f}" errors="0" skipped="0" time="${r.seconds.toFixed(3)}">`);
    out.push(`    <properties><property name="events" value="${r.total.events}"/><property name="precision" value="${pct(r.total.precision)}"/><property name="recall" value="${pct(r.total.recall)}"/></properties>`);
    for (const c of CATEGORIES) {
      const name = `${CATEGORY_INFO[c].group}: ${c}`;
      const n = r.total.counts[c];
      if (!n) {
        out.push(`    <testcase classname="${xml(`ras-replay.${r.profile}`)}" name="${xml(name)}" time="0"/>`);
        continue;
      }
      const ex = r.examples.filter((e) => e.category === c).map((e) => `event ${e.eventId}${e.path ? ` (${e.path})` : ''}\n  expected ${e.expected}\n  actual   ${e.actual}`).join('\n');
      out.push(`    <testcase classname="${xml(`ras-replay.${r.profile}`)}" name="${xml(name)}" time="0">`);
      out.push(`      <failure message="${xml(`${n} × ${CATEGORY_INFO[c].text}`)}" type="${c}">${xml(ex)}</failure>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
