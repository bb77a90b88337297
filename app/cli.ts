import { UsageError, fitWidth, type OptionTable } from '../lib/options.ts';
import { didYouMean, type CommandModule } from './command.ts';

/** "did you mean --epochs?" for an unknown option, from the command's table. */
function suggestion(message: string, table: OptionTable): string {
  const unknown = /unknown option --(\S+)\./.exec(message)?.[1];
  return unknown ? didYouMean(unknown, Object.keys(table), '--') : '';
}

/** Node's parse errors in the words of the project's own (`--x must be…`), not `Option '--out <value>'…`. */
function plainParseError(message: string): string {
  return message
    .replace(/^Unknown option '(--[^']+)'\.?/, 'unknown option $1.')
    .replace(/^Option '(--[\w-]+)(?: <value>)?' argument missing/, '$1 needs a value')
    .replace(/^Option '(--[\w-]+)' does not take an argument/, '$1 takes no value');
}

// Each command's module (and what it loads: the sandbox, tree-sitter, onnxruntime…) is imported only
// when that command runs, so `structflow help` starts in a fraction of a second.
const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  run: {
    summary: 'run a pipeline on a dataset into sharded Parquet',
    load: () => import('./commands/run.ts'),
  },
  slurm: {
    summary: 'submit a run to Slurm: the ranks as job arrays, then the merge',
    load: () => import('./commands/slurm.ts'),
  },
  merge: {
    summary: "combine the ranks' outputs of a run into one",
    load: () => import('./commands/merge.ts'),
  },
  eval: {
    summary: "measure a model: pass@k on a benchmark's problems, run in the sandbox",
    load: () => import('./commands/eval.ts'),
  },
  train: {
    summary: 'train on the shards in curriculum order (DPO, Target-DPO, Target-RPO)',
    load: () => import('./commands/train.ts'),
  },
  'ref-logps': {
    summary: 'add reference log-probs to the shards',
    load: () => import('./commands/ref-logps.ts'),
  },
  doctor: {
    summary: 'check that this machine has what the commands need',
    load: () => import('./commands/doctor.ts'),
  },
  blocks: {
    summary: 'list the if/for/while/def blocks of a Python file',
    load: () => import('./commands/blocks.ts'),
  },
};

const OVERVIEW = `structflow — streaming dataflow for code-LLM preference data

Usage: structflow COMMAND [options]     (structflow COMMAND --help for its options)

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`)
  .join('\n')}
  help        this text
`;

/** Runs one command line; the exit status: 0 done, 1 failed, 2 a usage mistake. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const about = cmd === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(
      fitWidth(about ? (await (await about.load()).help(rest.slice(1))) + '\n' : OVERVIEW),
    );
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    const hint = didYouMean(cmd, Object.keys(COMMANDS));
    process.stderr.write(
      `structflow: unknown command "${cmd}".${hint}\nusage: structflow COMMAND [options]  (structflow help for the commands)\n`,
    );
    return 2;
  }
  const mod = await command.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(fitWidth((await mod.help(rest)) + '\n'));
    return 0;
  }
  try {
    await mod.main(rest);
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    // Node's parse errors add advice (on placing positionals that start with '-' after '--') to the
    // reason: a misspelt option is far likelier, so only the reason is kept; the usage line follows
    const message = plainParseError(
      (err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '.'),
    );
    const hint = usage ? suggestion(message, mod.options(rest)) : '';
    process.stderr.write(`structflow: ${message}${hint}\n`);
    if (usage) process.stderr.write(`usage: ${mod.USAGE}  (structflow ${cmd} --help for the options)\n`);
    return usage ? 2 : 1;
  }
}
