#!/usr/bin/env node
// The command-line entry: the compiled build (npm ci, npm run build) of app/cli.ts.
import { main } from '../dist/app/cli.js';

// a reader that stops early (`structflow blocks f.py | head`) is not an error of ours
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2));
