// The live memory (heap and buffers) the curriculum holds at its peak for N pairs of 400 bytes, in bytes, printed:
// run in a process of its own by curriculum.test.ts (node --expose-gc --import tsx curriculum-peak.ts N).
import { RunContext } from '../../lib/context.ts';
import type { Pair } from '../../lib/schemas.ts';
import { curriculum, type OrderedPair } from '../../operators/curriculum.ts';

const n = Number(process.argv[2]);
async function* gen(): AsyncGenerator<Pair> {
  for (let i = 0; i < n; i++)
    yield { target_id: `t${i}`, curriculum_key: i % 50, chosen: `${i}`.padEnd(400, 'x') } as unknown as Pair;
}
const live = () => process.memoryUsage().heapUsed + process.memoryUsage().external;
gc!();
const base = live();
let max = 0;
let seen = 0;
const it: AsyncIterable<OrderedPair> = curriculum(new RunContext(), gen(), {
  epochs: 1,
  runSize: 500, // 20 runs at 10k, 200 at 100k: both past the merge's fan-in
});
for await (const _ of it) {
  if (++seen % 2000 === 0) {
    gc!();
    max = Math.max(max, live() - base);
  }
}
console.log(max);
