import http from 'node:http';
import { RagError, RemoteError } from '../errors.ts';
import { LOCAL_PREFIX, LOCAL_TOKEN_HEADER, type LocalError } from '../http/routes/local/routes.ts';
import type { OwnerApi } from '../store/owner.ts';
import type {
  AskOptions,
  AskResult,
  IngestItemResult,
  IngestSummary,
  SearchHit,
  SearchOptions,
  SourceItem,
} from '../types.ts';

/**
 * The CLI's side of the local API (http/routes/local/routes.ts): used when a running server holds the
 * embedded store. Each call gives back what the same call on an open Rag would, and throws what it
 * would throw (a RagError keeps its code), so the commands print the same either way.
 */

/** The server recorded in owner.json did not answer (it is stopping, or was killed a moment ago). */
export class ServerUnreachableError extends RagError {
  constructor(url: string, cause: unknown) {
    super('server_unreachable', `the server at ${url} holding the store does not answer`, { url }, { cause });
    this.name = 'ServerUnreachableError';
  }
}

function fromLocalError(e: LocalError): Error {
  return e.code ? new RemoteError(e.code, e.message) : new Error(e.message);
}

/**
 * One request; the answer is NDJSON (a plain JSON body is one line). Lines other than the final
 * `{ result }` / `{ error }` go to `onLine`. The body may be streamed, line by line, while answers arrive.
 */
function call(
  api: OwnerApi,
  method: 'GET' | 'POST',
  route: string,
  body: string | AsyncIterable<string> | undefined,
  onLine: (value: Record<string, unknown>) => void = () => {},
): Promise<unknown> {
  const url = new URL(`${LOCAL_PREFIX}${route}`, api.url);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    const req = http.request(url, {
      method,
      agent: false,
      headers: {
        [LOCAL_TOKEN_HEADER]: api.token,
        ...(body === undefined ? {} : { 'content-type': 'application/x-ndjson' }),
      },
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      settle(() =>
        reject(
          err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET'
            ? new ServerUnreachableError(api.url, err)
            : err,
        ),
      );
    });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      let buffered = '';
      const handle = (text: string) => {
        if (!text.trim()) return;
        let value: Record<string, unknown>;
        try {
          value = JSON.parse(text) as Record<string, unknown>;
        } catch {
          settle(() =>
            reject(new Error(`the server sent something that is not JSON: ${text.slice(0, 200)}`)),
          );
          return;
        }
        if (value.error && typeof value.error === 'object') {
          settle(() => reject(fromLocalError(value.error as LocalError)));
          req.destroy();
        } else if ('result' in value) settle(() => resolve(value.result));
        else onLine(value);
      };
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          handle(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf('\n');
        }
      });
      res.on('end', () => {
        handle(buffered);
        settle(() =>
          reject(new Error(`the server ended the answer without a result (HTTP ${res.statusCode})`)),
        );
      });
      res.on('error', (err) => settle(() => reject(err)));
    });
    if (body === undefined || typeof body === 'string') {
      req.end(body);
      return;
    }
    (async () => {
      for await (const text of body) {
        if (settled) break;
        if (!req.write(text)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch((err: unknown) => {
      // Reading the sources failed: the server sees a cut upload and stores nothing more.
      settle(() => reject(err));
      req.destroy();
    });
  });
}

export async function remoteStats(api: OwnerApi): Promise<{ videos: number; chunks: number }> {
  return (await call(api, 'GET', '/stats', undefined)) as { videos: number; chunks: number };
}

export async function remoteSearch(
  api: OwnerApi,
  query: string,
  options: SearchOptions,
): Promise<SearchHit[]> {
  return (await call(api, 'POST', '/search', JSON.stringify({ query, options }))) as SearchHit[];
}

export async function remoteAsk(api: OwnerApi, question: string, options: AskOptions): Promise<AskResult> {
  const { onToken, signal: _signal, ...rest } = options;
  const body = JSON.stringify({
    question,
    options: {
      ...(rest.k !== undefined ? { k: rest.k } : {}),
      ...(rest.videoId !== undefined ? { videoId: rest.videoId } : {}),
    },
    stream: onToken !== undefined,
  });
  return (await call(api, 'POST', '/ask', body, (line) => {
    if (typeof line.token === 'string') onToken?.(line.token);
  })) as AskResult;
}

export async function remoteIngest(
  api: OwnerApi,
  items: AsyncIterable<SourceItem>,
  options: { onItem?: (result: IngestItemResult, done: number) => void } = {},
): Promise<IngestSummary> {
  async function* lines(): AsyncGenerator<string> {
    for await (const item of items) yield `${JSON.stringify(item)}\n`;
  }
  return (await call(api, 'POST', '/ingest', lines(), (line) => {
    if (line.item && typeof line.done === 'number')
      options.onItem?.(line.item as IngestItemResult, line.done);
  })) as IngestSummary;
}
