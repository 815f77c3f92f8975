#!/usr/bin/env node
import { isEntryModule, packageVersion, runAsProcess } from '@dark-factory/kit/cli';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.ts';
import { parseVideoRef } from '../ingest/video-ref.ts';
import { registerAdminCommands } from './admin.ts';
import { ask } from './commands/ask.ts';
import { ingest } from './commands/ingest.ts';
import { search } from './commands/search.ts';
import { serve } from './commands/serve.ts';
import { reindex, stats } from './commands/store-admin.ts';
import { type CliContext, createContext, helpWidth, writeLine } from './context.ts';
import { errorLine } from './errors.ts';
import { withRag } from './store.ts';

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

/** A video as its id, or as the YouTube link a user copies (youtu.be/ID?t=…, watch?v=ID). */
const videoOption = (value: string) => {
  // Anything else is an id as stored (a file's own id may hold a dot).
  if (!value.includes('/') && !/youtu\.?be|youtube\./i.test(value)) return value;
  try {
    return parseVideoRef(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
};

/**
 * The commands, their options and help; each action is a function of the context in ./commands.
 * `code` carries an action's exit code out of commander (which knows none).
 */
export function buildProgram(ctx: CliContext, code: { exit: number } = { exit: 0 }): Command {
  const run =
    <A extends unknown[]>(action: (...args: A) => Promise<number>) =>
    async (...args: A) => {
      code.exit = await action(...args);
    };
  const program = new Command('rag')
    .description(
      'Ask questions about a YouTube channel: ingest transcripts, search them, answer with timestamped citations.',
    )
    .version(
      packageVersion(new URL('../../package.json', import.meta.url)),
      '-V, --version',
      'print the version',
    )
    // Help and version go through the context (captured in-process); errors are printed once, by
    // main(), as `rag: <code>: <message>`. Subcommands inherit both settings.
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: () => undefined,
      getOutHelpWidth: () => helpWidth(ctx.stdout) ?? 80,
      getErrHelpWidth: () => helpWidth(ctx.stderr) ?? 80,
    })
    .exitOverride();

  program
    .command('ingest')
    .description(
      'ingest transcripts: video ids/urls (online), --corpus <dir>, --file <path>, or --list <file>',
    )
    .argument('[videos...]', 'YouTube video ids or urls')
    .option(
      '--corpus <dir>',
      'a directory in the shared corpus format (front matter + **[H:MM:SS]** segments)',
    )
    .option('--file <path...>', 'transcript files: youtube-transcript JSON, WebVTT (.vtt) or SRT (.srt)')
    .option('--list <file>', 'a text file of video ids/urls, one per line')
    .option('--video-id <id>', 'the video id of a single --file when its name does not carry it')
    .option('--title <title>', 'the title of a single --file')
    .option('--json', 'print the summary as JSON')
    .option('--verbose', 'list every video as it is stored (else a progress bar, or a line every tenth)')
    .action(run((videos: string[], opts: Parameters<typeof ingest>[2]) => ingest(ctx, videos, opts)));

  program
    .command('ask')
    .description('answer a question from the ingested videos, with timestamped citations')
    .argument('<question>', 'the question')
    .option('--json', 'print one JSON object: { answer, refused, citations, timings }')
    .option('--k <n>', 'passages to retrieve', positiveInt('--k'))
    .option('--video <id>', 'only this video (its id or a YouTube link)', videoOption)
    .action(run((question: string, opts: Parameters<typeof ask>[2]) => ask(ctx, question, opts)));

  program
    .command('search')
    .description('rank transcript passages for a query (BM25; fused with vectors when EMBEDDER is set)')
    .argument('<query>', 'the query')
    .option('--json', 'print the ranked chunks as JSON')
    .option('--k <n>', 'results', positiveInt('--k'), 10)
    .option('--video <id>', 'only this video (its id or a YouTube link)', videoOption)
    .option('--after <date>', 'only videos published on or after YYYY-MM-DD')
    .option('--before <date>', 'only videos published on or before YYYY-MM-DD')
    .action(run((query: string, opts: Parameters<typeof search>[2]) => search(ctx, query, opts)));

  program
    .command('serve')
    .description('start the HTTP API and web page (honours PORT and HOST)')
    .option('--corpus <dir>', 'ingest this corpus directory first (skips unchanged videos)')
    .action(run((opts: { corpus?: string }) => serve(ctx, opts)));

  program
    .command('reindex')
    .description('drop every stored vector and embed the store again with the configured EMBEDDER')
    .action(run(() => reindex(ctx)));

  program
    .command('stats')
    .description('count the videos and chunks in the store')
    .action(run(() => stats(ctx)));

  // The operator decides who administers the library (never the first visitor).
  registerAdminCommands(program, {
    withDb: (fn) => withRag(loadConfig(ctx.env, ctx.cwd), (rag) => fn(rag.db)),
    out: (line) => writeLine(ctx.stdout, line),
  });
  return program;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code: 0 ok, 1 failed. */
export async function main(argv: string[], ctx: CliContext = createContext()): Promise<number> {
  const code = { exit: 0 };
  try {
    await buildProgram(ctx, code).parseAsync(argv, { from: 'user' });
    return code.exit;
  } catch (err) {
    // Help and version arrive as CommanderErrors too; commander has already printed them.
    if (
      err instanceof CommanderError &&
      (err.code.startsWith('commander.help') || err.code === 'commander.version')
    ) {
      return err.exitCode;
    }
    writeLine(ctx.stderr, errorLine(err));
    return 1;
  }
}

/**
 * The process entry (this file run by node, or bin/rag.mjs): a failure ends the process at once (a
 * model client may still hold the loop); success lets a server started by `serve` run on.
 */
export const runProcess = (argv: string[]) => runAsProcess(main, argv, { exitOnFailure: true });

if (isEntryModule(import.meta.url)) await runProcess(process.argv.slice(2));
