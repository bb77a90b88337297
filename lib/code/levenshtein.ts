/** Code points of a string (an astral character is one unit, as in Python). */
export const codePoints = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0)!);

/** The code points of a string in a typed array (a well-formed surrogate pair is one). */
function codePointArray(s: string): Int32Array {
  const out = new Int32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        out[n++] = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

// the pattern's match masks for code points below 256 (one block at a time; cleared after use)
const PEQ_LOW = new Int32Array(256);

/**
 * Levenshtein distance over Unicode code points with unit costs. A common prefix and suffix never change the
 * distance (the pairs' two sides share most of their text), so they are cut first; the rest goes through
 * Myers'/Hyyrö's bit-parallel algorithm: the pattern is cut into 32-row blocks; each block sweeps the text
 * once, passing its horizontal deltas (+1/0/−1 per text position) down to the next block. O(⌈m/32⌉·n) time,
 * O(n) memory, for m and n what is left after the cut.
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  const x = codePointArray(a);
  const y = codePointArray(b);
  let lo = 0;
  while (lo < x.length && lo < y.length && x[lo] === y[lo]) lo++;
  let xe = x.length;
  let ye = y.length;
  while (xe > lo && ye > lo && x[xe - 1] === y[ye - 1]) {
    xe--;
    ye--;
  }
  let p = x.subarray(lo, xe);
  let t = y.subarray(lo, ye);
  if (p.length > t.length) [p, t] = [t, p]; // the shorter one is the pattern: fewer blocks
  const m = p.length;
  const n = t.length;
  if (m === 0) return n;
  // horizontal delta entering each block at each text position: the top row D[0][j] = j gives +1
  const hp = new Uint8Array(n).fill(1);
  const hm = new Uint8Array(n);
  let score = m;
  for (let start = 0; start < m; start += 32) {
    const h = Math.min(32, m - start);
    let high: Map<number, number> | undefined; // code points from 256 up
    for (let r = 0; r < h; r++) {
      const c = p[start + r]!;
      if (c < 256) PEQ_LOW[c]! |= 1 << r;
      else (high ??= new Map()).set(c, (high.get(c) ?? 0) | (1 << r));
    }
    const top = 1 << (h - 1);
    const last = start + h === m;
    let pv = -1;
    let mv = 0;
    for (let j = 0; j < n; j++) {
      const c = t[j]!;
      const eq = c < 256 ? PEQ_LOW[c]! : (high?.get(c) ?? 0);
      const pb = hp[j]!;
      const mb = hm[j]!;
      const xv = eq | mv;
      const eqm = eq | mb;
      const xh = ((((eqm & pv) + pv) | 0) ^ pv) | eqm;
      let ph = mv | ~(xh | pv);
      let mh = pv & xh;
      const outP = ph & top ? 1 : 0;
      const outM = mh & top ? 1 : 0;
      if (last) score += outP - outM;
      hp[j] = outP;
      hm[j] = outM;
      ph = (ph << 1) | pb;
      mh = (mh << 1) | mb;
      pv = mh | ~(xv | ph);
      mv = ph & xv;
    }
    for (let r = 0; r < h; r++) {
      const c = p[start + r]!;
      if (c < 256) PEQ_LOW[c] = 0;
    }
  }
  return score;
}

/** The plain O(m·n) dynamic programme over code points: the baseline of tests and bench/pairs.ts. */
export function levenshteinDP(a: string, b: string): number {
  const p = codePoints(a);
  const t = codePoints(b);
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= p.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (p[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}
