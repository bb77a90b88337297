import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFloat, parseJson, stringifyJson } from '../../lib/json.ts';
import { readJsonl, type SourceRow } from '../../lib/sources.ts';

// Python reads what Node writes: the repr of each value as the Python side sees it
const py = (json: string): string =>
  execFileSync('python3', ['-c', 'import json,sys; print(repr(json.loads(sys.stdin.read())))'], {
    input: json,
  })
    .toString()
    .trim();

describe('lossless JSON (lib/json.ts)', () => {
  const TEXT =
    '[18446744073709551616, -9007199254740993, 1.0, -0.0, 1e20, 1e400, 2.5, 0.1, 3, "1.0", 12345678901234567890123]';

  it('reads integers past 2^53 exactly and keeps floats floats, where JSON.parse would not', () => {
    const v = parseJson(TEXT) as unknown[];
    expect(v[0]).to.equal(18446744073709551616n);
    expect(v[1]).to.equal(-9007199254740993n);
    expect(v[2]).to.be.instanceOf(JsonFloat);
    expect(v.slice(6, 9)).to.deep.equal([2.5, 0.1, 3]);
    expect(v[9]).to.equal('1.0');
    expect(JSON.stringify(JSON.parse(TEXT))).to.not.equal(TEXT.replace(/, /g, ','));
  });

  it('writes them so that Python reads the values the data holds', () => {
    expect(py(stringifyJson(parseJson(TEXT)))).to.equal(
      "[18446744073709551616, -9007199254740993, 1.0, -0.0, 1e+20, inf, 2.5, 0.1, 3, '1.0', 12345678901234567890123]",
    );
    // plain data takes the native path and is written as JSON.stringify writes it
    const plain = { a: [1, 2.5, 'x'], b: null };
    expect(stringifyJson(plain)).to.equal(JSON.stringify(plain));
  });

  it("reads the bare NaN and ±Infinity that Python's json writes (MBPP+'s Mbpp/404), and writes them back for it", () => {
    const v = parseJson('{"base_input": [[-Infinity, NaN, Infinity, 2]], "s": "NaN Infinity"}');
    expect(py(stringifyJson(v))).to.equal("{'base_input': [[-inf, nan, inf, 2]], 's': 'NaN Infinity'}");
    // a test built in JavaScript holds them as numbers: they cross as themselves, not as JSON.stringify's null
    expect(py(stringifyJson({ outputs: [NaN, -Infinity, [Infinity, 1]] }))).to.equal(
      "{'outputs': [nan, -inf, [inf, 1]]}",
    );
    // only a bare name is read so: anything else that JSON.parse refuses is still an error
    expect(() => parseJson('{"a": Infinite}')).to.throw();
    expect(() => parseJson('{"a": NaN')).to.throw();
  });

  it('a JSON-lines file reads losslessly, row by row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-json-'));
    const path = join(dir, 'rows.jsonl');
    writeFileSync(path, '{"id": 1, "base_input": [[18446744073709551623, 1.0]]}\n{"id": 2, "x": 0.5}\n');
    const rows: SourceRow[] = [];
    for await (const r of readJsonl(path)) rows.push(r as SourceRow);
    const input = (rows[0]!.row as { base_input: unknown[][] }).base_input[0]!;
    expect(input[0]).to.equal(18446744073709551623n);
    expect(stringifyJson(input)).to.equal('[18446744073709551623,1.0]');
    expect(rows[1]!.row).to.deep.equal({ id: 2, x: 0.5 });
  });
});
