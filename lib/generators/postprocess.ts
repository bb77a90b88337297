const indentOf = (line: string) => line.length - line.trimStart().length;

/**
 * Post-processing of a FIM candidate (start string + model text): keep one block only.
 * Lines are kept while they are indented deeper than the first line; for an `if`, same-indent
 * `elif`/`else` lines stay; blank lines stay inside the block (trailing ones are dropped).
 */
export function keepOneBlock(text: string, blockType: string): string {
  const lines = text.split('\n');
  const first = lines[0] ?? '';
  const indent = indentOf(first);
  const kept = [first];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') {
      kept.push(line);
      continue;
    }
    const d = indentOf(line);
    const head = line.trimStart();
    if (d > indent || (blockType === 'if' && d === indent && /^(elif\b|else\s*:)/.test(head)))
      kept.push(line);
    else break;
  }
  while (kept.length > 1 && kept[kept.length - 1]!.trim() === '') kept.pop();
  return kept.join('\n');
}

/** Post-processing of full (chat) candidates: the program ends at the first closing code fence. */
export function cutAtFence(text: string): string {
  const i = text.indexOf('\n```');
  return i >= 0 ? text.slice(0, i) : text;
}

/**
 * A model's whole program (full targets): the chat prompt ends with an opened code fence (the interface is
 * in the user turn), so the program runs to the first stop string or closing code fence.
 */
export function fullProgram(text: string, stop: string[]): string {
  return cutAtFence(cutAtStop(text, stop));
}

/** Cut a model's text at the first stop string. */
export function cutAtStop(text: string, stop: string[]): string {
  let end = text.length;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}
