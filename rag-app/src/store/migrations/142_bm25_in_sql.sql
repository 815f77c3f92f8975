-- BM25 ranked in SQL (store/lexical.ts) with the same figures the in-memory index computes:
-- each posting carries its chunk's length (no join to chunks per posting), the primary key covers
-- tf and length (index-only scans of a term's postings), and document frequencies and corpus
-- totals are kept by statement-level triggers, so every writer (ingest, delete, cascade, the
-- benchmark's scale-up) keeps them exact without a pass over all postings.
ALTER TABLE chunk_terms ADD COLUMN doc_len integer;

UPDATE chunk_terms ct SET doc_len = c.token_count FROM chunks c WHERE c.id = ct.chunk_id;

ALTER TABLE chunk_terms ALTER COLUMN doc_len SET NOT NULL;

ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_pkey;

ALTER TABLE chunk_terms ADD PRIMARY KEY (term, chunk_id) INCLUDE (tf, doc_len);

-- Chunks holding each term. A term no chunk holds any more keeps a row with df 0.
CREATE TABLE bm25_terms (
  term text PRIMARY KEY,
  df integer NOT NULL CHECK (df >= 0)
);

-- Respelling looks up terms by first letter and length (retrieve/oov.ts).
CREATE INDEX bm25_terms_shape_idx ON bm25_terms (left(term, 1), length(term));

INSERT INTO bm25_terms (term, df) SELECT term, count(*) FROM chunk_terms GROUP BY term;

-- Chunk count and the sum of their lengths (in terms): BM25's N and mean length.
CREATE TABLE bm25_corpus (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  chunks bigint NOT NULL CHECK (chunks >= 0),
  total_len bigint NOT NULL CHECK (total_len >= 0)
);

INSERT INTO bm25_corpus (singleton, chunks, total_len)
SELECT true, count(*), coalesce(sum(token_count), 0) FROM chunks;

-- Every trigger locks the bm25_corpus row first: concurrent writers queue there instead of
-- deadlocking on bm25_terms rows taken in different orders.
CREATE FUNCTION bm25_chunks_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE bm25_corpus SET chunks = chunks + a.n, total_len = total_len + a.len
  FROM (SELECT count(*) AS n, coalesce(sum(token_count), 0) AS len FROM added) a
  WHERE a.n > 0;
  RETURN NULL;
END
$$;

CREATE FUNCTION bm25_chunks_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE bm25_corpus SET chunks = chunks - r.n, total_len = total_len - r.len
  FROM (SELECT count(*) AS n, coalesce(sum(token_count), 0) AS len FROM removed) r
  WHERE r.n > 0;
  RETURN NULL;
END
$$;

CREATE FUNCTION bm25_terms_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM bm25_corpus FOR UPDATE;
  INSERT INTO bm25_terms AS t (term, df)
  SELECT term, count(*) FROM added GROUP BY term ORDER BY term
  ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df;
  RETURN NULL;
END
$$;

CREATE FUNCTION bm25_terms_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM bm25_corpus FOR UPDATE;
  UPDATE bm25_terms t SET df = t.df - r.n
  FROM (SELECT term, count(*) AS n FROM removed GROUP BY term) r
  WHERE t.term = r.term;
  RETURN NULL;
END
$$;

CREATE TRIGGER chunks_bm25_added AFTER INSERT ON chunks
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION bm25_chunks_added();

CREATE TRIGGER chunks_bm25_removed AFTER DELETE ON chunks
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION bm25_chunks_removed();

CREATE TRIGGER chunk_terms_bm25_added AFTER INSERT ON chunk_terms
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION bm25_terms_added();

CREATE TRIGGER chunk_terms_bm25_removed AFTER DELETE ON chunk_terms
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION bm25_terms_removed();
