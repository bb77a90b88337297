#!/usr/bin/env node
// The command-line entry: registers the TypeScript loader, then runs lib/cli.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../app/cli.ts');
process.exitCode = await main(process.argv.slice(2));
