import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeZodIssues, formatTimestamp, utcMinute } from '../src/index.ts';

describe('formatTimestamp', () => {
  it('shows a second of a video as the player does', () => {
    expect(formatTimestamp(0)).toBe('0:00');
    expect(formatTimestamp(5)).toBe('0:05');
    expect(formatTimestamp(75)).toBe('1:15');
    expect(formatTimestamp(75.9)).toBe('1:15');
    expect(formatTimestamp(3599)).toBe('59:59');
    expect(formatTimestamp(3600)).toBe('1:00:00');
    expect(formatTimestamp(3675)).toBe('1:01:15');
    expect(formatTimestamp(36_000 + 62)).toBe('10:01:02');
    expect(formatTimestamp(-3)).toBe('0:00');
  });
});

describe('utcMinute', () => {
  it('shows a moment to the minute in UTC, whatever the time zone', () => {
    expect(utcMinute(new Date('2025-01-02T03:04:59.999Z'))).toBe('2025-01-02 03:04');
    expect(utcMinute(new Date('2026-12-01T23:39:00+02:00'))).toBe('2026-12-01 21:39');
  });
});

describe('describeZodIssues', () => {
  const Body = z.strictObject({
    question: z.string().max(5, 'question is too long (at most 5 characters)'),
    k: z.number().int(),
    segments: z.array(z.object({ offset: z.number() })).optional(),
  });
  const fail = (value: unknown, schema: z.ZodType = Body) => {
    const parsed = schema.safeParse(value);
    if (parsed.success) throw new Error('expected a failure');
    return parsed.error;
  };

  it('names each bad field by its path, joined by "; "', () => {
    const error = fail({ question: 'hi', k: 'x', segments: [{ offset: 1 }, { offset: 'a' }] });
    expect(describeZodIssues(error)).toBe(
      'k: Invalid input: expected number, received string; segments.1.offset: Invalid input: expected number, received string',
    );
    // An array of issues works the same as the error.
    expect(describeZodIssues(error.issues)).toBe(describeZodIssues(error));
  });

  it('does not repeat a field its own message already names, when asked', () => {
    const error = fail({ question: 'far too long', k: 1 });
    expect(describeZodIssues(error, { selfNamed: true })).toBe('question is too long (at most 5 characters)');
    expect(describeZodIssues(error)).toBe('question: question is too long (at most 5 characters)');
  });

  it('names the value itself with `root`, or shows the bare message without it', () => {
    const error = fail('text', z.number());
    expect(describeZodIssues(error, { root: 'body' })).toBe(
      'body: Invalid input: expected number, received string',
    );
    expect(describeZodIssues(error)).toBe('Invalid input: expected number, received string');
  });

  it('names unknown keys in its own words when asked', () => {
    const error = fail({ question: 'hi', k: 1, colour: 'red', size: 2 });
    expect(describeZodIssues(error, { unknownKeys: 'field' })).toBe('unknown fields: colour, size');
    expect(describeZodIssues(fail({ question: 'hi', k: 1, a: 1 }), { unknownKeys: 'parameter' })).toBe(
      'unknown parameter: a',
    );
    expect(describeZodIssues(error)).toBe('Unrecognized keys: "colour", "size"');
  });

  it('lists at most `max` issues and counts the rest when asked', () => {
    const error = fail({ question: 1, k: 'x', segments: 'none' });
    expect(error.issues).toHaveLength(3);
    expect(describeZodIssues(error, { max: 1 })).toBe(
      'question: Invalid input: expected string, received number',
    );
    expect(describeZodIssues(error, { max: 2, countRest: true })).toMatch(
      /^question: .*; k: .* \(and 1 more\)$/,
    );
    expect(describeZodIssues(error, { max: 3, countRest: true })).not.toContain('more');
  });
});
