import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeZodIssues } from '@dark-factory/kit';
import { z } from 'zod';
import { DatasetError, type DatasetIssue } from './errors.ts';

export const CASE_KINDS = ['key-moment', 'concept', 'answerable', 'refusal', 'regression'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export const goldSchema = z.object({
  videoId: z.string().min(1),
  slug: z.string().optional(),
  /** Second the evidence starts; null when only the video is known. */
  t: z.number().min(0).nullable(),
  quote: z.string().optional(),
});
export type Gold = z.infer<typeof goldSchema>;

const factList = z.array(z.string().trim().min(1, 'a fact must not be empty')).min(1);

export const caseSchema = z
  .object({
    id: z.string().min(1),
    kind: z.enum(CASE_KINDS),
    query: z.string().trim().min(1),
    gold: z.array(goldSchema).optional(),
    /**
     * Answer cases: every moment that states part of the answer, from an exhaustive reading (gold
     * names the key moments only). A citation on any of them is on evidence (citationSupport).
     */
    support: z.array(goldSchema).optional(),
    /** Reference facts a correct answer contains; `a|b` lists alternatives. */
    facts: factList.optional(),
    /** Regression cases only: when set, the case is asked (not searched) and must (not) refuse. */
    mustRefuse: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    const searched = callFor(c) === 'search';
    if (searched && !c.gold?.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['gold'],
        message: `a ${c.kind} case needs at least one gold entry`,
      });
    }
    if (c.mustRefuse !== undefined && c.kind !== 'regression') {
      ctx.addIssue({
        code: 'custom',
        path: ['mustRefuse'],
        message: 'only regression cases take mustRefuse',
      });
    }
    if (c.kind === 'refusal' && c.facts?.length) {
      ctx.addIssue({ code: 'custom', path: ['facts'], message: 'a refusal case has no reference facts' });
    }
  });
export type EvalCase = z.infer<typeof caseSchema>;

/** Reference facts kept beside a dataset, merged into its cases by id (and matching query). */
export const factsEntrySchema = z.object({
  id: z.string().min(1),
  query: z.string().trim().min(1),
  facts: factList,
  gold: z.array(goldSchema).min(1).optional(),
  support: z.array(goldSchema).min(1).optional(),
});
export type FactsEntry = z.infer<typeof factsEntrySchema>;

export type Call = 'search' | 'ask';

/** key-moment, concept and plain regression cases test retrieval; the others test answers. */
export function callFor(c: Pick<EvalCase, 'kind' | 'mustRefuse'>): Call {
  if (c.kind === 'answerable' || c.kind === 'refusal') return 'ask';
  if (c.kind === 'regression' && c.mustRefuse !== undefined) return 'ask';
  return 'search';
}

/** Whether an ask case should be refused; undefined for search cases. */
export function expectedRefusal(c: Pick<EvalCase, 'kind' | 'mustRefuse'>): boolean | undefined {
  if (c.kind === 'refusal') return true;
  if (c.kind === 'answerable') return false;
  if (c.kind === 'regression') return c.mustRefuse;
  return undefined;
}

/** Parses JSON Lines text; every bad line becomes an issue (blank lines are allowed). */
export function parseJsonl<T>(
  text: string,
  file: string,
  schema: z.ZodType<T>,
): { rows: { value: T; line: number }[]; issues: DatasetIssue[] } {
  const rows: { value: T; line: number }[] = [];
  const issues: DatasetIssue[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      issues.push({ file, line, reason: `not valid JSON (${(err as Error).message})` });
      return;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) rows.push({ value: parsed.data, line });
    else issues.push({ file, line, reason: describeZodIssues(parsed.error) });
  });
  return { rows, issues };
}

export interface LoadedCase extends EvalCase {
  /** Display path of the file the case came from. */
  dataset: string;
  line: number;
}

export interface LoadedSuite {
  cases: LoadedCase[];
  /** Display paths, in the order given. */
  files: string[];
  holdout: boolean;
  /** Facts files that were merged, and entries that matched an id but not its query. */
  factsFiles: string[];
  warnings: string[];
}

export interface LoadOptions {
  /** Extra facts files to merge (besides the automatic ones). */
  facts?: string[];
  /** Merge `<name>.facts.jsonl` siblings and the evals/datasets facts files (default true). */
  autoFacts?: boolean;
  /** Directory holding the package's facts files. */
  factsDir?: string;
  /** Turns an absolute path into the form shown in reports. */
  display?: (abs: string) => string;
}

async function readText(file: string, shown: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError([
      { file: shown, line: 0, reason: code === 'ENOENT' ? 'file not found' : String(err) },
    ]);
  }
}

export function siblingFactsFile(datasetFile: string): string {
  return `${datasetFile.replace(/\.jsonl$/, '')}.facts.jsonl`;
}

function automaticFactsFiles(datasetFiles: string[], factsDir: string | undefined): string[] {
  const found = new Set<string>();
  for (const f of datasetFiles) {
    const sib = siblingFactsFile(f);
    if (sib !== f && existsSync(sib)) found.add(sib);
  }
  if (factsDir && existsSync(factsDir)) {
    for (const name of readdirSync(factsDir).sort()) {
      if (name.endsWith('.facts.jsonl')) found.add(path.join(factsDir, name));
    }
  }
  return [...found];
}

/**
 * Loads and validates dataset files (absolute paths). Throws DatasetError listing every bad line,
 * duplicate ids across the files included: the gate pairs cases by id.
 */
export async function loadSuite(files: string[], options: LoadOptions = {}): Promise<LoadedSuite> {
  const display = options.display ?? ((p: string) => p);
  const issues: DatasetIssue[] = [];
  const cases: LoadedCase[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const shown = display(file);
    const { rows, issues: bad } = parseJsonl(await readText(file, shown), shown, caseSchema);
    for (const { value, line } of rows) {
      const prev = seen.get(value.id);
      if (prev) bad.push({ file: shown, line, reason: `duplicate id ${value.id} (first at ${prev})` });
      else seen.set(value.id, `${shown}:${line}`);
      cases.push({ ...value, dataset: shown, line });
    }
    if (!rows.length && !bad.length) bad.push({ file: shown, line: 0, reason: 'no cases in file' });
    issues.push(...bad.sort((a, b) => a.line - b.line));
  }

  const factsFiles = [
    ...(options.autoFacts === false ? [] : automaticFactsFiles(files, options.factsDir)),
    ...(options.facts ?? []),
  ];
  const entries: FactsEntry[] = [];
  for (const file of [...new Set(factsFiles)]) {
    const shown = display(file);
    const { rows, issues: bad } = parseJsonl(await readText(file, shown), shown, factsEntrySchema);
    issues.push(...bad);
    entries.push(...rows.map((r) => r.value));
  }
  if (issues.length) throw new DatasetError(issues);

  const { cases: merged, warnings } = mergeFacts(cases, entries);
  return {
    cases: merged,
    files: files.map(display),
    holdout: files.some((f) => isHoldoutPath(f)),
    factsFiles: [...new Set(factsFiles)].map(display),
    warnings,
  };
}

/**
 * Adds reference facts (and gold, when the case has none) to cases with the same id and query.
 * A matching id with another query is a different case (e.g. a held-out set reusing ids): skipped.
 */
export function mergeFacts<C extends EvalCase>(
  cases: C[],
  entries: FactsEntry[],
): { cases: C[]; warnings: string[] } {
  const byId = new Map<string, FactsEntry>();
  for (const e of entries) byId.set(e.id, e);
  const warnings: string[] = [];
  const out = cases.map((c) => {
    const e = byId.get(c.id);
    if (!e) return c;
    if (normaliseSpace(e.query) !== normaliseSpace(c.query)) {
      warnings.push(`facts for ${c.id} not merged: its query differs from the dataset's`);
      return c;
    }
    if (c.kind === 'refusal') return c;
    return {
      ...c,
      facts: c.facts ?? e.facts,
      gold: c.gold?.length ? c.gold : (e.gold ?? c.gold),
      support: c.support?.length ? c.support : (e.support ?? c.support),
    };
  });
  return { cases: out, warnings };
}

function normaliseSpace(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

export const HOLDOUT_MARKER = 'HOLDOUT';

/**
 * True when `p` lies in (or is) a directory holding a `HOLDOUT` marker file, at any depth above it.
 * The factory uses this to deny its coding agent read access; `evals run` seals reports with it.
 */
export function isHoldoutPath(p: string): boolean {
  let dir = path.resolve(p);
  if (path.basename(dir) === HOLDOUT_MARKER) return true;
  try {
    if (!statSync(dir).isDirectory()) dir = path.dirname(dir);
  } catch {
    // Not existing (yet): still judge it by its ancestors.
  }
  for (;;) {
    if (existsSync(path.join(dir, HOLDOUT_MARKER))) return true;
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}
