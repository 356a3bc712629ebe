-- banchi store, schema version 2: four eyes on list edits.
-- `pending` is read from the row's `pending` cell (the library's manage::PENDING column):
-- the change waiting for a second person's approval (`add`, `disable`, `enable`), empty
-- when none. Rows written before this version have none. `GET …/entries?status=pending`
-- reads it through the partial index.
ALTER TABLE banchi_entries ADD COLUMN pending text NOT NULL DEFAULT '';
CREATE INDEX banchi_entries_pending ON banchi_entries (list, position) WHERE pending <> '';
