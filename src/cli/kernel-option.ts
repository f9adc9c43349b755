// `--kernel "$(uname -r)"`: the release profile of a running kernel, on every command that takes a
// profile. A version with a build suffix (a distribution or local build) gets a warning on stderr:
// such a kernel may carry backports the table does not know, and a profile file can state them.
import { InputError } from '../io/errors.js';
import { KernelVersionError, parseUnameRelease, versionName } from '../model/kernel-changes.js';

export const KERNEL_OPTION_HELP = 'the profile of a running kernel, as uname -r prints it (6.6.47, 6.12.9-200.fc41.x86_64)';

/** The profile name for what `uname -r` printed; warns (through `warn`) about a build suffix. */
export function kernelProfileName(uname: string, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  let r;
  try {
    r = parseUnameRelease(uname);
  } catch (e) {
    if (e instanceof KernelVersionError) throw new InputError(e.message, undefined, undefined, undefined, { cause: e });
    throw e;
  }
  const name = versionName(r.version);
  if (r.suffix) {
    warn(`ras-replay: warning: --kernel ${uname}: replayed as ${name} (mainline ${r.base} with the stable backports the table knows); `
      + `a distribution kernel may carry other backports: state them in a profile file, e.g. {"extends": "${name}", "switches": {"ghes_sync_ar": true}}, `
      + `and pass it with -p (ras-replay profiles show ${name} lists the switches)`);
  }
  return name;
}
