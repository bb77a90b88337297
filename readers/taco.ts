import { createHash } from 'node:crypto';
import type { Reader } from '../lib/units.ts';
import type { Problem } from '../lib/schemas.ts';
import { apps } from './apps.ts';

/**
 * `BAAI/TACO` rows: APPS's fields (`question`, `solutions` and `input_output` as JSON strings,
 * `starter_code`) plus its own (`raw_tags`, `skill_types`, `source`, `name`, …). TACO has no id column,
 * so a problem is named by its `name` where there is one, else by a hash of its question.
 */
export const taco: Reader<Problem> = {
  name: 'taco',
  detect: (row) => 'skill_types' in row || 'raw_tags' in row,
  required: ['question', 'solutions', 'input_output'],
  convert(row) {
    const name = typeof row.name === 'string' && row.name.trim() ? row.name.trim() : undefined;
    const id = name ?? createHash('sha256').update(String(row.question)).digest('hex').slice(0, 16);
    return { ...apps.convert({ ...row, problem_id: `taco/${id}` }), source: 'taco' };
  },
};
