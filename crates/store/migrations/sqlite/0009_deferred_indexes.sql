-- Secondary indexes on posts taken off for a bulk load, with the SQL that builds them again.
-- Dropping an index and recording it here happen in one transaction, and so do building it
-- and deleting its row: an import killed in between leaves the definitions, and the next
-- open of the store builds them, so no kill loses an index.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
) WITHOUT ROWID;
