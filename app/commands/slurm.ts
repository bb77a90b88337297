import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { optionHelp, parseOptions, type OptionTable, type OptionValues } from '../../lib/options.ts';
import { ROOT } from '../../lib/root.ts';
import { claimOutput } from '../../lib/runner.ts';
import { PIPELINES } from '../../pipelines/index.ts';
import { isModulePath, loadPipeline } from '../pipeline-module.ts';
import { RUN_OPTIONS } from './run.ts';

export const SLURM_OPTIONS = {
  ranks: { type: 'int', required: true, help: 'ranks: array tasks, each a --rank of --world N' },
  sbatch: {
    type: 'string',
    arg: 'OPTS',
    help: 'sbatch options of the ranks, as one argument: --sbatch="--partition=cpu --cpus-per-task=16"',
  },
  'merge-sbatch': { type: 'string', arg: 'OPTS', help: 'sbatch options of the merge job' },
  'dry-run': { type: 'boolean', help: 'write the job scripts under OUT/slurm/ and submit nothing' },
} as const satisfies OptionTable;

export const USAGE =
  'structflow slurm PIPELINE --input PATH --out DIR --ranks N [--sbatch OPTS] [run options]';

export const help = () =>
  [
    `Usage: ${USAGE}`,
    '',
    "Submits the ranks as Slurm job arrays (split where N exceeds the cluster's MaxArraySize) and the merge",
    'as a job that runs after all of them succeed (--dependency=afterok). The ranks write DIR/ranks/rank-R,',
    'the merge DIR itself. Every option of `structflow run` applies to the ranks.',
    '',
    optionHelp(SLURM_OPTIONS),
  ].join('\n');

/** The flags this command keeps for itself or sets for every rank, with whether they take a value. */
const NOT_FORWARDED: Record<string, boolean> = {
  ranks: true,
  sbatch: true,
  'merge-sbatch': true,
  'dry-run': false,
  out: true,
  rank: true,
  world: true,
  until: true,
  quiet: false,
};

/** The run options of the command line, less the ones each rank gets from this command. */
function forwarded(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') ? a.slice(2).split(/=(.*)/s) : [undefined, undefined];
    if (flag !== undefined && flag in NOT_FORWARDED) {
      if (NOT_FORWARDED[flag] && inline === undefined) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const words = (s: string | undefined) => (s ? s.split(/\s+/).filter(Boolean) : []);

/** The cluster's MaxArraySize: array indices run from 0 to that minus one. */
function maxArraySize(): number {
  try {
    const conf = execFileSync('scontrol', ['show', 'config'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const m = /^MaxArraySize\s*=\s*(\d+)/m.exec(conf);
    return m ? Number(m[1]) : 1001;
  } catch {
    return 1001;
  }
}

function submit(args: string[]): string {
  return execFileSync('sbatch', ['--parsable', ...args], { encoding: 'utf8' })
    .trim()
    .split(';')[0]!;
}

export const options = (argv: string[]) => ({
  ...SLURM_OPTIONS,
  ...RUN_OPTIONS,
  ...(PIPELINES[argv[0] ?? '']?.options ?? {}),
});

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const pipeline = await loadPipeline(name);
  const parsed = parseOptions({ ...SLURM_OPTIONS, ...RUN_OPTIONS, ...pipeline.options }, rest).values;
  const v = parsed as unknown as OptionValues<typeof SLURM_OPTIONS & typeof RUN_OPTIONS>;
  const { steps } = pipeline.steps(parsed);
  const last = steps[steps.length - 1]!.name; // the ranks stop before the final step, which the merge runs
  const out = resolve(v.out);
  const n = v.ranks;
  const dir = join(out, 'slurm');
  claimOutput(out); // the merge writes there
  mkdirSync(dir, { recursive: true });
  const cli = join(ROOT, 'bin', 'structflow.js');
  // a module is named by its absolute path: the ranks may start elsewhere
  const runArgs = ['run', isModulePath(name!) ? resolve(name!) : name!, ...forwarded(rest)].map(sh).join(' ');
  const max = maxArraySize();
  const arrays: { file: string; offset: number; count: number }[] = [];
  for (let offset = 0, k = 0; offset < n; offset += max, k++) {
    const count = Math.min(max, n - offset);
    const file = join(dir, `ranks-${k}.sbatch`);
    writeFileSync(
      file,
      [
        '#!/bin/bash',
        `#SBATCH --job-name=structflow-ranks-${k}`,
        `#SBATCH --array=0-${count - 1}`,
        `#SBATCH --output=${join(dir, `ranks-${k}-%a.log`)}`,
        `# ranks ${offset}..${offset + count - 1} of ${n}; rank R again, alone: sbatch --array=$((R - ${offset})) ${file}`,
        'set -euo pipefail',
        `RANK=$((SLURM_ARRAY_TASK_ID + ${offset}))`,
        `exec node ${sh(cli)} ${runArgs} --out ${sh(out)}/ranks/rank-$RANK --rank $RANK --world ${n} --until ${last} --quiet`,
        '',
      ].join('\n'),
    );
    arrays.push({ file, offset, count });
  }
  const inputs = Array.from({ length: n }, (_, r) => join(out, 'ranks', `rank-${r}`)).join(',');
  const finalArgs = (['epochs', 'rows-per-shard', 'sort-run-size'] as const)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .map((k) => `--${k} ${String((v as Record<string, unknown>)[k])}`)
    .join(' ');
  const mergeFile = join(dir, 'merge.sbatch');
  writeFileSync(
    mergeFile,
    [
      '#!/bin/bash',
      '#SBATCH --job-name=structflow-merge',
      `#SBATCH --output=${join(dir, 'merge.log')}`,
      'set -euo pipefail',
      `exec node ${sh(cli)} merge --inputs ${sh(inputs)} --out ${sh(out)} ${finalArgs}`,
      '',
    ].join('\n'),
  );
  if (v['dry-run']) {
    process.stdout.write(`job scripts in ${dir}: ${arrays.map((a) => a.file).join(', ')}, ${mergeFile}\n`);
    return;
  }
  const ids = arrays.map((a) => submit([...words(v.sbatch), a.file]));
  const merge = submit([`--dependency=afterok:${ids.join(':')}`, ...words(v['merge-sbatch']), mergeFile]);
  arrays.forEach((a, i) =>
    process.stdout.write(`ranks ${a.offset}-${a.offset + a.count - 1}: job ${ids[i]} (${a.file})\n`),
  );
  process.stdout.write(`merge: job ${merge}, after the ranks succeed → ${join(out, 'manifest.json')}\n`);
  process.stdout.write(`${ids.join(' ')} ${merge}\n`);
}
