import type { AskResult, SearchHit } from '@dark-factory/rag-app';
import { EvalsError } from './errors.ts';

export interface CallOptions {
  /** Results to retrieve; for ask, left out means the app's own default. */
  k?: number;
}

/** The system under test: what the suite needs from rag-app, in-process or over HTTP. */
export interface RagClient {
  search(query: string, options: CallOptions): Promise<SearchHit[]>;
  ask(question: string, options: CallOptions): Promise<AskResult>;
  close?(): Promise<void>;
}

/** Anything with rag-app's `search`/`ask` (the `Rag` facade) as a RagClient. */
export function fromRag(rag: {
  search(query: string, options?: { k?: number }): Promise<SearchHit[]>;
  ask(question: string, options?: { k?: number }): Promise<AskResult>;
  close?(): Promise<void>;
}): RagClient {
  return {
    search: (query, { k }) => rag.search(query, k === undefined ? {} : { k }),
    ask: (question, { k }) => rag.ask(question, k === undefined ? {} : { k }),
    close: rag.close ? () => rag.close!() : undefined,
  };
}

export class HttpClientError extends EvalsError {
  constructor(message: string, context: Record<string, unknown>) {
    super('http_error', message, context);
    this.name = 'HttpClientError';
  }
}

/** A running rag-app: POST {url}/api/search and POST {url}/api/ask. */
export function httpClient(baseUrl: string, fetchImpl: typeof fetch = fetch): RagClient {
  const root = baseUrl.replace(/\/+$/, '');
  async function post(route: string, body: unknown): Promise<unknown> {
    const url = `${root}${route}`;
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw new HttpClientError(`cannot reach ${url}: ${(err as Error).message}`, { url });
    }
    const text = await res.text();
    if (!res.ok) {
      throw new HttpClientError(`${url} answered ${res.status}: ${text.slice(0, 200)}`, {
        url,
        status: res.status,
      });
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpClientError(`${url} did not answer JSON`, { url });
    }
  }
  return {
    async search(query, { k }) {
      const body = (await post('/api/search', { query, k })) as { results?: unknown };
      if (!Array.isArray(body.results)) throw new HttpClientError('search response has no results array', {});
      return body.results as SearchHit[];
    },
    async ask(question, { k }) {
      const body = (await post('/api/ask', k === undefined ? { question } : { question, k })) as AskResult;
      if (
        typeof body.answer !== 'string' ||
        typeof body.refused !== 'boolean' ||
        !Array.isArray(body.citations)
      ) {
        throw new HttpClientError('ask response is not an AskResult', {});
      }
      return body;
    },
  };
}
