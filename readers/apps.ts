import type { Reader } from '../lib/units.ts';
import type { Problem, TestSpec } from '../lib/schemas.ts';
import { joinLines, parseJsonField, withStatedTolerance } from './fields.ts';

/** APPS `input_output` → tests. Without `fn_name` it is stdin/stdout, with it a function call. */
export function appsTests(io: unknown): TestSpec {
  if (io === undefined || io === null) return { kind: 'stdio', inputs: [], outputs: [] };
  if (typeof io !== 'object') throw new Error('input_output is not an object');
  const {
    inputs = [],
    outputs = [],
    fn_name,
  } = io as { inputs?: unknown; outputs?: unknown; fn_name?: unknown };
  if (!Array.isArray(inputs) || !Array.isArray(outputs))
    throw new Error('input_output.inputs/outputs are not lists');
  if (inputs.length !== outputs.length) {
    throw new Error(`input_output has ${inputs.length} inputs but ${outputs.length} outputs`);
  }
  if (typeof fn_name === 'string' && fn_name) return { kind: 'call', fn_name, inputs, outputs };
  return { kind: 'stdio', inputs: inputs.map(joinLines), outputs: outputs.map(joinLines) };
}

/** The `codeparrot/apps` rows (JSON lines or Parquet): `solutions` and `input_output` are JSON strings. */
export const apps: Reader<Problem> = {
  name: 'apps',
  detect: (row) => 'input_output' in row || ('solutions' in row && 'question' in row),
  required: ['problem_id|id', 'question', 'solutions'],
  convert(row) {
    const solutions = parseJsonField(row.solutions, 'solutions') ?? [];
    if (!Array.isArray(solutions) || !solutions.every((s) => typeof s === 'string')) {
      throw new Error('solutions is not a list of strings');
    }
    const question = String(row.question ?? '');
    return {
      problem_id: String(row.problem_id ?? row.id ?? ''),
      source: 'apps',
      question,
      solutions,
      tests: withStatedTolerance(appsTests(parseJsonField(row.input_output, 'input_output')), question),
      starter_code: String(row.starter_code ?? ''),
      ...(row.difficulty ? { difficulty: String(row.difficulty) } : {}),
      ...(row.url ? { url: String(row.url) } : {}),
    };
  },
};
