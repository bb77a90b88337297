import { expect } from 'chai';
import { join } from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import { readProblems } from '../../readers/index.ts';
import { FormatError, formatPython } from '../../lib/code/format.ts';
import type { Problem, RawSolution } from '../../lib/schemas.ts';
import { format } from '../../operators/format.ts';
import { collect, FIXTURES } from '../helpers.ts';

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
});
