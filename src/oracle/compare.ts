// The same events under profile A and profile B: what changed and in which direction. Computed in
// DuckDB over two outcome views (`pa`, `pb` with their `_sig` signals), so it works from a replayed
// trace, a run's folder or a nightly database alike.
import { Duck, num } from './duck.js';

export interface CompareChange {
  /** e.g. 'AO → AR', 'panic → survived', 'reboot loop removed', 'path a → b'. */
  what: string;
  kind: 'panic' | 'reboot_loop' | 'vmcore' | 'signal' | 'mf_result' | 'path';
  /** Better, worse or neither, judged by the ideal's direction (AR to a consumer is better than AO). */
  direction: 'better' | 'worse' | 'changed';
  count: number;
  examples: bigint[];
}

/** A switch whose value differs between profile A and profile B, with the table's entry for it. */
export interface CompareSwitch {
  switch: string;
  a: boolean;
  b: boolean;
  title: string;
  /** "commit …, mainline v…, stable …" (changeSummary). */
  table: string;
  /** Why A and B have their values ("backported to 6.6.y in 6.6.16"), when they are built-ins. */
  reasonA: string | null;
  reasonB: string | null;
}

export interface CompareResult {
  a: string;
  b: string;
  /** The switches that differ between A and B; null when a profile is not at hand (outcomes only). */
  switches: CompareSwitch[] | null;
  events: number;
  changedEvents: number;
  changes: CompareChange[];
  summary: string;
}

/** A task's signals in one event, as a short label: 'AR', 'AO', 'SIGKILL', 'AO+AR', 'none'. */
const SIG_LABEL = `CASE WHEN signo = 9 THEN 'SIGKILL' WHEN signo = 7 AND si_code = 4 THEN 'AR' WHEN signo = 7 AND si_code = 5 THEN 'AO'
  WHEN signo = 7 AND si_code = 3 THEN 'BUS_OBJERR' WHEN si_code = 128 THEN 'SI_KERNEL' ELSE 'sig' || signo || '/' || si_code END`;

/** The same label as SIG_LABEL, for one signal held in columns (bisect labels events in memory). */
export function signalLabel(signo: number, siCode: number): string {
  if (signo === 9) return 'SIGKILL';
  if (signo === 7 && siCode === 4) return 'AR';
  if (signo === 7 && siCode === 5) return 'AO';
  if (signo === 7 && siCode === 3) return 'BUS_OBJERR';
  if (siCode === 128) return 'SI_KERNEL';
  return `sig${signo}/${siCode}`;
}

/** Direction of a signal transition for the task concerned (a consumer wants AR; AO is a warning). */
export function signalDirection(from: string, to: string): CompareChange['direction'] {
  const rank = (l: string) => (l === 'none' ? 0 : l.includes('AR') ? 3 : l.includes('AO') ? 2 : 1);
  // none → AR / AO → AR: the task learns of the corruption precisely; SIGKILL and SI_KERNEL lose the address.
  if (rank(to) > rank(from)) return 'better';
  if (rank(to) < rank(from)) return 'worse';
  return 'changed';
}

export async function compareViews(db: Duck, a: string, b: string, examples = 3): Promise<CompareResult> {
  const events = num(await db.scalar('SELECT count(*) FROM pa'));
  const ev = await db.rows(`
    SELECT kind, what, count(*) AS n, min(event_id, ${examples}) AS ex FROM (
      SELECT event_id, 'panic' AS kind, CASE WHEN x.panic THEN 'panic → survived' ELSE 'survived → panic' END AS what
        FROM pa x JOIN pb y USING (event_id) WHERE x.panic <> y.panic
      UNION ALL SELECT event_id, 'reboot_loop', CASE WHEN x.reboot_loop THEN 'reboot loop removed' ELSE 'reboot loop added' END
        FROM pa x JOIN pb y USING (event_id) WHERE x.reboot_loop <> y.reboot_loop
      UNION ALL SELECT event_id, 'vmcore', 'vmcore ' || x.vmcore || ' → ' || y.vmcore
        FROM pa x JOIN pb y USING (event_id) WHERE x.vmcore <> y.vmcore
      UNION ALL SELECT event_id, 'mf_result', 'memory_failure ' || coalesce(x.mf_result, 'not run') || ' → ' || coalesce(y.mf_result, 'not run')
        FROM pa x JOIN pb y USING (event_id) WHERE x.mf_result IS DISTINCT FROM y.mf_result
      UNION ALL SELECT event_id, 'path', 'path ' || x.path || ' → ' || y.path
        FROM pa x JOIN pb y USING (event_id) WHERE x.path <> y.path)
    GROUP BY kind, what ORDER BY kind, n DESC, what`);
  const sg = await db.rows(`
    WITH la AS (SELECT event_id, pid, string_agg(DISTINCT ${SIG_LABEL}, '+' ORDER BY ${SIG_LABEL}) AS l FROM pa_sig GROUP BY event_id, pid),
         lb AS (SELECT event_id, pid, string_agg(DISTINCT ${SIG_LABEL}, '+' ORDER BY ${SIG_LABEL}) AS l FROM pb_sig GROUP BY event_id, pid)
    SELECT coalesce(la.l, 'none') AS f, coalesce(lb.l, 'none') AS t, count(*) AS n, min(event_id, ${examples}) AS ex
    FROM la FULL OUTER JOIN lb USING (event_id, pid) WHERE la.l IS DISTINCT FROM lb.l
    GROUP BY ALL ORDER BY n DESC, f, t`);
  const changedEvents = num(await db.scalar(`
    SELECT count(DISTINCT event_id) FROM (
      SELECT event_id FROM pa x JOIN pb y USING (event_id)
        WHERE x.panic <> y.panic OR x.reboot_loop <> y.reboot_loop OR x.vmcore <> y.vmcore OR x.path <> y.path
          OR x.mf_result IS DISTINCT FROM y.mf_result
      UNION ALL SELECT event_id FROM (SELECT event_id, pid, signo, si_code, addr_lsb FROM pa_sig
        EXCEPT ALL SELECT event_id, pid, signo, si_code, addr_lsb FROM pb_sig)
      UNION ALL SELECT event_id FROM (SELECT event_id, pid, signo, si_code, addr_lsb FROM pb_sig
        EXCEPT ALL SELECT event_id, pid, signo, si_code, addr_lsb FROM pa_sig))`));
  const ids = (v: unknown) => (Array.isArray(v) ? v.map((x) => BigInt(x as bigint)) : []);
  const changes: CompareChange[] = [];
  for (const r of sg) {
    const from = String(r.f);
    const to = String(r.t);
    changes.push({ what: `${from} → ${to}`, kind: 'signal', direction: signalDirection(from, to), count: num(r.n), examples: ids(r.ex) });
  }
  for (const r of ev) {
    const what = String(r.what);
    const kind = String(r.kind) as CompareChange['kind'];
    changes.push({ what, kind, direction: changeDirection(what), count: num(r.n), examples: ids(r.ex) });
  }
  return { a, b, switches: null, events, changedEvents, changes, summary: summarise(a, b, changes) };
}

/** Direction of an outcome change other than a signal's, by its label ('panic → survived', …). */
export function changeDirection(what: string): CompareChange['direction'] {
  if (what === 'panic → survived' || what === 'reboot loop removed' || /→ complete$/.test(what)) return 'better';
  if (what === 'survived → panic' || what === 'reboot loop added' || /^vmcore complete →/.test(what)) return 'worse';
  return 'changed';
}

/** One sentence: "applying post instead of pre turns 12 AO into AR, removes 3 reboot loops, …". */
export function summarise(a: string, b: string, changes: CompareChange[]): string {
  const parts: string[] = [];
  for (const c of changes.filter((x) => x.kind === 'signal')) {
    const [from, to] = c.what.split(' → ') as [string, string];
    if (from === 'none') parts.push(`sends ${c.count} new ${to}`);
    else if (to === 'none') parts.push(`drops ${c.count} ${from}`);
    else parts.push(`turns ${c.count} ${from} into ${to}`);
  }
  const get = (w: string) => changes.find((c) => c.what === w)?.count ?? 0;
  if (get('reboot loop removed')) parts.push(`removes ${get('reboot loop removed')} reboot loop${get('reboot loop removed') > 1 ? 's' : ''}`);
  if (get('reboot loop added')) parts.push(`adds ${get('reboot loop added')} reboot loop${get('reboot loop added') > 1 ? 's' : ''}`);
  if (get('panic → survived')) parts.push(`avoids ${get('panic → survived')} panic${get('panic → survived') > 1 ? 's' : ''}`);
  if (get('survived → panic')) parts.push(`adds ${get('survived → panic')} panic${get('survived → panic') > 1 ? 's' : ''}`);
  for (const c of changes.filter((x) => x.kind === 'vmcore')) {
    const [from, to] = c.what.replace('vmcore ', '').split(' → ') as [string, string];
    parts.push(`turns ${c.count} vmcore ${from} into ${to}`);
  }
  if (!parts.length) return `${b} behaves as ${a} on every event`;
  return `applying ${b} instead of ${a} ${parts.join(', ')}`;
}

export function compareText(r: CompareResult): string {
  const lines: string[] = [];
  if (r.switches) {
    lines.push(r.switches.length ? `switches that differ from ${r.a} to ${r.b}:` : `${r.a} and ${r.b} have the same switches`);
    for (const s of r.switches) {
      lines.push(`  ${s.switch}: ${s.a ? 'on' : 'off'} → ${s.b ? 'on' : 'off'}  ${s.title} (${s.table})`);
      const why = [s.reasonA ? `${r.a}: ${s.reasonA}` : null, s.reasonB ? `${r.b}: ${s.reasonB}` : null].filter(Boolean);
      if (why.length) lines.push(`    ${why.join('; ')}`);
    }
    lines.push('');
  }
  lines.push(`${r.b} vs ${r.a}: ${r.changedEvents} of ${r.events} events changed`, `  ${r.summary}`, '');
  const mark = { better: '+', worse: '-', changed: '~' } as const;
  for (const c of r.changes) {
    lines.push(`  ${mark[c.direction]} ${String(c.count).padStart(7)}  ${c.what}${c.examples.length ? `  (e.g. event ${c.examples.join(', ')})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
