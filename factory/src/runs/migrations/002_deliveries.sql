-- The intake's records: webhook deliveries and polled changes taken (replays are refused by id),
-- requests to stop a running run, and the poller's place in each listing.
-- One statement per semicolon at a line end (see migrate.ts), no dollar-quoted bodies.

-- Kept, not pruned: a replayed delivery is refused however old it is (a row is a few dozen bytes).
CREATE TABLE deliveries (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
  source text NOT NULL CHECK (source IN ('webhook', 'poll')),
  event text NOT NULL,
  action text,
  -- What the intake did with it (enqueued, ignored and why, a command's answer); NULL while handled.
  outcome text,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX deliveries_by_received ON deliveries (received_at);

-- `/factory stop` or a closed pull request: the engine checks before each step and ends the run
-- with the stop reason `stopped`. One per run: the first request stands.
CREATE TABLE stop_requests (
  run_id text PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  requested_by text NOT NULL,
  source text NOT NULL,
  note text,
  requested_at timestamptz NOT NULL DEFAULT now()
);

-- Where the poller is in each conditional listing: the update time seen up to and the last ETag.
CREATE TABLE poll_cursors (
  name text PRIMARY KEY,
  since timestamptz,
  etag text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
