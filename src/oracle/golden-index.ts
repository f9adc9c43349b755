// Which golden file holds a suite's expectations for a profile. A file covers the profile named in
// its `# profile:` header and every profile listed in `# profiles:` (docs/golden-format.md): a
// profile whose outcomes equal another's on every event of the suite shares that file instead of
// duplicating it. A profile no file covers gets `golden/<suite>/<profile>.golden` (to be created).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../io/errors.js';

const NAME = /^[A-Za-z0-9._+-]+$/;

/** The profiles a golden file's header says it covers: `# profile:` and the `# profiles:` list. */
export function coveredProfiles(meta: Record<string, string>, file: string): string[] {
  const out: string[] = [];
  if (meta.profile) out.push(meta.profile.trim());
  for (const n of (meta.profiles ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!NAME.test(n)) {
      throw new InputError(`${file}: header "# profiles:": value ${JSON.stringify(n)}: expected a comma-separated list of profile names`, file, 'header', 'profiles');
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** The `# key: value` lines before the column header of a golden file. */
function headerMeta(text: string): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = /^#\s*([a-z_]+):\s*(.*)$/.exec(line);
    if (m) meta[m[1]!] = m[2]!;
  }
  return meta;
}

/** Every golden file of a suite with the profiles it covers, in file-name order. */
export function suiteGoldenIndex(root: string, suite: string): { file: string; covers: string[] }[] {
  const dir = join(root, 'golden', suite);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.golden')).sort().map((f) => {
    const file = join(dir, f);
    return { file, covers: coveredProfiles(headerMeta(readFileSync(file, 'utf8')), file) };
  });
}

/** The golden file covering `profile` in `suite`; two files covering it is an error naming both. */
export function goldenFileFor(root: string, suite: string, profile: string): string {
  const hits = suiteGoldenIndex(root, suite).filter((g) => g.covers.includes(profile));
  if (hits.length > 1) {
    throw new InputError(`${hits[1]!.file}: header: profile ${profile} is covered by ${hits[0]!.file} too: expected one golden file per profile and suite`, hits[1]!.file, 'header', 'profiles');
  }
  return hits[0]?.file ?? join(root, 'golden', suite, `${profile}.golden`);
}
