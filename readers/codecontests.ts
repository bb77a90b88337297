import type { Reader } from '../lib/units.ts';
import type { Problem } from '../lib/schemas.ts';
import { withStatedTolerance } from './fields.ts';

/** The `language` enum of CodeContests' solutions: only Python 3 programs are solutions here. */
const PYTHON3 = 3;

type Tests = { input?: unknown; output?: unknown } | null | undefined;
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/**
 * `deepmind/code_contests` rows (its Parquet schema): `description`, `public_tests`, `private_tests` and
 * `generated_tests` (each `{input: [...], output: [...]}`: all three are the tests, as the dataset's own
 * evaluation uses them), `solutions` (`{language: [...], solution: [...]}`; Python 3 ones kept).
 */
export const codecontests: Reader<Problem> = {
  name: 'codecontests',
  detect: (row) => 'public_tests' in row && 'description' in row,
  required: ['name', 'description', 'public_tests', 'solutions'],
  convert(row) {
    const inputs: string[] = [];
    const outputs: string[] = [];
    for (const key of ['public_tests', 'private_tests', 'generated_tests']) {
      const t = row[key] as Tests;
      const i = list(t?.input);
      const o = list(t?.output);
      if (i.length !== o.length) throw new Error(`${key} has ${i.length} inputs but ${o.length} outputs`);
      inputs.push(...i);
      outputs.push(...o);
    }
    const sols = row.solutions as { language?: unknown; solution?: unknown } | null;
    const langs = Array.isArray(sols?.language) ? sols.language.map(Number) : [];
    const code = list(sols?.solution);
    if (langs.length !== code.length)
      throw new Error('solutions.language and solutions.solution differ in length');
    return {
      problem_id: String(row.name),
      source: 'codecontests',
      question: String(row.description),
      solutions: code.filter((_, k) => langs[k] === PYTHON3),
      tests: withStatedTolerance({ kind: 'stdio', inputs, outputs }, String(row.description)),
      starter_code: '',
      ...(row.difficulty !== undefined && row.difficulty !== null
        ? { difficulty: String(row.difficulty) }
        : {}),
    };
  },
};
