/**
 * Longest common subsequence of two sequences by Myers' O(ND) algorithm in linear space (the
 * middle-snake recursion of "An O(ND) Difference Algorithm", 1986): O((N+M)·D) time, O(N+M) memory.
 * Returns the matched index pairs [i, j] (a[i] === b[j]) in increasing order.
 *
 * Tie-break (documented and tested): common prefixes and suffixes are always matched first, and
 * between equally long subsequences the middle snake found first, searching diagonals from −D to D,
 * wins. The result always has the maximum length.
 */
export function lcsPairs<T>(a: ArrayLike<T>, b: ArrayLike<T>): [number, number][] {
  const out: [number, number][] = [];
  lcsMatches(a, b, (i, j) => out.push([i, j]));
  return out;
}

// the search's furthest-reaching paths, kept between calls: allocating typed arrays cost more than a short
// diff (every entry is written before it is read within a call)
let vf = new Int32Array(0);
let vb = new Int32Array(0);

/** `lcsPairs` handing each matched pair to `match`, in increasing order, without building the list. */
export function lcsMatches<T>(a: ArrayLike<T>, b: ArrayLike<T>, match: (i: number, j: number) => void): void {
  const size = a.length + b.length + 2;
  if (vf.length < 2 * size + 1) [vf, vb] = [new Int32Array(4 * size + 2), new Int32Array(4 * size + 2)];

  const rec = (aLo: number, aHi: number, bLo: number, bHi: number): void => {
    while (aLo < aHi && bLo < bHi && a[aLo] === b[bLo]) match(aLo++, bLo++);
    let common = 0; // the common suffix, matched after the middle
    while (aLo < aHi - common && bLo < bHi - common && a[aHi - 1 - common] === b[bHi - 1 - common]) common++;
    aHi -= common;
    bHi -= common;
    if (aLo < aHi && bLo < bHi) {
      const [x, y, u, v] = middleSnake(aLo, aHi, bLo, bHi);
      rec(aLo, aLo + x, bLo, bLo + y);
      for (let k = 0; k < u - x; k++) match(aLo + x + k, bLo + y + k);
      rec(aLo + u, aHi, bLo + v, bHi);
    }
    for (let k = 0; k < common; k++) match(aHi + k, bHi + k);
  };

  // the middle snake of a[aLo:aHi] vs b[bLo:bHi], as offsets (x, y) → (u, v) inside them
  const middleSnake = (
    aLo: number,
    aHi: number,
    bLo: number,
    bHi: number,
  ): [number, number, number, number] => {
    const n = aHi - aLo;
    const m = bHi - bLo;
    const delta = n - m;
    const odd = (delta & 1) !== 0;
    const off = size;
    vf[off + 1] = 0;
    vb[off + 1] = 0;
    for (let d = 0; d <= Math.ceil((n + m) / 2); d++) {
      for (let k = -d; k <= d; k += 2) {
        let x =
          k === -d || (k !== d && vf[off + k - 1]! < vf[off + k + 1]!)
            ? vf[off + k + 1]!
            : vf[off + k - 1]! + 1;
        let y = x - k;
        const x0 = x;
        const y0 = y;
        while (x < n && y < m && a[aLo + x] === b[bLo + y]) {
          x++;
          y++;
        }
        vf[off + k] = x;
        if (odd && k >= delta - (d - 1) && k <= delta + (d - 1) && x + vb[off + delta - k]! >= n)
          return [x0, y0, x, y];
      }
      for (let k = -d; k <= d; k += 2) {
        let x =
          k === -d || (k !== d && vb[off + k - 1]! < vb[off + k + 1]!)
            ? vb[off + k + 1]!
            : vb[off + k - 1]! + 1;
        let y = x - k;
        const x0 = x;
        const y0 = y;
        while (x < n && y < m && a[aHi - 1 - x] === b[bHi - 1 - y]) {
          x++;
          y++;
        }
        vb[off + k] = x;
        if (!odd && delta - k >= -d && delta - k <= d && x + vf[off + delta - k]! >= n)
          return [n - x, m - y, n - x0, m - y0];
      }
    }
    throw new Error('lcs: no middle snake (unreachable)');
  };

  rec(0, a.length, 0, b.length);
}

/** Lines between the common ends above which `lineDiff` interns them: below, comparing strings costs less than a Map. */
const INTERN_ABOVE = 32;

/** Lines of `chosen` and `rejected` outside one longest common subsequence: D+ and D− (0-based). */
export function lineDiff(
  chosen: readonly string[],
  rejected: readonly string[],
): { plus: number[]; minus: number[] } {
  // the common ends first, by string: most diffs here are a few lines in a program
  const [n, m] = [chosen.length, rejected.length];
  let lo = 0;
  while (lo < n && lo < m && chosen[lo] === rejected[lo]) lo++;
  let common = 0;
  while (lo < n - common && lo < m - common && chosen[n - 1 - common] === rejected[m - 1 - common]) common++;
  const plus: number[] = [];
  const minus: number[] = [];
  // matches come in increasing order: the lines skipped between two are outside the LCS
  let [nextC, nextR] = [lo, lo];
  const mark = (i: number, j: number) => {
    while (nextC < lo + i) plus.push(nextC++);
    while (nextR < lo + j) minus.push(nextR++);
    [nextC, nextR] = [lo + i + 1, lo + j + 1];
  };
  if (lo < n - common && lo < m - common) {
    const [a, b] = [chosen.slice(lo, n - common), rejected.slice(lo, m - common)];
    // a long middle is searched over small integers, one per distinct line; a short one is cheaper by string
    if (a.length + b.length > INTERN_ABOVE) {
      const ids = new Map<string, number>();
      const intern = (l: string) => {
        let id = ids.get(l);
        if (id === undefined) ids.set(l, (id = ids.size));
        return id;
      };
      lcsMatches(a.map(intern), b.map(intern), mark);
    } else lcsMatches(a, b, mark);
  }
  mark(n - common - lo, m - common - lo); // the first line of the common suffix (or the ends)
  return { plus, minus };
}

/** Separate places where two line lists differ: runs of lines outside one LCS, on either side. */
export function editRegions(a: readonly string[], b: readonly string[]): number {
  const pairs: [number, number][] = [[-1, -1], ...lcsPairs(a, b), [a.length, b.length]];
  let regions = 0;
  for (let k = 1; k < pairs.length; k++)
    if (pairs[k]![0] - pairs[k - 1]![0] > 1 || pairs[k]![1] - pairs[k - 1]![1] > 1) regions++;
  return regions;
}

/** Length of an LCS by the plain O(N·M) dynamic programme: the baseline of tests and bench/pairs.ts. */
export function lcsLengthDP<T>(a: readonly T[], b: readonly T[]): number {
  let prev = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Int32Array(b.length + 1);
    for (let j = 1; j <= b.length; j++)
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev = cur;
  }
  return prev[b.length]!;
}
