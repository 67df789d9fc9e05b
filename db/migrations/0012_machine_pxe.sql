-- Migration 12: what the built-in PXE server does for a machine (issue 28): "answer" (the default),
-- "ignore" (never answer it: another PXE server owns it) or "chain" (hand even an iPXE ROM our own
-- iPXE over TFTP first, to replace an old ROM's).
ALTER TABLE machines ADD COLUMN pxe TEXT NOT NULL DEFAULT 'answer';
