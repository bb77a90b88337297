import { expect } from 'chai';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import type { Generator } from '../../lib/generators/types.ts';
import type { Problem } from '../../lib/schemas.ts';
import { fullTarget } from '../helpers.ts';
import { generate } from '../../operators/generate.ts';

const STARTER = 'class Solution:\n    def twice(self, x):\n';

describe('generate', () => {
  it('a model answering a full target writes the whole program after the opened fence; it ends at the closing fence', async () => {
    const problem = {
      problem_id: 'p',
      question: 'Double it.',
      starter_code: STARTER,
      tests: { kind: 'call', fn_name: 'twice', inputs: [], outputs: [] },
    } as unknown as Problem;
    const target = fullTarget(problem, STARTER + '        return 2 * x\n', 'CHAT```python\n');
    const model: Generator = {
      name: 'model',
      model: 'm',
      continues: true,
      generate: async () => [{ text: STARTER + '        return 2 * x\n```\nExplanation…', origin: 'model' }],
    };
    const [c] = await lastValueFrom(
      of(target).pipe(generate(new RunContext(), { generator: model }), toArray()),
    );
    expect(c!.candidate).to.equal(STARTER + '        return 2 * x');
  });
});
