import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root folder (the one with package.json), found from this file, so that the sources and
 * the compiled build (`dist/`, one level deeper) both find `python/` and `fixtures/`.
 */
export const ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('structflow: cannot find the package root above ' + import.meta.url);
    d = up;
  }
  return d;
})();
