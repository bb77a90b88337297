import { parseJson } from '../lib/json.ts';
import type { TestSpec } from '../lib/schemas.ts';

/** Helpers for the odd encodings published datasets use for their fields. */

/** A field that holds JSON as a string (or the value itself); "" means absent, as in APPS's test split. */
export function parseJsonField(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  try {
    return parseJson(value);
  } catch (err) {
    throw new Error(`${field} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A stdio test input or output given as a list of lines is joined with "\n", as the APPS harness does. */
export const joinLines = (v: unknown): string =>
  Array.isArray(v) ? v.map(String).join('\n') : String(v ?? '');

/**
 * The string inside a pickle of one Python `str` (LiveCodeBench ships its private tests as
 * base64(zlib(pickle(json)))). Only that shape is accepted: no other opcode is ever interpreted, so a
 * crafted pickle can do nothing but fail.
 */
export function unpickleString(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  let i = 0;
  let out: string | undefined;
  const fail = (why: string): never => {
    throw new Error(`not a pickled string: ${why} at byte ${i}`);
  };
  while (i < b.length) {
    const op = b[i++]!;
    if (op === 0x80)
      i++; // PROTO n
    else if (op === 0x95)
      i += 8; // FRAME length
    else if (op === 0x94)
      continue; // MEMOIZE
    else if (op === 0x8c || op === 0x58 || op === 0x8d) {
      // SHORT_BINUNICODE (1-byte length), BINUNICODE (4), BINUNICODE8 (8)
      if (out !== undefined) fail('a second value');
      const size = op === 0x8c ? 1 : op === 0x58 ? 4 : 8;
      const n = size === 1 ? b[i]! : size === 4 ? b.readUInt32LE(i) : Number(b.readBigUInt64LE(i));
      i += size;
      if (i + n > b.length) fail('a string longer than the data');
      out = b.subarray(i, i + n).toString('utf8');
      i += n;
    } else if (op === 0x2e) {
      // STOP
      if (out === undefined) fail('no string');
      return out!;
    } else fail(`opcode 0x${op.toString(16)}`);
  }
  return fail('no STOP');
}

/**
 * The error a statement allows real-valued answers ("absolute or relative error does not exceed 10^{-6}"),
 * or undefined when it names none. An exponent it gives is the tolerance; without one, 1e-6, the usual bound.
 */
export function statedTolerance(question: string): number | undefined {
  const said = /\b(?:absolute|relative)(?:\s+(?:or|and)\s+(?:absolute|relative))?\s+errors?\b/i.exec(
    question,
  );
  if (!said) return undefined;
  const after = question.slice(said.index, said.index + 300);
  const exp = /10\s*\^\s*\{?\s*[-−–]\s*(\d{1,2})\s*\}?|\b1\s*[eE]\s*[-−–]\s*(\d{1,2})\b/.exec(after);
  const k = exp ? Number(exp[1] ?? exp[2]) : 6;
  return k >= 1 && k <= 18 ? Number(`1e-${k}`) : undefined;
}

/** Stdio tests with the tolerance their statement states (see statedTolerance); other tests as they are. */
export function withStatedTolerance(tests: TestSpec, question: string): TestSpec {
  if (tests.kind !== 'stdio') return tests;
  const tolerance = statedTolerance(question);
  return tolerance === undefined ? tests : { ...tests, tolerance };
}
