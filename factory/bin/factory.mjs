#!/usr/bin/env node
// `pnpm factory …` runs this bin (linked into the root's node_modules/.bin): pnpm runs a bin without
// echoing a `$ tsx …` script line, and tsx is registered in this process, so there is no wrapper
// process to relay Ctrl-C to `serve`, `worker` or `poll` a second time.
import { register } from 'tsx/esm/api';

register();
const { runProcess } = await import('../src/cli/main.ts');
await runProcess(process.argv.slice(2));
