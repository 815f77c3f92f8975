/** The service's pure pieces: formatting, issue bodies, Markdown export, SYNC_SOURCES, validation messages. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { figures } from '../bench/latency-probe.ts';
import { createAdminSetup, setupLine } from '../src/accounts/admin-setup.ts';
import { hashPassword, verifyPassword } from '../src/accounts/password.ts';
import { loadConfig } from '../src/config.ts';
import { conversationToMarkdown, exportFileName } from '../src/conversations/export-md.ts';
import { formatTimestamp } from '../src/conversations/markdown.ts';
import { reportToIssue } from '../src/conversations/report.ts';
import { publicUrl } from '../src/http/listen.ts';
import { clientAddress, parseTrustedProxies, proxyMatcher } from '../src/http/middleware/client-ip.ts';
import { askBody } from '../src/http/routes/ask/schema.ts';
import { issueBody } from '../src/http/routes/issues/schema.ts';
import { describeIssues } from '../src/http/validate.ts';
import { humanDuration } from '../src/limits/usage.ts';
import { mergePlans, parseSyncSources } from '../src/sync/plan.ts';
import type { Citation } from '../src/types.ts';
import { tempDir } from './support/server-harness.ts';

const cite: Citation = {
  videoId: 'luBkbzjo-TA',
  title: 'FULL Guide [to] Agentic Engineering',
  start: 2060.4,
  end: 2068,
  url: 'https://youtu.be/luBkbzjo-TA?t=2060',
  text: 'PIV is short for plan, implement, validate.',
};

describe('formatting', () => {
  it('shows moments the way YouTube does', () => {
    expect([0, 7, 75, 600, 3675, 36000].map(formatTimestamp)).toEqual([
      '0:00',
      '0:07',
      '1:15',
      '10:00',
      '1:01:15',
      '10:00:00',
    ]);
    expect(humanDuration(42_000)).toBe('42 s');
    expect(humanDuration(20 * 60_000)).toBe('20 min');
    expect(humanDuration(3 * 3600_000 + 12 * 60_000)).toBe('3 h 12 min');
  });

  it('prints a URL a person can open', () => {
    expect(publicUrl('127.0.0.1', 3000)).toBe('http://127.0.0.1:3000');
    expect(publicUrl('0.0.0.0', 8080)).toBe('http://localhost:8080');
    expect(publicUrl('::1', 80)).toBe('http://[::1]:80');
  });

  it('computes latency percentiles by linear interpolation, as every figure in the project', () => {
    expect(figures([5, 1, 4, 2, 3, 10, 9, 8, 7, 6])).toEqual({ n: 10, p50: 6, p95: 10, max: 10 });
  });
});

describe('problem report issue', () => {
  it('holds the question, answer, citations and words, and no email', () => {
    const issue = reportToIssue({
      question: 'What are the three stages of the PIV loop?',
      answer: 'Plan, implement, validate [1].',
      refused: false,
      citations: [cite],
      comment: 'Wrong second.\nIt starts later.',
      reporterId: 7,
      conversationId: 'c-1',
      messageId: 9,
      reportedAt: new Date('2026-08-01T12:00:00Z'),
    });
    expect(issue.title).toBe('Problem report: What are the three stages of the PIV loop?');
    expect(issue.labels).toEqual(['user-report']);
    expect(issue.body).toContain('> Wrong second.\n> It starts later.');
    expect(issue.body).toContain('> Plan, implement, validate [1].');
    expect(issue.body).toContain(
      '1. [FULL Guide \\[to\\] Agentic Engineering @ 34:20](https://youtu.be/luBkbzjo-TA?t=2060)',
    );
    expect(issue.body).toContain('   > PIV is short for plan, implement, validate.');
    expect(issue.body).toContain('- reporter: user #7');
    expect(issue.body).toContain('- message: 9');
  });

  it('keeps long titles within the forge limit and marks refusals', () => {
    const issue = reportToIssue({
      question: 'x'.repeat(500),
      answer: "The videos don't cover this.",
      refused: true,
      citations: [],
      comment: '',
      reporterId: 1,
      reportedAt: new Date(),
    });
    expect(issue.title.length).toBeLessThanOrEqual(90);
    expect(issue.body).toContain('## Answer (refused: the videos do not cover this)');
    expect(issue.body).toContain('_(no comment)_');
  });
});

describe('Markdown export', () => {
  it('writes questions, answers and linked sources', () => {
    const md = conversationToMarkdown(
      { id: 'c', title: 'PIV notes', createdAt: '', updatedAt: '', messageCount: 2 },
      [
        { id: 1, role: 'user', content: 'What is  PIV?\n', result: null, createdAt: '' },
        {
          id: 2,
          role: 'assistant',
          content: 'Plan, implement, validate [1].',
          result: {
            answer: 'Plan, implement, validate [1].',
            refused: false,
            citations: [cite],
            timings: { retrieveMs: 1, answerMs: 1 },
          },
          createdAt: '',
        },
      ],
    );
    expect(md).toMatch(/^# PIV notes\n/);
    expect(md).toContain('## Q: What is PIV?');
    expect(md).toContain(
      '1. [FULL Guide \\[to\\] Agentic Engineering @ 34:20](https://youtu.be/luBkbzjo-TA?t=2060)',
    );
    expect(exportFileName('PIV: notes / 2026!')).toBe('piv-notes-2026.md');
    expect(exportFileName('???')).toBe('conversation.md');
  });
});

describe('SYNC_SOURCES', () => {
  const tmp = tempDir('sync-sources');
  afterAll(() => tmp.remove());

  it('reads ids, urls, directories and list files', () => {
    mkdirSync(path.join(tmp.dir, 'corpus'));
    writeFileSync(
      path.join(tmp.dir, 'list.txt'),
      '# my list\nNsu9BzQv5C4\n\nhttps://youtu.be/m8VC2SV2igM  # new one\n',
    );
    const plan = parseSyncSources(
      ' dQw4w9WgXcQ, https://www.youtube.com/@ColeMedin/videos ,corpus, list.txt,,dQw4w9WgXcQ',
      tmp.dir,
    );
    expect(plan.refs).toEqual([
      'dQw4w9WgXcQ',
      'https://www.youtube.com/@ColeMedin/videos',
      'Nsu9BzQv5C4',
      'https://youtu.be/m8VC2SV2igM',
    ]);
    expect(plan.dirs).toEqual([path.join(tmp.dir, 'corpus')]);
    expect(parseSyncSources(undefined)).toEqual({ refs: [], dirs: [] });
    expect(mergePlans({ refs: ['a'], dirs: ['/x'] }, { refs: ['a', 'b'], dirs: [] })).toEqual({
      refs: ['a', 'b'],
      dirs: ['/x'],
    });
  });
});

describe('validation messages', () => {
  it('name the field and the rule', () => {
    const bad = askBody.safeParse({ question: '', k: 0, extra: 1 });
    expect(bad.success).toBe(false);
    expect(describeIssues(bad.error!)).toBe(
      'question is empty; k: Too small: expected number to be >=1; unknown field: extra',
    );
    const issue = issueBody.safeParse({ comment: 'hi' });
    expect(describeIssues(issue.error!)).toBe('body: send messageId, or question and answer');
    const nested = z.strictObject({ a: z.strictObject({ b: z.number() }) }).safeParse({ a: { b: 'x' } });
    expect(describeIssues(nested.error!)).toBe('a.b: Invalid input: expected number, received string');
  });
});

describe('client address', () => {
  const trusted = (list: string) => {
    const parsed = parseTrustedProxies(list);
    if (!parsed.ok) throw new Error(parsed.error);
    return proxyMatcher(parsed.proxies);
  };

  it('parses TRUSTED_PROXIES, and refuses what is not an address or range, naming it', () => {
    expect(parseTrustedProxies(' 10.0.0.0/8, ::1 ,,192.0.2.4')).toEqual({
      ok: true,
      proxies: [
        { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
        { address: '::1', prefix: 128, family: 'ipv6' },
        { address: '192.0.2.4', prefix: 32, family: 'ipv4' },
      ],
    });
    for (const bad of [
      '10.0.0.300',
      '10.0.0.0/33',
      'fd00::/129',
      'proxy.local',
      '10.0.0.0/8/1',
      '10.0.0.0/x',
    ])
      expect(parseTrustedProxies(bad)).toMatchObject({
        ok: false,
        error: expect.stringContaining(`"${bad}"`),
      });
    expect(() => loadConfig({ TRUSTED_PROXIES: '127.0.0.1, nginx' })).toThrow(
      'invalid environment: TRUSTED_PROXIES: "nginx" is not an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8)',
    );
    expect(loadConfig({}).TRUSTED_PROXIES).toEqual([]);
  });

  it('believes X-Forwarded-For only from a trusted peer, taking the right-most untrusted hop', () => {
    const none = trusted('');
    const lan = trusted('10.0.0.0/8, ::1');
    expect(clientAddress('198.51.100.1', '203.0.113.9', none)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', '203.0.113.9', none)).toBe('10.0.0.2');
    expect(clientAddress('::ffff:10.0.0.2', undefined, lan)).toBe('10.0.0.2');
    expect(clientAddress('198.51.100.1', '203.0.113.9', lan)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.2', '203.0.113.9', lan)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9, 10.1.1.1', lan)).toBe('203.0.113.9');
    expect(clientAddress('::1', '[2001:db8::1]:443', lan)).toBe('2001:db8::1');
    expect(clientAddress('::ffff:10.0.0.2', '203.0.113.9:5120', lan)).toBe('203.0.113.9');
    // Every hop trusted: the farthest one is the client we know.
    expect(clientAddress('10.0.0.2', '10.3.3.3, 10.1.1.1', lan)).toBe('10.3.3.3');
    // Garbage stops the walk at the last trusted hop; it never becomes an address.
    expect(clientAddress('10.0.0.2', 'evil\nline, 10.1.1.1', lan)).toBe('10.1.1.1');
    expect(clientAddress('10.0.0.2', 'x'.repeat(500), lan)).toBe('10.0.0.2');
  });
});

describe('admin setup link', () => {
  it('holds a random token, refuses a wrong one without spending it, and works once', () => {
    const a = createAdminSetup();
    const b = createAdminSetup();
    expect(a.token).toMatch(/^[\w-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.take(b.token)).toBe(false);
    expect(a.take('')).toBe(false);
    expect(a.open()).toBe(true);
    expect(a.take(a.token)).toBe(true);
    expect(a.open()).toBe(false);
    expect(a.take(a.token)).toBe(false);
    a.giveBack();
    expect(a.take(a.token)).toBe(true);
    expect(setupLine('http://127.0.0.1:3000', createAdminSetup('tok'))).toBe(
      'rag-app: no admin yet: open http://127.0.0.1:3000/admin/setup?token=tok to claim it (valid until restart)',
    );
  });

  it('refuses ADMIN_EMAILS, saying how admin is granted now', () => {
    expect(() => loadConfig({ ADMIN_EMAILS: 'me@example.com' })).toThrow(
      /^invalid environment: ADMIN_EMAILS: no longer supported \(anyone could sign up as a listed address\): unset it, then grant admin with `pnpm rag admin grant <email>`/,
    );
    expect(() => loadConfig({ ADMIN_EMAILS: '' })).not.toThrow();
  });
});

describe('passwords', () => {
  it('hash with a fresh salt and verify only the right password', async () => {
    const [h1, h2] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(h1).not.toBe(h2);
    expect(await verifyPassword('same password', h1)).toBe(true);
    expect(await verifyPassword('same passwore', h1)).toBe(false);
    expect(await verifyPassword('same password', 'bcrypt$whatever')).toBe(false);
  });
});
