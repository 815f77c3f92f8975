import type { AskResult } from '../types.ts';
import type { Queryable } from './db.ts';

/**
 * The `conversations` and `messages` tables. Every statement that reads or changes a conversation
 * filters on its owner: another user's conversation is indistinguishable from a missing one.
 */

export interface ConversationRow {
  id: string;
  title: string;
  created_at: Date | string;
  updated_at: Date | string;
  message_count: number;
}

export interface MessageRow {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  result: AskResult | null;
  created_at: Date | string;
}

export interface MessageHitRow {
  conversation_id: string;
  title: string;
  id: string;
  role: 'user' | 'assistant';
  snippet: string;
  created_at: Date | string;
}

export async function findConversation(
  db: Queryable,
  userId: number,
  id: string,
): Promise<ConversationRow | null> {
  const { rows } = await db.query<ConversationRow>(
    `SELECT c.id, c.title, c.created_at, c.updated_at,
       (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS message_count
     FROM conversations c WHERE c.id = $1 AND c.user_id = $2`,
    [id, userId],
  );
  return rows[0] ?? null;
}

export async function insertConversation(
  db: Queryable,
  conversation: { id: string; userId: number; title: string; now: Date },
): Promise<ConversationRow> {
  const { rows } = await db.query<ConversationRow>(
    `INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
     RETURNING id, title, created_at, updated_at, 0 AS message_count`,
    [conversation.id, conversation.userId, conversation.title, conversation.now],
  );
  return rows[0]!;
}

export async function listConversations(
  db: Queryable,
  userId: number,
  page: { limit: number; offset: number },
): Promise<ConversationRow[]> {
  const { rows } = await db.query<ConversationRow>(
    `SELECT c.id, c.title, c.created_at, c.updated_at,
       (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS message_count
     FROM conversations c WHERE c.user_id = $1 ORDER BY c.updated_at DESC, c.id LIMIT $2 OFFSET $3`,
    [userId, page.limit, page.offset],
  );
  return rows;
}

export async function renameConversation(
  db: Queryable,
  userId: number,
  id: string,
  title: string,
  now: Date,
): Promise<boolean> {
  const res = await db.query(
    'UPDATE conversations SET title = $3, updated_at = $4 WHERE id = $1 AND user_id = $2',
    [id, userId, title, now],
  );
  return res.affectedRows > 0;
}

/** Deletes the conversation (and, by cascade, its messages); false when the owner has none by that id. */
export async function deleteConversation(db: Queryable, userId: number, id: string): Promise<boolean> {
  const res = await db.query('DELETE FROM conversations WHERE id = $1 AND user_id = $2', [id, userId]);
  return res.affectedRows > 0;
}

/** Marks a conversation changed (and sets its title); the caller has checked its owner. */
export async function touchConversation(db: Queryable, id: string, title: string, now: Date): Promise<void> {
  await db.query('UPDATE conversations SET updated_at = $2, title = $3 WHERE id = $1', [id, now, title]);
}

/** The messages of a conversation, oldest first; the caller has checked its owner. */
export async function listMessages(db: Queryable, conversationId: string): Promise<MessageRow[]> {
  const { rows } = await db.query<MessageRow>(
    'SELECT id, role, content, result, created_at FROM messages WHERE conversation_id = $1 ORDER BY id',
    [conversationId],
  );
  return rows;
}

export async function insertMessage(
  db: Queryable,
  message: {
    conversationId: string;
    role: 'user' | 'assistant';
    content: string;
    result: AskResult | null;
    now: Date;
  },
): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO messages (conversation_id, role, content, result, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
    [
      message.conversationId,
      message.role,
      message.content,
      message.result === null ? null : JSON.stringify(message.result),
      message.now,
    ],
  );
  return Number(rows[0]!.id);
}

/** An answer of the user's own and the question just before it. */
export async function findExchange(
  db: Queryable,
  userId: number,
  messageId: number,
): Promise<{ conversation_id: string; result: AskResult | null; question: string | null } | null> {
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
  return rows[0] ?? null;
}

/** Full-text search over the user's own messages, best matches first, with highlighted snippets. */
export async function searchMessages(
  db: Queryable,
  userId: number,
  q: string,
  limit: number,
): Promise<MessageHitRow[]> {
  const { rows } = await db.query<MessageHitRow>(
    `SELECT m.conversation_id, c.title, m.id, m.role, m.created_at,
       ts_headline('english', m.content, query, 'MaxWords=24, MinWords=8, StartSel=«, StopSel=»') AS snippet
     FROM messages m JOIN conversations c ON c.id = m.conversation_id,
       websearch_to_tsquery('english', $2) AS query
     WHERE c.user_id = $1 AND m.tsv @@ query
     ORDER BY ts_rank(m.tsv, query) DESC, m.id DESC LIMIT $3`,
    [userId, q, limit],
  );
  return rows;
}
