import type { Reader } from '../lib/units.ts';
import type { Problem } from '../lib/schemas.ts';

/** `openai_humaneval` rows: the solution is prompt + canonical solution; the tests call `check(entry)`. */
export const humaneval: Reader<Problem> = {
  name: 'humaneval',
  detect: (row) => 'canonical_solution' in row && 'entry_point' in row,
  required: ['task_id', 'prompt', 'canonical_solution', 'test', 'entry_point'],
  convert(row) {
    const prompt = String(row.prompt ?? '');
    const entry = String(row.entry_point ?? '');
    if (!entry) throw new Error('entry_point is empty');
    return {
      problem_id: String(row.task_id ?? ''),
      source: 'humaneval',
      question: prompt,
      solutions: [prompt + String(row.canonical_solution ?? '')],
      // the prompt's helpers (HumanEval/32's poly, /38's encode_cyclic) are the dataset's, never the program's
      tests: {
        kind: 'assert',
        code: `${String(row.test ?? '')}\n\ncheck(${entry})\n`,
        context: prompt,
        entry_points: [entry],
      },
      starter_code: prompt,
    };
  },
};
