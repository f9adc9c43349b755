// `ras-replay completion bash|zsh`: a completion script generated from the commander program itself
// (commands, subcommands, options, option choices), so it cannot drift from the real CLI.
import { Command, Option } from 'commander';
import { InputError } from '../io/errors.js';

interface Node { words: string[]; choices: Record<string, string[]> }

function describe(c: Command): Node {
  const words = [...c.commands.map((s) => s.name()), ...c.options.flatMap((o: Option) => [o.short, o.long].filter((x): x is string => !!x))];
  const choices: Record<string, string[]> = {};
  for (const o of c.options) {
    if (o.argChoices && o.long) choices[o.long] = o.argChoices;
  }
  return { words, choices };
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** The bash script; zsh loads it through bashcompinit. */
export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const cases: string[] = [];
  const walk = (c: Command, path: string[]) => {
    const n = describe(c);
    const key = path.join(' ');
    const choiceCases = Object.entries(n.choices).map(([opt, vs]) => `        ${q(opt)}) COMPREPLY=( $(compgen -W ${q(vs.join(' '))} -- "$cur") ); return ;;`).join('\n');
    cases.push(`    ${q(key)})
      case "$prev" in
${choiceCases}
      esac
      COMPREPLY=( $(compgen -W ${q(n.words.join(' '))} -- "$cur") )
      [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- "$cur") )
      ;;`);
    for (const s of c.commands) walk(s, [...path, s.name()]);
  };
  walk(program, []);
  const names = new Set<string>();
  const collectNames = (c: Command) => { for (const s of c.commands) { names.add(s.name()); collectNames(s); } };
  collectNames(program);
  const body = `# ras-replay ${shell} completion: source <(ras-replay completion ${shell})
_ras_replay() {
  local cur prev path w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case " ${[...names].join(' ')} " in
      *" $w "*) path="\${path:+$path }$w" ;;
    esac
  done
  case "$path" in
${cases.join('\n')}
  esac
}
complete -o default -F _ras_replay ras-replay
`;
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${body}` : body;
}

export function addCompletionCommand(program: Command): void {
  program.command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') {
        throw new InputError(`completion ${JSON.stringify(shell)}: expected bash or zsh`);
      }
      process.stdout.write(completionScript(program, shell));
    });
}
