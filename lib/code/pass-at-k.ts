/**
 * The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"): the
 * chance that at least one of k samples drawn without replacement from n, of which c are correct, is
 * correct: 1 − C(n−c, k) / C(n, k), computed as a product so that large n does not overflow.
 *
 * @example
 * passAtK(5, 2, 1); // 0.4
 * passAtK(5, 2, 2); // 0.7
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || c < 0 || c > n || k < 1)
    throw new Error(`pass@k needs integers 0 ≤ c ≤ n and k ≥ 1, got n=${n}, c=${c}, k=${k}`);
  if (k > n) throw new Error(`pass@${k} needs at least ${k} samples per problem, got ${n}`);
  if (n - c < k) return 1;
  let miss = 1;
  for (let i = n - c + 1; i <= n; i++) miss *= 1 - k / i;
  return 1 - miss;
}
