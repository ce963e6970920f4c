package models_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"balance/models"
)

func TestQuestionRecordConsents(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name                          string
		email                         string
		personal, communications      string
		wantField                     string
		wantPersonal, wantCommunicate string
	}{
		{"personal data only", "", "2026-01", "", "", "2026-01", ""},
		{"both, trimmed", "a@example.org", " 2026-01 ", "v2", "", "2026-01", "v2"},
		{"no personal data", "", "", "v2", "consents", "", ""},
		{"email without communications", "a@example.org", "2026-01", "", "contact_email", "", ""},
		{"version too long", "", strings.Repeat("1", models.QuestionConsentVersionMaxChars+1), "", "consents", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, err := models.NewQuestion(nil, "Как справиться с тревогой?", tt.email, "", false, now)
			if err != nil {
				t.Fatal(err)
			}
			err = q.RecordConsents(tt.personal, tt.communications)
			var ve *models.ValidationError
			if tt.wantField != "" {
				if !errors.As(err, &ve) || ve.Field != tt.wantField {
					t.Fatalf("RecordConsents = %v, want a validation error of %s", err, tt.wantField)
				}
				if q.PersonalDataConsentVersion != nil {
					t.Error("a refused consent was recorded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.PersonalDataConsentVersion == nil || *q.PersonalDataConsentVersion != tt.wantPersonal {
				t.Errorf("personal data = %v, want %q", q.PersonalDataConsentVersion, tt.wantPersonal)
			}
			if got := q.CommunicationsConsentVersion; (got == nil) != (tt.wantCommunicate == "") || (got != nil && *got != tt.wantCommunicate) {
				t.Errorf("communications = %v, want %q", got, tt.wantCommunicate)
			}
		})
	}
}
