import type { Reader } from '../lib/units.ts';
import type { Problem } from '../lib/schemas.ts';

/**
 * A HumanEval prompt cut where the entry point's `def` begins: before it, the code the task gives (imports,
 * helpers such as HumanEval/32's `poly`); from it, the signature and docstring the solution completes. The
 * entry point's `def` is the prompt's last top-level statement in every row of HumanEval; a prompt without
 * one at top level is given nothing.
 */
export function cutPrompt(prompt: string, entry: string): { given: string; head: string } {
  const esc = entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const at = new RegExp(`^(?:async[ \\t]+)?def[ \\t]+${esc}[ \\t]*\\(`, 'm').exec(prompt)?.index;
  if (at === undefined) return { given: '', head: prompt };
  return { given: prompt.slice(0, at), head: prompt.slice(at) };
}

/**
 * `openai_humaneval` rows: the solution is the entry point's signature and docstring (from the prompt) + the
 * canonical solution; the prompt's code before it is given (`given`); the tests call `check(entry)`.
 */
export const humaneval: Reader<Problem> = {
  name: 'humaneval',
  detect: (row) => 'canonical_solution' in row && 'entry_point' in row,
  required: ['task_id', 'prompt', 'canonical_solution', 'test', 'entry_point'],
  convert(row) {
    const prompt = String(row.prompt ?? '');
    const entry = String(row.entry_point ?? '');
    if (!entry) throw new Error('entry_point is empty');
    const { given, head } = cutPrompt(prompt, entry);
    return {
      problem_id: String(row.task_id ?? ''),
      source: 'humaneval',
      question: prompt,
      solutions: [head + String(row.canonical_solution ?? '')],
      ...(given.trim() ? { given } : {}),
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
