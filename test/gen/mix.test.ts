// The fleet mix: the default file equals DEFAULT_MIX, user files deep-merge over it, and every bad
// key or value is an InputError naming the file, the key, the value and what was expected.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIX, defaultMix, loadMix, resolveMix } from '../../src/gen/mix.js';
import { InputError } from '../../src/io/errors.js';
import { ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-mix-'));
const mixFile = (name: string, content: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const errorOf = (f: () => unknown): InputError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
};

describe('fleet mix', () => {
  it('mixes/fleet.json holds every parameter, equal to DEFAULT_MIX', () => {
    const m = loadMix(join(ROOT, 'mixes/fleet.json'));
    expect(m).toEqual(DEFAULT_MIX);
    expect(defaultMix()).toEqual(DEFAULT_MIX);
  });

  it('a partial file deep-merges over the defaults; weight tables replace as a whole', () => {
    const m = loadMix(mixFile('part.json', { ue: { ao_share: 0.3 }, hosts: { arch: { arm64: 1 } }, $comment: 'x' }));
    expect(m.ue.ao_share).toBe(0.3);
    expect(m.ue.fatal_share).toBe(DEFAULT_MIX.ue.fatal_share);
    expect(m.hosts.arch).toEqual({ arm64: 1 });
    expect(m.hosts.kvm).toBe(DEFAULT_MIX.hosts.kvm);
    expect(DEFAULT_MIX.ue.ao_share).toBe(0.6); // the defaults are not modified
  });

  it('an unknown key names the file, the key, the value and the keys expected', () => {
    const f = mixFile('unknown.json', { ue: { ao_shares: 0.5 } });
    const e = errorOf(() => loadMix(f));
    expect(e.message).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: key ue\\.ao_shares: value 0\\.5: expected one of the keys ue\\.host_share_per_year, .*\\(unknown key\\)$`));
    expect(e.column).toBe('ue.ao_shares');
    expect(errorOf(() => resolveMix({ bogus: {} }, 'm.json')).message).toMatch(/^m\.json: key bogus: value \{\}: expected one of the keys start, hosts, /);
  });

  it('bad values: out of range, wrong type, unknown label, empty table, bad date, bad pair', () => {
    expect(errorOf(() => resolveMix({ ue: { ao_share: 1.5 } }, 'm.json')).message).toBe('m.json: key ue.ao_share: value 1.5: expected a probability between 0 and 1');
    expect(errorOf(() => resolveMix({ hosts: { memory_gib: 'a lot' } }, 'm.json')).message).toBe('m.json: key hosts.memory_gib: value "a lot": expected an integer ≥ 1 and ≤ 1048576');
    expect(errorOf(() => resolveMix({ contexts: { usr: 1 } }, 'm.json')).message).toMatch(/^m\.json: key contexts\.usr: value 1: expected a key among user, kernel_copyin, /);
    expect(errorOf(() => resolveMix({ contexts: { user: 0 } }, 'm.json')).message).toBe('m.json: key contexts: value {"user":0}: expected at least one positive weight');
    expect(errorOf(() => resolveMix({ start: '2024-01-01' }, 'm.json')).message).toMatch(/key start: value "2024-01-01": expected a UTC ISO 8601 time/);
    expect(errorOf(() => resolveMix({ faults: { granularity: { single_bit: [1] } } }, 'm.json')).message).toMatch(/key faults\.granularity\.single_bit: value \[1\]: expected a pair \[transient FIT, permanent FIT\]/);
    expect(errorOf(() => resolveMix({ ce: { pareto: { min: 10, max: 5 } } }, 'm.json')).message).toMatch(/key ce\.pareto\.max: value 5: expected a value ≥ ce\.pareto\.min \(10\)/);
    expect(errorOf(() => resolveMix({ hosts: 3 }, 'm.json')).message).toBe('m.json: key hosts: value 3: expected an object');
  });

  it('a notification the validator rejects for its class is refused', () => {
    const e = errorOf(() => resolveMix({ notify: { x86_64: { native: { ar: { cmci: 1 } } } } }, 'm.json'));
    expect(e.message).toBe('m.json: key notify.x86_64.native.ar.cmci: value 1: expected a notification valid for this class (notify: mce for a synchronous (consumed) error on x86_64)');
    expect(errorOf(() => resolveMix({ notify: { arm64: { firmware_first: { ao: { mce: 1 } } } } }, 'm.json')).message).toMatch(/key notify\.arm64\.firmware_first\.ao\.mce: value 1: expected a notification valid for this class \(notify: sea, sei, sdei/);
  });

  it('unreadable or malformed files', () => {
    expect(errorOf(() => loadMix(join(dir, 'missing.json'))).message).toMatch(/missing\.json: cannot read the mix/);
    expect(errorOf(() => loadMix(mixFile('bad.json', '{"ue": '))).message).toMatch(/bad\.json: not valid JSON/);
  });
});
