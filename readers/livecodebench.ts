import { parseJson } from '../lib/json.ts';
import { inflateSync } from 'node:zlib';
import type { Reader } from '../lib/units.ts';
import type { Problem, TestSpec } from '../lib/schemas.ts';
import { parseJsonField, unpickleString, withStatedTolerance } from './fields.ts';

interface Case {
  input: string;
  output: string;
  testtype: 'stdin' | 'functional';
}

/** Test cases: a JSON list, or (private ones) base64 of zlib of a pickled JSON string. */
function cases(value: unknown, field: string): Case[] {
  if (value === undefined || value === null || value === '') return [];
  let v = value;
  if (typeof v === 'string' && !v.trimStart().startsWith('[')) {
    v = unpickleString(inflateSync(Buffer.from(v, 'base64')));
  }
  const parsed = parseJsonField(v, field);
  if (!Array.isArray(parsed)) throw new Error(`${field} is not a list of test cases`);
  return parsed as Case[];
}

/** Functional tests (LeetCode problems): the input is one JSON value per line, the arguments. */
function tests(all: Case[], fnName: string | undefined): TestSpec {
  const functional = all.filter((c) => c.testtype === 'functional');
  if (functional.length === 0)
    return { kind: 'stdio', inputs: all.map((c) => c.input), outputs: all.map((c) => c.output) };
  if (functional.length !== all.length) throw new Error('mixes stdin and functional test cases');
  if (!fnName) throw new Error('functional test cases but no metadata.func_name');
  return {
    kind: 'call',
    fn_name: fnName,
    inputs: all.map((c) =>
      c.input
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => parseJson(l)),
    ),
    outputs: all.map((c) => parseJson(c.output)),
  };
}

/**
 * `livecodebench/code_generation_lite` rows (JSON lines): `question_content`, `starter_code`,
 * `public_test_cases` and `private_test_cases` (`{input, output, testtype}`), `metadata.func_name` for
 * LeetCode's functional tests. LiveCodeBench is an evaluation set: it has no reference solutions, so
 * its problems serve decontamination and generation, and the `solutions` stage rejects them for pairs.
 */
export const livecodebench: Reader<Problem> = {
  name: 'livecodebench',
  detect: (row) => 'question_content' in row && 'public_test_cases' in row,
  required: ['question_id', 'question_content', 'public_test_cases'],
  convert(row) {
    const meta = (parseJsonField(row.metadata, 'metadata') ?? {}) as { func_name?: string };
    const all = [
      ...cases(row.public_test_cases, 'public_test_cases'),
      ...cases(row.private_test_cases, 'private_test_cases'),
    ];
    return {
      problem_id: `${String(row.platform ?? 'lcb')}/${String(row.question_id)}`,
      source: 'livecodebench',
      question: String(row.question_content),
      solutions: [],
      tests: withStatedTolerance(tests(all, meta.func_name), String(row.question_content)),
      starter_code: String(row.starter_code ?? ''),
      ...(row.difficulty ? { difficulty: String(row.difficulty) } : {}),
      ...(row.contest_date ? { released: String(row.contest_date).slice(0, 10) } : {}),
    };
  },
};
