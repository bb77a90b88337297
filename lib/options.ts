import { parseArgs } from 'node:util';

/** A command-line mistake: printed with the command's usage line, exit status 2. */
export class UsageError extends Error {}

/**
 * One command-line option, declared once: parsing, `--help` and the reuse of committed work all come
 * from this table entry.
 */
export interface OptionSpec {
  type: 'string' | 'int' | 'number' | 'boolean' | 'choice';
  help: string;
  default?: string | number | boolean;
  /** The values a `choice` takes. */
  choices?: readonly string[];
  /** Least value of a number (default: 1 for `int`, none for `number`). */
  min?: number;
  /** Placeholder of the value in `--help` (default by type: N, X, S…). */
  arg?: string;
  /** The default as `--help` shows it, where the value itself is not for people (an absolute path). */
  shownDefault?: string;
  /**
   * What the value changes: `records` (the default) the records a run commits, so committed units are
   * reused only by a run with the same value; `input` which input rows are read, not what a row becomes
   * (`--limit`: the units two runs share are reused, see `InputUnit`); `final` only the final step (run
   * again at every start); `nothing` none of these (worker counts, folders, terminal output).
   */
  affects?: 'records' | 'input' | 'final' | 'nothing';
  /** Needed by the command. */
  required?: boolean;
}

/** A command's options by flag name: the one place each option is declared. */
export type OptionTable = Record<string, OptionSpec>;

// constrained by `type` alone: `T[K] & { default: unknown }` is no OptionSpec under a user's
// `exactOptionalPropertyTypes` (its `default` may be undefined), and the published declarations must compile there
type Base<S extends Pick<OptionSpec, 'type'>> = S['type'] extends 'boolean'
  ? boolean
  : S['type'] extends 'int' | 'number'
    ? number
    : S extends { choices: readonly (infer C)[] }
      ? C
      : string;

/** Parsed values, typed from the table: an option without a default may be undefined. */
export type OptionValues<T extends OptionTable> = {
  -readonly [K in keyof T]: T[K] extends { default: unknown } | { type: 'boolean' } | { required: true }
    ? Base<T[K]>
    : Base<T[K]> | undefined;
};

/** Parse `argv` against a table; positionals are returned as they are. */
export function parseOptions<T extends OptionTable>(
  table: T,
  argv: string[],
): { values: OptionValues<T>; positionals: string[] } {
  const { values: raw, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: Object.fromEntries(
      Object.entries(table).map(([k, s]) => [k, { type: s.type === 'boolean' ? 'boolean' : 'string' }]),
    ) as Record<string, { type: 'string' | 'boolean' }>,
  });
  const values: Record<string, unknown> = {};
  for (const [flag, spec] of Object.entries(table)) {
    const v = (raw as Record<string, string | boolean | undefined>)[flag];
    if (v === undefined) {
      // the whole help text: its first line alone may stop mid-sentence (--input's does)
      if (spec.required) throw new UsageError(`--${flag} is required: ${spec.help.replace(/\n/g, ' ')}`);
      values[flag] = spec.type === 'boolean' ? (spec.default ?? false) : spec.default;
      continue;
    }
    values[flag] = convert(flag, spec, v);
  }
  return { values: values as OptionValues<T>, positionals };
}

function convert(flag: string, spec: OptionSpec, v: string | boolean): unknown {
  if (spec.type === 'boolean' || spec.type === 'string') return v;
  const s = String(v);
  if (spec.type === 'choice') {
    if (!spec.choices?.includes(s))
      throw new UsageError(`--${flag} must be one of ${spec.choices?.join('|')}, got "${s}"`);
    return s;
  }
  const n = Number(s);
  const min = spec.min ?? (spec.type === 'int' ? 1 : undefined);
  const kind = spec.type === 'int' ? 'an integer' : 'a number';
  if (s.trim() === '' || !Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n)))
    throw new UsageError(`--${flag} must be ${kind}${min === undefined ? '' : ` ≥ ${min}`}, got "${s}"`);
  if (min !== undefined && n < min) throw new UsageError(`--${flag} must be ${kind} ≥ ${min}, got "${s}"`);
  return n;
}

const PLACEHOLDER = { string: 'S', int: 'N', number: 'X', choice: 'NAME', boolean: '' } as const;

/**
 * The width help is laid out in: the terminal's, or 100 columns where the output is not a terminal (a pipe,
 * a file, the docs' copy of the help), so that copy is the same on every machine.
 */
export function helpWidth(): number {
  const cols = process.stdout.isTTY ? process.stdout.columns : undefined;
  return Math.max(60, Math.min(cols || 100, 160)); // a pseudo-terminal of no size says 0
}

const HELP_INDENT = 26;

/**
 * Words of `text` in lines of at most `width` columns. A word wider than that breaks after its `|`s (a list of
 * choices), else gets a line of its own.
 */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  const put = (piece: string, sep: string) => {
    if (line && line.length + sep.length + piece.length > width) {
      out.push(line);
      line = piece;
    } else line = line ? line + sep + piece : piece;
  };
  for (const word of text.split(' ')) {
    const pieces = word.length > width ? word.split(/(?<=\|)/) : [word];
    pieces.forEach((p, i) => put(p, i === 0 ? ' ' : ''));
  }
  return [...out, line];
}

/** Every line of `text` that is wider than `width`, wrapped at its words, its continuation lines indented as it is. */
export function fitWidth(text: string, width = helpWidth()): string {
  return text
    .split('\n')
    .flatMap((line) => {
      if (line.length <= width) return [line];
      const indent = /^ */.exec(line)![0];
      return wrap(line.slice(indent.length), width - indent.length).map((l) => indent + l);
    })
    .join('\n');
}

/** The table as `--help` lines: flag and value, then the help text, the choices and the default. */
export function optionHelp(table: OptionTable, width = helpWidth()): string {
  const lines = Object.entries(table).map(([flag, s]) => {
    const arg = s.type === 'boolean' ? '' : ` ${s.arg ?? PLACEHOLDER[s.type]}`;
    const extra = [
      s.choices ? s.choices.join('|') : '',
      s.shownDefault ? `default ${s.shownDefault}` : '',
      !s.shownDefault && s.default !== undefined && s.default !== false ? `default ${String(s.default)}` : '',
    ].filter(Boolean);
    const help = s.help + (extra.length ? ` (${extra.join('; ')})` : '');
    const head = `  --${flag}${arg}`;
    const text = help.split('\n').flatMap((l) => wrap(l, width - HELP_INDENT));
    const [first, ...rest] = text;
    const pad = head.length < HELP_INDENT ? head.padEnd(HELP_INDENT) : head + '\n' + ' '.repeat(HELP_INDENT);
    return [pad + first, ...rest.map((l) => ' '.repeat(HELP_INDENT) + l)].join('\n');
  });
  return lines.join('\n');
}

/** The values that decide the committed records (`affects: 'records'`): a run reuses units only when they match. */
export function recordSettings<T extends OptionTable>(
  table: T,
  values: OptionValues<T>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(table)
      .filter(([, s]) => (s.affects ?? 'records') === 'records')
      .map(([k]) => [k, (values as Record<string, unknown>)[k]]),
  );
}
