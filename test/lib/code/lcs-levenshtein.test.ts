import { expect } from 'chai';
import fc from 'fast-check';
import { lcsLengthDP, lcsPairs, lineDiff } from '../../../lib/code/lcs.ts';
import { codePoints, levenshtein, levenshteinDP } from '../../../lib/code/levenshtein.ts';

// small alphabets make long common subsequences and many ties, the hard cases
const line = fc.constantFrom('a', 'b', 'c', '    x += 1', '', 'return y');
const lines = fc.array(line, { maxLength: 60 });
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é', '😀', '𝔸', ' ', '\n'), maxLength: 150 });

describe('LCS (Myers, linear space)', () => {
  it('has the length of the plain DP LCS, and its pairs are a common subsequence', () => {
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const pairs = lcsPairs(a, b);
        expect(pairs.length).to.equal(lcsLengthDP(a, b));
        pairs.forEach(([i, j], k) => {
          expect(a[i]).to.equal(b[j]);
          if (k > 0) {
            expect(i).to.be.greaterThan(pairs[k - 1]![0]);
            expect(j).to.be.greaterThan(pairs[k - 1]![1]);
          }
        });
      }),
      { numRuns: 500 },
    );
  });

  it('D+ and D− are exactly the lines outside one common subsequence of maximum length', () => {
    fc.assert(
      fc.property(lines, lines, (c, r) => {
        const { plus, minus } = lineDiff(c, r);
        const keptC = c.filter((_, i) => !plus.includes(i));
        const keptR = r.filter((_, i) => !minus.includes(i));
        expect(keptC).to.deep.equal(keptR); // what is left of both sides is one and the same subsequence
        expect(keptC.length).to.equal(lcsLengthDP(c, r));
      }),
      { numRuns: 500 },
    );
  });

  it('breaks ties as documented: common prefix and suffix lines are always matched', () => {
    const { plus, minus } = lineDiff(['x', 'a', 'b', 'y'], ['x', 'b', 'a', 'y']);
    expect(plus).to.have.length(1);
    expect(minus).to.have.length(1);
    expect(plus).to.not.include(0);
    expect(plus).to.not.include(3);
    expect(lineDiff(['a'], ['a'])).to.deep.equal({ plus: [], minus: [] });
    expect(lineDiff([], ['a'])).to.deep.equal({ plus: [], minus: [0] });
  });
});

describe('Levenshtein (bit-parallel, code points)', () => {
  it('equals the plain DP on random strings with astral characters, across block sizes', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(levenshtein(a, b)).to.equal(levenshteinDP(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it('counts an astral character as one edit, not two UTF-16 units', () => {
    expect(codePoints('a😀')).to.have.length(2);
    expect(levenshtein('a😀b', 'a😁b')).to.equal(1);
    expect(levenshtein('😀', '')).to.equal(1);
    expect(levenshtein('kitten', 'sitting')).to.equal(3);
    const long = 'x'.repeat(100) + 'y'.repeat(70);
    expect(levenshtein(long, long.replace('y', 'z'))).to.equal(1);
  });
});
