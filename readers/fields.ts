/** Helpers for the odd encodings published datasets use for their fields. */

/** A field that holds JSON as a string (or the value itself); "" means absent, as in APPS's test split. */
export function parseJsonField(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`${field} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A stdio test input or output given as a list of lines is joined with "\n" (SPEC §4). */
export const joinLines = (v: unknown): string =>
  Array.isArray(v) ? v.map(String).join('\n') : String(v ?? '');
