// The JSON API, as the page uses it: CSRF header, readable errors, the SSE answer stream, and one
// typed function per route the page calls.

import type {
  AddVideoBody,
  AdminSetupBody,
  AdminStatus,
  AskBody,
  AskResponse,
  Conversation,
  ConversationCreate,
  ConversationRename,
  ConversationWithMessages,
  Credentials,
  ErrorBody,
  FiledIssue,
  FinishedRun,
  IssueBody,
  Me,
  MessageHit,
  PasswordChange,
  ResyncBody,
  SignedIn,
  SignedOutEverywhere,
  StartedRun,
  VideoDetail,
  VideoPage,
} from './types.ts';

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(
    /** 0 when the server was not reached. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The message of whatever was thrown, for showing on the page. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isErrorBody(body: unknown): body is ErrorBody {
  const error = (body as Partial<ErrorBody> | null)?.error;
  return typeof error?.message === 'string' && typeof error.code === 'string';
}

async function errorFrom(res: Response): Promise<ApiError> {
  try {
    const body: unknown = await res.json();
    if (isErrorBody(body)) return new ApiError(res.status, body.error.code, body.error.message);
  } catch {
    // Not our JSON error: fall through to a generic one.
  }
  return new ApiError(
    res.status,
    `http_${res.status}`,
    `the server answered ${res.status} ${res.statusText}`,
  );
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface SendOptions {
  method?: Method;
  body?: unknown;
  accept?: string;
  signal?: AbortSignal;
}

function headersFor(method: Method, hasBody: boolean, accept: string): Record<string, string> {
  const headers: Record<string, string> = { Accept: accept };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  if (hasBody) headers['Content-Type'] = 'application/json';
  return headers;
}

async function send(
  path: string,
  { method = 'GET', body, accept = 'application/json', signal }: SendOptions = {},
): Promise<Response> {
  try {
    return await fetch(path, {
      method,
      headers: headersFor(method, body !== undefined, accept),
      body: body === undefined ? null : JSON.stringify(body),
      credentials: 'same-origin',
      signal: signal ?? null,
    });
  } catch (err) {
    if ((err as { name?: unknown } | null)?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'could not reach the server; check your connection and try again');
  }
}

/**
 * JSON in, JSON out; throws ApiError with the server's own reason. `T` is what the route answers
 * (types.ts); a 204 is null.
 */
async function request<T>(path: string, options: SendOptions = {}): Promise<T> {
  const res = await send(path, options);
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return null as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('application/json') ? res.json() : res.text()) as Promise<T>;
}

const post = <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body });
const id = encodeURIComponent;

/** Every route the page calls, with the request the server's schema takes and what it answers. */
export const api = {
  me: () => request<Me>('/api/me'),

  signUp: (body: Credentials) => post<SignedIn>('/api/auth/signup', body),
  signIn: (body: Credentials) => post<SignedIn>('/api/auth/login', body),
  signOut: () => post<null>('/api/auth/logout'),
  /** Ends every session of the account; this browser gets a new one. */
  changePassword: (body: PasswordChange) => post<null>('/api/auth/password', body),
  /** Ends every session of the user, this browser's too. */
  signOutEverywhere: () => post<SignedOutEverywhere>('/api/auth/logout-all'),
  /** A guest forgets themselves (409 for an account). */
  deleteMe: () => request<null>('/api/me', { method: 'DELETE' }),

  conversations: (limit: number, offset = 0) =>
    request<{ conversations: Conversation[] }>(
      `/api/conversations?limit=${limit}${offset ? `&offset=${offset}` : ''}`,
    ),
  createConversation: (body: ConversationCreate) => post<Conversation>('/api/conversations', body),
  conversation: (conversationId: string) =>
    request<ConversationWithMessages>(`/api/conversations/${conversationId}`),
  renameConversation: (conversationId: string, body: ConversationRename) =>
    request<Conversation>(`/api/conversations/${conversationId}`, { method: 'PATCH', body }),
  deleteConversation: (conversationId: string) =>
    request<null>(`/api/conversations/${conversationId}`, { method: 'DELETE' }),
  searchConversations: (q: string) =>
    request<{ results: MessageHit[] }>(`/api/conversations/search?q=${id(q)}`),
  exportUrl: (conversationId: string) => `/api/conversations/${conversationId}/export?format=md`,

  reportProblem: (body: IssueBody) => post<FiledIssue>('/api/issues', body),

  videos: ({ q, limit, offset }: { q?: string; limit: number; offset?: number }) => {
    const params = new URLSearchParams({ limit: String(limit) });
    if (offset !== undefined) params.set('offset', String(offset));
    if (q) params.set('q', q);
    return request<VideoPage>(`/api/videos?${params}`);
  },
  video: (videoId: string) => request<VideoDetail>(`/api/videos/${id(videoId)}`),

  adminStatus: () => request<AdminStatus>('/api/admin/status'),
  addVideo: (body: AddVideoBody) => post<FinishedRun>('/api/admin/videos', body),
  removeVideo: (videoId: string) => request<null>(`/api/admin/videos/${id(videoId)}`, { method: 'DELETE' }),
  resyncVideo: (body: ResyncBody & { videoId: string }) => post<FinishedRun>('/api/admin/sync', body),
  resyncAll: () => post<StartedRun>('/api/admin/sync', {} satisfies ResyncBody),
  claimAdmin: (body: AdminSetupBody) => post<null>('/api/admin-setup', body),
};

function parseEvent(block: string): { event: string; data: string } {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return { event, data: data.join('\n') };
}

/** POST /api/ask as a stream: calls onToken for each piece, resolves with the final answer JSON. */
export async function streamAsk(
  body: AskBody,
  { onToken, signal }: { onToken?: (text: string) => void; signal?: AbortSignal } = {},
): Promise<AskResponse> {
  const res = await send('/api/ask', {
    method: 'POST',
    body,
    accept: 'text/event-stream',
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw await errorFrom(res);
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    if (!reader) break;
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const { event, data } = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event === 'token') onToken?.((JSON.parse(data) as { text: string }).text);
      else if (event === 'done') return JSON.parse(data) as AskResponse;
      else if (event === 'error') {
        const { error } = JSON.parse(data) as ErrorBody;
        throw new ApiError(500, error.code, error.message);
      }
    }
  }
  throw new ApiError(0, 'stream_ended', 'the answer stopped before it was complete; please try again');
}
