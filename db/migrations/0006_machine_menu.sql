-- Migration 6: a machine may be assigned a boot menu instead of a network (its network is then '').
ALTER TABLE machines ADD COLUMN menu TEXT;
