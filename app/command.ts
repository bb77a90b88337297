import { levenshtein } from '../lib/code/levenshtein.ts';
import { optionHelp, parseOptions, UsageError, type OptionTable, type OptionValues } from '../lib/options.ts';

/** " Did you mean X?" for a mistyped name: the closest of `known`, if at most 3 edits away; else ''. */
export function didYouMean(word: string, known: readonly string[], prefix = ''): string {
  const [best] = known
    .map((k) => [k, levenshtein(word, k)] as const)
    .filter(([, d]) => d <= 3)
    .sort((a, b) => a[1] - b[1]);
  return best ? ` Did you mean ${prefix}${best[0]}?` : '';
}

/** What app/cli.ts needs of a command module. */
export interface CommandModule {
  USAGE: string;
  help: (argv: string[]) => string | Promise<string>;
  main: (argv: string[]) => Promise<void>;
  /** The options the command line can take (for "did you mean"). */
  options: (argv: string[]) => OptionTable;
}

/**
 * A command with a fixed option table: its usage line, `--help` from the table, parsing, and the check
 * that no argument is left over (`positionals`: how many plain arguments it takes).
 */
export function command<T extends OptionTable>(c: {
  usage: string;
  about?: string[];
  options: T;
  positionals?: number;
  run: (values: OptionValues<T>, positionals: string[]) => Promise<void>;
}): CommandModule {
  return {
    USAGE: c.usage,
    help: () =>
      [`Usage: ${c.usage}`, ...(c.about ? ['', ...c.about] : []), '', optionHelp(c.options)].join('\n'),
    options: () => c.options,
    main: async (argv) => {
      const { values, positionals } = parseOptions(c.options, argv);
      const extra = positionals[c.positionals ?? 0];
      if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
      await c.run(values, positionals);
    },
  };
}
