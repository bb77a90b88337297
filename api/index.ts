/**
 * StructFlow's public API: declare pipelines of your own, run them with everything `structflow run` gives,
 * and read datasets. What this file (and `structflow/code-dpo`) exports is the stable surface; any other
 * module of the package is free to change.
 *
 * @example
 * import { definePipeline, runPipeline, stage, Rejected } from 'structflow';
 * import { formatStep, labelStep, options } from 'structflow/code-dpo';
 *
 * @packageDocumentation
 */

// declaring pipelines: steps, the final step, options
export { definePipeline, compose, plan } from '../lib/pipeline.ts';
export type {
  Pipeline,
  PipelineDeclaration,
  Step,
  Steps,
  FinalStep,
  Plan,
  ChainBreak,
  Unchained,
} from '../lib/pipeline.ts';
export type { ReportSpec, Chart } from '../lib/report.ts';
export type { PairBrowser, BrowsedPair } from '../lib/report-pairs.ts';
export type { Column, ColumnType } from '../lib/arrow.ts';
export { parseOptions, optionHelp, UsageError } from '../lib/options.ts';
export type { OptionSpec, OptionTable, OptionValues } from '../lib/options.ts';

// writing a stage: the one helper every operator goes through, its rejects and counters
export type { OperatorFunction } from 'rxjs';
export { stage, orderedMap, Rejected, Fatal } from '../lib/stage.ts';
export type { StageFn, StageSpec } from '../lib/stage.ts';
export { RunContext, StageStats } from '../lib/context.ts';
export type { StageCounters, StageMetrics, Tally } from '../lib/context.ts';
export { Reject, describeZodError } from '../lib/records.ts';
export { groupAdjacent } from '../lib/group.ts';
export { prng, hash32, shuffle } from '../lib/random.ts';

// running: one call with units, resume, ranks, rejects, shards, manifest, report and progress
export { runPipeline, RUN_OPTIONS } from '../app/commands/run.ts';
export type { RunValues, RunPipelineOptions } from '../app/commands/run.ts';
export { loadPipeline } from '../app/pipeline-module.ts';
export { mergeRanks } from '../app/commands/merge.ts';
export type { MergeOptions } from '../app/commands/merge.ts';

// records in and out: dataset readers, row sources, shards and the manifest
export { readProblems, readProblemUnits, registerReader, INPUT_FORMATS } from '../readers/index.ts';
export type { Reader, InputUnit, UnitOptions } from '../lib/units.ts';
export type { ProblemReadOptions } from '../readers/index.ts';
export { readRows, readJsonl, readParquet, readArrow } from '../lib/sources.ts';
export type { RowOrError, SourceRow, BadRow, DamagedAt } from '../lib/sources.ts';
export type { Damage } from '../lib/decompress.ts';
export { writeShards, PARQUET_ENGINES } from '../lib/shards.ts';
export type { ShardInfo, ShardOptions, ParquetEngine } from '../lib/shards.ts';
export { readManifest, shardRows } from '../lib/manifest.ts';
export type { Manifest } from '../lib/manifest.ts';

// adapters: the same records through rxjs, highland or Node streams, with backpressure
export { pullThrough } from '../lib/pull.ts';
export type { PullOptions } from '../lib/pull.ts';
export { fromHighland, toHighland, fromNodeStream, toNodeStream, intoWritable } from '../lib/adapters.ts';
