import type { Pipeline } from '../lib/pipeline.ts';
import { evaluation } from './eval.ts';
import { structurecoder } from './structurecoder.ts';
import { targetdpo } from './targetdpo.ts';

/** The pipelines `structflow run NAME` knows. */
export const PIPELINES: Record<string, Pipeline> = {
  structurecoder,
  targetdpo,
  eval: evaluation,
} as unknown as Record<string, Pipeline>;
