-- banchi store, schema version 1: the two lists, their change log and index snapshots.
-- Applied by `banchi store migrate` (as the tables' owner) inside one transaction.

-- One row per list: its columns, the digest of its content (`lists_version`'s part: the
-- library's journal::Digest, as 64 bits), the largest numeric id (next id = this + 1) and
-- the next row position (export order).
CREATE TABLE banchi_lists (
    list          text PRIMARY KEY CHECK (list IN ('fraud', 'forwarders')),
    header        text[] NOT NULL,
    digest        bigint NOT NULL,
    max_numeric   bigint NOT NULL DEFAULT 0,
    next_position bigint NOT NULL DEFAULT 0
);

-- The entries as they stand. `cells` is the row as the list CSV holds it (one cell per
-- header column, in order), the other columns are read from it for queries and operators.
CREATE TABLE banchi_entries (
    list      text   NOT NULL REFERENCES banchi_lists (list),
    id        text   NOT NULL,
    position  bigint NOT NULL,
    address   text   NOT NULL,
    key       text,
    reason    text   NOT NULL,
    memo      text   NOT NULL,
    service   text   NOT NULL,
    status    text   NOT NULL,
    who       text   NOT NULL,
    at        text   NOT NULL,
    cells     text[] NOT NULL,
    PRIMARY KEY (list, id)
);
CREATE UNIQUE INDEX banchi_entries_position ON banchi_entries (list, position);

-- History: one row per committed change, the row's full image after it, written in the
-- same transaction as the row. Kept, never rewritten. `seq` is given out under the lock of
-- banchi_sequence's one row, so sequence order is commit order.
CREATE TABLE banchi_changes (
    seq    bigint PRIMARY KEY,
    list   text   NOT NULL,
    id     text   NOT NULL,
    header text[] NOT NULL,
    cells  text[] NOT NULL,
    digest bigint NOT NULL,
    who    text   NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX banchi_changes_entry ON banchi_changes (list, id, seq);
CREATE INDEX banchi_changes_list ON banchi_changes (list, seq);

CREATE TABLE banchi_sequence (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint  NOT NULL
);
INSERT INTO banchi_sequence (singleton, seq) VALUES (true, 0);

-- The newest index of each list (an index file's bytes: magic, version, CRC-32, body) and
-- the change-log sequence it covers. Replaced in place by the one replica holding the
-- snapshot lock; a starting replica loads it and applies the changes after `seq`.
CREATE TABLE banchi_snapshots (
    list     text   PRIMARY KEY,
    seq      bigint NOT NULL,
    digest   bigint NOT NULL,
    entries  bigint NOT NULL,
    image    bytea  NOT NULL,
    build_ms bigint NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now()
);
-- FST bytes hardly compress: stored out of line, uncompressed (faster to write and read).
ALTER TABLE banchi_snapshots ALTER COLUMN image SET STORAGE EXTERNAL;
