-- Migration 7: users, organisations and groups for the /menu login (docs/menus.md; the
-- image catalogue; seed 003). A user belongs to organisations, an organisation offers groups, a
-- group offers one menu to its users. Passwords are stored only as PasswordHasher hashes.
-- Plain types and no engine-specific syntax: PostgreSQL runs it too.
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    updated       TEXT NOT NULL
);
CREATE TABLE organizations (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE boot_groups (                 -- "groups" is a keyword in both engines' window syntax
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    menu    TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE user_organizations (
    user_name       TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    position        INTEGER NOT NULL,
    PRIMARY KEY (user_name, organization_id)
);
CREATE TABLE organization_groups (
    organization_id TEXT NOT NULL,
    group_id        TEXT NOT NULL,
    position        INTEGER NOT NULL,
    PRIMARY KEY (organization_id, group_id)
);
CREATE TABLE group_users (
    group_id  TEXT NOT NULL,
    user_name TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_name)
);
