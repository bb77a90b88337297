import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { formatPython } from '../../lib/code/format.ts';
import { RunContext } from '../../lib/context.ts';
import type { FormattedSolution, Problem } from '../../lib/schemas.ts';
import { split } from '../../operators/split.ts';
import { readProblems } from '../../readers/index.ts';
import { DEEP_CODE, DEEP_SYNTAX_ERRORS } from '../deep-code.ts';
import { collect, FIXTURES, stubProblem, tmp } from '../helpers.ts';

describe('split', () => {
  it('splits the rows after code nested thousands of levels deep as without it', async () => {
    const problems = await collect(readProblems(new RunContext(), join(FIXTURES, 'apps.jsonl')));
    const rows: FormattedSolution[] = problems.flatMap((p) =>
      p.solutions.flatMap((raw, solution_index) => {
        let code: string;
        try {
          code = formatPython(raw);
        } catch {
          return [];
        }
        return [{ problem: p, problem_id: p.problem_id, solution_index, code, formatted: true as const }];
      }),
    );
    const run = async (input: FormattedSolution[]) => {
      const rejects = join(tmp(), 'rejects.jsonl');
      const ctx = new RunContext(rejects);
      const out = await lastValueFrom(of(...input).pipe(split(ctx), toArray()));
      ctx.close();
      const lines = readFileSync(rejects, 'utf8').split('\n').filter(Boolean);
      return {
        out,
        rejects: lines.map((l) => JSON.parse(l) as { id: string; reason: string; detail: string }),
      };
    };
    const alone = await run(rows);
    expect(alone.out.length).to.be.greaterThan(100);

    const problem = { problem_id: 'deep', solutions: [] } as unknown as Problem;
    const row = (problem_id: string, code: string) => ({
      problem,
      problem_id,
      solution_index: 0,
      code,
      formatted: true as const,
    });
    const valid = Object.entries(DEEP_CODE).filter(([name]) => name !== 'blocks');
    const hostile = [
      ...valid.map(([name, code]) => row(name, code)),
      row('blocks', DEEP_CODE.blocks!), // 1,200 levels: past tree-sitter-python's 511
      ...DEEP_SYNTAX_ERRORS.map((e) => row(`error-${e.name}`, e.code)),
    ];
    const { out, rejects } = await run([...hostile, ...rows]);
    // deep valid code gives its problem's whole-program target; the others are syntax errors where they are
    expect(out.slice(0, valid.length).map((t) => [t.target_id, t.middle])).to.deep.equal(
      valid.map(([name, code]) => [`${name}/0/full`, code]),
    );
    expect(out.slice(valid.length)).to.deep.equal(alone.out);
    expect(rejects.slice(0, 1 + DEEP_SYNTAX_ERRORS.length)).to.deep.equal([
      { stage: 'split', id: 'blocks/0', reason: 'syntax_error', detail: 'syntax error at line 1, column 1' },
      ...DEEP_SYNTAX_ERRORS.map((e) => ({
        stage: 'split',
        id: `error-${e.name}/0`,
        reason: 'syntax_error',
        detail: `syntax error at line 1, column ${e.column}`,
      })),
    ]);
    expect(rejects.slice(1 + DEEP_SYNTAX_ERRORS.length)).to.deep.equal(alone.rejects);
  });

  it('makes no hole whose middle the prompt already shows: starter-code comment, question, given code', async () => {
    const solution = [
      'class ListNode:',
      '    def __init__(self, val=0, next=None):',
      '        self.val = val',
      '        self.next = next',
      '',
      '',
      'def total(head):',
      '    s = 0',
      '    while head:',
      '        s += head.val',
      '        head = head.next',
      '    if s < 0:',
      '        return 0',
      '    return s',
      '',
    ].join('\n');
    const problem = {
      ...stubProblem(),
      // LeetCode's starter code shows the node class as comments; the question quotes the clamp
      starter_code:
        '# Definition for singly-linked list.\n# class ListNode:\n#     def __init__(self, val=0, next=None):\n' +
        '#         self.val = val\n#         self.next = next\ndef total(head):\n    ',
      question: 'Sum a list; a negative sum counts as zero:\n\n    if s < 0:\n        return 0\n',
    };
    const ctx = new RunContext();
    const row = { problem, problem_id: 'p', solution_index: 0, code: solution, formatted: true as const };
    // `__init__` is a target when underscore defs are kept (--keep-underscore-defs)
    const out = await lastValueFrom(of(row).pipe(split(ctx, { skipUnderscoreDefs: false }), toArray()));
    const middles = out.filter((t) => t.kind === 'fim').map((t) => t.middle.trim().split('\n')[0]);
    // the class's __init__ and the quoted `if` are shown; the function and its loop are the model's to write
    expect(middles).to.deep.equal(['def total(head):', 'while head:']);
    expect(ctx.counter('split').stats).to.include({ blocks_shown_in_prompt: 2 });
    // code the task gives is shown too: a solution repeating it is no hole either
    const given = { ...problem, starter_code: '', question: 'Q', given: solution };
    const again = await lastValueFrom(
      of({ ...row, problem: given }).pipe(split(new RunContext()), toArray()),
    );
    expect(again.map((t) => t.kind)).to.deep.equal(['full']);
  });
});
