#!/usr/bin/env node
import { main } from './main-run.js';

process.exitCode = await main(process.argv.slice(2), { log: (line) => console.log(line), error: (line) => console.error(line) });
