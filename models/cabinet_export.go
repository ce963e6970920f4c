package models

import (
	"time"

	"github.com/google/uuid"
)

// DataExportTTL is how long a ready archive may be downloaded.
const DataExportTTL = 24 * time.Hour

// DataExportArchive is the built archive of a data export request, kept in the database so that
// every instance can hand it out. Content is P2 (everything held about the client, decrypted) and
// is stored only as a Fernet token. TokenHash is the SHA-256 of the one-time download token, set
// when the email with the link goes out; the row is deleted after the first download or at expiry.
type DataExportArchive struct {
	RequestID uuid.UUID `gorm:"primaryKey"`
	UserID    uuid.UUID `gorm:"index:data_export_archives_user_idx"`
	Content   []byte    `gorm:"serializer:fernet"`
	TokenHash *string   `gorm:"uniqueIndex:data_export_archives_token_hash_key"`
	ExpiresAt time.Time `gorm:"index:data_export_archives_expires_idx"`
	CreatedAt time.Time
}

// DataExportFileRef is the file reference a ready request keeps: its archive's row.
func DataExportFileRef(requestID uuid.UUID) string {
	return "db:data_export_archives/" + requestID.String()
}
