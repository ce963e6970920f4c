package identity

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"balance/models"
)

// A code is accepted from one time step either side of now, not two; the step it matched is the
// step it was shown in.
func TestMatchingStepsSkew(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Date(2026, 11, 25, 9, 0, 10, 0, time.UTC)
	for _, tt := range []struct {
		shown time.Duration
		ok    bool
	}{
		{-2 * models.TOTPStep, false},
		{-models.TOTPStep, true},
		{0, true},
		{models.TOTPStep, true},
		{2 * models.TOTPStep, false},
	} {
		at := now.Add(tt.shown)
		code, err := totp.GenerateCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		steps := matchingSteps(secret, code, now)
		if got := len(steps) > 0; got != tt.ok {
			t.Errorf("code shown at %s: accepted %v, want %v", tt.shown, got, tt.ok)
		}
		if tt.ok && steps[len(steps)-1] != models.TOTPStepAt(at) {
			t.Errorf("code shown at %s matched step %v, want %d", tt.shown, steps, models.TOTPStepAt(at))
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if steps := matchingSteps(secret, bad, now); len(steps) != 0 {
			t.Errorf("%q matched %v", bad, steps)
		}
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, rows, err := newRecoveryCodes(models.NewID(), time.Now())
	if err != nil || len(codes) != models.RecoveryCodeCount || len(rows) != len(codes) {
		t.Fatalf("newRecoveryCodes = %d codes, %d rows, %v", len(codes), len(rows), err)
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 19 || seen[c] || rows[i].CodeHash != hashRecoveryCode(c) || rows[i].CodeHash == c {
			t.Errorf("code %q / row %+v", c, rows[i])
		}
		seen[c] = true
	}
	if hashRecoveryCode(" ABCD-efgh-2345-6789 ") != hashRecoveryCode("abcdefgh23456789") {
		t.Error("case, spaces and dashes change the hash")
	}
}
