import type { Reader } from '../lib/units.ts';
import type { Problem } from '../lib/schemas.ts';

/**
 * `newfacade/LeetCodeDataset` rows (JSON lines): `prompt` (imports and helpers such as `ListNode`, the same
 * header for every problem), `completion` (the reference `class Solution`), `test`
 * (`def check(candidate): assert …`) and `entry_point` (`Solution().twoSum`). The solution is the completion
 * alone: the header is code the task gives (`given`), which the program runs after, as the dataset's own
 * evaluation does, and never a target; the test calls check on the entry point.
 */
export const leetcode: Reader<Problem> = {
  name: 'leetcode',
  detect: (row) => 'completion' in row && 'entry_point' in row && 'problem_description' in row,
  required: ['task_id', 'problem_description', 'prompt', 'completion', 'test', 'entry_point'],
  convert(row) {
    const prompt = String(row.prompt);
    return {
      problem_id: String(row.task_id),
      source: 'leetcode',
      question: String(row.problem_description),
      solutions: [String(row.completion)],
      given: prompt,
      // the prompt's helpers (ListNode, is_same_list, …) are the dataset's; only the entry point's root
      // name (`Solution` of `Solution().twoSum`) comes from the program
      tests: {
        kind: 'assert',
        code: `${String(row.test)}\n\ncheck(${String(row.entry_point)})\n`,
        context: prompt,
        entry_points: [/^[A-Za-z_]\w*/.exec(String(row.entry_point))?.[0] ?? 'Solution'],
      },
      starter_code: String(row.starter_code ?? ''),
      ...(row.difficulty ? { difficulty: String(row.difficulty) } : {}),
    };
  },
};
