#!/usr/bin/env node
// `pnpm evals …` runs this bin: no `$ tsx …` echo, no wrapper process (see kit/src/bin.mjs).
import { runTypeScriptBin } from '@dark-factory/kit/bin';
import { register } from 'tsx/esm/api';

await runTypeScriptBin(register, new URL('../src/cli/main.ts', import.meta.url));
