-- The web service: accounts, sessions, private conversations, usage limits and the sync lease.
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  -- Lower-cased. The built-in anonymous user has no '@' so no sign-up can ever claim it.
  email text NOT NULL UNIQUE,
  -- scrypt$N$r$p$salt$hash; NULL for the anonymous user, who cannot sign in.
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Only a hash of the session token is kept: a leaked table does not let anyone sign in.
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE conversations (
  id uuid PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE INDEX conversations_user_idx ON conversations (user_id, updated_at DESC);

CREATE TABLE messages (
  id bigserial PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  content text NOT NULL,
  -- The whole AskResult for assistant messages, so a reopened conversation shows its citations.
  result jsonb,
  created_at timestamptz NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED
);

CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);

CREATE INDEX messages_tsv_idx ON messages USING gin (tsv);

-- Sliding-window usage (the daily message cap): one row per counted use.
CREATE TABLE usage_events (
  id bigserial PRIMARY KEY,
  bucket text NOT NULL,
  at timestamptz NOT NULL
);

CREATE INDEX usage_events_bucket_idx ON usage_events (bucket, at);

-- Fixed-window counters (the per-IP rate limit): one row per bucket and minute.
CREATE TABLE rate_windows (
  bucket text NOT NULL,
  window_start timestamptz NOT NULL,
  hits integer NOT NULL,
  PRIMARY KEY (bucket, window_start)
);

-- Leases: whoever holds an unexpired row may do the named work; several processes can compete safely.
CREATE TABLE leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE TABLE sync_runs (
  id bigserial PRIMARY KEY,
  trigger text NOT NULL,
  holder text NOT NULL,
  refs jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  summary jsonb,
  error text
);
