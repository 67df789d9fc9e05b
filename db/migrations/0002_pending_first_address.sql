-- Migration 2: a pending machine keeps the first address it was seen from beside the last one,
-- so a stranger who asks for a real machine's MAC cannot overwrite where it first came from.
ALTER TABLE provision_pending ADD COLUMN first_address TEXT;
UPDATE provision_pending SET first_address = remote_address WHERE first_address IS NULL;
