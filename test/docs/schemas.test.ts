// docs/schema/*.json (issue 14 item 3): every bundled config, mix and profile example and every row
// of the curated suites validates against its schema, and the schemas' enums, columns, switches and
// keys equal the code's tables, so the two cannot drift apart. Bad documents are rejected too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIX } from '../../src/gen/mix.js';
import { REQUIRED_COLUMNS, TRACE_COLUMNS, EXTRA_COLUMNS } from '../../src/io/trace.js';
import * as enums from '../../src/model/enums.js';
import { BUILTIN_PROFILES, DEFAULT_HOST } from '../../src/model/profiles.js';
import { ROOT } from '../helpers.js';
import { Schema, validateJson } from './json-schema.js';

const schema = (n: string) => JSON.parse(readFileSync(join(ROOT, 'docs/schema', `${n}.schema.json`), 'utf8')) as Schema;
const json = (f: string) => JSON.parse(readFileSync(join(ROOT, f), 'utf8')) as unknown;
const props = (s: Schema) => s.properties as Record<string, Schema>;

const TRACE = schema('trace-row');
const PROFILE = schema('profile');
const CONFIG = schema('config');
const MIX = schema('mix');

/** A CSV row as the JSON object the trace-row schema describes: empty cells absent, typed by the schema. */
function rowJson(r: Record<string, string>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === '') continue;
    const p = props(TRACE)[k];
    const types = p ? [p.type ?? []].flat() as string[] : [];
    if (types.includes('integer')) o[k] = /^(0x[0-9a-f]+|-?[0-9]+)$/i.test(v) ? BigInt(v) : v;
    else if (types.includes('boolean')) o[k] = /^(true|1)$/i.test(v) ? true : /^(false|0)$/i.test(v) ? false : v;
    else if (p?.enum && typeof (p.enum as unknown[])[0] === 'number') o[k] = Number(v);
    else o[k] = v;
  }
  return o;
}

describe('docs/schema/trace-row.schema.json', () => {
  it('has the columns, required columns and enums of the code', () => {
    expect(Object.keys(props(TRACE))).toEqual([...TRACE_COLUMNS, ...EXTRA_COLUMNS]);
    expect(TRACE.required).toEqual([...REQUIRED_COLUMNS]);
    const e = (c: string) => props(TRACE)[c]!.enum;
    expect(e('arch')).toEqual([...enums.ARCH]);
    expect(e('kind')).toEqual([...enums.KIND]);
    expect(e('notify')).toEqual([...enums.NOTIFY]);
    expect(e('severity')).toEqual([...enums.SEVERITY]);
    expect(e('mem')).toEqual([...enums.MEM]);
    expect(e('page')).toEqual([...enums.PAGE]);
    expect(e('context')).toEqual([...enums.CONTEXT]);
    // docs/trace-format.md §1: page_shift 12, 21 or 30 (src/model/validate.ts says the same).
    // 13–21 only for file_lbs (the folio's minimum order: conventions C26, src/io/trace.ts).
    expect(e('page_shift')).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 30]);
    expect(String(props(TRACE).mappers!.description)).toContain(enums.POLICY.join(', '));
  });

  for (const suite of ['x86', 'arm64']) {
    it(`accepts every row of traces/${suite}.csv`, () => {
      const rows = parse(readFileSync(join(ROOT, 'traces', `${suite}.csv`), 'utf8'), { columns: true, comment: '#', relax_column_count: true }) as Record<string, string>[];
      expect(rows.length).toBeGreaterThan(50);
      expect(rows.flatMap((r, i) => validateJson(TRACE, rowJson(r), `row ${i + 1}`))).toEqual([]);
    });
  }

  it('rejects a bad value, an unknown column and a missing required one', () => {
    expect(validateJson(TRACE, { event_id: 1n, host: 'h', t_ns: 0n, arch: 'riscv' })).toEqual(['$.arch: value "riscv": expected one of x86_64, arm64']);
    expect(validateJson(TRACE, { event_id: 1, host: 'h', t_ns: 0, arch: 'arm64', colour: 'red' })[0]).toMatch(/^\$: unknown key colour/);
    expect(validateJson(TRACE, { event_id: 1, host: 'h', arch: 'arm64' })).toEqual(['$: missing key t_ns']);
    expect(validateJson(TRACE, { event_id: 1, host: 'h', t_ns: 0, arch: 'arm64', mappers: '1:eager' })[0]).toMatch(/^\$\.mappers: /);
  });
});

describe('docs/schema/profile.schema.json', () => {
  it('has exactly the switches and host settings of the code', () => {
    expect(Object.keys(props(props(PROFILE).switches!))).toEqual(Object.keys(BUILTIN_PROFILES[0]!.switches));
    expect(Object.keys(props(props(PROFILE).host!))).toEqual(Object.keys(DEFAULT_HOST));
  });

  it('accepts every built-in profile written as a file and the README example', () => {
    for (const p of BUILTIN_PROFILES) expect(validateJson(PROFILE, { name: p.name, description: p.description, switches: { ...p.switches }, host: { ...p.host } })).toEqual([]);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const m = /cat > examples\/profiles\/post-no-patch1\.json <<'JSON'\n(.*)\nJSON/.exec(readme);
    expect(m).not.toBeNull();
    expect(validateJson(PROFILE, JSON.parse(m![1]!))).toEqual([]);
  });

  it('rejects an unknown switch and a wrong type', () => {
    expect(validateJson(PROFILE, { extends: 'post', switches: { ghes_sync_arr: true } })[0]).toMatch(/^\$\.switches: unknown key ghes_sync_arr/);
    expect(validateJson(PROFILE, { host: { early_kill: 2 } })).toEqual(['$.host.early_kill: value 2: expected one of 0, 1']);
  });
});

describe('docs/schema/config.schema.json', () => {
  it('accepts the bundled ras-replay.config.json', () => {
    expect(validateJson(CONFIG, json('ras-replay.config.json'))).toEqual([]);
  });

  it('rejects a trace with both a file and a generator, an unknown key and a golden path without {profile}', () => {
    const base = { profiles: ['pre'], traces: [{ name: 'x', trace: 't.csv' }] };
    expect(validateJson(CONFIG, base)).toEqual([]);
    expect(validateJson(CONFIG, { ...base, traces: [{ name: 'x', trace: 't.csv', generate: { mix: 'matrix' } }] })).toEqual(['$.traces[0]: value {"name":"x","trace":"t.csv","generate":{"mix":"matrix"}}: expected exactly one of 2 alternatives (2 matched)']);
    expect(validateJson(CONFIG, { ...base, retention: 0 })).toEqual(['$.retention: value 0: expected ≥ 1']);
    expect(validateJson(CONFIG, { ...base, colour: 1 })[0]).toMatch(/^\$: unknown key colour/);
    expect(validateJson(CONFIG, { ...base, traces: [{ name: 'x', trace: 't.csv', golden: 'golden/x.golden' }] })[0]).toMatch(/^\$\.traces\[0\]\.golden: /);
  });
});

describe('docs/schema/mix.schema.json', () => {
  /** The key tree of a mix document, weight tables (propertyNames) as leaves. */
  function keys(s: Schema, path = ''): string[] {
    if (s.type !== 'object' || s.propertyNames) return [path];
    return Object.entries(props(s)).filter(([k]) => k !== '$comment').flatMap(([k, v]) => keys(v, `${path}.${k}`));
  }
  function valueKeys(v: unknown, s: Schema, path = ''): string[] {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || s.propertyNames) return [path];
    return Object.entries(v).filter(([k]) => k !== '$comment').flatMap(([k, x]) => valueKeys(x, props(s)[k] ?? {}, `${path}.${k}`));
  }

  it('accepts mixes/fleet.json and has the key tree of the code defaults (DEFAULT_MIX)', () => {
    expect(validateJson(MIX, json('mixes/fleet.json'))).toEqual([]);
    expect(validateJson(MIX, JSON.parse(JSON.stringify(DEFAULT_MIX)))).toEqual([]);
    expect(keys(MIX)).toEqual(valueKeys(DEFAULT_MIX, MIX));
  });

  it('its weight tables are keyed by the code tables', () => {
    const p = props(MIX);
    expect((props(p.pages!).user!.propertyNames as Schema).enum).toEqual([...enums.PAGE]);
    expect((p.contexts!.propertyNames as Schema).enum).toEqual([...enums.CONTEXT]);
  });

  it('rejects an unknown page in a weight table and an unknown parameter', () => {
    expect(validateJson(MIX, { pages: { user: { anon: 1, anonymous: 1 } } })[0]).toMatch(/^\$\.pages\.user key: value "anonymous": expected one of free/);
    expect(validateJson(MIX, { ce: { stormz: {} } })[0]).toMatch(/^\$\.ce: unknown key stormz/);
  });
});
