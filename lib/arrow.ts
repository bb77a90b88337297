import { stringifyJson } from './json.ts';
import {
  Bool,
  Field,
  Float64,
  Int32,
  List,
  makeBuilder,
  RecordBatch,
  Struct,
  Table,
  Utf8,
  type Builder,
  type DataType,
} from 'apache-arrow';

/** Column types a StructFlow output can have. `json` is stored as a UTF-8 string of JSON. */
/** `messages`: a chat message list, list<struct<role, content>> (what Hugging Face `datasets` reads as messages). */
export type ColumnType = 'string' | 'int32' | 'float64' | 'bool' | 'json' | 'int32_list' | 'messages';

/** A Parquet column of the shards: its name, type and whether it may be null. */
export interface Column<R> {
  name: string;
  type: ColumnType;
  /** Value of the column for a record; defaults to the record's property of the same name. */
  get?: (record: R) => unknown;
  nullable?: boolean;
}

export function arrowType(t: ColumnType): DataType {
  switch (t) {
    case 'string':
    case 'json':
      return new Utf8();
    case 'int32':
      return new Int32();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'int32_list':
      return new List(new Field('item', new Int32(), false));
    case 'messages':
      return new List(
        new Field(
          'item',
          new Struct([new Field('role', new Utf8(), false), new Field('content', new Utf8(), false)]),
          false,
        ),
      );
  }
}

/**
 * Turns records into Arrow record batches with typed builders, one batch per `batchSize` records.
 * A value of the wrong type is an error naming the column, not a silent null.
 */
export class BatchBuilder<R> {
  private builders: Builder[] = [];
  private rows = 0;

  constructor(
    readonly columns: Column<R>[],
    readonly batchSize = 4096,
  ) {
    this.reset();
  }

  private reset() {
    this.builders = this.columns.map((c) =>
      makeBuilder({ type: arrowType(c.type), nullValues: [null, undefined] }),
    );
    this.rows = 0;
  }

  get pending(): number {
    return this.rows;
  }

  /** Add a record; returns a finished batch when `batchSize` records have accumulated. */
  add(record: R): RecordBatch | undefined {
    this.columns.forEach((c, i) => {
      const raw = c.get ? c.get(record) : (record as Record<string, unknown>)[c.name];
      (this.builders[i] as Builder).append(checkValue(c, raw));
    });
    this.rows++;
    return this.rows >= this.batchSize ? this.flush() : undefined;
  }

  /** The records added since the last batch, as a batch (undefined when there are none). */
  flush(): RecordBatch | undefined {
    if (this.rows === 0) return undefined;
    const vectors = Object.fromEntries(
      this.columns.map((c, i) => [c.name, (this.builders[i] as Builder).finish().toVector()]),
    );
    this.reset();
    return new Table(vectors).batches[0];
  }
}

function checkValue<R>(c: Column<R>, v: unknown): unknown {
  if (v === null || v === undefined) {
    if (c.nullable) return null;
    throw new Error(`column ${c.name}: missing value`);
  }
  const bad = () => new Error(`column ${c.name}: expected ${c.type}, got ${typeof v}`);
  switch (c.type) {
    case 'string':
      if (typeof v !== 'string') throw bad();
      return v;
    case 'json':
      return stringifyJson(v);
    case 'int32':
      if (!Number.isInteger(v)) throw bad();
      return v;
    case 'float64':
      if (typeof v !== 'number') throw bad();
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw bad();
      return v;
    case 'int32_list':
      if (!Array.isArray(v) || !v.every(Number.isInteger)) throw bad();
      return v;
    case 'messages': {
      const ok = (m: unknown) =>
        typeof (m as { role?: unknown }).role === 'string' &&
        typeof (m as { content?: unknown }).content === 'string';
      if (!Array.isArray(v) || !v.every(ok)) throw bad();
      return v;
    }
  }
}
