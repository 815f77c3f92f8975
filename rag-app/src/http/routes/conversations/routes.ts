import { Hono } from 'hono';
import {
  conversationNotFound,
  createConversation,
  DEFAULT_TITLE,
  deleteConversation,
  getConversation,
  listConversations,
  listMessages,
  renameConversation,
  searchMessages,
} from '../../../conversations/conversations.ts';
import { conversationToMarkdown, exportFileName } from '../../../conversations/export-md.ts';
import type { AppEnv, Service } from '../../context.ts';
import { pageQuery } from '../../fields.ts';
import { actingUser, readingUser } from '../../middleware/session.ts';
import { readJson, readQuery } from '../../validate.ts';
import { conversationCreate, conversationRename, exportQuery, searchQuery } from './schema.ts';

/**
 * A user's own conversations. Every store call filters on the caller: no one else's are reachable.
 * In anonymous mode each visitor is a guest of their own; one who has not acted yet owns nothing.
 */
export function conversationRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { db, clock } = service;

  /** The caller's id for a request on one conversation: a visitor with no identity owns none. */
  const ownerId = (c: Parameters<typeof readingUser>[0]): number => {
    const user = readingUser(c);
    if (!user) throw conversationNotFound();
    return user.id;
  };

  app.get('/api/conversations', async (c) => {
    const user = readingUser(c);
    const q = readQuery(c, pageQuery.omit({ q: true }));
    return c.json({ conversations: user ? await listConversations(db, user.id, q) : [] });
  });

  app.post('/api/conversations', async (c) => {
    readingUser(c);
    const body = await readJson(c, conversationCreate);
    const user = await actingUser(c);
    return c.json(await createConversation(db, user.id, body.title ?? DEFAULT_TITLE, clock()), 201);
  });

  app.get('/api/conversations/search', async (c) => {
    const user = readingUser(c);
    const q = readQuery(c, searchQuery);
    return c.json({ results: user ? await searchMessages(db, user.id, q.q, q.limit) : [] });
  });

  app.get('/api/conversations/:id', async (c) => {
    const userId = ownerId(c);
    const id = c.req.param('id');
    const conversation = await getConversation(db, userId, id);
    return c.json({ ...conversation, messages: await listMessages(db, userId, id) });
  });

  app.patch('/api/conversations/:id', async (c) => {
    const userId = ownerId(c);
    const body = await readJson(c, conversationRename);
    return c.json(await renameConversation(db, userId, c.req.param('id'), body.title, clock()));
  });

  app.delete('/api/conversations/:id', async (c) => {
    await deleteConversation(db, ownerId(c), c.req.param('id'));
    return c.body(null, 204);
  });

  app.get('/api/conversations/:id/export', async (c) => {
    const userId = ownerId(c);
    readQuery(c, exportQuery);
    const id = c.req.param('id');
    const conversation = await getConversation(db, userId, id);
    const markdown = conversationToMarkdown(conversation, await listMessages(db, userId, id));
    c.header('Content-Type', 'text/markdown; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="${exportFileName(conversation.title)}"`);
    return c.body(markdown);
  });

  return app;
}
