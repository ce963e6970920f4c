-- Questions asked on the public site: the asker gets a status token (only its SHA-256 is stored,
-- like a booking's manage token) to see the question's state and its published answers. An
-- anonymous asker has no account, so the consents given in the form are kept on the question:
-- the version of each consent text the asker accepted (the personal-data consent is required by
-- the API; communications only when a contact email is left to be told of the answer).

-- +goose Up
ALTER TABLE questions ADD COLUMN status_token_hash text;
ALTER TABLE questions ADD COLUMN personal_data_consent_version text;
ALTER TABLE questions ADD COLUMN communications_consent_version text;
CREATE UNIQUE INDEX questions_status_token_hash_key ON questions (status_token_hash);

-- +goose Down
DROP INDEX questions_status_token_hash_key;
ALTER TABLE questions DROP COLUMN communications_consent_version;
ALTER TABLE questions DROP COLUMN personal_data_consent_version;
ALTER TABLE questions DROP COLUMN status_token_hash;
