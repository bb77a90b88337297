import { expect } from 'chai';
import { lazy } from '../../lib/lazy.ts';

describe('lazy', () => {
  it('loads a module at the first call only, and a fresh copy after reset', () => {
    const ruff = lazy<typeof import('@astral-sh/ruff-wasm-nodejs')>('@astral-sh/ruff-wasm-nodejs');
    const first = ruff();
    expect(ruff()).to.equal(first);
    ruff.reset();
    const second = ruff();
    // another copy of the module: its own WebAssembly instance
    expect(second.Workspace).not.to.equal(first.Workspace);
    expect(ruff()).to.equal(second);
    expect(new second.Workspace({}, second.PositionEncoding.Utf16).format('x=1\n')).to.equal('x = 1\n');
  });
});
