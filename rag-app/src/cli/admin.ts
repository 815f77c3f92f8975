import type { Command } from 'commander';
import { type GrantOutcome, grantAdmin, listAdmins, revokeAdmin } from '../accounts/admins.ts';
import { email as emailSchema } from '../accounts/email.ts';
import { RagError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';

export interface AdminCommandDeps {
  /** Opens the configured store, runs `fn` on it, closes it (the CLI's usual open/close). */
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Where results go; stdout by default. */
  out?: (line: string) => void;
}

function parseEmail(value: string): string {
  const parsed = emailSchema.safeParse(value);
  if (!parsed.success) throw new RagError('usage', `not a valid email address: ${JSON.stringify(value)}`);
  return parsed.data;
}

const MESSAGES: Record<GrantOutcome, (email: string) => string> = {
  granted: (e) => `${e} is now an admin`,
  already: (e) => `${e} was already an admin`,
  revoked: (e) => `${e} is no longer an admin`,
  'not-admin': (e) => `${e} was not an admin`,
  missing: (e) => `no account with the email ${e}: sign up on the web page first, then grant it`,
};

/**
 * `rag admin grant <email>` / `revoke <email>` / `list`: the operator decides who administers the
 * library, on the store itself. A grant applies to the account's next request (no restart).
 */
export function registerAdminCommands(program: Command, deps: AdminCommandDeps): Command {
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const admin = program
    .command('admin')
    .description('who may use the admin page: grant, revoke, list (accounts sign up on the web page first)');

  const change = (fn: typeof grantAdmin) => async (value: string) => {
    const email = parseEmail(value);
    const outcome = await deps.withDb(async (db) => {
      await migrate(db);
      return fn(db, email);
    });
    if (outcome === 'missing') throw new RagError('not_found', MESSAGES.missing(email));
    out(MESSAGES[outcome](email));
  };

  admin
    .command('grant')
    .description('make the account with this email an admin')
    .argument('<email>', 'the email the account signed up with')
    .action(change(grantAdmin));

  admin
    .command('revoke')
    .description('take admin away from the account with this email')
    .argument('<email>', 'the email the account signed up with')
    .action(change(revokeAdmin));

  admin
    .command('list')
    .description('print the admins, one email a line (--json: id, email, createdAt)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const admins = await deps.withDb(async (db) => {
        await migrate(db);
        return listAdmins(db);
      });
      if (opts.json) out(JSON.stringify(admins, null, 2));
      else if (admins.length === 0)
        out('no admin yet: `rag admin grant <email>`, or open the setup link the server prints at start-up');
      else for (const a of admins) out(a.email);
    });

  return admin;
}
