import { DarkFactoryError } from '@dark-factory/kit';

/**
 * The factory's own failures. `code` is stable and safe to branch on; `context` names what was
 * involved (never a secret).
 */
export type FactoryErrorCode =
  | 'policy_invalid'
  | 'budget_exceeded'
  | 'model_error'
  | 'no_sandbox'
  | 'git_error'
  | 'install_error'
  | 'store_error'
  | 'lease_lost'
  /** A second run for an issue that already has one running (one run per issue at a time). */
  | 'run_active'
  | 'gate_error'
  | 'usage';

export class FactoryError extends DarkFactoryError<FactoryErrorCode> {}

export function isFactoryError(err: unknown, code?: FactoryErrorCode): err is FactoryError {
  return err instanceof FactoryError && (code === undefined || err.code === code);
}
