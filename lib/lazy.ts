import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS dependency loaded at its first use rather than at start-up: the native and WebAssembly
 * modules (tree-sitter, Ruff, onnxruntime, the Parquet writers) cost ~0.1–0.3 CPU-s each to load, which
 * every command would pay, and every rank of a scaled-out run, whether it uses them or not.
 *
 * @example
 * const ort = lazy<typeof import('onnxruntime-node')>('onnxruntime-node');
 * ort().InferenceSession.create(path);
 */
export function lazy<T>(name: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(name) as T);
}
