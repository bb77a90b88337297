import { expect } from 'chai';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import type { Generator } from '../../lib/generators/types.ts';
import type { PromptedTarget } from '../../lib/schemas.ts';
import { generate } from '../../operators/generate.ts';

const STARTER = 'class Solution:\n    def twice(self, x):\n';

describe('generate', () => {
  it('a model continuing a full program after its starter code gives the whole program, starter included', async () => {
    const target = {
      problem: { problem_id: 'p', tests: { kind: 'call', fn_name: 'twice', inputs: [], outputs: [] } },
      problem_id: 'p',
      solution_index: 0,
      target_id: 'p/0/full',
      kind: 'full',
      block_type: 'full',
      depth: 0,
      start_line: 1,
      end_line: 3,
      prefix: '',
      middle: STARTER + '        return 2 * x\n',
      suffix: '',
      question: 'Double it.',
      starter_code: STARTER,
      fim_prompt: '',
      chat_prompt: 'CHAT```python\n' + STARTER,
      gen_start: '',
      prompt_family: 'qwen',
    } as unknown as PromptedTarget;
    const model: Generator = {
      name: 'model',
      model: 'm',
      continues: true,
      generate: async () => [{ text: '        return 2 * x\n```\nExplanation…', origin: 'model' }],
    };
    const [c] = await lastValueFrom(
      of(target).pipe(generate(new RunContext(), { generator: model }), toArray()),
    );
    expect(c!.candidate).to.equal(STARTER + '        return 2 * x');
  });
});
