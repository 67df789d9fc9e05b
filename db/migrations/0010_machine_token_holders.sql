-- Migration 10: a machine's bootstrap_token works only for the machine that received it (issue 27).
-- The first address its boot script was served to holds the token: status reports and the answer
-- file are accepted from that address only (unless bind-token-to-address is off), and the answer
-- file is served a bounded number of times. A new assignment makes a new token and a new row.
CREATE TABLE machine_token_holders (
    token          TEXT PRIMARY KEY,
    machine_id     TEXT NOT NULL,
    address        TEXT NOT NULL,             -- the client address the script went to (through trusted proxies: the forwarded one)
    answer_fetches INTEGER NOT NULL,
    bound          TEXT NOT NULL
);
CREATE INDEX machine_token_holders_machine ON machine_token_holders (machine_id);
