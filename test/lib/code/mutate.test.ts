import { expect } from 'chai';
import { mutateInputs, mutateValue } from '../../../lib/code/mutate.ts';
import { JsonFloat, parseJson } from '../../../lib/json.ts';
import { prng } from '../../../lib/random.ts';

describe('mutateInputs: type-aware mutation of call inputs (--extra-tests)', () => {
  const seeds = ['[[1, 2, 3], 4]', '["abc", 2.5]', '[{"t": [1, "x"]}, true]'];

  it('is deterministic for its seed, and another seed gives other inputs', () => {
    const a = mutateInputs(seeds, 40, 7);
    expect(a).to.deep.equal(mutateInputs(seeds, 40, 7));
    expect(a).to.have.length(40);
    expect(mutateInputs(seeds, 40, 8)).to.not.deep.equal(a);
  });

  it('makes new inputs only: none equal to a given one or to another', () => {
    const a = mutateInputs(seeds, 60, 1);
    expect(new Set(a).size).to.equal(a.length);
    for (const s of seeds) expect(a).to.not.include(s);
  });

  it('keeps each argument its type: ints stay ints, floats floats (2.0, not 2), tuples keep their length', () => {
    for (const text of mutateInputs(['[5, 1.5, {"t": [1, 2]}, "ab"]'], 200, 3)) {
      const [i, f, t, s] = parseJson(text) as unknown[];
      expect(Number.isInteger(i), text).to.equal(true);
      // a whole float goes out as float text, so Python reads a float
      if (typeof f === 'number') expect(Number.isInteger(f), text).to.equal(false);
      else expect(f, text).to.be.instanceOf(JsonFloat);
      expect(text).to.match(/^\[-?\d+,-?[\d.e+]+,\{"t":/);
      expect((t as { t: unknown[] }).t, text).to.have.length(2);
      expect(typeof s, text).to.equal('string');
    }
  });

  it('nudges an integer by one or flips its sign', () => {
    const r = prng(5);
    const got = new Set(Array.from({ length: 100 }, () => mutateValue(7, r)));
    expect([...got].sort()).to.deep.equal([-7, 6, 8]);
    expect(mutateValue(2n ** 70n, r)).to.be.a('bigint');
  });

  it('grows, shrinks and shuffles lists and strings, and mutates nested values alike', () => {
    const r = prng(11);
    const lists = Array.from(
      { length: 300 },
      () =>
        mutateValue(
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          r,
        ) as number[][],
    );
    const lengths = new Set(lists.map((l) => l.length));
    expect([...lengths].some((n) => n > 3) && [...lengths].some((n) => n < 3)).to.equal(true);
    // an element grown into a list is a list of ints like its siblings; an inner list was mutated somewhere
    expect(lists.every((l) => l.every((x) => Array.isArray(x) && x.every(Number.isInteger)))).to.equal(true);
    expect(lists.some((l) => l.some((x) => x.length !== 2))).to.equal(true);
    const strings = new Set(Array.from({ length: 200 }, () => mutateValue('hello', r) as string));
    expect([...strings].some((s) => s.length > 5) && [...strings].some((s) => s.length < 5)).to.equal(true);
    expect(
      [...strings].some((s) => s.length === 5 && s !== 'hello' && [...s].sort().join('') === 'ehllo'),
    ).to.equal(true);
  });

  it('leaves out seeds that are not argument lists, and makes nothing from none', () => {
    expect(mutateInputs(['5', '"x"'], 10, 1)).to.deep.equal([]);
    expect(mutateInputs([], 10, 1)).to.deep.equal([]);
  });
});
