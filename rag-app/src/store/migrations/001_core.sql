-- Core schema: videos, their chunks, lexical postings (BM25) and vectors.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE videos (
  video_id text PRIMARY KEY,
  title text NOT NULL,
  url text NOT NULL,
  published date,
  duration_sec integer,
  source text NOT NULL,
  content_hash text NOT NULL,
  segments jsonb NOT NULL,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE chunks (
  id bigserial PRIMARY KEY,
  video_id text NOT NULL REFERENCES videos (video_id) ON DELETE CASCADE,
  ordinal integer NOT NULL,
  start_sec real NOT NULL,
  end_sec real NOT NULL,
  text text NOT NULL,
  segments jsonb NOT NULL,
  token_count integer NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
  embedding vector,
  UNIQUE (video_id, ordinal)
);

CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);

-- BM25 postings: one row per (chunk, term), tf = term frequency in the chunk.
CREATE TABLE chunk_terms (
  chunk_id bigint NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
  term text NOT NULL,
  tf integer NOT NULL,
  PRIMARY KEY (term, chunk_id)
);

CREATE INDEX chunk_terms_chunk_idx ON chunk_terms (chunk_id);

-- The embedding space the stored vectors live in: a mismatch with the configured embedder is an error.
CREATE TABLE embedding_space (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  provider text NOT NULL,
  model text NOT NULL,
  dim integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Models fitted on the corpus itself (e.g. the LSA projection), rebuilt on ingest.
CREATE TABLE embedding_models (
  provider text PRIMARY KEY,
  model jsonb NOT NULL,
  weights bytea NOT NULL,
  corpus_version bigint NOT NULL,
  fitted_at timestamptz NOT NULL DEFAULT now()
);

-- Bumped by every ingest that changes content; caches and fitted models compare against it.
CREATE TABLE corpus_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version bigint NOT NULL DEFAULT 0
);

INSERT INTO corpus_state (singleton, version) VALUES (true, 0);
