#!/usr/bin/env node
// `pnpm evals …` runs this bin (linked into the root's node_modules/.bin): pnpm runs a bin without
// echoing a `$ tsx …` script line, and tsx is registered in this process (no wrapper process).
import { register } from 'tsx/esm/api';

register();
const { runProcess } = await import('../src/cli/main.ts');
await runProcess(process.argv.slice(2));
