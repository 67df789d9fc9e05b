-- Migration 8: files every instance shares (docs/production.md; issue 16). On PostgreSQL
-- kernels, runmode links and catalogue files live here, each file once by its sha256, in chunks
-- of 1 MiB (a file never has to fit in memory), and every instance keeps a copy on its own disk by
-- hash. A single SQLite instance keeps its kernels folder and images folder instead, so on SQLite
-- these tables stay empty until setup/cluster.sh migrate copies a site into PostgreSQL.
CREATE TABLE blobs (
    id       INTEGER PRIMARY KEY,
    sha256   TEXT UNIQUE,                   -- NULL only inside the transaction of its own upload
    size     INTEGER NOT NULL,
    created  TEXT NOT NULL
);
CREATE TABLE blob_chunks (
    blob_id  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (blob_id, seq)
);
CREATE TABLE kernels (
    name     TEXT PRIMARY KEY,              -- as in /kernel/<name>
    sha256   TEXT NOT NULL,                 -- its blob
    size     INTEGER NOT NULL,
    updated  TEXT NOT NULL
);
CREATE TABLE runmode_links (
    link     TEXT PRIMARY KEY,              -- as in /kernel/net/<link>, e.g. prod.efi
    kernel   TEXT NOT NULL,                 -- a name in kernels
    updated  TEXT NOT NULL
);
