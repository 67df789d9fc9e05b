-- Migration 11: a menu answers /menu/<name> to anyone only when it is marked public (issue 27).
-- Others reach a machine assigned them, or a user through the /menu login. Menus that existed
-- before keep answering everyone unless a group offers them (a group's menu was never meant for
-- strangers).
ALTER TABLE menus ADD COLUMN is_public INTEGER NOT NULL DEFAULT 0;
UPDATE menus SET is_public = 1 WHERE name NOT IN (SELECT menu FROM boot_groups);
