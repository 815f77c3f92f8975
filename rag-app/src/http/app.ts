import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { secureHeaders } from 'hono/secure-headers';
import type { AdminSetup } from '../accounts/admin-setup.ts';
import { createModelBudget } from '../limits/model-budget.ts';
import { logger as defaultLogger } from '../log.ts';
import { openRag } from '../open.ts';
import type { Rag } from '../rag.ts';
import { createSyncer, type Syncer } from '../sync/syncer.ts';
import { type AssetBundle, loadAssets } from '../web/assets.ts';
import type { AppEnv, ServerDeps, Service } from './context.ts';
import { ApiError, errorBody, toErrorResponse } from './errors.ts';
import { LIMITS } from './fields.ts';
import { clientAddress, proxyMatcher } from './middleware/client-ip.ts';
import { csrfGuard, loadUser } from './middleware/session.ts';
import { adminRoutes } from './routes/admin/routes.ts';
import { adminSetupRoutes } from './routes/admin-setup/routes.ts';
import { askRoutes } from './routes/ask/routes.ts';
import { authRoutes } from './routes/auth/routes.ts';
import { conversationRoutes } from './routes/conversations/routes.ts';
import { healthRoutes } from './routes/health/routes.ts';
import { issueRoutes } from './routes/issues/routes.ts';
import { pageRoutes } from './routes/pages/routes.ts';
import { videoRoutes } from './routes/videos/routes.ts';

export interface AppDeps extends ServerDeps {
  /** The front end's files; read from src/web/static when absent. */
  assets?: AssetBundle;
  /** Supply one to share it with a scheduler; created here otherwise. */
  syncer?: Syncer;
  /** The one-time admin setup link (runServer opens one when no admin exists); none by default. */
  adminSetup?: AdminSetup | null;
}

/** Names this process in leases and logs. */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function socketAddress(c: { env: AppEnv['Bindings'] | undefined }): string {
  // Under app.request there is no socket; tests may pass one in the env.
  return c.env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** The whole HTTP service as a Hono app; every dependency comes in as a parameter. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? defaultLogger.child({ component: 'server' });
  const syncer =
    deps.syncer ??
    createSyncer({
      db: deps.db,
      rag: deps.rag,
      sources: deps.sources,
      clock,
      logger,
      holder: deps.instanceId ?? newInstanceId(),
    });
  const modelBudget = deps.config.ANTHROPIC_API_KEY ? createModelBudget(deps.db, deps.config) : null;
  let offline: Promise<Rag> | undefined;
  // Opened on first need: the same store and embedder settings, without the model.
  const offlineRag = () => {
    const { ANTHROPIC_API_KEY: _key, ...withoutModel } = deps.config;
    offline ??= openRag(withoutModel, { db: deps.db });
    return offline;
  };
  const service: Service = {
    ...deps,
    clock,
    logger,
    syncer,
    cwd: deps.cwd ?? process.cwd(),
    modelBudget,
    offlineRag,
  };
  // X-Forwarded-For counts only when the socket peer is a trusted proxy (TRUSTED_PROXIES).
  const trusted = proxyMatcher(deps.config.TRUSTED_PROXIES);

  const app = new Hono<AppEnv>();
  app.onError((err, c) => toErrorResponse(err, c, logger));
  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404)
      : c.html(
          '<!doctype html><title>Not found</title><p>Not found. <a href="/">Go to the chat</a>.</p>',
          404,
        ),
  );

  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 64) || randomUUID();
    c.set('requestId', requestId);
    const ip = clientAddress(socketAddress(c), c.req.header('x-forwarded-for'), trusted);
    c.set('ip', ip);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    logger.debug(
      {
        requestId,
        ip,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameSrc: ['https://www.youtube-nocookie.com'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      // The YouTube embed refuses to play without a referrer.
      referrerPolicy: 'strict-origin-when-cross-origin',
    }),
  );
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: LIMITS.bodyBytes,
      onError: () => {
        throw new ApiError(
          413,
          'body_too_large',
          `the request body is larger than ${LIMITS.bodyBytes} bytes`,
        );
      },
    }),
  );
  // Origin / Sec-Fetch-Site check for anything a plain HTML form could send; the token below covers the rest.
  // A request with no Content-Type has no body a form could have made, so API clients need no Origin for it.
  const originCheck = csrf();
  app.use('/api/*', (c, next) =>
    c.req.header('content-type') === undefined ? next() : originCheck(c, next),
  );
  app.use('/api/*', csrfGuard({ always: (p) => p.startsWith('/api/auth/') }));
  app.use('/api/*', loadUser({ db: deps.db, clock, allowAnonymous: deps.config.ALLOW_ANONYMOUS }));

  app.route('/', healthRoutes(service));
  app.route('/', authRoutes(service));
  app.route('/', adminSetupRoutes(service, deps.adminSetup ?? null));
  app.route('/', askRoutes(service));
  app.route('/', videoRoutes(service));
  app.route('/', conversationRoutes(service));
  app.route('/', issueRoutes(service));
  app.route('/', adminRoutes(service));
  app.route('/', pageRoutes(deps.assets ?? loadAssets()));
  return app;
}
