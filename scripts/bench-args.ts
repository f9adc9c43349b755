// The command line of the bench scripts: `--help` prints the script's leading comment (its usage)
// and exits 0; an option the script does not take, or one without its value, is refused with one
// line and exit 2, before anything runs (a typo such as `--event` must not start a run of hours on
// the defaults).
import { readFileSync } from 'node:fs';

/** Every option of these scripts takes a value: `--name value`. */
export function checkBenchArgs(script: string, command: string, options: readonly string[], argv: readonly string[] = process.argv.slice(2)): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    const usage: string[] = [];
    for (const l of readFileSync(script, 'utf8').split('\n')) {
      if (!l.startsWith('//')) break;
      usage.push(l.replace(/^\/\/ ?/, ''));
    }
    process.stdout.write(`${usage.join('\n')}\n`);
    process.exit(0);
  }
  const fail = (msg: string): never => {
    process.stderr.write(`${command}: ${msg}\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || !options.includes(a.slice(2))) fail(`${JSON.stringify(a)}: expected one of ${options.map((o) => `--${o}`).join(', ')} (or --help)`);
    if (i + 1 >= argv.length || argv[i + 1]!.startsWith('--')) fail(`${a}: expected a value after it`);
    i++;
  }
}
