package models

import (
	"fmt"
	"time"
)

// This file: client accounts and the cabinet — a client's erasure of their account.

// ErasedEmailDomain is the domain of the placeholder address an erased account keeps: a reserved,
// non-routable name (RFC 2606), so no mail can ever reach it.
const ErasedEmailDomain = "erased.invalid"

// Erase anonymises a client who deleted their account and marks the account deleted: the name,
// phone, time zone, Telegram identity and password go; the address becomes a unique
// non-routable placeholder, so unique indexes hold and the old address is free for a new account.
// The row stays, without anything that names the person, for the payments and the audit trail.
func (u *User) Erase(now time.Time) error {
	if u.Status == UserDeleted {
		return fmt.Errorf("erase deleted user: %w", ErrInvalidTransition)
	}
	placeholder := Email("deleted-" + u.ID.String() + "@" + ErasedEmailDomain)
	u.Email, u.Phone, u.TimeZone, u.DisplayName = &placeholder, nil, nil, ""
	u.TelegramUserID, u.TelegramUsername, u.PasswordHash = nil, nil, nil
	return u.MarkDeleted(now)
}
