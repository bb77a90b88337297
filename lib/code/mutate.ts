import { JsonFloat, parseJson, stringifyJson } from '../json.ts';
import { prng } from '../random.ts';

/**
 * Type-aware mutation of call inputs (evalplus's idea), on data only: each input is the judge's JSON text of
 * an argument list (lists, the tagged containers `{"t": …}` tuples, `{"s"|"f": …}` sets, `{"d": [[k, v]…]}`
 * dicts, and scalars), and a mutation is another such text. Integers are nudged by ±1 or flipped in sign,
 * floats scaled or flipped, booleans negated, strings and lists grown, shrunk and shuffled (a list grows by a
 * mutated copy of one of its own elements, so it keeps its element type), tuples and dict values mutated
 * element by element, other tagged values (bytes, types, objects) left as they are. Nothing here runs a program.
 */

type Rand = () => number;

const pick = <T>(xs: readonly T[], r: Rand): T => xs[Math.floor(r() * xs.length)]!;

function mutateInt(n: number | bigint, r: Rand): number | bigint {
  const k = r();
  if (typeof n === 'bigint') return k < 0.4 ? n + 1n : k < 0.8 ? n - 1n : -n;
  const m = k < 0.4 ? n + 1 : k < 0.8 ? n - 1 : n === 0 ? 1 : -n;
  return Number.isSafeInteger(m) ? m : n;
}

function mutateFloat(x: number, r: Rand): number | JsonFloat {
  const k = r();
  const y = k < 0.3 ? x * 2 : k < 0.6 ? x / 2 : k < 0.8 ? -x : x + (r() < 0.5 ? 1 : -1);
  if (!Number.isFinite(y)) return x;
  // a whole float must stay a float on its way to Python (2.0, not 2)
  return Number.isInteger(y) ? new JsonFloat(y.toFixed(1)) : y;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';

function mutateString(s: string, r: Rand): string {
  const chars = [...s];
  const k = r();
  if (k < 0.3 || !chars.length) {
    // grow: a character of its own (keeps its alphabet) or, for the empty string, a letter
    const c = chars.length ? pick(chars, r) : pick([...ALPHABET], r);
    chars.splice(Math.floor(r() * (chars.length + 1)), 0, c);
  } else if (k < 0.55) chars.splice(Math.floor(r() * chars.length), 1);
  else if (k < 0.75) {
    for (let i = chars.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [chars[i], chars[j]] = [chars[j]!, chars[i]!];
    }
  } else if (k < 0.9) chars.push(...chars);
  else chars[Math.floor(r() * chars.length)] = pick([...ALPHABET], r);
  return chars.join('');
}

function mutateList(xs: unknown[], r: Rand): unknown[] {
  const out = [...xs];
  const k = r();
  if (k < 0.25 && out.length) out.splice(Math.floor(r() * (out.length + 1)), 0, mutateValue(pick(out, r), r));
  else if (k < 0.45 && out.length) out.splice(Math.floor(r() * out.length), 1);
  else if (k < 0.6) {
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
  } else if (k < 0.7 && out.length) out.push(...xs.map((x) => mutateValue(x, r)));
  else if (out.length) {
    const i = Math.floor(r() * out.length);
    out[i] = mutateValue(out[i], r);
  }
  return out;
}

/** One mutation of a value in the judge's encoding; the same value where it has nothing to mutate. */
export function mutateValue(v: unknown, r: Rand): unknown {
  if (typeof v === 'boolean') return r() < 0.5 ? !v : v;
  if (typeof v === 'bigint') return mutateInt(v, r);
  if (typeof v === 'number') return Number.isInteger(v) ? mutateInt(v, r) : mutateFloat(v, r);
  if (v instanceof JsonFloat) {
    const x = v.valueOf();
    return Number.isFinite(x) ? mutateFloat(x, r) : v;
  }
  if (typeof v === 'string') return mutateString(v, r);
  if (Array.isArray(v)) return mutateList(v, r);
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length !== 1) return v;
    const [tag, x] = entries[0]!;
    if (!Array.isArray(x)) return v;
    // a tuple keeps its length (a fixed shape, such as a point); sets may grow and shrink like lists
    if (tag === 't') {
      if (!x.length) return v;
      const i = Math.floor(r() * x.length);
      return { t: x.map((y, j) => (j === i ? mutateValue(y, r) : y)) };
    }
    if (tag === 's' || tag === 'f') return { [tag]: mutateList(x, r) };
    if (tag === 'd') {
      if (!x.length) return v;
      const i = Math.floor(r() * x.length);
      return {
        d: x.map((kv, j) => (j === i ? [(kv as unknown[])[0], mutateValue((kv as unknown[])[1], r)] : kv)),
      };
    }
  }
  return v;
}

/** One mutation of an argument list: one argument (or, one time in four, every argument) mutated. */
function mutateArgs(args: unknown[], r: Rand): unknown[] {
  if (!args.length) return args;
  if (r() < 0.25) return args.map((a) => mutateValue(a, r));
  const i = Math.floor(r() * args.length);
  return args.map((a, j) => (j === i ? mutateValue(a, r) : a));
}

/**
 * Up to `count` new inputs (texts in the judge's encoding, none equal to a given one or to each other) made
 * by mutating the given inputs, a mutation of a mutation as often as of a seed, from `seed` alone: the same
 * seed and inputs give the same list. Inputs that are not argument lists are left out as seeds.
 */
export function mutateInputs(inputs: readonly string[], count: number, seed: number): string[] {
  const r = prng(seed);
  const seen = new Set(inputs);
  const pool: unknown[][] = [];
  for (const text of inputs) {
    const v = parseJson(text);
    if (Array.isArray(v)) pool.push(v);
  }
  const out: string[] = [];
  if (!pool.length || count <= 0) return out;
  for (let tries = 0; out.length < count && tries < count * 20; tries++) {
    const next = mutateArgs(pick(pool, r), r);
    const text = stringifyJson(next);
    if (seen.has(text) || text.length > 100_000) continue;
    seen.add(text);
    out.push(text);
    pool.push(next);
  }
  return out;
}
