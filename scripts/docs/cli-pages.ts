/** The CLI reference: a page per command, and an index of every command and flag. */
import { EXIT_CODES, FLAGS, formatsOf, type OutputFormat } from '../../bin/cli/args';
import { rulesOf } from '../../bin/cli/output/rules';
import { commandSpec, COMMANDS, HELP_ORDER, SARIF_COMMANDS, type Command, type ReportingCommand } from '../../bin/cli/registry';
import { CONFIG_FILE_NAME } from '../../lib/config/load';
import { SETTINGS } from '../../lib/config/settings';
import { code, page, partInclude, prose, table } from './markdown';

export interface CliFlagDoc {
  flag: string;
  /** The value it takes (`DURATION`), or none for a switch. */
  value?: string;
  help: string;
  /** The commands it applies to. */
  commands: readonly Command[];
  /** Its help on one command's page, where it means more there (lint's --database-url). */
  helpFor?: Partial<Record<Command, string>>;
  /** The project file's key that sets it too. */
  configKey?: string;
}

export interface CliCommandDoc {
  name: Command;
  usage: string;
  what: string;
  formats: readonly OutputFormat[];
  flags: CliFlagDoc[];
}

/**
 * The CLI as the reference shows it, read from the command registry
 * (bin/cli/registry.ts) and the flags (bin/cli/args.ts). Every CLI page is
 * made from this one function.
 */
export function cliRegistry(): { commands: CliCommandDoc[]; flags: CliFlagDoc[]; exitCodes: string } {
  const flags: CliFlagDoc[] = Object.entries(FLAGS).map(([flag, spec]) => {
    const configKey = SETTINGS.find((s) => s.flag === flag)?.key;
    return {
      flag,
      ...(spec.value ? { value: spec.value } : {}),
      help: spec.help,
      commands: spec.for ?? COMMANDS,
      ...(spec.helpFor ? { helpFor: spec.helpFor } : {}),
      ...(configKey ? { configKey } : {}),
    };
  });
  const commands = HELP_ORDER.map(
    (name): CliCommandDoc => ({
      name,
      usage: commandSpec(name).usage,
      what: commandSpec(name).what.replace(/\n/g, ' '),
      formats: formatsOf(name),
      flags: flags.filter((f) => f.commands.includes(name)),
    }),
  );
  return { commands, flags, exitCodes: EXIT_CODES };
}

/** The guide page that explains each command, from docs/reference/cli/. */
const GUIDES: Record<Command, [text: string, link: string]> = {
  plan: ['Online changes at production size', '../../guide/online-changes.md#plan-locks-and-table-sizes'],
  migrate: ['Migration files and directives', '../../guide/migration-files.md'],
  status: ['The CLI', '../../guide/cli.md'],
  lint: ['Lint', '../../guide/lint.md'],
  check: ['Query contracts', '../../guide/contracts.md'],
  diff: ['Drift', '../../guide/drift.md'],
  snapshot: ['Drift', '../../guide/drift.md'],
  doctor: ['Doctor', '../../guide/doctor.md'],
  guard: ['The guard', '../../guide/guard.md'],
  capture: ["Capturing the application's statements", '../../guide/capture.md'],
  new: ['Migration files and directives', '../../guide/migration-files.md'],
  baseline: ['Adopting an existing database', '../../guide/existing-database.md'],
  repair: ['Adopting an existing database', '../../guide/existing-database.md#a-file-edited-after-it-ran'],
  init: ['Configuration', '../../guide/configuration.md'],
  lsp: ['In the editor', '../../guide/editor.md'],
};

const flagText = (f: CliFlagDoc) => code(f.value ? `${f.flag} ${f.value}` : f.flag);

/** A flag's meaning (on `command`'s page, its own there), and the project file's key that sets it too. */
function flagMeaning(f: CliFlagDoc, command?: Command): string {
  const help = prose((command && f.helpFor?.[command]) || f.help);
  return f.configKey ? `${help}; ${CONFIG_FILE_NAME}: [${code(f.configKey)}](../more/configuration.md)` : help;
}

const LINT_IDS = new Set(rulesOf('lint').map((r) => r.id));

/** A rule a command reports, linked to its page where it has one (lint's and doctor's rules). */
function ruleLink(id: string, command: Command): string {
  if (LINT_IDS.has(id) && (command === 'lint' || command === 'plan')) return `[${code(id)}](../lint/${id}.md)`;
  if (command === 'doctor') return `[${code(id)}](../doctor/${id}.md)`;
  return code(id);
}

function findingsSection(command: Command): string[] {
  if (!(SARIF_COMMANDS as readonly Command[]).includes(command)) return [];
  const rules = rulesOf(command as ReportingCommand);
  return [
    '## What it reports',
    table(
      ['rule', 'severity', 'what it finds'],
      rules.map((r) => [ruleLink(r.id, command), r.severity, prose(r.title)]),
    ),
  ];
}

function commandPage(c: CliCommandDoc, order: number, exitCodes: string): string {
  return page({
    title: `schemaguard ${c.name}`,
    order,
    pageClass: 'cli-reference',
    source: '`bin/cli/registry.ts` (the commands), `bin/cli/args.ts` (their flags) and `bin/cli/output/rules.ts` (what each command reports)',
    body: [
      `# schemaguard ${c.name}`,
      `${prose(c.what.charAt(0).toUpperCase() + c.what.slice(1))}.`,
      `\`\`\`sh\nnpx schemaguard ${c.usage} [flags]\n\`\`\``,
      `Output formats (\`--format\`): ${c.formats.map((f) => code(f)).join(', ')}. Guide: [${GUIDES[c.name][0]}](${GUIDES[c.name][1]}).`,
      partInclude('cli', c.name),
      '## Flags',
      table(
        ['flag', 'meaning'],
        c.flags.map((f) => [flagText(f), flagMeaning(f, c.name)]),
      ),
      ...findingsSection(c.name),
      '## Exit codes',
      prose(exitCodes),
    ],
  });
}

function indexPage(reg: ReturnType<typeof cliRegistry>): string {
  return page({
    title: 'CLI commands',
    source: '`bin/cli/registry.ts` and `bin/cli/args.ts`',
    pageClass: 'cli-reference',
    body: [
      '# CLI commands',
      '```sh\nnpx schemaguard <command> [flags]\nnpx schemaguard help [command]\n```',
      table(
        ['command', 'what it does'],
        reg.commands.map((c) => [`[${code(c.usage)}](./${c.name}.md)`, prose(c.what)]),
      ),
      '## Every flag',
      table(
        ['flag', 'commands', 'meaning'],
        reg.flags.map((f) => [flagText(f), f.commands.length === COMMANDS.length ? 'all' : f.commands.join(', '), flagMeaning(f)]),
      ),
      '## Exit codes',
      prose(reg.exitCodes),
      `A flag given wins over the project file, ${code(CONFIG_FILE_NAME)}: [its keys](../more/configuration.md).`,
    ],
  });
}

/** The CLI pages, by path under docs/. */
export function cliPages(): Map<string, string> {
  const reg = cliRegistry();
  const pages = new Map<string, string>([['reference/cli/index.md', indexPage(reg)]]);
  for (const [k, c] of reg.commands.entries()) pages.set(`reference/cli/${c.name}.md`, commandPage(c, k + 1, reg.exitCodes));
  return pages;
}
