-- The factory's run store: runs, their steps, their events and the ledger of model calls.
-- One statement per semicolon at a line end (see migrate.ts), no dollar-quoted bodies.

CREATE TABLE runs (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
  issue integer NOT NULL CHECK (issue > 0),
  issue_hash text,
  author text,
  base text NOT NULL,
  base_sha text NOT NULL,
  branch text NOT NULL,
  repo text NOT NULL,
  state text NOT NULL DEFAULT 'running'
    CHECK (state IN ('running', 'merged', 'rejected', 'needs-human', 'blocked', 'failed')),
  stop_reason text,
  pr integer CHECK (pr > 0),
  sandbox text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  lease_owner text,
  lease_expires_at timestamptz,
  -- A finished run has a finish time and a reason; a running one has neither.
  CONSTRAINT runs_finished_consistent CHECK ((state = 'running') = (finished_at IS NULL)),
  CONSTRAINT runs_stop_reason_when_finished CHECK (state = 'running' OR stop_reason IS NOT NULL)
);

-- One run per issue at a time.
CREATE UNIQUE INDEX runs_one_running_per_issue ON runs (issue) WHERE state = 'running';
CREATE INDEX runs_by_issue ON runs (issue, created_at DESC);
CREATE INDEX runs_by_created ON runs (created_at DESC);
CREATE INDEX runs_by_finished ON runs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE steps (
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name text NOT NULL,
  seq integer NOT NULL CHECK (seq > 0),
  status text NOT NULL CHECK (status IN ('ok', 'failed', 'refused', 'skipped')),
  reason text,
  result jsonb NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  saved_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, name)
);

CREATE INDEX steps_by_name_started ON steps (name, started_at);

CREATE TABLE events (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('model_call', 'tool_call', 'command', 'note')),
  data jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_by_run ON events (run_id, id);

CREATE TABLE ledger (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step text NOT NULL,
  model text NOT NULL,
  input_tokens integer NOT NULL CHECK (input_tokens >= 0),
  output_tokens integer NOT NULL CHECK (output_tokens >= 0),
  cache_creation_input_tokens integer NOT NULL CHECK (cache_creation_input_tokens >= 0),
  cache_read_input_tokens integer NOT NULL CHECK (cache_read_input_tokens >= 0),
  -- NULL: the model has no price in the table. Never read as zero.
  usd numeric CHECK (usd >= 0),
  at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ledger_by_run ON ledger (run_id);
CREATE INDEX ledger_by_at ON ledger (at);
