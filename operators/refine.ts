import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import type { ExecPool } from '../lib/sandbox/pool.ts';
import { fullProgram } from '../lib/generators/postprocess.ts';
import { DEFAULT_PARAMS, type GenerationParams, type Generator } from '../lib/generators/types.ts';
import { runnable } from '../lib/code/given.ts';
import { promptFamily } from '../lib/code/prompts.ts';
import { CheckedCandidate, PromptedTarget } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';
import { bookRun } from '../lib/sandbox/book.ts';

/** Options of `refine`. */
export interface RefineOptions {
  /** A model backend (it continues prompts); the mutation generator has nothing to refine. */
  generator: Generator;
  pool: ExecPool;
  /** Sampling parameters (one candidate per round whatever `n` says). */
  params?: Partial<GenerationParams>;
  /** Versions at most, the first included. Default 5. */
  rounds?: number;
}

/** Versions per refinement chain at most (docs/method.md, Pairs, curriculum and Target-DPO). */
export const DEFAULT_ROUNDS = 5;

/** What the model is told of a failed version: the verdict and the first error, never the expected output. */
export function feedback(verdict: string, error: string): string {
  const what = verdict === 'fail' ? 'gave a wrong answer' : `failed (${verdict})`;
  return (
    `The program ${what} on the tests${error ? `: ${error}` : ''}. ` +
    'Fix it and give the whole corrected program.'
  );
}

/**
 * Iterative refinement (how Target-DPO gets pairs from an LLM): the model writes a program for the problem,
 * the sandbox runs it, and while it fails the verdict and error go back to the model as a new user turn, for
 * at most `rounds` versions. Every version goes out as a checked candidate (`candidate_index` = round − 1),
 * so `focal` can pair the final passing version with an earlier failing one.
 *
 * @example
 * pipe(fim(ctx), refine(ctx, { generator: openai, pool }), focal(ctx, { tokenizer, chosen: 'final' }))
 */
export function refine(
  ctx: RunContext,
  opts: RefineOptions,
): OperatorFunction<PromptedTarget, CheckedCandidate> {
  const params = { ...DEFAULT_PARAMS, ...opts.params, n: 1 };
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  const gen = opts.generator;
  if (!gen.continues)
    throw new Error(`refine needs a model backend (--generator openai|onnx), not "${gen.name}"`);
  return stage(
    ctx,
    {
      name: 'refine',
      input: PromptedTarget,
      output: CheckedCandidate,
      id: (t) => t.target_id,
      concurrency: 4,
    },
    (stats) => async (t) => {
      if (t.kind !== 'full') throw new Rejected('not_full_program', 'refinement works on whole programs');
      const family = promptFamily(t.prompt_family);
      const versions: CheckedCandidate[] = [];
      let prompt = t.chat_prompt;
      for (let round = 1; round <= rounds; round++) {
        const [g] = await gen.generate({
          prompt,
          start: '',
          params: { ...params, stop: [...params.stop] },
          target: t,
        });
        if (!g) throw new Rejected('no_candidates', `${gen.name} produced nothing in round ${round}`);
        const body = fullProgram(g.text, params.stop);
        const code = body.endsWith('\n') ? body : body + '\n'; // the fence took the last newline
        const r = await opts.pool.run({
          id: `${t.target_id}#${round - 1}`,
          code: runnable(t.problem, code),
          tests: t.problem.tests,
        });
        stats.stat(`verdict_${r.verdict}`);
        bookRun(stats, t.problem.source, r);
        versions.push({
          ...t,
          candidate_index: round - 1,
          candidate: code,
          generator: gen.name,
          origin: `${g.origin} round ${round}`,
          verdict: r.verdict,
          error: r.error ?? '',
          passed_tests: r.tests.filter((x) => x.verdict === 'pass').length,
        });
        if (r.verdict === 'pass') break;
        prompt += family.followUp(code, feedback(r.verdict, r.error ?? '')) + '```python\n' + t.starter_code;
      }
      stats.observe('versions', versions.length);
      return versions;
    },
  );
}
