import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { passAtK } from '../../lib/code/pass-at-k.ts';
import { readManifest, shardRows } from '../../lib/manifest.ts';
import { optionHelp, parseOptions, UsageError, type OptionTable } from '../../lib/options.ts';
import type { ProblemScore } from '../../lib/schemas.ts';
import { evaluation } from '../../pipelines/eval.ts';
import { commandLog, RUN_OPTIONS, runPipeline, type RunValues } from './run.ts';

const EVAL_OPTIONS = {
  k: {
    type: 'string',
    arg: 'K,…',
    default: '1',
    affects: 'nothing',
    help: 'the pass@k to report (each k ≤ --n)',
  },
} as const satisfies OptionTable;

export const USAGE =
  'structflow eval --input DATASET --out DIR (--model-dir DIR | --generator openai …) [options]';

const table = { ...RUN_OPTIONS, ...evaluation.options, ...EVAL_OPTIONS };
export const options = () => table;

export const help = () =>
  [
    `Usage: ${USAGE}`,
    '',
    "Samples a model on a benchmark's problems (any dataset layout StructFlow reads: HumanEval, MBPP, APPS,",
    'LiveCodeBench…) with the chat prompt of the pairs, runs every sample on its tests in the sandbox, and',
    'reports pass@k with the unbiased estimator (Chen et al. 2021), overall, per difficulty and per problem, in',
    "OUT/eval.json. On HumanEval+ and MBPP+ (evalplus layout) it reports both of evalplus's columns: the",
    'original tests alone ("base") and all of them (base + plus).',
    'Units are committed as they finish: a run started again goes on where it stopped.',
    '',
    optionHelp(table),
  ].join('\n');

/** pass@k of an evaluation's rows: the mean over problems of the unbiased estimate, overall and per difficulty. */
export function summarize(rows: ProblemScore[], ks: number[]) {
  const n = Math.min(...rows.map((r) => r.n));
  const over = ks.filter((k) => k > n);
  if (over.length)
    throw new UsageError(`pass@${over[0]} needs at least ${over[0]} samples per problem: --n ${over[0]}`);
  const mean = (rs: ProblemScore[]) =>
    Object.fromEntries(
      ks.map((k) => [`pass@${k}`, rs.reduce((a, r) => a + passAtK(r.n, r.correct, k), 0) / rs.length]),
    );
  const byDifficulty: Record<string, Record<string, number> & { problems: number }> = {};
  for (const d of [...new Set(rows.map((r) => r.difficulty).filter(Boolean))].sort()) {
    const rs = rows.filter((r) => r.difficulty === d);
    byDifficulty[d] = { problems: rs.length, ...mean(rs) };
  }
  // evalplus's two columns: the original tests alone (base), and all of them (base + plus: pass@k above)
  // a shard's column is null where a problem has no split (the rows come back from Parquet)
  const baseOf = (r: ProblemScore) => (typeof r.correct_base === 'number' ? r.correct_base : undefined);
  const split = rows.filter((r) => baseOf(r) !== undefined);
  const onBase = (rs: ProblemScore[]) => mean(rs.map((r) => ({ ...r, correct: baseOf(r)! })));
  const at = (r: ProblemScore, correct: number) =>
    Object.fromEntries(ks.map((k) => [`pass@${k}`, passAtK(r.n, correct, k)]));
  return {
    problems: rows.length,
    samples_per_problem: n,
    ...mean(rows),
    ...(split.length ? { base: { problems: split.length, ...onBase(split) } } : {}),
    by_difficulty: byDifficulty,
    by_problem: Object.fromEntries(
      rows.map((r) => [
        r.problem_id,
        {
          n: r.n,
          correct: r.correct,
          ...at(r, r.correct),
          ...(baseOf(r) !== undefined ? { correct_base: baseOf(r)!, base: at(r, baseOf(r)!) } : {}),
        },
      ]),
    ),
  };
}

export async function main(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseOptions(table, argv);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const ks = v.k.split(',').map((s) => Number(s.trim()));
  if (ks.some((k) => !Number.isInteger(k) || k < 1))
    throw new UsageError(`--k must be positive integers, got "${v.k}"`);
  if (ks.some((k) => k > v.n))
    throw new UsageError(`--k ${v.k} needs --n ≥ ${Math.max(...ks)} (got --n ${v.n})`);
  const { k: _k, ...run } = v;
  await runPipeline(evaluation, run as unknown as RunValues<typeof evaluation.options>, { log: commandLog });
  const m = readManifest(v.out);
  const rows: ProblemScore[] = [];
  for await (const r of shardRows<ProblemScore>(v.out, m)) rows.push(r);
  const result = { model: v['model-dir'] ?? v.model, input: v.input, ...summarize(rows, ks) };
  writeFileSync(join(v.out, 'eval.json'), JSON.stringify(result, null, 2) + '\n');
  const pct = (v: Record<string, unknown>, k: number) => `${(100 * (v[`pass@${k}`] as number)).toFixed(1)} %`;
  const line = ks.map((k) =>
    result.base
      ? `pass@${k} ${pct(result.base, k)} base, ${pct(result, k)} base + plus`
      : `pass@${k} ${pct(result, k)}`,
  );
  process.stderr.write(
    `eval: ${rows.length} problems, ${result.samples_per_problem} sample(s) each: ${line.join(', ')} → ${join(v.out, 'eval.json')}\n`,
  );
}
