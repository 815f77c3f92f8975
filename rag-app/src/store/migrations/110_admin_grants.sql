-- Admin is a stored grant (the operator's `rag admin grant`, or the one-time setup link printed at
-- start-up), never inferred from an email address or from being the first to sign up.
ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;

-- Only a password account can be an admin: guests (users without a password, one per anonymous
-- visitor, whose session cookie is their only key) never are.
ALTER TABLE users ADD CONSTRAINT users_admin_has_password CHECK (NOT is_admin OR password_hash IS NOT NULL);
