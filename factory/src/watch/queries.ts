import type { DescribeIssuesOptions } from '@dark-factory/kit';
import { z } from 'zod';
import { RunIdSchema } from '../runs/types.ts';

/**
 * Every query and path parameter the watch app accepts (strict: an unknown parameter is refused,
 * naming it). The pages and their JSON endpoints share the schemas.
 */

const IntParam = z
  .string()
  .regex(/^\d{1,9}$/, 'must be a positive integer')
  .transform(Number)
  .pipe(z.number().int().positive());

export const SHOWN_STATUSES = [
  'running',
  'stalled',
  'merged',
  'rejected',
  'needs-human',
  'blocked',
  'failed',
] as const;

export const RunsQuerySchema = z.strictObject({
  issue: IntParam.optional(),
  status: z.enum(SHOWN_STATUSES).optional(),
  limit: IntParam.pipe(z.number().max(200, 'must be at most 200')).optional(),
});
export type RunsQuery = z.infer<typeof RunsQuerySchema>;

export const NoQuerySchema = z.strictObject({});

export const SpendQuerySchema = z.strictObject({
  days: IntParam.pipe(z.number().max(90, 'must be at most 90')).optional(),
});

export const RunParamSchema = z.object({ id: RunIdSchema });

/** How a bad query is named: "status: Invalid option: expected one of …", three problems at most. */
export const QUERY_ISSUES: DescribeIssuesOptions = { root: 'query', max: 3, unknownKeys: 'parameter' };
