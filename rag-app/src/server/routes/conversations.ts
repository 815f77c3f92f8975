import { Hono } from 'hono';
import { requireUser } from '../auth.ts';
import type { AppEnv, Service } from '../context.ts';
import {
  createConversation,
  DEFAULT_TITLE,
  deleteConversation,
  getConversation,
  listConversations,
  listMessages,
  renameConversation,
  searchMessages,
} from '../conversations.ts';
import { conversationToMarkdown, exportFileName } from '../export-md.ts';
import { conversationCreate, conversationRename, exportQuery, pageQuery, searchQuery } from '../schemas.ts';
import { readJson, readQuery } from '../validate.ts';

/** A user's own conversations. Every store call filters on the caller: no one else's are reachable. */
export function conversationRoutes(service: Service): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { db, clock } = service;

  app.get('/api/conversations', async (c) => {
    const user = requireUser(c);
    const q = readQuery(c, pageQuery.omit({ q: true }));
    return c.json({ conversations: await listConversations(db, user.id, q) });
  });

  app.post('/api/conversations', async (c) => {
    const user = requireUser(c);
    const body = await readJson(c, conversationCreate);
    return c.json(await createConversation(db, user.id, body.title ?? DEFAULT_TITLE, clock()), 201);
  });

  app.get('/api/conversations/search', async (c) => {
    const user = requireUser(c);
    const q = readQuery(c, searchQuery);
    return c.json({ results: await searchMessages(db, user.id, q.q, q.limit) });
  });

  app.get('/api/conversations/:id', async (c) => {
    const user = requireUser(c);
    const id = c.req.param('id');
    const conversation = await getConversation(db, user.id, id);
    return c.json({ ...conversation, messages: await listMessages(db, user.id, id) });
  });

  app.patch('/api/conversations/:id', async (c) => {
    const user = requireUser(c);
    const body = await readJson(c, conversationRename);
    return c.json(await renameConversation(db, user.id, c.req.param('id'), body.title, clock()));
  });

  app.delete('/api/conversations/:id', async (c) => {
    const user = requireUser(c);
    await deleteConversation(db, user.id, c.req.param('id'));
    return c.body(null, 204);
  });

  app.get('/api/conversations/:id/export', async (c) => {
    const user = requireUser(c);
    readQuery(c, exportQuery);
    const id = c.req.param('id');
    const conversation = await getConversation(db, user.id, id);
    const markdown = conversationToMarkdown(conversation, await listMessages(db, user.id, id));
    c.header('Content-Type', 'text/markdown; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="${exportFileName(conversation.title)}"`);
    return c.body(markdown);
  });

  return app;
}
