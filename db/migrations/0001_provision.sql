-- Migration 1: the schema of the first releases. Every statement is idempotent, so a database
-- made by 0-bootstrap (only `provision`) or by a release that applied db/schema.sql at every start
-- upgrades in place; DbUp's journal (SchemaVersions) records that it ran.

-- 0-bootstrap's table, column for column, so an existing database keeps working:
--   client   = MAC address, stored lower-case with colons (aa:bb:cc:dd:ee:ff)
--   branch   = network (runmode), e.g. prod
--   zerotier = farm id (the original's column name is kept)
--   kargs    = extra kernel arguments
CREATE TABLE IF NOT EXISTS provision (client varchar(32), branch varchar(32), zerotier varchar(32), kargs text);
-- sqlite only {
CREATE INDEX IF NOT EXISTS provision_by_client ON provision (client COLLATE NOCASE);
-- }

-- Machines that asked /provision/<mac> without being registered: what an operator provisions next.
CREATE TABLE IF NOT EXISTS provision_pending (
    mac            TEXT PRIMARY KEY,
    first_seen     TEXT NOT NULL,
    last_seen      TEXT NOT NULL,
    remote_address TEXT,
    count          INTEGER NOT NULL
);
