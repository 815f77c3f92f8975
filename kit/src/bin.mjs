// The one body of the packages' bins (rag, evals, factory): plain JavaScript, because node runs a bin
// before any TypeScript loader is registered. `pnpm rag …` runs a bin (linked into the root's
// node_modules/.bin) without echoing a `$ tsx …` script line, and tsx is registered in this process,
// so there is no wrapper process to relay Ctrl-C a second time (to `serve`, `worker` or `poll`).
// tsx comes from the caller (the repository root's devDependency), so kit depends on nothing of it.

/**
 * Registers the TypeScript loader, then runs the CLI module's `runProcess` on this process's argv.
 * @param {() => unknown} register tsx's `register` (from `tsx/esm/api`)
 * @param {URL} cliMain the CLI's main.ts, which exports `runProcess(argv)`
 * @returns {Promise<void>}
 */
export async function runTypeScriptBin(register, cliMain) {
  register();
  const { runProcess } = await import(cliMain.href);
  await runProcess(process.argv.slice(2));
}
