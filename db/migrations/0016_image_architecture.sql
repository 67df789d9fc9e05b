-- Migration 16: a catalogue image may be for one architecture (issue 30): x86_64 or arm64, NULL for
-- any. A menu offers such an entry only to a machine whose iPXE is a build of that architecture.
ALTER TABLE images ADD COLUMN architecture TEXT;
