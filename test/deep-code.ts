/**
 * Python nested thousands of levels deep, as a dataset row can hold (generated or obfuscated code): a
 * recursive parser, formatter or tree walk runs out of stack on it. Each one trapped Ruff's WebAssembly
 * formatter (issue 35; the sizes where it starts are in docs/method.md, format) and left it broken for every
 * row after; these sizes leave a margin, as the limit moves with the stack already in use.
 */
export const DEEP_CODE: Record<string, string> = {
  chain: 'x = a' + '.b'.repeat(1800) + '\n',
  sum: 'x = ' + Array(3500).fill('1').join(' + ') + '\n',
  calls: 'x = ' + 'f('.repeat(2000) + ')'.repeat(2000) + '\n',
  brackets: 'x = ' + '['.repeat(3000) + ']'.repeat(3000) + '\n',
  // one space more a level; CPython stops at 100 levels ("too many levels of indentation"), tree-sitter at 512
  blocks:
    Array.from({ length: 1200 }, (_, i) => ' '.repeat(i) + 'if x:\n').join('') + ' '.repeat(1200) + 'pass\n',
};

/**
 * Deep code with its one syntax error at the bottom: tree-sitter parses it, and a recursive search for
 * the error node overflowed the JavaScript stack (from about 20,000 levels). `column` (1-based) is where
 * the error is: the text before `bad` is the part that parses.
 */
export const DEEP_SYNTAX_ERRORS = [
  deepError('parens', 'x = ' + '('.repeat(30000) + '1 ', '+', ')'.repeat(30000)), // nothing after the `+`
  deepError('calls', 'x = ' + 'f('.repeat(30000) + 'a ', 'b', ')'.repeat(30000)), // two names, no operator
  deepError('lists', 'x = ' + '[1, '.repeat(30000), 'def', ']'.repeat(30000)), // a keyword for an element
];

function deepError(name: string, before: string, bad: string, after: string) {
  return { name, code: before + bad + after + '\n', column: before.length + 1 };
}
