import type { TestSpec } from '../schemas.ts';

/** How many tests a spec holds: an assert spec's code is one test, the others have one per input. */
export const testCount = (tests: TestSpec): number => (tests.kind === 'assert' ? 1 : tests.inputs.length);

/** The CPU seconds test `i` may use: its own limit in `perTest` where it has one, never more than `cap`. */
export const testCpu = (perTest: number[] | undefined, i: number, cap: number): number =>
  Math.min(perTest?.[i] ?? cap, cap);

/** A test's wall limit for a CPU limit of `cpu_s` (the runner's wall_limit). */
export const wallLimit = (cpu_s: number): number => Math.max(3 * cpu_s, cpu_s + 2);
