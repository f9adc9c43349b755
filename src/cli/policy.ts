// `ras-replay policy TRACE`: page-offline policies over the trace's corrected-error history.
import type { Command } from 'commander';
import { InputError } from '../io/errors.js';
import { formatOption, outputFormat } from './format-option.js';

const FAMILY_LIST = ['rasdaemon-page', 'rasdaemon-row', 'mcelog', 'ras-cec', 'firmware'];

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function addPolicyCommand(program: Command): void {
  program.command('policy')
    .description('replay the corrected-error history under page-offline policies (rasdaemon, mcelog, RAS_CEC, firmware, your rules): UEs prevented and pages offlined (docs/policy.md)')
    .argument('<trace>', 'trace file (.arrows, .arrow, .csv, .csv.gz)')
    .option('--family <names>', `policy families, comma-separated (default: all of ${FAMILY_LIST.join(', ')})`)
    .option('--rules <file.json>', 'user rules: { "rules": [ { "name", "threshold", "window", "granularity": "page|row|bank", "action" } ] }')
    .option('--param <family.key=value>', 'override a default (threshold, window, action), e.g. mcelog.threshold=20 (repeatable)', collect, [])
    .option('--sweep <threshold=A..B[/N]>', 'every family at each threshold from A to B (N log-spaced points; default all, at most 64)')
    .option('--address-map <file.json>', 'PA bit fields of bank and row: { "bank": { "shift", "bits" }, "row": { "shift", "bits" } }')
    .addOption(formatOption(['table', 'json', 'markdown']))
    .option('--json', 'as JSON (same as --format json)')
    .option('--markdown <file>', 'also write a Markdown table')
    .action(async (trace: string, o: { family?: string; rules?: string; param: string[]; sweep?: string; addressMap?: string; format: string; json?: boolean; markdown?: string }) => {
      const { readFileSync, existsSync } = await import('node:fs');
      const p = await import('../oracle/policy.js');
      const { runPolicies, policyJson, policyMarkdown, policyText } = await import('../oracle/policy-run.js');
      const { writeFileAtomic } = await import('../io/atomic.js');
      const readJson = (f: string, what: string): unknown => {
        if (!existsSync(f)) throw new InputError(`${f}: no such ${what} file`, f);
        try {
          return JSON.parse(readFileSync(f, 'utf8'));
        } catch (e) {
          throw new InputError(`${f}: not valid JSON: ${(e as Error).message}`, f);
        }
      };
      if (!existsSync(trace)) throw new InputError(`${trace}: no such trace file`, trace);
      let specs = p.defaultPolicies();
      if (o.family !== undefined) {
        const want = o.family.split(',').map((x) => x.trim()).filter(Boolean);
        for (const f of want) if (!FAMILY_LIST.includes(f)) throw new InputError(`--family ${JSON.stringify(f)}: expected some of ${FAMILY_LIST.join(', ')}`);
        specs = specs.filter((s) => want.includes(s.family));
      }
      if (o.rules) specs.push(...p.parseRules(readJson(o.rules, 'rules'), o.rules));
      specs = p.applyParams(specs, o.param);
      const names = new Set<string>();
      for (const s of specs) {
        if (names.has(s.name)) throw new InputError(`${o.rules ?? 'policy'}: policy name "${s.name}" given twice`);
        names.add(s.name);
      }
      if (!specs.length) throw new InputError('policy: no policy selected (--family, --rules)');
      specs = p.sweepSpecs(specs, o.sweep ? p.parseSweep(o.sweep).values : null);
      const map = o.addressMap ? p.parseAddressMap(readJson(o.addressMap, 'address map'), o.addressMap) : p.DEFAULT_ADDRESS_MAP;
      const rep = await runPolicies(trace, specs, map);
      if (o.markdown) writeFileAtomic(o.markdown, policyMarkdown(rep));
      const format = outputFormat(o);
      process.stdout.write(format === 'json' ? `${policyJson(rep)}\n` : format === 'markdown' ? policyMarkdown(rep) : policyText(rep));
    });
}
