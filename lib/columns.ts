import { z } from 'zod';
import type { Column, ColumnType } from './arrow.ts';

/** Per-field hints for `columnsOf`: leave a field out of the shards, or give its Arrow type. */
export const columnHints = z.registry<{ column: false } | { type: ColumnType }>();

/** A field that records carry between stages but the shards do not (a link to the problem, say). */
export function notAColumn<T extends z.ZodType>(schema: T): T {
  columnHints.add(schema, { column: false });
  return schema;
}

/**
 * The Parquet columns of a record schema, in its field order: strings and enums are `string`,
 * integers `int32`, other numbers `float64`, lists of integers `int32_list`, other lists and objects
 * `json`; optional fields are nullable. A field's `columnHints` entry overrides this.
 *
 * @example
 * columnsOf(z.object({ id: z.string(), n: z.number().int(), tags: z.array(z.string()) }))
 * // [{ name: 'id', type: 'string' }, { name: 'n', type: 'int32' }, { name: 'tags', type: 'json' }]
 */
export function columnsOf<R>(schema: z.ZodObject): Column<R>[] {
  const columns: Column<R>[] = [];
  for (const [name, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    let inner = field;
    let nullable = false;
    while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) {
      if (columnHints.get(inner)) break;
      inner = inner.unwrap() as z.ZodType;
      nullable = true;
    }
    const hint = columnHints.get(inner) ?? columnHints.get(field);
    if (hint && 'column' in hint) continue;
    const type = hint?.type ?? typeOf(inner, name);
    columns.push(nullable ? { name, type, nullable } : { name, type });
  }
  return columns;
}

function typeOf(s: z.ZodType, name: string): ColumnType {
  if (s instanceof z.ZodString || s instanceof z.ZodEnum) return 'string';
  if (s instanceof z.ZodNumber) return s.isInt ? 'int32' : 'float64';
  if (s instanceof z.ZodBoolean) return 'bool';
  if (s instanceof z.ZodArray) {
    const e = s.element as z.ZodType;
    return e instanceof z.ZodNumber && e.isInt ? 'int32_list' : 'json';
  }
  if (
    s instanceof z.ZodObject ||
    s instanceof z.ZodRecord ||
    s instanceof z.ZodUnknown ||
    s instanceof z.ZodDiscriminatedUnion
  )
    return 'json';
  throw new Error(`field ${name}: no column type for a ${s._zod.def.type} (give it a columnHints entry)`);
}
