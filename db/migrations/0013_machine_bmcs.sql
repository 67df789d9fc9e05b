-- Migration 13: how to reach each machine's BMC (issue 29), by the MAC the operator named it by.
-- The password is sealed with the site's key ring (data_protection_keys) and never stored in clear.
CREATE TABLE machine_bmcs (
    mac TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    address TEXT NOT NULL,
    port INTEGER NOT NULL,
    username TEXT NOT NULL,
    password_sealed TEXT NOT NULL,
    updated TEXT NOT NULL
);
