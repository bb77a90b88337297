import { expect } from 'chai';
import fc from 'fast-check';
import { join } from 'node:path';
import { loadTokenizer } from '../../../lib/generators/onnx.ts';
import { lineRanges, maskOverlapping, tokenSpans } from '../../../lib/code/token-spans.ts';
import { FIXTURES } from '../../helpers.ts';

const tokenizer = loadTokenizer(join(FIXTURES, 'tiny-model'));

describe('token spans from decoded bytes', () => {
  it('spell the text byte for byte, each span holding the bytes of its token, in order (astral characters and special tokens too)', () => {
    const unit = fc.constantFrom(
      'a',
      'x',
      ' ',
      '\n',
      '    ',
      'def ',
      'return',
      'é',
      '😀',
      '<|fim_middle|>',
      '(',
      ')',
    );
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 40 }).map((xs) => xs.join('')),
        (text) => {
          const { ids, spans, bytes } = tokenSpans(tokenizer, text);
          expect(spans).to.have.length(ids.length);
          // the tokens spell the text byte for byte, and each token's bytes lie inside its span
          expect(Buffer.concat(bytes).toString('utf8')).to.equal(text);
          spans.forEach(([s, e], i) => {
            expect(Buffer.from(text.slice(s, e), 'utf8').includes(bytes[i]!)).to.equal(true);
            if (i > 0) expect(s).to.be.at.least(spans[i - 1]![0]);
            if (i > 0) expect(e).to.be.at.least(spans[i - 1]![1]);
          });
          if (spans.length) expect([spans[0]![0], spans.at(-1)![1]]).to.deep.equal([0, text.length]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mask exactly the tokens that overlap the given lines, newline included', () => {
    const text = 'a = 1\nb = 2\nc = 3\n';
    const { spans } = tokenSpans(tokenizer, text);
    const mask = maskOverlapping(spans, lineRanges(text, [2]));
    const masked = spans
      .filter((_, i) => mask[i])
      .map(([s, e]) => text.slice(s, e))
      .join('');
    expect(masked).to.include('b = 2');
    for (const [i, [s, e]] of spans.entries()) {
      const overlaps = s < 12 && 6 < e; // line 2 is [6, 12) with its newline
      expect(mask[i], JSON.stringify(text.slice(s, e))).to.equal(overlaps ? 1 : 0);
    }
  });
});
