// `ras-replay.config.json`: traces × profiles × golden sets, output root, retention. Parsed and
// validated: an unknown key or a wrong type is an error naming the file, the key and what was expected.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../io/errors.js';

export interface GenerateSpec {
  /** 'fleet' (src/gen/fleet.ts) or 'matrix'. */
  mix: string;
  /** A mix file overriding the defaults (fleet only). */
  mixFile?: string;
  hosts: number;
  days: number;
  seed: number;
}

export interface TraceSpec {
  name: string;
  /** A trace file, or… */
  trace?: string;
  /** …a generated one (written into the night's folder). */
  generate?: GenerateSpec;
  /** Golden files per profile: a path with `{profile}`, e.g. golden/x86/{profile}.golden. They gate the night. */
  golden?: string;
  /** Also diff against the ideal policy (distance from correct; does not gate). */
  ideal?: boolean;
}

/** A page-offline policy sweep over one trace of the night (docs/policy.md). */
export interface PolicySweepSpec {
  trace: string;
  /** threshold=A..B[/N]; none: each family at its source's defaults. */
  sweep?: string;
  /** Families (default: all but user rules). */
  families?: string[];
}

/** A bisect of two profiles over one trace of the night (docs/bisect.md). */
export interface BisectSpec {
  trace: string;
  /** Profile A (the baseline) and B: built-in names, or profile files (.json, relative to the config file). */
  a: string;
  b: string;
}

export interface NightlyConfig {
  file: string;
  output: string;
  retention: number;
  profiles: string[];
  traces: TraceSpec[];
  compare: [string, string][];
  workers: number;
  policy: PolicySweepSpec[];
  bisect: BisectSpec[];
}

type Obj = Record<string, unknown>;

export function loadConfig(file: string): NightlyConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: cannot read the nightly config: ${(e as Error).message} (run this in the project folder or pass -c FILE)`, file, undefined, undefined, { cause: e });
  }
  const base = dirname(resolve(file));
  const bad = (key: string, v: unknown, expected: string): never => {
    throw new InputError(`${file}: key ${key}: value ${JSON.stringify(v)}: expected ${expected}`, file, undefined, key);
  };
  const obj = (v: unknown, key: string, allowed: string[]): Obj => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(key, v, 'an object');
    for (const k of Object.keys(v as Obj)) if (!allowed.includes(k)) bad(`${key}.${k}`, (v as Obj)[k], `one of the keys ${allowed.join(', ')} (unknown key)`);
    return v as Obj;
  };
  const str = (v: unknown, key: string): string => (typeof v === 'string' && v !== '' ? v : bad(key, v, 'a non-empty string'));
  const int = (v: unknown, key: string, min: number): number => (Number.isInteger(v) && (v as number) >= min ? (v as number) : bad(key, v, `a whole number ≥ ${min}`));
  const name = (v: unknown, key: string): string => {
    const s = str(v, key);
    return /^[A-Za-z0-9._-]+$/.test(s) ? s : bad(key, v, 'a name of letters, digits, ".", "_" or "-" (it names folders)');
  };
  const c = obj(doc, '(top)', ['output', 'retention', 'profiles', 'traces', 'compare', 'workers', 'policy', 'bisect', '$comment']);
  const profiles = Array.isArray(c.profiles) && c.profiles.length ? c.profiles.map((p, i) => str(p, `profiles[${i}]`)) : bad('profiles', c.profiles, 'a non-empty list of profile names or files');
  const at = (p: string) => resolve(base, p);
  const traces = (Array.isArray(c.traces) && c.traces.length ? c.traces : bad('traces', c.traces, 'a non-empty list')).map((t, i): TraceSpec => {
    const k = `traces[${i}]`;
    const o = obj(t, k, ['name', 'trace', 'generate', 'golden', 'ideal', '$comment']);
    const spec: TraceSpec = { name: name(o.name, `${k}.name`) };
    if ((o.trace === undefined) === (o.generate === undefined)) bad(k, t, 'exactly one of "trace" (a file) or "generate"');
    if (o.trace !== undefined) spec.trace = at(str(o.trace, `${k}.trace`));
    if (o.generate !== undefined) {
      const g = obj(o.generate, `${k}.generate`, ['mix', 'mixFile', 'hosts', 'days', 'seed']);
      const mix = str(g.mix, `${k}.generate.mix`);
      if (mix !== 'fleet' && mix !== 'matrix') bad(`${k}.generate.mix`, mix, 'fleet or matrix');
      spec.generate = {
        mix, hosts: g.hosts === undefined ? 1000 : int(g.hosts, `${k}.generate.hosts`, 1), days: g.days === undefined ? 365 : int(g.days, `${k}.generate.days`, 1),
        seed: g.seed === undefined ? 1 : int(g.seed, `${k}.generate.seed`, 0),
        ...(g.mixFile !== undefined ? { mixFile: at(str(g.mixFile, `${k}.generate.mixFile`)) } : {}),
      };
    }
    if (o.golden !== undefined) {
      const g = str(o.golden, `${k}.golden`);
      if (!g.includes('{profile}')) bad(`${k}.golden`, g, 'a path containing {profile}, e.g. golden/x86/{profile}.golden');
      spec.golden = at(g);
    }
    if (o.ideal !== undefined) spec.ideal = typeof o.ideal === 'boolean' ? o.ideal : bad(`${k}.ideal`, o.ideal, 'true or false');
    return spec;
  });
  const names = new Set<string>();
  for (const t of traces) {
    if (names.has(t.name)) bad('traces', t.name, 'distinct trace names');
    names.add(t.name);
  }
  const compare = (c.compare === undefined ? [] : Array.isArray(c.compare) ? c.compare : bad('compare', c.compare, 'a list of [A, B] profile pairs')).map((p, i): [string, string] => {
    if (!Array.isArray(p) || p.length !== 2) bad(`compare[${i}]`, p, 'a pair [A, B]');
    const [a, b] = [str(p[0], `compare[${i}][0]`), str(p[1], `compare[${i}][1]`)];
    for (const x of [a, b]) if (!profiles.includes(x)) bad(`compare[${i}]`, p, `profiles listed in "profiles" (${profiles.join(', ')})`);
    return [a, b];
  });
  const FAMILIES = ['rasdaemon-page', 'rasdaemon-row', 'mcelog', 'ras-cec', 'firmware'];
  const policy = (c.policy === undefined ? [] : Array.isArray(c.policy) ? c.policy : bad('policy', c.policy, 'a list of { "trace", "sweep", "families" }')).map((p, i): PolicySweepSpec => {
    const k = `policy[${i}]`;
    const o = obj(p, k, ['trace', 'sweep', 'families', '$comment']);
    const trace = str(o.trace, `${k}.trace`);
    if (!names.has(trace)) bad(`${k}.trace`, trace, `the name of a trace in "traces" (${[...names].join(', ')})`);
    const spec: PolicySweepSpec = { trace };
    if (o.sweep !== undefined) {
      const s = str(o.sweep, `${k}.sweep`);
      if (!/^threshold=[0-9]+\.\.[0-9]+(\/[0-9]+)?$/.test(s)) bad(`${k}.sweep`, s, 'threshold=A..B or threshold=A..B/N');
      spec.sweep = s;
    }
    if (o.families !== undefined) {
      if (!Array.isArray(o.families) || !o.families.length) bad(`${k}.families`, o.families, `a non-empty list of ${FAMILIES.join(', ')}`);
      spec.families = (o.families as unknown[]).map((f, j) => {
        const s = str(f, `${k}.families[${j}]`);
        return FAMILIES.includes(s) ? s : bad(`${k}.families[${j}]`, s, `one of ${FAMILIES.join(', ')}`);
      });
    }
    return spec;
  });
  const bisect = (c.bisect === undefined ? [] : Array.isArray(c.bisect) ? c.bisect : bad('bisect', c.bisect, 'a list of { "trace", "a", "b" }')).map((p, i): BisectSpec => {
    const k = `bisect[${i}]`;
    const o = obj(p, k, ['trace', 'a', 'b', '$comment']);
    const trace = str(o.trace, `${k}.trace`);
    if (!names.has(trace)) bad(`${k}.trace`, trace, `the name of a trace in "traces" (${[...names].join(', ')})`);
    // A profile file is found relative to the config file, as traces are; a name is a built-in.
    const prof = (key: 'a' | 'b') => {
      const v = str(o[key], `${k}.${key}`);
      return v.endsWith('.json') ? at(v) : v;
    };
    const a = prof('a');
    const b = prof('b');
    if (a === b) bad(`${k}.b`, o.b, `a profile other than A (${JSON.stringify(o.a)})`);
    return { trace, a, b };
  });
  return {
    file,
    policy,
    bisect,
    output: at(c.output === undefined ? 'nightly' : str(c.output, 'output')),
    retention: c.retention === undefined ? 14 : int(c.retention, 'retention', 1),
    profiles,
    traces,
    compare,
    workers: c.workers === undefined ? 2 : int(c.workers, 'workers', 1),
  };
}
