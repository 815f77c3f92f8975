-- Model-written answers, all users together: one row per answer (reserved before the model is
-- asked, its tokens and estimated cost filled in after), for the global daily caps on answers and spend.
CREATE TABLE model_usage (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  input_tokens integer NOT NULL DEFAULT 0,
  output_tokens integer NOT NULL DEFAULT 0,
  cost_usd double precision NOT NULL DEFAULT 0
);

CREATE INDEX model_usage_at_idx ON model_usage (at);

-- Failed sign-ins per account (any typed email, so the table does not tell which accounts exist):
-- past a few, each attempt must wait longer (routes/auth.ts). Reset by a successful sign-in.
CREATE TABLE login_failures (
  email text PRIMARY KEY,
  failures integer NOT NULL,
  last_at timestamptz NOT NULL
);
