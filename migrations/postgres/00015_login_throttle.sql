-- Throttling counts attempts, not only failures: a hit is taken before the guarded work (a sign-in's
-- password check) and kept unless given back, in one table shared by every throttle. Existing
-- sign-in failures carry over as hits.

-- +goose Up
CREATE TABLE throttle_hits (
    id     uuid PRIMARY KEY,
    scope  text        NOT NULL CHECK (scope <> ''),
    key    text        NOT NULL,
    hit_at timestamptz NOT NULL
);
CREATE INDEX throttle_hits_key_idx ON throttle_hits (scope, key, hit_at);
INSERT INTO throttle_hits (id, scope, key, hit_at)
    SELECT id, 'login_' || scope, key, failed_at FROM login_failures;
DROP TABLE login_failures;

-- +goose Down
CREATE TABLE login_failures (
    id        uuid PRIMARY KEY,
    scope     text        NOT NULL CHECK (scope IN ('ip', 'account')),
    key       text        NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (scope, key, failed_at);
INSERT INTO login_failures (id, scope, key, failed_at)
    SELECT id, substr(scope, 7), key, hit_at FROM throttle_hits WHERE scope IN ('login_ip', 'login_account');
DROP TABLE throttle_hits;
