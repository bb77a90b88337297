import { expect } from 'chai';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import { convertQuestion, PROMPT_FAMILIES } from '../../lib/code/prompts.ts';
import type { Problem, Target } from '../../lib/schemas.ts';
import { fim } from '../../operators/fim.ts';

const problem = {
  problem_id: 'p',
  question: 'Add two numbers.\n\n  Input: a b\n',
  starter_code: 'def add(a, b):\n',
} as Problem;
const base = { problem, problem_id: 'p', solution_index: 0, depth: 1 };
const block: Target = {
  ...base,
  target_id: 'p/0/2-3',
  kind: 'fim',
  block_type: 'for',
  start_line: 2,
  end_line: 3,
  prefix: 'n = 0\n',
  middle: '    for i in r:\n        n += i',
  suffix: '\nprint(n)\n',
};
const full: Target = {
  ...block,
  target_id: 'p/0/full',
  kind: 'full',
  block_type: 'full',
  depth: 0,
  prefix: '',
  suffix: '',
};

describe('fim', () => {
  it('Convert(q) comments non-blank lines, keeping their leading spaces, and empties blank ones', () => {
    expect(convertQuestion('Add two numbers.\n\n  Input: a b\n')).to.equal(
      '# Add two numbers.\n\n#   Input: a b\n',
    );
  });

  it('builds the Qwen2.5-Coder FIM prompt ending with the start string, and the chat prompts', async () => {
    const [t, f] = await lastValueFrom(of(block, full).pipe(fim(new RunContext()), toArray()));
    expect(t!.fim_prompt).to.equal(
      '<|fim_prefix|># Add two numbers.\n\n#   Input: a b\n\n\nn = 0\n<|fim_suffix|>\nprint(n)\n<|fim_middle|>    for',
    );
    expect(t!.gen_start).to.equal('    for');
    const chat =
      '<|im_start|>system\nYou are an intelligent programming assistant to produce Python algorithmic solutions.<|im_end|>\n' +
      '<|im_start|>user\nAdd two numbers.\n\n  Input: a b\n<|im_end|>\n<|im_start|>assistant\n```python\n';
    expect(t!.chat_prompt).to.equal(chat + 'n = 0\n');
    expect(f!.fim_prompt).to.equal('');
    expect(f!.chat_prompt).to.equal(chat + 'def add(a, b):\n');
  });

  it('uses the token set of the chosen family', async () => {
    for (const [family, open] of [
      ['starcoder', '<fim_prefix>'],
      ['deepseek', '<｜fim▁begin｜>'],
      ['codellama', '<PRE> '],
    ]) {
      const [t] = await lastValueFrom(of(block).pipe(fim(new RunContext(), { family }), toArray()));
      expect(t!.fim_prompt.startsWith(open!), family).to.equal(true);
      expect(t!.fim_prompt.endsWith('    for')).to.equal(true);
    }
    expect(Object.keys(PROMPT_FAMILIES)).to.deep.equal(['qwen', 'starcoder', 'deepseek', 'codellama']);
    expect(() => fim(new RunContext(), { family: 'gpt' })).to.throw(/unknown prompt family "gpt"/);
  });
});
