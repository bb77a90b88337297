import { UsageError, type OptionTable } from '../../lib/options.ts';
import { requireBwrap, resolveSandboxPython, sandboxSite } from '../../lib/sandbox/bwrap.ts';
import { torchPython } from '../../lib/train/trainer.ts';
import { command } from '../command.ts';

/** What each command needs of the machine: a name, and a check that throws with the install command. */
const NEEDS: Record<string, [string, () => string][]> = {
  run: [
    ['bubblewrap (the sandbox)', () => requireBwrap()],
    ['a Python for the sandboxed programs', () => resolveSandboxPython()],
    ["the sandboxed programs' packages", () => sandboxSite()],
  ],
  train: [['PyTorch ≥ 2.6, transformers, matplotlib (the trainer worker)', () => torchPython()]],
};

const OPTIONS = {} as const satisfies OptionTable;

/** Checks, before anything long starts, that the machine has what the named commands need. */
export const { USAGE, help, options, main } = command({
  usage: `structflow doctor [${Object.keys(NEEDS).join('] [')}]`,
  about: [
    'Checks what the named commands (default: all) need of this machine, with the command that installs what is missing.',
  ],
  options: OPTIONS,
  positionals: Object.keys(NEEDS).length,
  run: async (_v, positionals) => {
    const names = positionals.length ? positionals : Object.keys(NEEDS);
    const unknown = names.find((n) => !NEEDS[n]);
    if (unknown) throw new UsageError(`doctor knows ${Object.keys(NEEDS).join(', ')}, not "${unknown}"`);
    const missing: string[] = [];
    for (const name of names) {
      for (const [what, check] of NEEDS[name]!) {
        try {
          process.stderr.write(`ok       ${name}: ${what}: ${check()}\n`);
        } catch (err) {
          missing.push(`${name}: ${what}: ${(err as Error).message}`);
          process.stderr.write(`missing  ${name}: ${what}: ${(err as Error).message}\n`);
        }
      }
    }
    if (missing.length) throw new Error(`${missing.length} thing(s) missing, see above`);
  },
});
