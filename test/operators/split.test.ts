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
import { collect, FIXTURES, tmp } from '../helpers.ts';

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
});
