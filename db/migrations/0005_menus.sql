-- Migration 5: boot menus (docs/menus.md). The entries are a JSON
-- list checked by the service (MenuRules) before it is stored. Plain types: PostgreSQL runs it too.
CREATE TABLE menus (
    name       TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    timeout    INTEGER NOT NULL,          -- seconds; 0 waits for a choice
    default_entry INTEGER,                -- index into entries; NULL: the first bootable one
    entries    TEXT NOT NULL,
    updated    TEXT NOT NULL
);
