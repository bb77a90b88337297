import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../lib/root.ts';

/** Every relative import of a TypeScript file, as a path from the repository root. */
function importsOf(file: string, source = readFileSync(file, 'utf8')): string[] {
  const specs = [...source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, resolve(dirname(file), s)));
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((e) => {
    const p = join(ROOT, dir, e);
    if (statSync(p).isDirectory()) return tsFiles(join(dir, e));
    return p.endsWith('.ts') ? [p] : [];
  });
}

// the domain's helpers and its records (problems, targets, pairs): the engine imports none of them
const DOMAIN = ['lib/code/', 'lib/sandbox/', 'lib/generators/', 'lib/train/', 'lib/schemas.ts'];
const ABOVE_LIB = ['operators/', 'readers/', 'pipelines/', 'app/'];

/** The rule a file breaks by importing `target`, or undefined. */
function violation(file: string, target: string): string | undefined {
  const from = relative(ROOT, file);
  const engine = from.startsWith('lib/') && !DOMAIN.some((d) => from.startsWith(d));
  if (from.startsWith('lib/') && ABOVE_LIB.some((d) => target.startsWith(d)))
    return 'lib/ imports a layer above it';
  if (engine && DOMAIN.some((d) => target.startsWith(d))) return 'the engine imports a domain helper';
  if (from.startsWith('operators/') && target.startsWith('operators/')) return 'an operator imports another';
  if (from.startsWith('readers/') && /^(operators|pipelines|app)\//.test(target))
    return 'a reader imports a stage';
  if (from.startsWith('pipelines/') && target.startsWith('app/')) return 'a pipeline imports the application';
  if (!from.startsWith('api/') && target.startsWith('api/'))
    return 'a layer imports the public API, which is above all';
  return undefined;
}

describe('layering: lib/ is the engine, and each layer imports only those below it', () => {
  it('the check sees a violation of each rule (so a clean result means something)', () => {
    const cases: [string, string][] = [
      ['lib/runner.ts', "import { x } from '../pipelines/index.ts';"],
      ['lib/runner.ts', "import { x } from './code/blocks.ts';"],
      ['lib/stage.ts', "import { x } from './schemas.ts';"],
      ['operators/pair.ts', "import { x } from './split.ts';"],
      ['readers/apps.ts', "import { x } from '../operators/split.ts';"],
      ['pipelines/index.ts', "import { x } from '../app/cli.ts';"],
      ['app/cli.ts', "import { x } from '../api/index.ts';"],
    ];
    for (const [file, src] of cases) {
      const path = join(ROOT, file);
      const broken = importsOf(path, src).map((t) => violation(path, t));
      expect(broken.filter(Boolean), `${file}: ${src}`).to.have.length(1);
    }
  });

  it('no file breaks a rule', () => {
    const found: string[] = [];
    for (const dir of ['lib', 'operators', 'readers', 'pipelines', 'app', 'api']) {
      for (const file of tsFiles(dir)) {
        for (const target of importsOf(file)) {
          const v = violation(file, target);
          if (v) found.push(`${relative(ROOT, file)} → ${target}: ${v}`);
        }
      }
    }
    expect(found).to.deep.equal([]);
  });

  it('the public API only re-exports: api/ files hold no code of their own', () => {
    for (const file of tsFiles('api')) {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[^]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/export (type )?\{[^}]*\} from '[^']+';/g, '')
        .replace(/export \* as \w+ from '[^']+';/g, '')
        .trim();
      expect(code, relative(ROOT, file)).to.equal('');
    }
  });
});
