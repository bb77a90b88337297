import { expect } from 'chai';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { FormatError, FormatterCrash, formatPython } from '../../../lib/code/format.ts';
import { RunContext } from '../../../lib/context.ts';
import { readProblems } from '../../../readers/index.ts';
import { DEEP_CODE } from '../../deep-code.ts';
import { collect, FIXTURES } from '../../helpers.ts';

describe('formatPython', () => {
  it('throws FormatterCrash on code nested too deep for Ruff, and formats the next code as before, byte for byte', async () => {
    const problems = await collect(readProblems(new RunContext(), join(FIXTURES, 'apps.jsonl')));
    const ordinary = problems.flatMap((p) => p.solutions);
    // two line lengths: two workspaces of the broken instance to drop
    const formatAll = () =>
      [88, 40].map((lineLength) =>
        ordinary.map((code) => {
          try {
            return formatPython(code, lineLength);
          } catch (err) {
            expect(err).to.be.instanceOf(FormatError);
            return `unparsable: ${(err as Error).message}`;
          }
        }),
      );
    const before = formatAll();
    // another user of the package holds the copy that is about to break (and its finalizer with it)
    const held: unknown = createRequire(import.meta.url)('@astral-sh/ruff-wasm-nodejs');
    expect(before[0]!.filter((f) => !f.startsWith('unparsable')).length).to.be.greaterThan(70);
    for (const [name, code] of Object.entries(DEEP_CODE)) {
      expect(() => formatPython(code), name).to.throw(FormatterCrash, /^(RangeError|RuntimeError): /);
      expect(formatAll(), name).to.deep.equal(before);
    }
    // a dropped workspace left to its module's finalizer would trap there at some garbage collection: an
    // uncaught error that ends the process (under mocha, fails the test)
    globalThis.gc?.();
    await setTimeout(100);
    expect(held).to.be.an('object');
  });
});
