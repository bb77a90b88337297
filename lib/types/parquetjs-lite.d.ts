// The parts of parquetjs-lite's API that StructFlow uses (the package ships no types).
declare module 'parquetjs-lite' {
  export type FieldSpec = { type: string; optional?: boolean; compression?: string; repeated?: boolean };
  export class ParquetSchema {
    constructor(fields: Record<string, FieldSpec>);
  }
  export interface ParquetCursor {
    next(): Promise<Record<string, unknown> | null>;
  }
  export class ParquetReader {
    static openFile(path: string): Promise<ParquetReader>;
    getCursor(columns?: string[]): ParquetCursor;
    getRowCount(): number;
    close(): Promise<void>;
  }
  export class ParquetWriter {
    static openFile(
      schema: ParquetSchema,
      path: string,
      opts?: Record<string, unknown>,
    ): Promise<ParquetWriter>;
    appendRow(row: Record<string, unknown>): Promise<void>;
    setRowGroupSize(n: number): void;
    close(): Promise<void>;
  }
  const parquet: {
    ParquetReader: typeof ParquetReader;
    ParquetWriter: typeof ParquetWriter;
    ParquetSchema: typeof ParquetSchema;
  };
  export default parquet;
}
