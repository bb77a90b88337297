import type { Workspace } from '@astral-sh/ruff-wasm-nodejs';
import { lazy } from '../lazy.ts';

const ruff = lazy<typeof import('@astral-sh/ruff-wasm-nodejs')>('@astral-sh/ruff-wasm-nodejs');

/** Black's default line length, which the StructureCoder reference used. */
export const DEFAULT_LINE_LENGTH = 88;

const workspaces = new Map<number, Workspace>();

/** The formatter's message for code it cannot parse (Python 2, syntax errors). */
export class FormatError extends Error {}

/**
 * The formatter itself failed on the code, with the engine's message: a WebAssembly trap, or V8's stack
 * limit (Ruff's parser and formatter recurse once per nesting level: a long attribute chain or sum, deep
 * calls or brackets overflow them at a few KB of valid Python). The next call gets a fresh instance.
 */
export class FormatterCrash extends Error {}

/**
 * Black-style formatting in-process with Ruff's formatter (compiled to WebAssembly), which follows
 * Black's style; no Python process per file. Line endings are normalised to "\n".
 */
export function formatPython(code: string, lineLength = DEFAULT_LINE_LENGTH): string {
  let ws = workspaces.get(lineLength);
  if (!ws) {
    ws = new (ruff().Workspace)({ 'line-length': lineLength }, ruff().PositionEncoding.Utf16);
    workspaces.set(lineLength, ws);
  }
  try {
    return ws.format(code.replace(/\r\n?/g, '\n'));
  } catch (err) {
    // the formatter returns its verdict on the code as a plain Error; anything else is the engine failing
    if (err instanceof Error && Object.getPrototypeOf(err) === Error.prototype)
      throw new FormatError(err.message.replace(/^Error: /, ''));
    restart();
    throw new FormatterCrash(String(err));
  }
}

/**
 * Drops the instance and its workspaces. A trap unwinds Ruff's code without giving back the stack it
 * holds in its own memory, nor the workspace it borrowed: after a trap the instance fails every call,
 * after V8's stack limit it fails sooner on deep code, and soon on every call. A fresh one formats them
 * byte for byte as before.
 */
function restart() {
  for (const ws of workspaces.values()) {
    try {
      // unregisters it from the module's finalizer first, which would call the broken instance, trap
      // again at some later garbage collection, and end the process with an uncaught error
      ws.free();
    } catch {
      // the broken instance refuses: the workspace is still borrowed by the call that trapped
    }
  }
  workspaces.clear();
  ruff.reset();
}
