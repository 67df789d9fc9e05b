-- Migration 14: how a Redfish BMC's certificate is trusted (issue 29): verified against the
-- system's CAs (verify_tls 1), not verified (0, the operator's explicit choice), or pinned by the
-- SHA-256 fingerprint of its certificate (ca_fingerprint, 64 lowercase hex digits) for a BMC
-- whose certificate is self-signed. IPMI rows keep the defaults.
ALTER TABLE machine_bmcs ADD COLUMN verify_tls INTEGER NOT NULL DEFAULT 1;
ALTER TABLE machine_bmcs ADD COLUMN ca_fingerprint TEXT;
