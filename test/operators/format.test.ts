import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import { readProblems } from '../../readers/index.ts';
import { FormatError, formatPython } from '../../lib/code/format.ts';
import type { Problem, RawSolution } from '../../lib/schemas.ts';
import { format } from '../../operators/format.ts';
import { DEEP_CODE } from '../deep-code.ts';
import { collect, FIXTURES, tmp } from '../helpers.ts';

describe('format', () => {
  it('formats in Black style at line length 88', () => {
    expect(formatPython("x = {'a':1,'b':[1,2,3]}\ndef f( a,b ):\n  return a+b\n")).to.equal(
      'x = {"a": 1, "b": [1, 2, 3]}\n\n\ndef f(a, b):\n    return a + b\n',
    );
    const long = `result = some_function(${Array.from({ length: 12 }, (_, i) => `argument_${i}`).join(', ')})\n`;
    const lines = formatPython(long).split('\n');
    expect(lines.length).to.be.greaterThan(2);
    expect(Math.max(...lines.map((l) => l.length))).to.be.at.most(88);
  });

  it('is idempotent on every fixture solution it can parse', async () => {
    const problems = await collect(readProblems(new RunContext(), join(FIXTURES, 'apps.jsonl')));
    let n = 0;
    for (const p of problems) {
      for (const s of p.solutions) {
        let once: string;
        try {
          once = formatPython(s);
        } catch {
          continue;
        }
        expect(formatPython(once)).to.equal(once);
        n++;
      }
    }
    expect(n).to.be.greaterThan(70);
  });

  it('rejects a Python 2 solution with the formatter message and keeps the others', async () => {
    const problem = { problem_id: 'p', solutions: [] } as unknown as Problem;
    const sols: RawSolution[] = [
      { problem, problem_id: 'p', solution_index: 0, code: 'print "hello"\n' },
      { problem, problem_id: 'p', solution_index: 1, code: 'print( "hello" )\n' },
    ];
    expect(() => formatPython(sols[0]!.code)).to.throw(FormatError, /Simple statements/);
    const ctx = new RunContext();
    const out = await lastValueFrom(of(...sols).pipe(format(ctx), toArray()));
    expect(out.map((s) => [s.solution_index, s.code])).to.deep.equal([[1, 'print("hello")\n']]);
    expect(ctx.counter('format')).to.include({ in: 2, passed: 1, rejected: 1 });
    expect(ctx.counter('format').reasons).to.deep.equal({ unparsable: 1 });
  });

  it('rejects a row that crashes the formatter as formatter_crash, and formats the rows after it as without it', async () => {
    const problems = await collect(readProblems(new RunContext(), join(FIXTURES, 'apps.jsonl')));
    const rows: RawSolution[] = problems.flatMap((p) =>
      p.solutions.map((code, solution_index) => ({
        problem: p,
        problem_id: p.problem_id,
        solution_index,
        code,
      })),
    );
    const run = async (input: RawSolution[]) => {
      const rejects = join(tmp(), 'rejects.jsonl');
      const ctx = new RunContext(rejects);
      const out = await lastValueFrom(of(...input).pipe(format(ctx), toArray()));
      ctx.close();
      const lines = readFileSync(rejects, 'utf8').trim().split('\n');
      return {
        out,
        rejects: lines.map((l) => JSON.parse(l) as { id: string; reason: string; detail: string }),
      };
    };
    const alone = await run(rows);
    expect(alone.out.length).to.be.greaterThan(70);
    const problem = { problem_id: 'deep', solutions: [] } as unknown as Problem;
    const deep = Object.entries(DEEP_CODE).map(([name, code]) => ({
      problem,
      problem_id: name,
      solution_index: 0,
      code,
    }));
    // each alone, then all in a row: an overflow that V8 stops (RangeError) leaves part of Ruff's stack taken,
    // and the next deep row or the one after traps the instance for good
    for (const hostile of [...deep.map((d) => [d]), deep]) {
      const names = hostile.map((d) => d.problem_id).join(', ');
      const { out, rejects } = await run([...hostile, ...rows]);
      expect(out, names).to.deep.equal(alone.out);
      for (const [i, d] of hostile.entries()) {
        expect(rejects[i], names).to.include({ id: `${d.problem_id}/0`, reason: 'formatter_crash' });
        // the engine's own words: V8's stack limit, or a trap of the instance (Ruff's stack overflowing its memory)
        expect(rejects[i]!.detail, names).to.match(
          /^(RangeError: Maximum call stack size exceeded|RuntimeError: )/,
        );
      }
      expect(rejects.slice(hostile.length), names).to.deep.equal(alone.rejects);
    }
  });
});
