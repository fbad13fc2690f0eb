-- The example application's settings per segment, edited by its operators (docs/walkthrough.md).
CREATE TABLE settings (
    segment TEXT PRIMARY KEY,
    similarity_cutoff REAL NOT NULL  -- "related reading" lists stop below it
);
INSERT INTO settings (segment, similarity_cutoff) VALUES ('scifact', 0.6);
INSERT INTO settings (segment, similarity_cutoff) VALUES ('cranfield', 0.55);
