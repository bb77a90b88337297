import { existsSync, readFileSync } from 'node:fs';
import { splitBlocks } from '../../lib/code/blocks.ts';
import { formatPython } from '../../lib/code/format.ts';
import { UsageError, type OptionTable } from '../../lib/options.ts';
import { command } from '../command.ts';

export const BLOCKS_OPTIONS = {
  format: { type: 'boolean', help: 'Black-format the file first, as the pipeline does' },
  'keep-underscore-defs': {
    type: 'boolean',
    help: 'list defs with "_" in the name too (the reference skips them)',
  },
} as const satisfies OptionTable;

/** The if/for/while/def blocks of a Python file, as the split stage finds them, one JSON line each. */
export const { USAGE, help, options, main } = command({
  usage: 'structflow blocks FILE.py [options]',
  options: BLOCKS_OPTIONS,
  positionals: 1,
  run: async (v, positionals) => {
    const [file] = positionals;
    if (!file) throw new UsageError('blocks needs a Python file');
    if (!existsSync(file)) throw new UsageError(`blocks: no such file: ${file}`);
    let code = readFileSync(file, 'utf8');
    let blocks;
    try {
      if (v.format) code = formatPython(code);
      blocks = splitBlocks(code, { skipUnderscoreDefs: !v['keep-underscore-defs'] }).blocks;
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    for (const b of blocks) process.stdout.write(JSON.stringify(b) + '\n');
  },
});
