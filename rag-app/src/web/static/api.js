// The JSON API, as the page uses it: CSRF header, readable errors, and the SSE answer stream.

let csrfToken = '';

export function setCsrfToken(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function errorFrom(res) {
  try {
    const body = await res.json();
    if (body?.error?.message) return new ApiError(res.status, body.error.code, body.error.message);
  } catch {
    // Not our JSON error: fall through to a generic one.
  }
  return new ApiError(
    res.status,
    `http_${res.status}`,
    `the server answered ${res.status} ${res.statusText}`,
  );
}

function headersFor(method, hasBody, accept) {
  const headers = { Accept: accept };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  if (hasBody) headers['Content-Type'] = 'application/json';
  return headers;
}

async function send(path, { method = 'GET', body, accept = 'application/json', signal } = {}) {
  try {
    return await fetch(path, {
      method,
      headers: headersFor(method, body !== undefined, accept),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'could not reach the server; check your connection and try again');
  }
}

/** JSON in, JSON out; throws ApiError with the server's own reason. */
export async function api(path, options = {}) {
  const res = await send(path, options);
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') ?? '';
  return type.includes('application/json') ? res.json() : res.text();
}

function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return { event, data: data.join('\n') };
}

/** POST /api/ask as a stream: calls onToken for each piece, resolves with the final answer JSON. */
export async function streamAsk(body, { onToken, signal } = {}) {
  const res = await send('/api/ask', { method: 'POST', body, accept: 'text/event-stream', signal });
  if (!res.ok) throw await errorFrom(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const { event, data } = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event === 'token') onToken?.(JSON.parse(data).text);
      else if (event === 'done') return JSON.parse(data);
      else if (event === 'error') {
        const { error } = JSON.parse(data);
        throw new ApiError(500, error.code, error.message);
      }
    }
  }
  throw new ApiError(0, 'stream_ended', 'the answer stopped before it was complete; please try again');
}
