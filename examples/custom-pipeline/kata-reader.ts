import { registerReader } from 'structflow';
import type { Problem } from 'structflow/code-dpo';

/**
 * A dataset layout StructFlow does not know: one JSON object per kata, with its statement, reference programs,
 * stdin/stdout examples as tests and a level from 1 (easy) to 5. Registering it makes `--input-format kata`
 * work, and its `detect` recognises such rows in any file StructFlow reads (JSON lines, Parquet, Arrow).
 */
registerReader({
  name: 'kata',
  detect: (row) => 'kata_id' in row && 'reference_programs' in row,
  required: ['kata_id', 'statement', 'reference_programs', 'examples'],
  convert(row): Problem {
    const examples = row.examples as { stdin: string; stdout: string }[];
    if (!Array.isArray(examples) || examples.length === 0)
      throw new Error('a kata needs at least one example');
    return {
      problem_id: String(row.kata_id),
      source: 'kata',
      question: String(row.statement),
      solutions: (row.reference_programs as unknown[]).map(String),
      tests: { kind: 'stdio', inputs: examples.map((e) => e.stdin), outputs: examples.map((e) => e.stdout) },
      starter_code: '',
      difficulty: String(row.level ?? ''),
    };
  },
});
