import { expect } from 'chai';
import {
  countWords,
  cutLines,
  findBlocks,
  PythonSyntaxError,
  splitBlocks,
  stripComments,
} from '../../../lib/code/blocks.ts';
import { DEEP_CODE, DEEP_SYNTAX_ERRORS } from '../../deep-code.ts';

const simple = (code: string, opts = {}) =>
  findBlocks(code, opts).map((b) => `${b.type}:${b.start_line}-${b.end_line}:d${b.depth}`);

describe('blocks', () => {
  it('removes comments with the syntax tree, never a # inside a string', () => {
    const code =
      '#!/usr/bin/env python\nx = "#not" + \'#no\'  # yes\n    # indented comment\ny = f"{x}#" # z\n';
    expect(stripComments(code)).to.equal('x = "#not" + \'#no\'\ny = f"{x}#"\n');
  });

  it('treats an elif as nested in its if (depth) but never as a target', () => {
    const code = 'if a:\n    x = 1\nelif b:\n    for i in r:\n        pass\nelse:\n    if c:\n        pass\n';
    expect(simple(code)).to.deep.equal(['if:1-8:d3', 'for:4-5:d1', 'if:7-8:d1']);
  });

  it('ends a block at its last statement; while/else and for/else belong to the loop', () => {
    const code = 'while a:\n    a -= 1\nelse:\n    done()\n\n\nz = 1\n';
    expect(simple(code)).to.deep.equal(['while:1-4:d1']);
  });

  it('starts a decorated def at the def line and skips async blocks and classes', () => {
    const code =
      '@cache\ndef f(x):\n    return x\n\n\nclass A:\n    def m(self):\n        if x:\n            pass\n\n\nasync def g():\n    async for i in it:\n        if i:\n            pass\n';
    expect(simple(code)).to.deep.equal(['def:2-3:d1', 'def:7-9:d2', 'if:8-9:d1', 'if:14-15:d1']);
  });

  it('skips defs with an underscore in the name only when asked, counting them in the depth', () => {
    const code = 'def outer():\n    def _inner():\n        if x:\n            pass\n';
    expect(simple(code, { skipUnderscoreDefs: true })).to.deep.equal(['def:1-4:d3', 'if:3-4:d1']);
    expect(simple(code)).to.deep.equal(['def:1-4:d3', 'def:2-4:d2', 'if:3-4:d1']);
  });

  it('splits in one parse exactly as stripComments then findBlocks do, comments ending blocks included', () => {
    const cases = [
      // a body that ends in comments (and the blank line before them) ends at its last statement
      'def f(x):\n    if x:\n        y = 1\n\n        # trailing\n    # more\n    return x\n# end\n',
      // comments between an if's branches, inside an elif chain, at column 0 inside a body
      'if a:\n    x = 1\n# between\nelif b:  # why\n    # alone\n    for i in r:\n        pass\n# c\nelse:\n    if c:\n        pass\n    # last\n',
      // a `#` in strings, async blocks, underscore defs, no final newline
      'async def g():\n    s = "# no"\n    async for i in it:\n        if i:  # yes\n            pass\ndef _h():\n    while 1:\n        break',
      '# only comments\n\n# here\n',
    ];
    for (const code of cases)
      for (const skipUnderscoreDefs of [true, false]) {
        let stripped = stripComments(code);
        if (!stripped.endsWith('\n')) stripped += '\n';
        expect(splitBlocks(code, { skipUnderscoreDefs }), code).to.deep.equal({
          code: stripped,
          blocks: findBlocks(stripped, { skipUnderscoreDefs }),
        });
      }
    expect(
      splitBlocks('def f(x):\n    if x:\n        y = 1\n\n        # t\n').blocks.map((b) => b.end_line),
    ).to.deep.equal([3, 3]);
    expect(() => splitBlocks('def f(:\n    pass\n')).to.throw(PythonSyntaxError, /line 1/);
  });

  it('rejects code with a syntax error', () => {
    expect(() => findBlocks('def f(:\n    pass\n')).to.throw(PythonSyntaxError, /line 1/);
  });

  it('finds the syntax error at the bottom of code nested 30,000 levels deep, and parses the next code', () => {
    const ordinary = 'def f(x):\n    # c\n    if x:\n        return 1\n    return x\n';
    const before = splitBlocks(ordinary);
    for (const { name, code, column } of DEEP_SYNTAX_ERRORS) {
      // every entry point shares the parse that looks for the error
      expect(() => splitBlocks(code), name).to.throw(
        PythonSyntaxError,
        `syntax error at line 1, column ${column}`,
      );
      expect(splitBlocks(ordinary), name).to.deep.equal(before);
    }
    // deep valid code parses; blocks nested 512 levels or more are a syntax error to tree-sitter-python
    // (CPython's own limit is 100)
    for (const [name, code] of Object.entries(DEEP_CODE)) {
      if (name === 'blocks') expect(() => splitBlocks(code)).to.throw(PythonSyntaxError, /line 1, column 1$/);
      else expect(splitBlocks(code), name).to.deep.equal({ code, blocks: [] });
    }
    const ifs = (n: number) =>
      Array.from({ length: n }, (_, i) => ' '.repeat(i) + 'if x:\n').join('') + ' '.repeat(n) + 'pass\n';
    expect(findBlocks(ifs(511))[0]).to.deep.equal({ type: 'if', start_line: 1, end_line: 512, depth: 511 });
    expect(() => findBlocks(ifs(512))).to.throw(PythonSyntaxError);
  });

  it('cuts by whole lines so that prefix + middle + suffix is the code', () => {
    const code = 'a = 1\nif a:\n    b = 2\nc = 3\n';
    expect(cutLines(code, 2, 3)).to.deep.equal({
      prefix: 'a = 1\n',
      middle: 'if a:\n    b = 2',
      suffix: '\nc = 3\n',
    });
    expect(cutLines(code, 1, 1)).to.deep.equal({
      prefix: '',
      middle: 'a = 1',
      suffix: '\nif a:\n    b = 2\nc = 3\n',
    });
  });

  it("counts words as Python's str.split does", () => {
    expect(countWords('a  b\tc\n\u00a0d\x1ce')).to.equal(5);
  });
});
