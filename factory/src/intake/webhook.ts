import { GitHubForge, isForgeError } from '@dark-factory/forge';
import { Webhooks } from '@octokit/webhooks';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { FactoryError } from '../errors.ts';
import { handleIntakeEvent } from './handle.ts';
import type { IntakeDeps, IntakeOutcome } from './types.ts';
import { HANDLED_EVENTS, type HandledEvent, parsePayload } from './webhook-payloads.ts';

export interface WebhookDeps extends IntakeDeps {
  /** The webhook's secret (FACTORY_WEBHOOK_SECRET): GitHub signs every delivery's body with it. */
  secret: string;
  /**
   * `owner/repo` this factory serves; a delivery for another repository (an organisation's
   * webhook sends every repository's) is ignored. Default: the GitHub forge's repository.
   */
  repository?: string;
  /** The largest body taken, in bytes (default 1 MiB; the events handled here are far smaller). */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const DeliveryIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'a delivery id (GUID)');

/**
 * GitHub's webhook, as a Hono sub-app (the factory's server mounts it at `/webhooks/github`).
 * `POST /`: the signature (`X-Hub-Signature-256`, checked by @octokit/webhooks) first, then the
 * headers and the payload (zod), then the delivery id (a replay is refused), then the intake:
 * it enqueues or answers a command and the response follows at once (202). Bad input is a 4xx
 * naming what was wrong; only a failure of the factory's own store, queue or forge is a 503, and
 * then the delivery is forgotten so that GitHub's redelivery is taken.
 */
export function createWebhookRoutes(deps: WebhookDeps): Hono {
  if (!deps.secret) {
    throw new FactoryError(
      'usage',
      'the GitHub webhook needs a secret (FACTORY_WEBHOOK_SECRET): the same one as in the webhook settings',
    );
  }
  const webhooks = new Webhooks({ secret: deps.secret });
  const maxSize = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const repository =
    deps.repository ??
    (deps.forge instanceof GitHubForge ? `${deps.forge.owner}/${deps.forge.repo}` : undefined);
  const log = deps.logger.child({ module: 'webhook' });
  const app = new Hono();

  app.post(
    '/',
    bodyLimit({
      maxSize,
      onError: (c) => c.json({ error: `the body is larger than ${maxSize} bytes` }, 413),
    }),
    async (c) => {
      const signature = c.req.header('x-hub-signature-256');
      if (!signature) {
        return c.json(
          { error: 'X-Hub-Signature-256 is missing: deliveries must be signed with the secret' },
          401,
        );
      }
      const body = await c.req.text();
      if (body.length === 0) return c.json({ error: 'the body is empty' }, 400);
      if (!(await webhooks.verify(body, signature))) {
        log.warn({ delivery: c.req.header('x-github-delivery') }, 'webhook signature does not match');
        return c.json(
          { error: 'X-Hub-Signature-256 does not match the body (wrong secret, or the body was altered)' },
          401,
        );
      }
      if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
        return c.json(
          { error: 'the content type must be application/json (set it in the webhook settings)' },
          415,
        );
      }
      const name = c.req.header('x-github-event');
      const delivery = DeliveryIdSchema.safeParse(c.req.header('x-github-delivery'));
      if (!name) return c.json({ error: 'X-GitHub-Event is missing' }, 400);
      if (!delivery.success)
        return c.json({ error: 'X-GitHub-Delivery is missing or not a delivery id' }, 400);
      const id = delivery.data;
      if (name === 'ping') return c.json({ ok: true, delivery: id, detail: 'pong' });
      if (!isHandled(name)) {
        return c.json(
          {
            delivery: id,
            outcome: 'ignored',
            detail: `the factory does not handle "${name}" events (subscribe to issues, issue comments and pull requests)`,
          },
          202,
        );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch (err) {
        return c.json({ error: `the body is not JSON: ${(err as Error).message}` }, 400);
      }
      const parsed = parsePayload(name, payload);
      if (!parsed.ok) return c.json({ error: parsed.error }, 400);
      if (repository && parsed.repository && parsed.repository.toLowerCase() !== repository.toLowerCase()) {
        return c.json(
          {
            delivery: id,
            outcome: 'ignored',
            detail: `the delivery is for ${parsed.repository}; this factory serves ${repository}`,
          },
          202,
        );
      }

      let claimed: boolean;
      try {
        claimed = await deps.store.claimDelivery({
          id,
          source: 'webhook',
          event: name,
          action: parsed.event.action,
        });
      } catch (err) {
        log.error({ err, delivery: id }, 'cannot record the delivery');
        return c.json({ error: `cannot record delivery ${id} now; GitHub's redelivery will be taken` }, 503);
      }
      if (!claimed) {
        log.warn({ delivery: id, event: name }, 'replayed delivery refused');
        return c.json({ error: `delivery ${id} was received before; a replay is not taken` }, 409);
      }

      try {
        const outcome = await handleIntakeEvent(parsed.event, deps, `webhook:${id}`);
        await record(deps, id, outcome);
        return c.json({ delivery: id, ...outcome }, 202);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (isForgeError(err, 'not_found') || isForgeError(err, 'invalid')) {
          // About the event's content (e.g. the issue is gone): a redelivery would fail the same way.
          const outcome = { outcome: 'failed', detail: message } as const;
          await record(deps, id, outcome);
          return c.json({ delivery: id, ...outcome }, 202);
        }
        log.error({ err, delivery: id, event: name }, 'could not handle the delivery');
        await deps.store.releaseDelivery(id).catch((releaseErr: unknown) => {
          log.error({ err: releaseErr, delivery: id }, 'could not forget the failed delivery');
        });
        return c.json(
          { error: `could not handle delivery ${id}: ${message}; GitHub's redelivery will be taken` },
          503,
        );
      }
    },
  );
  app.all('/', (c) => c.json({ error: 'GitHub webhook deliveries are POSTed here' }, 405, { allow: 'POST' }));
  app.onError((err, c) => {
    log.error({ err }, 'webhook failed');
    return c.json({ error: 'the webhook failed; see the factory log' }, 500);
  });
  return app;
}

function isHandled(name: string): name is HandledEvent {
  return (HANDLED_EVENTS as readonly string[]).includes(name);
}

async function record(
  deps: WebhookDeps,
  id: string,
  outcome: Pick<IntakeOutcome, 'detail'> & { outcome: IntakeOutcome['outcome'] | 'failed' },
): Promise<void> {
  await deps.store.setDeliveryOutcome(id, `${outcome.outcome}: ${outcome.detail}`).catch((err: unknown) => {
    deps.logger.warn({ err, delivery: id }, 'could not record what was done with the delivery');
  });
}
