/** Typed errors of the evals package. `message` is one readable line. */
export class EvalsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EvalsError';
  }
}

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
    this.name = 'DatasetError';
  }
}

export class SummaryError extends EvalsError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('summary_invalid', message, context);
    this.name = 'SummaryError';
  }
}
