import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import type { AskResult } from '../types.ts';
import { ApiError } from './http-errors.ts';

export const DEFAULT_TITLE = 'New conversation';

export interface Conversation {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
}

export interface Message {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  result: AskResult | null;
  createdAt: string;
}

export interface MessageHit {
  conversationId: string;
  title: string;
  messageId: number;
  role: 'user' | 'assistant';
  snippet: string;
  createdAt: string;
}

interface ConversationRow {
  id: string;
  title: string;
  created_at: Date | string;
  updated_at: Date | string;
  message_count: number;
}

const iso = (d: Date | string): string => new Date(d).toISOString();

function toConversation(r: ConversationRow): Conversation {
  return {
    id: r.id,
    title: r.title,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    messageCount: Number(r.message_count),
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function conversationNotFound(): ApiError {
  return new ApiError(404, 'conversation_not_found', 'no such conversation');
}

/**
 * Every query below filters on the owner: a conversation of another user, admin or not, is
 * indistinguishable from one that does not exist.
 */
export async function getConversation(db: Queryable, userId: number, id: string): Promise<Conversation> {
  if (!UUID_RE.test(id)) throw conversationNotFound();
  const { rows } = await db.query<ConversationRow>(
    `SELECT c.id, c.title, c.created_at, c.updated_at,
       (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS message_count
     FROM conversations c WHERE c.id = $1 AND c.user_id = $2`,
    [id, userId],
  );
  if (!rows[0]) throw conversationNotFound();
  return toConversation(rows[0]);
}

export async function createConversation(
  db: Queryable,
  userId: number,
  title: string,
  now: Date,
): Promise<Conversation> {
  const { rows } = await db.query<ConversationRow>(
    `INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
     RETURNING id, title, created_at, updated_at, 0 AS message_count`,
    [randomUUID(), userId, title, now],
  );
  return toConversation(rows[0]!);
}

export async function listConversations(
  db: Queryable,
  userId: number,
  options: { limit: number; offset: number },
): Promise<Conversation[]> {
  const { rows } = await db.query<ConversationRow>(
    `SELECT c.id, c.title, c.created_at, c.updated_at,
       (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS message_count
     FROM conversations c WHERE c.user_id = $1 ORDER BY c.updated_at DESC, c.id LIMIT $2 OFFSET $3`,
    [userId, options.limit, options.offset],
  );
  return rows.map(toConversation);
}

export async function renameConversation(
  db: Queryable,
  userId: number,
  id: string,
  title: string,
  now: Date,
) {
  await getConversation(db, userId, id);
  await db.query('UPDATE conversations SET title = $3, updated_at = $4 WHERE id = $1 AND user_id = $2', [
    id,
    userId,
    title,
    now,
  ]);
  return getConversation(db, userId, id);
}

export async function deleteConversation(db: Queryable, userId: number, id: string): Promise<void> {
  if (!UUID_RE.test(id)) throw conversationNotFound();
  const res = await db.query('DELETE FROM conversations WHERE id = $1 AND user_id = $2', [id, userId]);
  if (res.affectedRows === 0) throw conversationNotFound();
}

interface MessageRow {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  result: AskResult | null;
  created_at: Date | string;
}

function toMessage(r: MessageRow): Message {
  return {
    id: Number(r.id),
    role: r.role,
    content: r.content,
    result: r.result,
    createdAt: iso(r.created_at),
  };
}

export async function listMessages(db: Queryable, userId: number, id: string): Promise<Message[]> {
  await getConversation(db, userId, id);
  const { rows } = await db.query<MessageRow>(
    'SELECT id, role, content, result, created_at FROM messages WHERE conversation_id = $1 ORDER BY id',
    [id],
  );
  return rows.map(toMessage);
}

function titleFrom(question: string): string {
  const oneLine = question.replace(/\s+/g, ' ').trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}…` : oneLine;
}

/** Stores a question and its answer together; the first question names an untitled conversation. */
export async function appendExchange(
  db: Db,
  userId: number,
  id: string,
  question: string,
  result: AskResult,
  now: Date,
): Promise<{ questionId: number; answerId: number }> {
  return db.transaction(async (tx) => {
    const conv = await getConversation(tx, userId, id);
    const q = await tx.query<{ id: string }>(
      `INSERT INTO messages (conversation_id, role, content, result, created_at) VALUES ($1, 'user', $2, NULL, $3) RETURNING id`,
      [id, question, now],
    );
    const a = await tx.query<{ id: string }>(
      `INSERT INTO messages (conversation_id, role, content, result, created_at) VALUES ($1, 'assistant', $2, $3, $4) RETURNING id`,
      [id, result.answer, JSON.stringify(result), now],
    );
    const title = conv.messageCount === 0 && conv.title === DEFAULT_TITLE ? titleFrom(question) : conv.title;
    await tx.query('UPDATE conversations SET updated_at = $2, title = $3 WHERE id = $1', [id, now, title]);
    return { questionId: Number(q.rows[0]!.id), answerId: Number(a.rows[0]!.id) };
  });
}

/** An answer and the question just before it, both from the user's own conversation. */
export async function getExchange(
  db: Queryable,
  userId: number,
  messageId: number,
): Promise<{ conversationId: string; question: string; result: AskResult } | null> {
  const { rows } = await db.query<{
    conversation_id: string;
    result: AskResult | null;
    question: string | null;
  }>(
    `SELECT m.conversation_id, m.result,
       (SELECT q.content FROM messages q WHERE q.conversation_id = m.conversation_id AND q.id < m.id AND q.role = 'user'
        ORDER BY q.id DESC LIMIT 1) AS question
     FROM messages m JOIN conversations c ON c.id = m.conversation_id
     WHERE m.id = $1 AND c.user_id = $2 AND m.role = 'assistant'`,
    [messageId, userId],
  );
  const r = rows[0];
  if (!r?.result) return null;
  return { conversationId: r.conversation_id, question: r.question ?? '', result: r.result };
}

/** Full-text search over the user's own messages, best matches first. */
export async function searchMessages(
  db: Queryable,
  userId: number,
  q: string,
  limit: number,
): Promise<MessageHit[]> {
  const { rows } = await db.query<{
    conversation_id: string;
    title: string;
    id: string;
    role: 'user' | 'assistant';
    snippet: string;
    created_at: Date | string;
  }>(
    `SELECT m.conversation_id, c.title, m.id, m.role, m.created_at,
       ts_headline('english', m.content, query, 'MaxWords=24, MinWords=8, StartSel=«, StopSel=»') AS snippet
     FROM messages m JOIN conversations c ON c.id = m.conversation_id,
       websearch_to_tsquery('english', $2) AS query
     WHERE c.user_id = $1 AND m.tsv @@ query
     ORDER BY ts_rank(m.tsv, query) DESC, m.id DESC LIMIT $3`,
    [userId, q, limit],
  );
  return rows.map((r) => ({
    conversationId: r.conversation_id,
    title: r.title,
    messageId: Number(r.id),
    role: r.role,
    snippet: r.snippet,
    createdAt: iso(r.created_at),
  }));
}
