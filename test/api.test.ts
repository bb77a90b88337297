import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../lib/root.ts';

describe('the public API reference', function () {
  this.timeout(300_000);

  it('builds with no warning: every exported symbol, and every type it names, is exported and documented', () => {
    // typedoc.json: notDocumented validation for functions, classes, interfaces, types and variables, warnings as errors
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'typedoc'), ['--emit', 'none'], { cwd: ROOT });
    expect(r.status, r.stdout.toString() + r.stderr.toString()).to.equal(0);
  });
});
