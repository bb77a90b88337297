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

const INTEGER = /^-?\d+$/;

/** Number text as the value that keeps it: a bigint past 2^53, a JsonFloat where a number would lose the float. */
export function jsonNumber(text: string): number | bigint | JsonFloat {
  const n = Number(text);
  if (INTEGER.test(text)) return Number.isSafeInteger(n) ? n : BigInt(text);
  const shown = String(n);
  return Number.isFinite(n) && !Object.is(n, -0) && /[.e]/.test(shown) ? n : new JsonFloat(text);
}

// Cheap test for a line that may hold such a number (16+ digits, a float without a fractional digit other
// than 0, an exponent): everything else is read by the native parser, several times faster.
const MAY_NEED = /\d{16}|\d\.0*(?!\d)|\d[eE]/;

/**
 * JSON.parse that loses no number: integers of any size arrive as bigint (beyond 2^53), floats stay floats
 * (JsonFloat where a number would not). Python's `json` reads what stringifyJson writes as the same values.
 */
export function parseJson(text: string): unknown {
  if (!MAY_NEED.test(text)) return JSON.parse(text);
  return parse(text, null, jsonNumber);
}

const floats: NumberStringifier[] = [
  { test: (v) => v instanceof JsonFloat, stringify: (v) => (v as JsonFloat).text },
];

/** JSON.stringify for values parseJson made: bigints as their digits, JsonFloats as written. */
export function stringifyJson(v: unknown): string {
  let exact = false;
  // the replacer sees a value after its toJSON ran: `this[k]` is the JsonFloat itself
  const fast = JSON.stringify(v, function (this: Record<string, unknown>, k: string, x: unknown) {
    if (typeof x !== 'bigint' && !(this[k] instanceof JsonFloat)) return x;
    exact = true;
    return null;
  });
  return exact ? (stringify(v, null, undefined, floats) as string) : fast;
}
