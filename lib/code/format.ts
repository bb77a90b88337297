import type { Workspace } from '@astral-sh/ruff-wasm-nodejs';
import { lazy } from '../lazy.ts';

const ruff = lazy<typeof import('@astral-sh/ruff-wasm-nodejs')>('@astral-sh/ruff-wasm-nodejs');

/** Black's default line length, which the StructureCoder reference used. */
export const DEFAULT_LINE_LENGTH = 88;

const workspaces = new Map<number, Workspace>();

/** The formatter's message for code it cannot parse (Python 2, syntax errors). */
export class FormatError extends Error {}

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
    throw new FormatError(String(err instanceof Error ? err.message : err).replace(/^Error: /, ''));
  }
}
