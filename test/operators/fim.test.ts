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
  tests: { kind: 'call', fn_name: 'add', inputs: [], outputs: [] },
} as unknown as Problem;
const base = { problem, problem_id: 'p', solution_index: 0, depth: 1 };
const block: Target = {
  ...base,
  target_id: 'p/0/2-3',
  kind: 'fim',
  block_type: 'for',
  start_line: 2,
  end_line: 3,
  prefix: 'def add(a, b):\n    n = 0\n',
  middle: '    for i in r:\n        n += i',
  suffix: '\n    return n\n',
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
      '<|fim_prefix|># Add two numbers.\n\n#   Input: a b\n\ndef add(a, b):\n    n = 0\n<|fim_suffix|>\n    return n\n<|fim_middle|>    for',
    );
    expect(t!.gen_start).to.equal('    for');
    const chat = (user: string) =>
      '<|im_start|>system\nYou are an intelligent programming assistant to produce Python algorithmic solutions.<|im_end|>\n' +
      `<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n\`\`\`python\n`;
    // a block's code so far, which shows the interface, follows the fence
    expect(t!.chat_prompt).to.equal(chat('Add two numbers.\n\n  Input: a b') + 'def add(a, b):\n    n = 0\n');
    expect(f!.fim_prompt).to.equal('');
    // a whole program's interface is in the user turn: the model is told the name the tests call
    expect(f!.chat_prompt).to.equal(
      chat(
        'Add two numbers.\n\n  Input: a b\n\nUse the following starter code to write the solution:\n```python\ndef add(a, b):\n```',
      ),
    );
  });

  it('states a question that is its starter code once (HumanEval): as code, never also as comments', async () => {
    const prompt = '\n\ndef inc(x):\n    """Return x + 1."""\n';
    const he = { ...problem, question: prompt, starter_code: prompt } as Problem;
    const inner = { ...block, problem: he, prefix: 'def inc(x):\n    """Return x + 1."""\n', suffix: '' };
    const [t, f] = await lastValueFrom(
      of(inner, { ...full, problem: he }).pipe(fim(new RunContext()), toArray()),
    );
    expect(t!.fim_prompt).to.equal(
      '<|fim_prefix|>def inc(x):\n    """Return x + 1."""\n<|fim_suffix|><|fim_middle|>    for',
    );
    expect(f!.chat_prompt).to.include(
      '<|im_start|>user\nUse the following starter code to write the solution:\n```python\ndef inc(x):\n    """Return x + 1."""\n```<|im_end|>',
    );
  });

  it('a block whose code around it lacks a tested name gets the interface before the code', async () => {
    // the middle is the tested def itself: neither prefix nor suffix says `add`
    const def = {
      ...block,
      prefix: 'import math\n',
      middle: 'def add(a, b):\n    return a + b',
      suffix: '\n',
    };
    const [t] = await lastValueFrom(
      of({ ...def, block_type: 'def' as const }).pipe(fim(new RunContext()), toArray()),
    );
    const api = 'Use the following starter code to write the solution:\n```python\ndef add(a, b):\n```';
    expect(t!.fim_prompt).to.include(
      `# Add two numbers.\n\n#   Input: a b\n\n${api
        .split('\n')
        .map((l) => `# ${l}`)
        .join('\n')}\n\nimport math\n<|fim_suffix|>`,
    );
    expect(t!.chat_prompt).to.include(`Input: a b\n\n${api}<|im_end|>`);
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
