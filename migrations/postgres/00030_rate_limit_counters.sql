-- Rate limits count in fixed windows: one counter per key ("<group> <client address>") and window,
-- taken with one statement, instead of a throttle hit per request. The public POSTs' hits in
-- throttle_hits are dropped (the limits start afresh). Same columns as migrations/sqlite.

-- +goose Up
CREATE TABLE rate_limit_counters (
    key          text        NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer     NOT NULL CHECK (hits > 0),
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_counters_window_idx ON rate_limit_counters (window_start);
DELETE FROM throttle_hits WHERE scope = 'rate_limit';

-- +goose Down
DROP TABLE rate_limit_counters;
