import type { Reader } from '../lib/units.ts';
import type { Problem } from '../lib/schemas.ts';
import { cutPrompt } from './humaneval.ts';
import { MBPP_TESTS_INSTRUCTION } from './mbpp.ts';

/**
 * The reference whose answers are the expected outputs: the canonical solution with evalplus's `contract`
 * (asserts on the arguments) at the top of the entry point's body, so an input that breaks it raises and is
 * dropped by `expect`. HumanEval+'s prompt ends inside the function (prompt + contract + solution, as evalplus
 * writes it); MBPP+'s solution holds the whole function, so the contract goes after its signature.
 */
export function withContract(prompt: string, solution: string, contract: string, entry: string): string {
  if (!contract.trim()) return prompt + solution;
  const def = new RegExp(`^\\s*(?:async\\s+)?def\\s+${entry}\\s*\\(`, 'm');
  if (def.test(prompt)) return prompt + contract + solution;
  const lines = solution.split('\n');
  const start = lines.findIndex((l) => def.test(l));
  if (start < 0) throw new Error(`canonical_solution defines no ${entry}`);
  // the signature ends at the first line, from the def on, where the brackets close and a colon ends it
  let depth = 0;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, '');
    for (const ch of line) depth += '([{'.includes(ch) ? 1 : ')]}'.includes(ch) ? -1 : 0;
    if (depth === 0 && /:\s*$/.test(line)) {
      const body = contract.replace(/^\n/, '').replace(/\n$/, '');
      return prompt + [...lines.slice(0, i + 1), body, ...lines.slice(i + 1)].join('\n');
    }
  }
  throw new Error(`the signature of ${entry} never ends`);
}

/** A list of argument lists; MBPP+ writes an empty one as `{}` (Mbpp/793's plus_input). */
function inputList(v: unknown, field: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object' && Object.keys(v).length === 0) return [];
  throw new Error(`${field} is not a list of argument lists`);
}

/**
 * evalplus's release layout (HumanEval+ and MBPP+): every base and plus input is a call test of the entry
 * point. The expected outputs are not in the file: evalplus computes them by running the canonical solution,
 * and so does the `expect` stage, in the sandbox, from `reference`; the reader itself runs nothing.
 */
export const evalplus: Reader<Problem> = {
  name: 'evalplus',
  detect: (row) => 'plus_input' in row && 'base_input' in row,
  required: ['task_id', 'prompt', 'entry_point', 'canonical_solution', 'base_input', 'plus_input'],
  convert(row) {
    const prompt = String(row.prompt ?? '');
    const solution = String(row.canonical_solution ?? '');
    const entry = String(row.entry_point ?? '');
    if (!/^[A-Za-z_]\w*$/.test(entry)) throw new Error(`entry_point "${entry}" is not a name`);
    const base = inputList(row.base_input, 'base_input');
    const plus = inputList(row.plus_input, 'plus_input');
    const atol = Number(row.atol ?? 0);
    if (!Number.isFinite(atol) || atol < 0) throw new Error(`atol ${String(row.atol)} is not a tolerance`);
    // HumanEval+'s prompt is the function's head; MBPP+'s names no function, so the question shows the
    // dataset's first assertion, as evalplus's own MBPP+ prompt does
    const humaneval = new RegExp(`def\\s+${entry}\\s*\\(`).test(prompt);
    // as the humaneval reader: the prompt's code before the entry point's def is given, never the answer
    const { given, head } = humaneval ? cutPrompt(prompt, entry) : { given: '', head: prompt };
    const example = String(row.assertion ?? '')
      .split('\n')
      .find((l) => l.startsWith('assert'));
    return {
      problem_id: String(row.task_id ?? ''),
      source: 'evalplus',
      question: humaneval
        ? prompt
        : [
            prompt.replace(/^\s*(?:'''|""")|(?:'''|""")\s*$/g, '').trim(),
            ...(example ? [MBPP_TESTS_INSTRUCTION, example] : []),
          ].join('\n'),
      solutions: [head + solution],
      ...(given.trim() ? { given } : {}),
      tests: {
        kind: 'call',
        fn_name: entry,
        inputs: [...base, ...plus],
        outputs: [],
        reference: withContract(prompt, solution, String(row.contract ?? ''), entry),
        base: base.length,
        ...(atol ? { atol } : {}),
      },
      starter_code: humaneval ? prompt : '',
    };
  },
};
