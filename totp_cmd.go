package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"balance/models"
	"balance/repository"
)

// cmdTOTP is `totp reset --email E`: remove a staff member's authenticator and recovery codes and
// end their sessions, so that their next sign-in sets up a new authenticator. It is the remedy for
// a lost device with lost recovery codes, for an operator with access to the server; it is audited.
func cmdTOTP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgFile := newFlags("totp")
	email := fs.String("email", "", "the staff member's `EMAIL` (required)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || rest[0] != "reset" {
		return fmt.Errorf("totp: want reset --email EMAIL: %w", errUsage)
	}
	if *email == "" {
		return fmt.Errorf("totp reset: --email is required: %w", errUsage)
	}
	addr, err := models.ParseEmail(*email)
	if err != nil {
		return fmt.Errorf("totp reset: --email: %q is not an email address: %w", *email, errUsage)
	}
	db, _, err := openMigrated(ctx, *cfgFile, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := repository.NewUsers(db).ByEmail(ctx, addr)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("totp reset: no user with the email %s", addr)
	}
	if err != nil {
		return fmt.Errorf("totp reset: %w", err)
	}
	now := time.Now().UTC()
	var removed bool
	err = db.InTx(ctx, func(ctx context.Context) error {
		if removed, err = repository.NewTOTP(db).Reset(ctx, u.ID, now); err != nil {
			return err
		}
		entry, err := models.NewAuditLog(models.AuditActor{Role: "operator", IP: "cli"}, models.AuditActionDelete,
			"totp_factors", u.ID.String(), nil, now)
		if err != nil {
			return fmt.Errorf("audit: %v", err)
		}
		return repository.NewAuditLogs(db).Append(ctx, entry)
	})
	if err != nil {
		return fmt.Errorf("totp reset: %w", err)
	}
	if !removed {
		fmt.Fprintf(stdout, "%s had no authenticator; their sessions are ended\n", addr)
		return nil
	}
	fmt.Fprintf(stdout, "authenticator and recovery codes of %s removed, sessions ended: the next sign-in sets up a new authenticator\n", addr)
	return nil
}
