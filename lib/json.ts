import { parse, stringify, type NumberStringifier } from 'lossless-json';

/**
 * A JSON float that a JavaScript number would turn into an integer on the way out (`1.0`, `1e20`, `-0.0`) or
 * cannot hold (`1e400`): its text as written, so the next hop reads the float that the data has.
 */
export class JsonFloat {
  constructor(readonly text: string) {}
  valueOf(): number {
    return Number(this.text);
  }
  /** Plain `JSON.stringify` (a report, a log) gets the nearest number: only stringifyJson keeps the text. */
  toJSON(): number {
    return Number(this.text);
  }
}

// A JSON string (left as it is), or a bare non-finite name. ±Infinity become number texts past a double's
// range, which Python reads as infinities; NaN has none, so it is a placeholder number that stringifyJson
// turns back into the name.
const STRING = /"(?:[^"\\]|\\.)*"/.source;
const NAN_TEXT = '-0e7777777';
const NONFINITE_TEXT: Record<string, string> = {
  NaN: NAN_TEXT,
  Infinity: '1e7777777',
  '-Infinity': '-1e7777777',
};
const STRING_OR_NONFINITE = new RegExp(`${STRING}|-?Infinity|NaN`, 'g');
const STRING_OR_NAN_TEXT = new RegExp(`${STRING}|${NAN_TEXT}`, 'g');

const INTEGER = /^-?\d+$/;

/** Number text as the value that keeps it: a bigint past 2^53, a JsonFloat where a number would lose the float. */
export function jsonNumber(text: string): number | bigint | JsonFloat {
  if (text === NAN_TEXT) return new JsonFloat('NaN');
  const n = Number(text);
  if (INTEGER.test(text)) return Number.isSafeInteger(n) ? n : BigInt(text);
  const shown = String(n);
  return Number.isFinite(n) && !Object.is(n, -0) && /[.e]/.test(shown) ? n : new JsonFloat(text);
}

// Cheap test for a line that may hold such a number (16+ digits, a float whose fraction is only zeros, an
// exponent): everything else is read by the native parser, several times faster. `1.` with no digit after is
// no JSON number, so `\d\.0+` (not `0*`) lets code such as `arr1.append` in a string take the fast path.
const MAY_NEED = /\d{16}|\d\.0+(?!\d)|\d[eE]/;

/**
 * JSON.parse that loses no number: integers of any size arrive as bigint (beyond 2^53), floats stay floats
 * (JsonFloat where a number would not). Python's `json` reads what stringifyJson writes as the same values.
 */
export function parseJson(text: string): unknown {
  try {
    return MAY_NEED.test(text) ? parse(text, null, jsonNumber) : JSON.parse(text);
  } catch (err) {
    // Python's json writes NaN and ±Infinity bare (MBPP+'s Mbpp/404 holds -Infinity): read them as its json.loads
    // does, and only where a bare one is what made the text unreadable
    if (!/NaN|Infinity/.test(text)) throw err;
    const named = text.replace(STRING_OR_NONFINITE, (m) => (m.startsWith('"') ? m : NONFINITE_TEXT[m]!));
    if (named === text) throw err;
    return parse(named, null, jsonNumber);
  }
}

const floats: NumberStringifier[] = [
  {
    test: (v) => v instanceof JsonFloat,
    stringify: (v) => ((v as JsonFloat).text === 'NaN' ? NAN_TEXT : (v as JsonFloat).text),
  },
  {
    // a test a user built in JavaScript with NaN or ±Infinity: the value itself, never JSON.stringify's null
    test: (v) => typeof v === 'number' && !Number.isFinite(v),
    stringify: (v) => NONFINITE_TEXT[String(v)]!,
  },
];

const needsExact = (x: unknown) => typeof x === 'bigint' || (typeof x === 'number' && !Number.isFinite(x));

/** JSON.stringify for values parseJson made: bigints as their digits, JsonFloats as written, NaN and ±Infinity
 *  as Python's json reads them (JSON.stringify writes null for them). */
export function stringifyJson(v: unknown): string {
  let exact = false;
  // the replacer sees a value after its toJSON ran: `this[k]` is the JsonFloat itself
  const fast = JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
    if (!needsExact(x) && !(this[k] instanceof JsonFloat)) return x;
    exact = true;
    return null;
  });
  if (!exact) return fast;
  const text = stringify(v, null, undefined, floats) as string;
  // only a NaN's placeholder outside a string becomes the name again
  return text.includes(NAN_TEXT)
    ? text.replace(STRING_OR_NAN_TEXT, (m) => (m.startsWith('"') ? m : 'NaN'))
    : text;
}
