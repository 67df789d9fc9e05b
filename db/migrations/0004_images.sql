-- Migration 4: the image catalogue (docs/menus.md). An image is a
-- description and its files; the bytes live in <image-path>/<name>/<file>, each file's size and
-- sha256 here. Plain types only: the same queries run on PostgreSQL.
CREATE TABLE images (
    name     TEXT PRIMARY KEY,
    type     TEXT NOT NULL,                 -- kernel-initrd, iso, livenet, nfs
    title    TEXT NOT NULL,
    kernel   TEXT,                          -- file names of this image
    initrds  TEXT NOT NULL DEFAULT '',      -- space-separated file names
    iso      TEXT,
    rootfs   TEXT,
    args     TEXT NOT NULL DEFAULT '',
    state    TEXT NOT NULL,                 -- staging (editable), golden (frozen)
    updated  TEXT NOT NULL
);

CREATE TABLE image_files (
    image    TEXT NOT NULL,
    file     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    sha256   TEXT NOT NULL,
    updated  TEXT NOT NULL,
    PRIMARY KEY (image, file)
);
