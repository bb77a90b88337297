/**
 * The program the sandbox runs for a piece of code a problem's task asks for: the code the task gives
 * (`given`: a dataset's header of imports and helpers) first, as the dataset's own evaluation runs it, then
 * the code. Everything else (targets, answers, pairs, the curriculum) sees the code alone.
 */
export function runnable(problem: { given?: string | undefined }, code: string): string {
  const given = problem.given ?? '';
  if (!given.trim()) return code;
  return given.endsWith('\n') ? `${given}\n${code}` : `${given}\n\n${code}`;
}

/** Lines as a prompt shows code: indentation, comment markers (a starter code's commented-out class) and
 *  blank lines aside. */
const shownLines = (text: string) =>
  text
    .split('\n')
    .map((l) =>
      l
        .trim()
        .replace(/^#+\s*/, '')
        .trimEnd(),
    )
    .filter(Boolean);

/**
 * Whether the prompt already shows `middle` verbatim, line by line, in one of `texts` (the question, the
 * starter code, the given code): such a hole teaches copying, not writing (HumanEval/32's `poly` is in its
 * own prompt). Indentation and comment markers do not count, so a commented-out `ListNode` is seen too.
 */
export function shownInPrompt(middle: string, texts: string[]): boolean {
  const hole = shownLines(middle).join('\n');
  if (!hole) return false;
  return texts.some((t) => `\n${shownLines(t).join('\n')}\n`.includes(`\n${hole}\n`));
}
