// The helpers every package shares, each defined once: see README.md.
export { DarkFactoryError, errorMessage, oneLine } from './errors.ts';
export { percentile, percentileOfSorted } from './percentile.ts';
export { seededRandom, shuffled } from './random.ts';
export { formatTimestamp, utcMinute } from './time.ts';
export { type DescribeIssuesOptions, describeZodIssues } from './zod.ts';
