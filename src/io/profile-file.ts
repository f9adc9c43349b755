// Profiles by name (built-in) or from a JSON file whose "extends" names a built-in or another file.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { builtinProfile, Profile, ProfileError, resolveProfile } from '../model/profiles.js';
import { InputError } from './errors.js';

export function loadProfile(ref: string, seen: string[] = []): Profile {
  if (!ref.endsWith('.json')) {
    try {
      return builtinProfile(ref);
    } catch (e) {
      throw new InputError((e as Error).message, undefined, undefined, undefined, { cause: e });
    }
  }
  const file = resolve(ref);
  if (seen.includes(file)) throw new InputError(`${ref}: "extends" cycle: ${[...seen, file].join(' -> ')}`, ref);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${ref}: cannot read the profile file: ${(e as Error).message}`, ref, undefined, undefined, { cause: e });
  }
  const lookup = (name: string): Profile => {
    if (!name.endsWith('.json')) return builtinProfile(name);
    try {
      return loadProfile(resolve(dirname(file), name), [...seen, file]);
    } catch (e) {
      // Name the file whose "extends" led there, so the user knows which file to fix.
      if (e instanceof InputError && !e.message.startsWith(`${ref}:`)) throw new InputError(`${ref}: "extends" ${JSON.stringify(name)}: ${e.message}`, ref, undefined, 'extends', { cause: e });
      throw e;
    }
  };
  try {
    return resolveProfile(doc, ref, lookup);
  } catch (e) {
    if (e instanceof ProfileError) throw new InputError(e.message, ref, undefined, undefined, { cause: e });
    throw e;
  }
}
