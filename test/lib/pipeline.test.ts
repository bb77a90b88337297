import { expect } from 'chai';
import { compose, definePipeline, type Step } from '../../api/index.ts';
import {
  Problem,
  Target,
  formatStep,
  labelStep,
  options as O,
  split,
  type FormattedSolution,
} from '../../api/code-dpo.ts';

// Type tests: `npm run typecheck` (tsc over test/ too) fails where a @ts-expect-error below finds no error,
// that is, where definePipeline stopped refusing steps that do not chain.

const OPTIONS = { ...O.FORMAT_OPTIONS, ...O.SANDBOX_OPTIONS, ...O.GENERATION_OPTIONS };
const keep: Step<Problem, Problem> = { name: 'keep', output: Problem, op: () => (x) => x };

const inOrder = definePipeline({
  name: 'in-order',
  summary: 'format, label, split',
  options: OPTIONS,
  steps: (cfg) => ({
    steps: [
      keep,
      formatStep(cfg),
      labelStep(cfg),
      { name: 'split', output: Target, op: (ctx) => split(ctx) },
    ],
  }),
});

// issue 40's case: split before format compiled, then rejected every record at run time (split: invalid_input)
// @ts-expect-error steps_do_not_chain: split takes formatted solutions, keep emits problems
const splitFirst = definePipeline({
  name: 'split-first',
  summary: 'split before format',
  options: OPTIONS,
  steps: (cfg) => ({
    steps: [
      keep,
      { name: 'split', output: Target, op: (ctx) => split(ctx) },
      formatStep(cfg),
      labelStep(cfg),
    ],
  }),
});

// a final step that does not take what the last step emits
// @ts-expect-error steps_do_not_chain: the final step takes targets, format emits formatted solutions
const wrongFinal = definePipeline({
  name: 'wrong-final',
  summary: 'a final step of targets after format',
  options: OPTIONS,
  steps: (cfg) => ({
    steps: [formatStep(cfg)],
    final: { name: 'ids', output: Target, run: (_ctx, targets: AsyncIterable<Target>) => targets },
  }),
});

// an optional step ([] | [step]) is checked in both forms: present, and left out
const optional = (on: boolean): [] | [Step<FormattedSolution, FormattedSolution>] => (on ? [] : []);
// @ts-expect-error steps_do_not_chain: without the optional step, label gets the problems of keep
const optionalGap = definePipeline({
  name: 'optional-gap',
  summary: 'an optional step that alone would chain',
  options: OPTIONS,
  steps: (cfg) => ({ steps: [keep, ...optional(true), labelStep(cfg)] }),
});

describe('definePipeline: steps typed end to end', () => {
  it('a pipeline whose steps chain is declared as written (the mis-ordered ones above do not compile)', () => {
    expect(compose(inOrder).names).to.deep.equal(['keep', 'format', 'label', 'split']);
    for (const p of [splitFirst, wrongFinal, optionalGap]) expect(p.name).to.be.a('string');
  });
});
