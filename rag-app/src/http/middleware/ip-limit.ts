import type { MiddlewareHandler } from 'hono';
import { hitIpRate } from '../../limits/usage.ts';
import type { AppEnv, Service } from '../context.ts';

/** The per-IP rate limit, counted in the store so it holds across restarts and processes. */
export function ipLimit(service: Service): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await hitIpRate(service.db, c.get('ip'), service.config.IP_RATE_PER_MINUTE, service.clock());
    return next();
  };
}
