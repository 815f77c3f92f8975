import { randomUUID } from 'node:crypto';
import * as store from '../store/conversations.ts';
import type { Db, Queryable } from '../store/db.ts';
import type { AskResult } from '../types.ts';
import { ConversationError } from './errors.ts';
import type { Conversation, Message } from './types.ts';

export const DEFAULT_TITLE = 'New conversation';

export type { Conversation, Message } from './types.ts';

export interface MessageHit {
  conversationId: string;
  title: string;
  messageId: number;
  role: 'user' | 'assistant';
  snippet: string;
  createdAt: string;
}

const iso = (d: Date | string): string => new Date(d).toISOString();

function toConversation(r: store.ConversationRow): Conversation {
  return {
    id: r.id,
    title: r.title,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    messageCount: Number(r.message_count),
  };
}

function toMessage(r: store.MessageRow): Message {
  return {
    id: Number(r.id),
    role: r.role,
    content: r.content,
    result: r.result,
    createdAt: iso(r.created_at),
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function conversationNotFound(): ConversationError {
  return new ConversationError('conversation_not_found', 'no such conversation');
}

/**
 * Every store call below filters on the owner: a conversation of another user, admin or not, is
 * indistinguishable from one that does not exist.
 */
export async function getConversation(db: Queryable, userId: number, id: string): Promise<Conversation> {
  if (!UUID_RE.test(id)) throw conversationNotFound();
  const row = await store.findConversation(db, userId, id);
  if (!row) throw conversationNotFound();
  return toConversation(row);
}

export async function createConversation(
  db: Queryable,
  userId: number,
  title: string,
  now: Date,
): Promise<Conversation> {
  return toConversation(await store.insertConversation(db, { id: randomUUID(), userId, title, now }));
}

export async function listConversations(
  db: Queryable,
  userId: number,
  options: { limit: number; offset: number },
): Promise<Conversation[]> {
  return (await store.listConversations(db, userId, options)).map(toConversation);
}

export async function renameConversation(
  db: Queryable,
  userId: number,
  id: string,
  title: string,
  now: Date,
) {
  await getConversation(db, userId, id);
  await store.renameConversation(db, userId, id, title, now);
  return getConversation(db, userId, id);
}

export async function deleteConversation(db: Queryable, userId: number, id: string): Promise<void> {
  if (!UUID_RE.test(id)) throw conversationNotFound();
  if (!(await store.deleteConversation(db, userId, id))) throw conversationNotFound();
}

export async function listMessages(db: Queryable, userId: number, id: string): Promise<Message[]> {
  await getConversation(db, userId, id);
  return (await store.listMessages(db, id)).map(toMessage);
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
    const questionId = await store.insertMessage(tx, {
      conversationId: id,
      role: 'user',
      content: question,
      result: null,
      now,
    });
    const answerId = await store.insertMessage(tx, {
      conversationId: id,
      role: 'assistant',
      content: result.answer,
      result,
      now,
    });
    const title = conv.messageCount === 0 && conv.title === DEFAULT_TITLE ? titleFrom(question) : conv.title;
    await store.touchConversation(tx, id, title, now);
    return { questionId, answerId };
  });
}

/** An answer and the question just before it, both from the user's own conversation. */
export async function getExchange(
  db: Queryable,
  userId: number,
  messageId: number,
): Promise<{ conversationId: string; question: string; result: AskResult } | null> {
  const r = await store.findExchange(db, userId, messageId);
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
  const rows = await store.searchMessages(db, userId, q, limit);
  return rows.map((r) => ({
    conversationId: r.conversation_id,
    title: r.title,
    messageId: Number(r.id),
    role: r.role,
    snippet: r.snippet,
    createdAt: iso(r.created_at),
  }));
}
