-- Self-help tool runs of the public site: a run is completed and read with a run token the visitor
-- got when starting it; only its SHA-256 is stored. A Telegram "plan" deep link keeps the run's
-- token, Fernet-encrypted (never in plain text), so that the bot's answer can link to the plan.

-- +goose Up
ALTER TABLE interactive_runs ADD COLUMN token_hash text;
ALTER TABLE deep_links ADD COLUMN run_token text;

-- +goose Down
ALTER TABLE deep_links DROP COLUMN run_token;
ALTER TABLE interactive_runs DROP COLUMN token_hash;
