import { DarkFactoryError } from '@dark-factory/kit';

/** Every code an EvalsError carries; the CLI prints it (`evals: <code>: …`). */
export type EvalsErrorCode =
  | 'dataset_invalid'
  | 'summary_invalid'
  | 'gate_config'
  | 'power'
  | 'ratchet'
  | 'empty_run'
  | 'holdout'
  | 'sample'
  | 'judge_unparseable'
  | 'http_error';

/** Typed errors of the evals package. `message` is one readable line. */
export class EvalsError extends DarkFactoryError<EvalsErrorCode> {}

export interface DatasetIssue {
  file: string;
  line: number;
  reason: string;
}

/** `file:line: reason` (`file: reason` for whole-file problems). */
export function formatIssue(i: DatasetIssue): string {
  return i.line > 0 ? `${i.file}:${i.line}: ${i.reason}` : `${i.file}: ${i.reason}`;
}

/** A dataset file that does not validate: every bad line, with file, line number and reason. */
export class DatasetError extends EvalsError {
  constructor(readonly issues: DatasetIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more bad line(s))` : '';
    super('dataset_invalid', first ? `invalid dataset: ${formatIssue(first)}${more}` : 'invalid dataset', {
      issues,
    });
  }
}

export class SummaryError extends EvalsError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('summary_invalid', message, context);
  }
}
