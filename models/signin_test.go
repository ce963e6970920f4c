package models_test

import (
	"errors"
	"testing"
	"time"

	"balance/models"
)

func TestOneTimeCodeTries(t *testing.T) {
	t.Parallel()
	issued := func(t *testing.T) *models.OneTimeCode {
		t.Helper()
		c, err := models.NewOneTimeCode(models.CodeSignIn, "hash-of-address", nil, "anna@example.org", 10*time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Issue("hash-of-code", 10*time.Minute, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name  string
		tries []bool // match or not, in order
		at    time.Duration
		want  []error
	}{
		{"right at once", []bool{true}, 0, []error{nil}},
		{"used once only", []bool{true, true}, 0, []error{nil, models.ErrCodeExpired}},
		{"four wrong then right", []bool{false, false, false, false, true}, 0,
			[]error{models.ErrCodeInvalid, models.ErrCodeInvalid, models.ErrCodeInvalid, models.ErrCodeInvalid, nil}},
		{"the fifth wrong kills it", []bool{false, false, false, false, false, true}, 0,
			[]error{models.ErrCodeInvalid, models.ErrCodeInvalid, models.ErrCodeInvalid, models.ErrCodeInvalid, models.ErrCodeExhausted, models.ErrCodeExhausted}},
		{"valid until its lifetime from issue", []bool{true}, 11*time.Minute - time.Second, []error{nil}},
		{"expired", []bool{true}, 11 * time.Minute, []error{models.ErrCodeExpired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := issued(t)
			for i, match := range tt.tries {
				if err := c.Try(match, t0.Add(tt.at)); !errors.Is(err, tt.want[i]) || (err == nil) != (tt.want[i] == nil) {
					t.Fatalf("try %d = %v, want %v", i+1, err, tt.want[i])
				}
			}
		})
	}
	t.Run("not yet emailed", func(t *testing.T) {
		c, _ := models.NewOneTimeCode(models.CodeSignIn, "k", nil, "anna@example.org", 10*time.Minute, t0)
		if err := c.Try(true, t0); !errors.Is(err, models.ErrCodeInvalid) {
			t.Errorf("try of a code never issued = %v", err)
		}
	})
	t.Run("an email change needs its user", func(t *testing.T) {
		if _, err := models.NewOneTimeCode(models.CodeEmailChange, "k", nil, "anna@example.org", time.Minute, t0); err == nil {
			t.Error("an email-change code without a user was made")
		}
	})
}

func TestClientProfile(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	u := models.NewClientUser("anna@example.org", "", t0)
	if err := u.SetProfile(models.ClientProfile{DisplayName: s("Анна"), Phone: s("8 999 123-45-67"), TimeZone: s("Europe/Moscow")}, t0); err != nil {
		t.Fatal(err)
	}
	if u.DisplayName != "Анна" || u.Phone == nil || *u.Phone != "+79991234567" || u.TimeZone == nil || *u.TimeZone != "Europe/Moscow" {
		t.Errorf("profile %+v", u)
	}
	for _, p := range []models.ClientProfile{
		{DisplayName: s("Б"), TimeZone: s("Local")}, {TimeZone: s("Nowhere/City")}, {Phone: s("12"), TimeZone: s("")},
	} {
		var ve *models.ValidationError
		if err := u.SetProfile(p, t0); !errors.As(err, &ve) {
			t.Errorf("SetProfile(%+v) = %v, want a validation error", p, err)
		}
		if u.DisplayName != "Анна" || u.Phone == nil || u.TimeZone == nil {
			t.Errorf("a refused change changed the profile: %+v", u)
		}
	}
	if err := u.SetProfile(models.ClientProfile{Phone: s(""), TimeZone: s("")}, t0); err != nil || u.Phone != nil || u.TimeZone != nil || u.DisplayName != "Анна" {
		t.Errorf("clearing: %v %+v", err, u)
	}
	staff, _ := models.NewStaffUser("owner@example.org", "O", models.RoleOwner, "hash", t0)
	if u.CanSignInAsClient() != nil || staff.CanSignInAsClient() == nil {
		t.Error("a client must and a staff member must not open a cabinet session")
	}
}
