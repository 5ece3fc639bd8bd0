-- The latest rating of each image moves to a narrow table of its own. On the image row, a rating
-- rewrote the whole row (its embedding, scores, parameters and profile snapshot: several kB) for
-- one short value.
CREATE TABLE ratings (
  image_id TEXT PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  value TEXT NOT NULL,
  rated_at BIGINT NOT NULL
);

INSERT INTO ratings (image_id, value, rated_at) SELECT id, rating, created_at FROM images WHERE rating IS NOT NULL;
ALTER TABLE images DROP COLUMN rating;
