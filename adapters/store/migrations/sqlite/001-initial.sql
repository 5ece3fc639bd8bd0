-- Users, keys, jobs, images, history and profiles. Times are milliseconds since the epoch; JSON
-- lives in TEXT so both dialects give back exactly what was written.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- Only the SHA-256 of a key is kept: a leaked database does not leak working keys.
CREATE TABLE api_keys (
  key_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  request TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  error TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX jobs_user ON jobs (user_id, created_at);

-- seq orders the gallery and pages it; (job_id, seed) makes a retried job's insert a no-op.
CREATE TABLE images (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  seed INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  file_path TEXT NOT NULL,
  thumb_path TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  prompt TEXT NOT NULL,
  -- Lowercased in JavaScript, not SQL: SQLite's LOWER() knows only ASCII, so both match alike.
  prompt_search TEXT NOT NULL,
  rewritten_prompt TEXT NOT NULL,
  params TEXT NOT NULL,
  profile TEXT,
  scores TEXT NOT NULL,
  embedding TEXT NOT NULL,
  attributes TEXT NOT NULL,
  explanation TEXT,
  rating TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (job_id, seed)
);
CREATE INDEX images_user ON images (user_id, seq);

-- One ordered log per user; the image columns exist so the database itself refuses dangling ids.
CREATE TABLE history_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('rating', 'choice', 'comment', 'stated', 'prompt')),
  image_id TEXT REFERENCES images (id) ON DELETE CASCADE,
  loser_id TEXT REFERENCES images (id) ON DELETE CASCADE,
  event TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX history_user ON history_events (user_id, seq);

CREATE TABLE profiles (
  user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  profile TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
