-- Migration 9: admin sessions belong to the site (issue 27). The keys that seal the pages'
-- sign-in and antiforgery cookies live here, so that every instance sharing this database accepts
-- the same cookie and no other site on the host does; a sign-out adds a row, and every session
-- signed in before the newest row ends at once, on every instance.
CREATE TABLE data_protection_keys (
    name     TEXT PRIMARY KEY,              -- the key's file name, e.g. key-<guid>
    xml      TEXT NOT NULL,                 -- the key as ASP.NET Data Protection writes it
    created  TEXT NOT NULL
);
CREATE TABLE admin_session_ends (
    generation INTEGER NOT NULL PRIMARY KEY, -- sessions signed in under an older one are over
    ended      TEXT NOT NULL,
    reason     TEXT NOT NULL
);
