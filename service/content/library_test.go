package content_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/content"
)

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	c := content.Cursor{PublishedAt: time.Date(2026, 3, 29, 1, 2, 3, 456789000, time.UTC), ID: uuid.Must(uuid.NewV7())}
	got, err := content.ParseCursor(c.String())
	if err != nil || !got.PublishedAt.Equal(c.PublishedAt) || got.ID != c.ID {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, c)
	}
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                     string
		typ, search, cursor, lim string
		field                    string
		wantLimit                int
	}{
		{name: "defaults", wantLimit: content.DefaultLibraryPage},
		{name: "the largest page", lim: "50", wantLimit: 50},
		{name: "too large", lim: "51", field: "limit"},
		{name: "zero", lim: "0", field: "limit"},
		{name: "not a number", lim: "ten", field: "limit"},
		{name: "a sign", lim: "+5", field: "limit"},
		{name: "a type", typ: "podcast", field: "type"},
		{name: "a long search", search: string(make([]rune, content.MaxSearchLen+1)), field: "q"},
		{name: "a cursor", cursor: "%%%", field: "cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := content.ParseQuery("", "", tc.typ, tc.search, tc.cursor, tc.lim)
			var ve *models.ValidationError
			switch {
			case tc.field == "" && (err != nil || q.Limit != tc.wantLimit):
				t.Errorf("%+v, %v; want limit %d", q, err, tc.wantLimit)
			case tc.field != "" && (!errors.As(err, &ve) || ve.Field != tc.field):
				t.Errorf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
}
