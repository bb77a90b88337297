import type { PromptedTarget } from '../schemas.ts';

/** Sampling parameters of a request; `DEFAULT_PARAMS` holds the defaults. */
export interface GenerationParams {
  n: number;
  temperature: number;
  top_p: number;
  max_tokens: number;
  stop: string[];
  seed: number;
}

export const DEFAULT_PARAMS: GenerationParams = {
  n: 5,
  temperature: 0.7,
  top_p: 0.95,
  max_tokens: 512,
  stop: ['<|endoftext|>', '<|im_end|>'],
  seed: 0,
};

/** What a generator is asked for. */
export interface GenerationRequest {
  /** The prompt to continue: the FIM prompt (ending with the start string) or the chat prompt. */
  prompt: string;
  /** The text every candidate begins with (indentation + keyword for FIM; empty for chat). */
  start: string;
  params: GenerationParams;
  /** The target itself, for generators that work from the golden middle instead of a model. */
  target: PromptedTarget;
}

/** One candidate. */
export interface Generation {
  /** For a model: the continuation after the prompt. For a model-free generator: the whole middle. */
  text: string;
  /** What made it (a mutation's name, the model, …). */
  origin: string;
  /** Whether a generation cache answered (undefined without a cache). */
  cached?: boolean;
}

/**
 * A source of candidates. Model backends continue the prompt; `continues` tells the generate stage
 * whether to prepend the start string and post-process `text` (FIM: one block; chat: up to the fence).
 */
export interface Generator {
  name: string;
  /** Its candidates are edits of the golden middle, not samples of a model: a pair then takes the golden
   *  middle as its chosen side, so that its two sides differ only by the edit that broke one of them. */
  editsGolden?: boolean;
  /** Model name for the cache key and the records. */
  model: string;
  /** What the cache keys on instead of `model` where a name does not tell models apart (a local folder
   *  retrained in place keeps its name): the name and the model files' stamp. */
  identity?: string;
  continues: boolean;
  /**
   * Throws, naming the cause and the fix, unless the generator can work: its model loads, its server
   * answers. A run calls it before its first unit, so a broken setup stops it before anything is committed
   * rather than rejecting every record. Nothing to check: leave it out (the mutation generator).
   */
  ready?(): Promise<void>;
  /**
   * Candidates for one request: continuations of the prompt, or whole middles for a model-free generator.
   * A failure that is not this record's (the model cannot load, the server stopped answering, an I/O error)
   * throws `Fatal`, which stops the run with its unit uncommitted; any other error rejects the record.
   */
  generate(req: GenerationRequest): Promise<Generation[]>;
}
