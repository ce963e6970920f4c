package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"balance/config"
	"balance/crypto"
	"balance/repository"
)

// localKeyFile is where the SQLite quick start keeps a generated key, beside the database.
func localKeyFile(cfg config.Config) string {
	if !strings.HasPrefix(cfg.Database.URL, "sqlite:") {
		return ""
	}
	return filepath.Join(filepath.Dir(repository.SQLitePath(cfg.Database.URL)), "encryption.key")
}

// loadKeyRing returns the key ring that protects P2 data. Configured keys win. Without them, the
// SQLite quick start uses (and, when create is true, generates) a local key file and says so;
// PostgreSQL — production — refuses to start.
func loadKeyRing(cfg config.Config, create bool, log *slog.Logger) (*crypto.KeyRing, error) {
	file := localKeyFile(cfg)
	if len(cfg.Encryption.Keys) > 0 {
		if file != "" {
			if b, err := os.ReadFile(file); err == nil && !slices.Contains(cfg.Encryption.Keys, strings.TrimSpace(string(b))) {
				log.Warn("the local key file is not among encryption.keys: data it encrypted cannot be read; add its key after the first one",
					"file", file)
			}
		}
		return crypto.NewKeyRing(cfg.Encryption.Keys...)
	}
	if file == "" {
		return nil, &configError{errors.New("config: encryption.keys: required with PostgreSQL: set BALANCE_ENCRYPTION_KEYS (make one with `balance crypto genkey`)")}
	}
	b, err := os.ReadFile(file)
	switch {
	case err == nil:
		log.Warn("encryption.keys is empty: using the local key file; set BALANCE_ENCRYPTION_KEYS in production", "file", file)
		ring, err := crypto.NewKeyRing(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("local key file %s: %w", file, err)
		}
		return ring, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("read local key file: %w", err)
	case !create:
		return nil, &configError{fmt.Errorf("config: encryption.keys: not set and no local key file %s", file)}
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return nil, fmt.Errorf("create local key file: %w", err)
	}
	// O_EXCL: two instances starting at once must not each write their own key.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return loadKeyRing(cfg, false, log)
	}
	if err != nil {
		return nil, fmt.Errorf("create local key file: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write local key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write local key file: %w", err)
	}
	log.Warn("encryption.keys is empty: generated a local key file for P2 data; back it up with the database, and set BALANCE_ENCRYPTION_KEYS in production",
		"file", file)
	return crypto.NewKeyRing(key)
}
