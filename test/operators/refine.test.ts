import { expect } from 'chai';
import { join } from 'node:path';
import { lastValueFrom, of, pipe, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import { ExecPool } from '../../lib/sandbox/pool.ts';
import { loadTokenizer } from '../../lib/generators/onnx.ts';
import type { GenerationRequest, Generator } from '../../lib/generators/types.ts';
import { PROMPT_FAMILIES } from '../../lib/code/prompts.ts';
import type { Problem } from '../../lib/schemas.ts';
import { focal } from '../../operators/focal.ts';
import { feedback, refine } from '../../operators/refine.ts';
import { FIXTURES, fullTarget } from '../helpers.ts';

const RIGHT = 'n = int(input())\ntotal = 0\nfor i in range(n):\n    total += i\nprint(total)\n';
const WRONG = RIGHT.replace('range(n)', 'range(n + 1)');
const CRASH = RIGHT.replace('int(input())', 'int(input()) // 0');
const problem = {
  problem_id: 'p',
  source: 'apps',
  question: 'Print 0 + 1 + … + (n − 1).',
  solutions: [RIGHT],
  starter_code: '',
  tests: { kind: 'stdio', inputs: ['4\n', '1\n'], outputs: ['6\n', '0\n'] },
} as unknown as Problem;
const chat = PROMPT_FAMILIES.qwen!.chat(problem.question) + '```python\n';
const target = fullTarget(problem, RIGHT, chat);

/** A model that answers with the next scripted program, as a chat model would (closing fence, end token). */
function scripted(answers: string[]) {
  const prompts: string[] = [];
  const gen: Generator = {
    name: 'scripted',
    model: 'm',
    continues: true,
    generate: async (req: GenerationRequest) => {
      prompts.push(req.prompt);
      const code = answers[Math.min(prompts.length - 1, answers.length - 1)]!;
      return [{ text: `${code}\`\`\`\n<|im_end|>trailing`, origin: 'scripted' }];
    },
  };
  return { gen, prompts };
}

describe('refine (Target-DPO with a model)', function () {
  this.timeout(60_000);
  const tokenizer = loadTokenizer(join(FIXTURES, 'tiny-model'));
  let pool: ExecPool;
  before(() => (pool = new ExecPool({ workers: 1 })));
  after(() => pool.close());

  async function run(answers: string[], rounds?: number) {
    const ctx = new RunContext();
    const { gen, prompts } = scripted(answers);
    const versions = await lastValueFrom(
      of(target).pipe(refine(ctx, { generator: gen, pool, ...(rounds ? { rounds } : {}) }), toArray()),
    );
    const pairs = await lastValueFrom(
      of(...versions).pipe(pipe(focal(ctx, { tokenizer, chosen: 'final' })), toArray()),
    );
    return { versions, pairs, prompts, reasons: ctx.counter('focal').reasons };
  }

  it('feeds each failure back until a version passes; chosen = the final version, rejected = an earlier one', async () => {
    const { versions, pairs, prompts } = await run([CRASH, WRONG, RIGHT]);
    expect(versions.map((v) => [v.candidate, v.verdict])).to.deep.equal([
      [CRASH, 'error'],
      [WRONG, 'fail'],
      [RIGHT, 'pass'],
    ]);
    expect(prompts).to.have.length(3);
    expect(prompts[0]).to.equal(chat);
    // round 2 sees round 1's program and its error, as a new user turn, and answers in a fresh code block
    expect(prompts[1]!.startsWith(chat + CRASH + '```<|im_end|>\n<|im_start|>user\n')).to.equal(true);
    expect(prompts[1]).to.include('ZeroDivisionError');
    expect(prompts[1]!.endsWith('<|im_start|>assistant\n```python\n')).to.equal(true);
    expect(prompts[2]).to.include(feedback('fail', versions[1]!.error));
    expect(prompts[2]).to.not.include('6\n0'); // the expected outputs never reach the model
    expect(pairs).to.have.length(1);
    expect(pairs[0]!.chosen_code).to.equal(RIGHT);
    expect([CRASH, WRONG]).to.include(pairs[0]!.rejected_code);
    expect(pairs[0]!.rejected_diff_lines.length).to.be.greaterThan(0);
  });

  it('stops after the round limit: five versions and no pair when none passes', async () => {
    const { versions, pairs, prompts, reasons } = await run([WRONG]);
    expect(prompts).to.have.length(5);
    expect(versions.every((v) => v.verdict === 'fail')).to.equal(true);
    expect(pairs).to.deep.equal([]);
    expect(reasons).to.deep.equal({ no_passing_version: 1 });
    expect((await run([WRONG], 2)).prompts).to.have.length(2);
  });

  it('a first version that passes gives no pair (nothing failed before it)', async () => {
    const { versions, pairs, reasons } = await run([RIGHT, WRONG]);
    expect(versions).to.have.length(1);
    expect(pairs).to.deep.equal([]);
    expect(reasons).to.deep.equal({ no_failing_variant: 1 });
  });

  it('refuses the model-free mutation generator, which has nothing to refine', () => {
    const gen = { ...scripted([]).gen, name: 'mutation', continues: false };
    expect(() => refine(new RunContext(), { generator: gen, pool })).to.throw(/model backend/);
  });
});
