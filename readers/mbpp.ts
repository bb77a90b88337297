import type { Reader } from '../lib/units.ts';
import type { Problem } from '../lib/schemas.ts';

/** `mbpp` rows (full and "sanitized" configs): the tests are the setup code plus the asserts. */
export const mbpp: Reader<Problem> = {
  name: 'mbpp',
  detect: (row) => 'test_list' in row,
  required: ['task_id', 'text|prompt', 'code', 'test_list'],
  convert(row) {
    const asserts = row.test_list;
    if (!Array.isArray(asserts)) throw new Error('test_list is not a list');
    // the "sanitized" config names its fields prompt/test_imports instead of text/test_setup_code
    const setup = Array.isArray(row.test_imports)
      ? row.test_imports.join('\n')
      : String(row.test_setup_code ?? '');
    return {
      problem_id: String(row.task_id ?? ''),
      source: 'mbpp',
      question: String(row.text ?? row.prompt ?? ''),
      solutions: [String(row.code ?? '')],
      tests: {
        kind: 'assert',
        code: [setup, ...asserts.map(String)].filter((s) => s.trim()).join('\n') + '\n',
      },
      starter_code: '',
    };
  },
};
