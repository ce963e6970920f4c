package notify

import (
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// This file: client accounts and the cabinet — the manage link the booking emails carry.

// ManageLink is the site's page of one booking for the holder of its manage token,
// `<site>/booking/<id>?token=<token>`: the page sends the token as X-Manage-Token to
// /api/v1/bookings/<id>... to show, cancel or reschedule the booking and fill its intake form.
func ManageLink(siteURL string, appointmentID uuid.UUID, token string) string {
	return strings.TrimRight(siteURL, "/") + "/booking/" + appointmentID.String() + "?token=" + url.QueryEscape(token)
}
