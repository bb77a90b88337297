import type { Reader } from '../lib/units.ts';
import type { Problem } from '../lib/schemas.ts';

/**
 * What MBPP's tests may take from where (docs/sandbox.md, Comparison rules): the functions and classes the
 * reference defines at top level come from the program; the modules the reference imports (`np`, `re`) are
 * the judge's own.
 */
export function referenceNames(code: string): { context: string; entry_points: string[] } {
  const lines = code.split('\n');
  const imports: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const def = /^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/.exec(line);
    if (def) names.push(def[1]!);
    if (!/^(?:import|from)\s/.test(line)) continue;
    imports.push(line);
    // a parenthesised import goes on until its parenthesis closes
    if (line.includes('(') && !line.includes(')'))
      while (++i < lines.length) {
        imports.push(lines[i]!);
        if (lines[i]!.includes(')')) break;
      }
  }
  return { context: imports.join('\n'), entry_points: names };
}

/**
 * MBPP's question names no function: its paper's prompt shows the asserts ("Your code should pass these
 * tests:"), and so does ours, or a model could not know the name the tests call.
 */
export const MBPP_TESTS_INSTRUCTION = 'Your code should pass these tests:';

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
      question: [
        String(row.text ?? row.prompt ?? '').trim(),
        MBPP_TESTS_INSTRUCTION,
        ...asserts.map(String),
      ].join('\n'),
      solutions: [String(row.code ?? '')],
      tests: {
        kind: 'assert',
        code: [setup, ...asserts.map(String)].filter((s) => s.trim()).join('\n') + '\n',
        ...referenceNames(String(row.code ?? '')),
      },
      starter_code: '',
    };
  },
};
