import type { Pipeline } from '../lib/pipeline.ts';
import { structurecoder } from './structurecoder.ts';
import { targetdpo } from './targetdpo.ts';

/** The pipelines `structflow run NAME` knows. */
export const PIPELINES: Record<string, Pipeline> = { structurecoder, targetdpo } as unknown as Record<
  string,
  Pipeline
>;
