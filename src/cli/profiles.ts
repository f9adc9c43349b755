// `profiles`: every release profile from the table of kernel changes, the tracked stable lines'
// newest point releases, and `profiles show NAME` (where each switch's value comes from). Imports
// only commander and the model's profile table, so it starts at once.
import type { Command } from 'commander';
import { InputError } from '../io/errors.js';
import { formatOption, outputFormat } from './format-option.js';
import { loadProfile } from '../io/profile-file.js';
import {
  KERNEL_CHANGES, KernelVersionError, MAINLINE_RELEASES, STABLE_LINES, changeSummary, resolveKernelVersion, type SwitchSource,
} from '../model/kernel-changes.js';
import { BUILTIN_NAMES, ProfileError, builtinProfile, builtinSources, sameSwitchNames, type Profile } from '../model/profiles.js';

/** One row of the listing: a profile name, what it is, and the switches it turns on. */
export interface ProfileListing {
  name: string;
  kernel: string | null;
  lts: boolean;
  suite: boolean;
  description: string;
  switches_on: string[];
  switches: Profile['switches'];
}

function listing(name: string, kernel: string | null, lts: boolean): ProfileListing {
  const p = builtinProfile(name);
  return {
    name,
    kernel,
    lts,
    suite: BUILTIN_NAMES.includes(name),
    description: p.description,
    switches_on: KERNEL_CHANGES.filter((c) => p.switches[c.switch]).map((c) => c.switch),
    switches: p.switches,
  };
}

export function profileListings(): ProfileListing[] {
  return [
    listing('pre', '6.6.0', false),
    listing('post', null, false),
    ...MAINLINE_RELEASES.map((r) => listing(`linux-${r.version}`, `${r.version}.0`, r.lts)),
    ...STABLE_LINES.map((l) => listing(`linux-${l.line}.y`, l.latest, l.lts)),
  ];
}

/** Why each switch of profile `name` has its value: the table's reasons, or the seed changes of post. */
export function profileSources(name: string): { profile: Profile; kernel: string | null; sources: SwitchSource[]; note: string } {
  const profile = loadProfile(name);
  const sources = name.endsWith('.json') ? null : builtinSources(name);
  if (sources) {
    const m = /^linux-(.+)$/.exec(name);
    const kernel = name === 'pre' ? '6.6.0' : m ? resolveKernelVersion(m[1]!).join('.') : null;
    const note = name === 'pre' ? 'pre is mainline v6.6.0' : name === 'post' ? 'post is pre plus the seed changes' : `derived from the table for ${kernel}`;
    return { profile, kernel, sources, note };
  }
  // A profile file: its values, each set by the file or the profile it extends.
  return {
    profile,
    kernel: null,
    sources: KERNEL_CHANGES.map((c) => ({ switch: c.switch, value: profile.switches[c.switch], reason: `set by ${name} or the profile it extends` })),
    note: `profile file ${name}`,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function registerProfiles(program: Command): void {
  const cmd = program.command('profiles')
    .description('list the built-in profiles (pre, post, every release linux-5.10 … linux-7.3, the stable lines\' newest point releases) and their switches')
    .addOption(formatOption(['table', 'json']))
    .option('--json', 'as JSON (same as --format json)')
    .action((o: { format: string; json?: boolean }) => {
      const rows = profileListings();
      if (outputFormat(o) === 'json') {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const w = Math.max(...rows.map((r) => r.name.length));
      const lines = [`${pad('profile', w)}  ${pad('kernel', 9)}  lts  suite  switches on (beyond none)`];
      for (const r of rows) {
        lines.push(`${pad(r.name, w)}  ${pad(r.kernel ?? '-', 9)}  ${r.lts ? 'yes' : '   '}  ${r.suite ? 'yes  ' : '     '}  ${r.switches_on.join(', ') || '-'}`);
      }
      lines.push('');
      lines.push(`Any point release by name: linux-X.Y.Z (e.g. linux-6.6.47); linux-X.Y.y is the newest point release the table knows for ${STABLE_LINES.map((l) => l.line).join(', ')}.`);
      lines.push('`ras-replay profiles show NAME` explains where each switch\'s value comes from; `--kernel "$(uname -r)"` picks a profile on run, explain, diff and compare.');
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  cmd.command('show')
    .description("where each switch's value comes from (mainline release, stable backport, seed change)")
    .argument('<name>', 'a profile name (pre, post, linux-6.6, linux-6.6.47, linux-6.12.y) or a profile file (.json)')
    .addOption(formatOption(['table', 'json']))
    .option('--json', 'as JSON (same as --format json)')
    .action((name: string, o: { format: string; json?: boolean }) => {
      let r;
      try {
        r = profileSources(name);
      } catch (e) {
        if (e instanceof KernelVersionError || e instanceof ProfileError) throw new InputError(e.message, undefined, undefined, undefined, { cause: e });
        throw e;
      }
      if (outputFormat(o) === 'json') {
        process.stdout.write(`${JSON.stringify({ name, kernel: r.kernel, note: r.note, same_switches: sameNames(name), sources: r.sources }, null, 2)}\n`);
        return;
      }
      const w = Math.max(...r.sources.map((s) => s.switch.length));
      const lines = [`${r.profile.name}: ${r.profile.description}`, `  ${r.note}`];
      const same = sameNames(name).filter((n) => n !== name);
      if (same.length) lines.push(`  same switches as: ${same.join(', ')}`);
      lines.push('');
      for (const s of r.sources) {
        const c = KERNEL_CHANGES.find((k) => k.switch === s.switch)!;
        lines.push(`  ${pad(s.switch, w)}  ${s.value ? 'on ' : 'off'}  ${s.reason}`);
        lines.push(`  ${pad('', w)}       ${c.title} (${changeSummary(c)})`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function sameNames(name: string): string[] {
  if (name.endsWith('.json')) return [];
  try {
    return sameSwitchNames(name);
  } catch {
    return [];
  }
}
