package models_test

import (
	"errors"
	"strings"
	"testing"

	"balance/models"
)

func TestParseClientContact(t *testing.T) {
	tests := []struct {
		name  string
		staff bool
		in    [3]string // name, email, phone
		want  models.ClientContact
		field string // the field a refusal names
	}{
		{name: "site form", in: [3]string{"Анна", " Anna@Example.com ", "+7 (999) 123-45-67"},
			want: models.ClientContact{Name: "Анна", Email: "anna@example.com", Phone: "+79991234567"}},
		{name: "no phone", in: [3]string{"Анна", "anna@example.com", ""}, want: models.ClientContact{Name: "Анна", Email: "anna@example.com"}},
		{name: "no email on the site", in: [3]string{"Анна", "", "+79991234567"}, field: "client.email"},
		{name: "bad email", in: [3]string{"Анна", "anna", ""}, field: "client.email"},
		{name: "bad phone", in: [3]string{"Анна", "anna@example.com", "12"}, field: "client.phone"},
		{name: "no name", in: [3]string{"", "anna@example.com", ""}, field: "client.name"},
		{name: "long name", in: [3]string{strings.Repeat("я", 201), "anna@example.com", ""}, field: "client.name"},
		{name: "staff: a phone alone", staff: true, in: [3]string{"Пётр", "", "+7 999 333-44-55"},
			want: models.ClientContact{Name: "Пётр", Phone: "+79993334455"}},
		{name: "staff: no contact", staff: true, in: [3]string{"Пётр", "", ""}, field: "client.email"},
		{name: "staff: bad phone", staff: true, in: [3]string{"Пётр", "", "call me"}, field: "client.phone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parse := models.ParseClientContact
			if tc.staff {
				parse = models.ParseStaffClientContact
			}
			got, err := parse(tc.in[0], tc.in[1], tc.in[2])
			if tc.field != "" {
				var ve *models.ValidationError
				if !errors.As(err, &ve) || ve.Field != tc.field {
					t.Fatalf("err = %v, want a validation error of %s", err, tc.field)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
