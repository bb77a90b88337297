import { z } from 'zod';
import { TestResult, Verdict } from '../schemas.ts';

// Every message the runner and the judge send, as Node accepts it: anything else is a protocol error that
// ends the slot (ProcFailure 'protocol'), never a value handed on.

/** The sandbox protocol's version: the first line each process sends, and part of the verdict cache's key. */
export const PROTOCOL_VERSION = 5;

const ms = z.number().finite().nonnegative();
const text = z.string().max(1 << 16);
const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

export const Hello = z.object({ ready: z.literal(PROTOCOL_VERSION) }).strict();

/**
 * What a program left of its slot, said once it is over (python/sandbox_runner.py, slot_state): `retire`, state
 * the runner cannot clear, so the slot is replaced; `unhealthy`, after an error the slot could not start a
 * process, a thread or memory, so the error may not be the program's: not its verdict.
 */
const SlotState = { retire: text.optional(), unhealthy: text.optional() };

/** A runner's observation of one stdio test. */
export const ObservedTest = z.object({
  status: z.enum(['ok', 'error', 'timeout', 'wall_timeout', 'memory', 'output_limit']),
  /** The test's output bytes, base64: a frame stays within 4/3 of the output limit whatever the bytes are. */
  out_b64: b64,
  cpu_ms: ms,
  wall_ms: ms,
  error: text.optional(),
});

/** What the runner sends while it runs a stdio program: the tests it ran, a few a frame, then how it ended. */
export const RunnerFrame = z.union([
  z.object({ tests: z.array(ObservedTest).min(1).max(64) }).strict(),
  z
    .object({ status: z.enum(['done', 'compile_error', 'error']), error: text.optional(), ...SlotState })
    .strict(),
]);
export type RunnerFrame = z.infer<typeof RunnerFrame>;

/** Calls in one request of the judge at most (the judge's and the runner's BATCH_CALLS). */
export const BATCH_CALLS = 128;

/** The runner's answer to open, rpc and close (the program's reply line stays opaque: the judge reads it). */
const RunnerAnswer = z
  .object({
    status: z.enum([
      'ok',
      'error',
      'timeout',
      'wall_timeout',
      'memory',
      'output_limit',
      'compile_error',
      'closed',
    ]),
    /** The program's reply line, base64: the judge reads it. */
    reply_b64: b64.optional(),
    error: text.optional(),
    cpu_ms: ms.optional(),
    ...SlotState,
  })
  .strict();
/** ... or to a batch of calls (the judge's calls planned ahead): one answer a call it ran, in order. */
export const RunnerReply = RunnerAnswer.extend({
  batch: z.array(RunnerAnswer).min(1).max(BATCH_CALLS).optional(),
});
export type RunnerReply = z.infer<typeof RunnerReply>;

/** A test as the judge decided it; `wall` marks a timeout on the wall clock (run again once). */
export const JudgedTest = TestResult.extend({ wall: z.boolean().optional() }).strict();
export type JudgedTest = z.infer<typeof JudgedTest>;

export const JudgeResult = z
  .object({
    verdict: Verdict,
    tests: z.array(JudgedTest),
    error: text.optional(),
    wall_timeout: z.boolean().optional(),
    /** A recording run's (`ExecRequest.record`) return values, one a test: the judge's JSON text, or null
     *  where the program raised (that test says why). */
    outputs: z.array(z.string().nullable()).optional(),
    /** ... and each input as the judge's JSON text, in the types the program's contract accepted. */
    inputs: z.array(z.string().nullable()).optional(),
    /** How many inputs were taken in other types than JSON gave them (tuples, floats). */
    retyped: z.number().int().nonnegative().optional(),
  })
  .strict();
export type JudgeResult = z.infer<typeof JudgeResult>;

/** What the judge sends during a call/assert test: a request for the program, or the verdict. */
export const JudgeResultMessage = z.object({ result: JudgeResult }).strict();
export const JudgeMessage = z.union([
  z
    .object({
      rpc: z.union([z.string(), z.array(z.string()).min(1).max(BATCH_CALLS)]),
      /** What is left of the test's CPU; for a batch of calls that are each a test, each one's. */
      cpu_s: z
        .union([z.number().finite().positive(), z.array(z.number().finite().positive()).max(BATCH_CALLS)])
        .nullable(),
    })
    .strict(),
  JudgeResultMessage,
]);
export const JudgeTestsMessage = z.object({ tests: z.array(JudgedTest).max(64) }).strict();
