import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The one-time admin setup link: when a server starts with no admin, it prints a URL carrying a
 * random token; the first signed-in account to present it becomes the admin. The token lives only
 * in this process's memory (valid until restart), is compared in constant time, and is spent by
 * the first successful claim.
 */
export interface AdminSetup {
  /** The raw token, for the printed link. */
  readonly token: string;
  /** True while the token has not been spent. */
  open(): boolean;
  /**
   * Spends the token when `candidate` matches and it is still open; false otherwise (a wrong
   * token does not spend it). Synchronous, so two concurrent claims cannot both take it.
   */
  take(candidate: string): boolean;
  /** Re-opens a token taken by a claim that then failed in the store. */
  giveBack(): void;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createAdminSetup(token = randomBytes(32).toString('base64url')): AdminSetup {
  const expected = digest(token);
  let spent = false;
  return {
    token,
    open: () => !spent,
    take(candidate) {
      // Equal-length digests: the comparison time says nothing about the token or its length.
      const ok = timingSafeEqual(digest(candidate), expected);
      if (!ok || spent) return false;
      spent = true;
      return true;
    },
    giveBack() {
      spent = false;
    },
  };
}

export const SETUP_PATH = '/admin/setup';

/** The line printed at start-up when no admin exists. */
export function setupLine(baseUrl: string, setup: AdminSetup): string {
  return `rag-app: no admin yet: open ${baseUrl}${SETUP_PATH}?token=${setup.token} to claim it (valid until restart)`;
}
