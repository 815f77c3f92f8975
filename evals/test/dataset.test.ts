import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callFor, isHoldoutPath, loadSuite } from '../src/dataset.ts';
import { DatasetError } from '../src/errors.ts';
import { DATASETS_DIR, displayPath } from '../src/paths.ts';
import { DEV_SETS } from './helpers/paths.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evals-dataset-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, lines: unknown[]): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return file;
}

const km = (id: string, t: number | null = 10) => ({
  id,
  kind: 'key-moment',
  query: `q ${id}`,
  gold: [{ videoId: 'v1', t }],
});

describe('dataset validation', () => {
  it('loads valid lines, skipping blank ones, with file and line of each case', async () => {
    const f = await write('ok.jsonl', [km('a'), '', { id: 'r', kind: 'refusal', query: 'no?' }]);
    const suite = await loadSuite([f], { autoFacts: false });
    expect(suite.cases.map((c) => [c.id, c.line, callFor(c)])).toEqual([
      ['a', 1, 'search'],
      ['r', 3, 'ask'],
    ]);
    expect(suite.holdout).toBe(false);
  });

  it('reports every bad line with file, line number and reason', async () => {
    const f = await write('bad.jsonl', [
      km('a'),
      '{"id": "b", "kind": ',
      { id: 'c', kind: 'key-moment', query: 'no gold' },
      { id: 'd', kind: 'keymoment', query: 'x', gold: [{ videoId: 'v', t: 1 }] },
      { id: 'e', kind: 'concept', query: 'x', gold: [{ videoId: 'v', t: -5 }] },
      km('a'),
      { id: 'f', kind: 'answerable', query: 'x', mustRefuse: true },
    ]);
    const err = await loadSuite([f], { autoFacts: false, display: (p) => path.basename(p) }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    const issues = (err as DatasetError).issues;
    expect(issues.map((i) => [i.file, i.line])).toEqual([
      ['bad.jsonl', 2],
      ['bad.jsonl', 3],
      ['bad.jsonl', 4],
      ['bad.jsonl', 5],
      ['bad.jsonl', 6],
      ['bad.jsonl', 7],
    ]);
    expect(issues[0]!.reason).toMatch(/not valid JSON/);
    expect(issues[1]!.reason).toMatch(/gold: a key-moment case needs at least one gold entry/);
    expect(issues[2]!.reason).toMatch(/^kind: /);
    expect(issues[3]!.reason).toMatch(/^gold\.0\.t: /);
    expect(issues[4]!.reason).toBe('duplicate id a (first at bad.jsonl:1)');
    expect(issues[5]!.reason).toMatch(/mustRefuse: only regression cases/);
    expect((err as Error).message).toBe(
      `invalid dataset: bad.jsonl:2: ${issues[0]!.reason} (and 5 more bad line(s))`,
    );
  });

  it('rejects a missing or empty file and ids duplicated across files', async () => {
    await expect(loadSuite([path.join(dir, 'nope.jsonl')], { autoFacts: false })).rejects.toThrow(
      /nope\.jsonl: file not found/,
    );
    const empty = await write('empty.jsonl', ['', '']);
    await expect(loadSuite([empty], { autoFacts: false })).rejects.toThrow(/no cases in file/);
    const a = await write('x/a.jsonl', [km('same')]);
    const b = await write('x/b.jsonl', [km('same')]);
    await expect(loadSuite([a, b], { autoFacts: false, display: (p) => path.basename(p) })).rejects.toThrow(
      'invalid dataset: b.jsonl:1: duplicate id same (first at a.jsonl:1)',
    );
  });
});

describe('reference facts', () => {
  it('merges sibling and explicit facts files by id and matching query', async () => {
    const f = await write('qa/set.jsonl', [
      { id: 'q1', kind: 'answerable', query: 'What is X?' },
      { id: 'q2', kind: 'answerable', query: 'What is Y?' },
      { id: 'q3', kind: 'answerable', query: 'What is Z?', facts: ['own fact'] },
      { id: 't1', kind: 'refusal', query: 'Nope?' },
    ]);
    await write('qa/set.facts.jsonl', [
      {
        id: 'q1',
        query: 'What is  X?',
        facts: ['x fact'],
        gold: [{ videoId: 'v', t: 5 }],
        support: [{ videoId: 'w', t: 70 }],
      },
      { id: 'q2', query: 'A different question', facts: ['y fact'] },
      { id: 'q3', query: 'What is Z?', facts: ['z fact'] },
    ]);
    const extra = await write('extra.facts.jsonl', [{ id: 't1', query: 'Nope?', facts: ['ignored'] }]);
    const suite = await loadSuite([f], { facts: [extra] });
    const byId = new Map(suite.cases.map((c) => [c.id, c]));
    expect(byId.get('q1')).toMatchObject({
      facts: ['x fact'],
      gold: [{ videoId: 'v', t: 5 }],
      support: [{ videoId: 'w', t: 70 }],
    });
    expect(byId.get('q2')?.facts).toBeUndefined();
    expect(byId.get('q3')?.facts).toEqual(['own fact']);
    expect(byId.get('t1')?.facts).toBeUndefined();
    expect(suite.warnings).toEqual(["facts for q2 not merged: its query differs from the dataset's"]);
    expect(suite.factsFiles).toHaveLength(2);
    const bare = await loadSuite([f], { autoFacts: false });
    expect(bare.cases[0]!.facts).toBeUndefined();
  });

  it('validates facts files too', async () => {
    const f = await write('qb/set.jsonl', [{ id: 'q1', kind: 'answerable', query: 'Q?' }]);
    await write('qb/set.facts.jsonl', [{ id: 'q1', query: 'Q?', facts: [] }]);
    await expect(loadSuite([f], { display: (p) => path.basename(p) })).rejects.toThrow(
      /set\.facts\.jsonl:1: facts: /,
    );
  });
});

describe('holdout', () => {
  it('isHoldoutPath: anything at or below a directory with a HOLDOUT marker', async () => {
    await write('sealed/HOLDOUT', ['']);
    const f = await write('sealed/deeper/set.jsonl', [km('h1')]);
    expect(isHoldoutPath(path.join(dir, 'sealed'))).toBe(true);
    expect(isHoldoutPath(path.join(dir, 'sealed', 'HOLDOUT'))).toBe(true);
    expect(isHoldoutPath(f)).toBe(true);
    expect(isHoldoutPath(path.join(dir, 'sealed', 'not-yet', 'x.jsonl'))).toBe(true);
    expect(isHoldoutPath(path.join(dir, 'ok.jsonl'))).toBe(false);
    expect(isHoldoutPath(dir)).toBe(false);
    expect((await loadSuite([f], { autoFacts: false })).holdout).toBe(true);
  });
});

describe('the real datasets', () => {
  it('the shared dev sets load (1,243 cases) and the 30 answerable questions get facts and gold', async () => {
    const suite = await loadSuite(DEV_SETS, { factsDir: DATASETS_DIR });
    expect(suite.cases).toHaveLength(1243);
    expect(suite.warnings).toEqual([]);
    const answerable = suite.cases.filter((c) => c.kind === 'answerable');
    expect(answerable).toHaveLength(30);
    for (const c of answerable) {
      expect(c.facts?.length, c.id).toBeGreaterThanOrEqual(2);
      expect(c.facts?.length, c.id).toBeLessThanOrEqual(5);
      expect(c.gold?.length, c.id).toBeGreaterThanOrEqual(1);
      // The second, exhaustive reading (citationSupport) lists more moments than the key ones.
      expect(c.support?.length ?? 0, c.id).toBeGreaterThan(c.gold!.length);
    }
    expect(suite.cases.filter((c) => c.kind === 'refusal').every((c) => !c.facts)).toBe(true);
  });

  it('answerability.fresh.jsonl is valid: 24 answerable with facts, gold and support, 24 refusals', async () => {
    const suite = await loadSuite([path.join(DATASETS_DIR, 'answerability.fresh.jsonl')], {
      factsDir: DATASETS_DIR,
    });
    expect(suite.warnings).toEqual([]);
    const answerable = suite.cases.filter((c) => c.kind === 'answerable');
    expect(answerable).toHaveLength(24);
    expect(suite.cases.filter((c) => c.kind === 'refusal')).toHaveLength(24);
    for (const c of answerable) {
      expect(c.facts?.length, c.id).toBeGreaterThanOrEqual(2);
      expect(c.gold?.length, c.id).toBeGreaterThanOrEqual(1);
      expect(c.support?.length ?? 0, c.id).toBeGreaterThanOrEqual(c.gold!.length);
    }
  });

  it('regression.jsonl is valid and every case is a regression case', async () => {
    const suite = await loadSuite([path.join(DATASETS_DIR, 'regression.jsonl')], { factsDir: DATASETS_DIR });
    expect(suite.cases.length).toBeGreaterThanOrEqual(3);
    expect(suite.cases.every((c) => c.kind === 'regression')).toBe(true);
  });
});

describe('displayPath (paths in messages and reports)', () => {
  it('is relative to where the user is when that is shorter, else the absolute path as typed', () => {
    expect(displayPath('/work/main/evals/datasets/x.jsonl', '/work/main')).toBe('evals/datasets/x.jsonl');
    expect(displayPath('/work/shared/evals/x.jsonl', '/work/main')).toBe('../shared/evals/x.jsonl');
    expect(displayPath('/nonexistent.jsonl', '/work/main')).toBe('/nonexistent.jsonl');
    expect(displayPath('/work/main', '/work/main')).toBe('/work/main');
  });
});
