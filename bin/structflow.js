#!/usr/bin/env node
// The command-line entry: the compiled build (npm ci, npm run build) of app/cli.ts.
import { main } from '../dist/app/cli.js';

process.exitCode = await main(process.argv.slice(2));
