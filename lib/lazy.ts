import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A module loaded at its first use; see `lazy`. */
export interface Lazy<T> {
  (): T;
  /**
   * Forgets the loaded copy: the next call loads the module's main file again, with state of its own. For a
   * WebAssembly module left broken by a trap (wasm-bindgen's Node build instantiates when its file loads).
   * The files the main file requires stay loaded, and a native addon cannot be loaded twice.
   */
  reset(): void;
}

/**
 * A CommonJS dependency loaded at its first use rather than at start-up: the native and WebAssembly
 * modules (tree-sitter, Ruff, onnxruntime, the Parquet writers) cost ~0.1–0.3 CPU-s each to load, which
 * every command would pay, and every rank of a scaled-out run, whether it uses them or not.
 *
 * @example
 * const ort = lazy<typeof import('onnxruntime-node')>('onnxruntime-node');
 * ort().InferenceSession.create(path);
 */
export function lazy<T>(name: string): Lazy<T> {
  let mod: T | undefined;
  // a require of its own for each load: a shared one's module lists every copy it loaded (`children`),
  // which would keep each dropped copy, and a WebAssembly instance's memory with it, alive
  const load = () => createRequire(import.meta.url)(name) as T;
  return Object.assign(() => (mod ??= load()), {
    reset() {
      mod = undefined;
      delete require.cache[require.resolve(name)];
    },
  });
}
