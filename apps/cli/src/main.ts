#!/usr/bin/env node
import { processIo } from './io.js';
import { run } from './run.js';

const code = await run(process.argv.slice(2), processIo());
// Leave once the output is flushed: a request still under way after --timeout gave up, or a
// keep-alive socket, must not hold the terminal.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
