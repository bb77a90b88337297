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
