import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Reader } from '../lib/units.ts';
import type { RowOrError } from '../lib/sources.ts';
import type { Problem } from '../lib/schemas.ts';
import { apps } from './apps.ts';
import { parseJsonField } from './fields.ts';

/** Rows of the APPS release folder layout: every folder holding a `question.txt`, in name order. */
async function* appsFolders(root: string): AsyncGenerator<RowOrError> {
  const dirs: string[] = [];
  const walk = (d: string) => {
    if (existsSync(join(d, 'question.txt'))) {
      dirs.push(d);
      return;
    }
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(root);
  for (const d of dirs) {
    const read = (f: string) => (existsSync(join(d, f)) ? readFileSync(join(d, f), 'utf8') : undefined);
    const meta = parseJsonField(read('metadata.json'), 'metadata.json') as
      Record<string, unknown> | undefined;
    yield {
      where: d,
      row: {
        problem_id: relative(root, d) || d,
        question: read('question.txt') ?? '',
        solutions: read('solutions.json') ?? '[]',
        input_output: read('input_output.json') ?? '',
        starter_code: read('starter_code.py') ?? '',
        difficulty: meta?.difficulty,
        url: meta?.url,
      },
    };
  }
}

/** The APPS release as folders (`train/0000/question.txt`, `solutions.json`, `input_output.json`, …). */
export const appsDir: Reader<Problem> = { name: 'apps-dir', folder: appsFolders, convert: apps.convert };
