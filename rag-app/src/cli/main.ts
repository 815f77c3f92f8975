#!/usr/bin/env node
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { type Config, loadConfig } from '../config.ts';
import { errorMessage, RagError } from '../errors.ts';
import { corpusSource, fileSource, readVideoList, youtubeSource } from '../ingest/sources.ts';
import type { Rag } from '../rag.ts';
import { type OwnerApi, ownerIsGone, readOwner, StoreInUseError } from '../store/owner.ts';
import type { AskResult, SearchHit, SourceItem } from '../types.ts';
import { registerAdminCommands } from './admin.ts';
import { ingestProgress } from './progress.ts';
import { remoteAsk, remoteIngest, remoteSearch, remoteStats, ServerUnreachableError } from './remote.ts';

/** pnpm runs scripts inside the package; paths the user typed are relative to where they typed them. */
const userCwd = process.env.INIT_CWD ?? process.cwd();
const fromUser = (p: string) => path.resolve(userCwd, p);

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

/** The whole app (models, PGlite) loads only when this process opens the store itself. */
async function openStore(config: Config): Promise<Rag> {
  const { openRag } = await import('../open.ts');
  return openRag(config);
}

async function withRag<T>(fn: (rag: Rag) => Promise<T>): Promise<T> {
  const rag = await openStore(loadConfig(process.env, userCwd));
  try {
    return await fn(rag);
  } finally {
    await rag.close();
  }
}

/**
 * Opens the store, or, when a running server holds the embedded one (a second opener would corrupt
 * it), makes the same call through the server's local API. Anything else holding it is refused
 * with the one line naming the holder.
 */
async function withStore<T>(
  local: (rag: Rag) => Promise<T>,
  remote: (api: OwnerApi) => Promise<T>,
): Promise<T> {
  const config = loadConfig(process.env, userCwd);
  if (!config.DATABASE_URL) {
    // The common case beside `pnpm start`: straight to the server, without loading the app.
    const owner = await readOwner(config.pgliteDir).catch(() => undefined);
    if (owner?.api && !ownerIsGone(owner)) {
      try {
        return await remote(owner.api);
      } catch (err) {
        if (!(err instanceof ServerUnreachableError)) throw err;
      }
    }
  }
  for (let attempt = 1; ; attempt++) {
    let rag: Rag;
    try {
      rag = await openStore(config);
    } catch (err) {
      if (!(err instanceof StoreInUseError)) throw err;
      const owner = await readOwner(config.pgliteDir).catch(() => undefined);
      if (!owner?.api) throw err;
      try {
        return await remote(owner.api);
      } catch (e) {
        // The server is stopping: its owner file goes with it; look again.
        if (e instanceof ServerUnreachableError && attempt < 3) {
          await new Promise((r) => setTimeout(r, 300 * attempt));
          continue;
        }
        throw e;
      }
    }
    try {
      return await local(rag);
    } finally {
      await rag.close();
    }
  }
}

function print(json: unknown): void {
  process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
}

function formatTime(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.floor(sec % 60);
  return `${h ? `${h}:` : ''}${h ? String(m).padStart(2, '0') : m}:${String(s).padStart(2, '0')}`;
}

const program = new Command('rag')
  .description(
    'Ask questions about a YouTube channel: ingest transcripts, search them, answer with timestamped citations.',
  )
  .showHelpAfterError('(add --help for usage)');

program
  .command('ingest')
  .description('ingest transcripts: video ids/urls (online), --corpus <dir>, --file <path>, or --list <file>')
  .argument('[videos...]', 'YouTube video ids or urls')
  .option('--corpus <dir>', 'a directory in the shared corpus format (front matter + **[H:MM:SS]** segments)')
  .option('--file <path...>', 'transcript files: youtube-transcript JSON, WebVTT (.vtt) or SRT (.srt)')
  .option('--list <file>', 'a text file of video ids/urls, one per line')
  .option('--video-id <id>', 'the video id of a single --file when its name does not carry it')
  .option('--title <title>', 'the title of a single --file')
  .option('--json', 'print the summary as JSON')
  .action(
    async (
      videos: string[],
      opts: {
        corpus?: string;
        file?: string[];
        list?: string;
        videoId?: string;
        title?: string;
        json?: boolean;
      },
    ) => {
      const sources: { items: AsyncIterable<SourceItem>; total?: number }[] = [];
      if (opts.corpus) {
        const dir = fromUser(opts.corpus);
        const total = readdirSync(dir).filter((f) => f.endsWith('.md')).length;
        sources.push({ items: corpusSource(dir), total });
      }
      if (opts.file?.length) {
        sources.push({
          items: fileSource(opts.file.map(fromUser), {
            ...(opts.videoId ? { videoId: opts.videoId } : {}),
            ...(opts.title ? { title: opts.title } : {}),
          }),
          total: opts.file.length,
        });
      }
      const refs = [...videos, ...(opts.list ? await readVideoList(fromUser(opts.list)) : [])];
      if (refs.length) sources.push({ items: youtubeSource(refs), total: refs.length });
      if (sources.length === 0)
        throw new RagError(
          'usage',
          'nothing to ingest: give video ids/urls, --corpus <dir>, --file <path> or --list <file>',
        );
      const total = sources.reduce((n, s) => n + (s.total ?? 0), 0);
      const withProgress = async <T>(
        fn: (onItem: ReturnType<typeof ingestProgress>['onItem']) => Promise<T>,
      ) => {
        const progress = ingestProgress(total);
        try {
          return await fn(progress.onItem);
        } finally {
          progress.stop();
        }
      };
      const items = () => concat(sources.map((s) => s.items));
      const summary = await withStore(
        (rag) => withProgress((onItem) => rag.ingest(items(), { onItem, total })),
        (api) => withProgress((onItem) => remoteIngest(api, items(), { onItem })),
      );
      if (opts.json) print(summary);
      else {
        for (const f of summary.items.filter((i) => i.status === 'failed'))
          process.stderr.write(`failed ${f.ref}: ${f.reason}\n`);
        process.stdout.write(
          `videos: ${summary.added} added, ${summary.updated} updated, ${summary.skipped} skipped, ${summary.failed} failed; ${summary.chunks} chunks; ${summary.seconds}s\n`,
        );
      }
      if (summary.failed > 0 && summary.added + summary.updated + summary.skipped === 0) process.exitCode = 1;
    },
  );

program
  .command('ask')
  .description('answer a question from the ingested videos, with timestamped citations')
  .argument('<question>', 'the question')
  .option('--json', 'print one JSON object: { answer, refused, citations, timings }')
  .option('--k <n>', 'passages to retrieve', positiveInt('--k'))
  .option('--video <id>', 'only this video')
  .action(async (question: string, opts: { json?: boolean; k?: number; video?: string }) => {
    const streaming = !opts.json && process.stdout.isTTY;
    const options = {
      ...(opts.k ? { k: opts.k } : {}),
      ...(opts.video ? { videoId: opts.video } : {}),
      ...(streaming ? { onToken: (t: string) => process.stdout.write(t) } : {}),
    };
    const result: AskResult = await withStore(
      (rag) => rag.ask(question, options),
      (api) => remoteAsk(api, question, options),
    );
    if (opts.json) {
      const { usage: _usage, ...contract } = result;
      print(result.usage ? result : contract);
      return;
    }
    if (!streaming) process.stdout.write(result.answer);
    process.stdout.write('\n');
    result.citations.forEach((c, i) => {
      process.stdout.write(`  [${i + 1}] ${c.title} @ ${formatTime(c.start)}  ${c.url}\n`);
    });
  });

program
  .command('search')
  .description('rank transcript passages for a query (hybrid BM25 + vector, fused)')
  .argument('<query>', 'the query')
  .option('--json', 'print the ranked chunks as JSON')
  .option('--k <n>', 'results', positiveInt('--k'), 10)
  .option('--video <id>', 'only this video')
  .option('--after <date>', 'only videos published on or after YYYY-MM-DD')
  .option('--before <date>', 'only videos published on or before YYYY-MM-DD')
  .action(
    async (
      query: string,
      opts: { json?: boolean; k: number; video?: string; after?: string; before?: string },
    ) => {
      const options = {
        k: opts.k,
        ...(opts.video ? { videoId: opts.video } : {}),
        ...(opts.after ? { publishedAfter: opts.after } : {}),
        ...(opts.before ? { publishedBefore: opts.before } : {}),
      };
      const hits: SearchHit[] = await withStore(
        (rag) => rag.search(query, options),
        (api) => remoteSearch(api, query, options),
      );
      if (opts.json) {
        print(
          hits.map((h) => ({
            videoId: h.videoId,
            title: h.title,
            start: h.start,
            end: h.end,
            url: h.url,
            text: h.text,
            score: h.score,
            citeStart: h.citeStart,
            published: h.published,
            scores: h.scores,
          })),
        );
        return;
      }
      hits.forEach((h, i) => {
        process.stdout.write(
          `${i + 1}. ${h.title} @ ${formatTime(h.citeStart)} (${h.score.toFixed(4)})  ${h.url}\n   ${h.text.slice(0, 160)}…\n`,
        );
      });
    },
  );

program
  .command('serve')
  .description('start the HTTP API and web page (honours PORT and HOST)')
  .option('--corpus <dir>', 'ingest this corpus directory first (skips unchanged videos)')
  .action(async (opts: { corpus?: string }) => {
    const config = loadConfig(process.env, userCwd);
    // --corpus loads in the foreground with a progress bar; CORPUS_DIR alone is loaded by the
    // server in the background when the store is empty.
    const corpus = opts.corpus;
    if (corpus) {
      await withRag(async (rag) => {
        const dir = fromUser(corpus);
        const total = readdirSync(dir).filter((f) => f.endsWith('.md')).length;
        const progress = ingestProgress(total);
        const s = await rag
          .ingest(corpusSource(dir), { onItem: progress.onItem, total })
          .finally(progress.stop);
        process.stderr.write(
          `corpus: ${s.added} added, ${s.updated} updated, ${s.skipped} skipped, ${s.failed} failed (${s.seconds}s)\n`,
        );
      });
    }
    const { serve } = await import('../server/main.ts');
    await serve(config);
  });

program
  .command('reindex')
  .description('drop every stored vector and embed the store again with the configured EMBEDDER')
  .action(async () => {
    const res = await withRag((rag) => rag.reindex((m) => process.stderr.write(`${m}\n`)));
    process.stdout.write(
      `reindexed ${res.chunks} chunks with ${res.provider ?? 'no embedder (BM25 only)'}\n`,
    );
  });

program
  .command('stats')
  .description('count the videos and chunks in the store')
  .action(async () => {
    print(await withStore((rag) => rag.stats(), remoteStats));
  });

async function* concat(sources: AsyncIterable<SourceItem>[]): AsyncGenerator<SourceItem> {
  for (const s of sources) yield* s;
}

// The operator decides who administers the library (never the first visitor).
registerAdminCommands(program, { withDb: (fn) => withRag((rag) => fn(rag.db)) });

program.parseAsync(process.argv).catch((err: unknown) => {
  const code = err instanceof RagError ? `${err.code}: ` : '';
  process.stderr.write(`rag: ${code}${errorMessage(err)}\n`);
  process.exit(1);
});
