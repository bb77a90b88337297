import { expect } from 'chai';
import { cutAtFence, cutAtStop, keepOneBlock } from '../../../lib/generators/postprocess.ts';

describe('post-processing of generated candidates', () => {
  it('keeps one block: deeper lines and blank lines inside, stops at the first line back at the block indent', () => {
    const text = '    for i in r:\n        a += i\n\n        b += 1\n    print(a)\nmore()\n';
    expect(keepOneBlock(text, 'for')).to.equal('    for i in r:\n        a += i\n\n        b += 1');
  });

  it('keeps same-indent elif/else lines of an if, but not of a loop', () => {
    const text = 'if a:\n    x()\nelif b:\n    y()\nelse:\n    z()\nw()\n';
    expect(keepOneBlock(text, 'if')).to.equal('if a:\n    x()\nelif b:\n    y()\nelse:\n    z()');
    expect(keepOneBlock('while a:\n    x()\nelse:\n    y()\n', 'while')).to.equal('while a:\n    x()');
    expect(keepOneBlock('if a:\n    x()\nelsewhere = 1\n', 'if')).to.equal('if a:\n    x()');
  });

  it('cuts a chat answer at its closing fence and any text at its first stop string', () => {
    expect(cutAtFence('print(1)\n```\nExplanation')).to.equal('print(1)');
    expect(cutAtStop('x = 1<|endoftext|>junk<|im_end|>', ['<|im_end|>', '<|endoftext|>'])).to.equal('x = 1');
  });
});
