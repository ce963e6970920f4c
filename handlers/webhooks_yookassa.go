package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"

	"github.com/gin-gonic/gin"
)

// PaymentNotifications processes provider notifications; *booking.Bookings is one. An error
// means "not done, send it again".
type PaymentNotifications interface {
	HandleNotification(ctx context.Context, event, objectID string) (string, error)
}

// maxNotificationBytes bounds a notification body; real ones are a few kilobytes.
const maxNotificationBytes = 64 << 10

type yookassaWebhook struct {
	notifications PaymentNotifications
	allowed       []netip.Prefix
}

// ParseCIDRs reads IPs and CIDRs ("77.75.156.11", "185.71.76.0/27") as prefixes.
func ParseCIDRs(items []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(items))
	for _, s := range items {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func (h *yookassaWebhook) allows(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range h.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// notification is the body YooKassa posts: {"type":"notification","event":...,"object":{"id":...}}.
type notification struct {
	Type   string `json:"type"`
	Event  string `json:"event"`
	Object struct {
		ID string `json:"id"`
	} `json:"object"`
}

// parseNotification reads a notification body. The event and object id must be short runs of
// visible ASCII, as YooKassa's are: anything else is not from YooKassa and must not reach the
// database or the API's URL paths.
func parseNotification(raw []byte) (notification, bool) {
	var n notification
	if len(raw) > maxNotificationBytes || json.Unmarshal(raw, &n) != nil || n.Type != "notification" {
		return n, false
	}
	if !opaqueID(n.Event, 64) || !opaqueID(n.Object.ID, 255) {
		return n, false
	}
	return n, true
}

// opaqueID reports whether s is 1..max bytes of letters, digits, '.', '_' and '-'.
func opaqueID(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// receive answers POST /webhooks/yookassa. YooKassa signs nothing, so the sender is trusted by its
// address only, and the notification only says which object to re-read from the API. 200 means
// the change is committed; 5xx makes YooKassa send it again.
func (h *yookassaWebhook) receive(c *gin.Context) {
	ctx := c.Request.Context()
	ip := c.ClientIP() // X-Forwarded-For counts only from http.trusted_proxies
	if !h.allows(ip) {
		logger(c).WarnContext(ctx, "payment notification from a disallowed address refused", "ip", ip)
		problem(c, http.StatusForbidden, "forbidden", "notifications are accepted from the payment provider's addresses only")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(c.Request.Body, maxNotificationBytes+1))
	if err != nil {
		decodeProblem(c, err)
		return
	}
	n, ok := parseNotification(raw)
	if !ok {
		// The body is not logged: it may carry the payer's details.
		logger(c).WarnContext(ctx, "malformed payment notification", "ip", ip, "bytes", len(raw))
		problem(c, http.StatusBadRequest, "malformed-notification", "expected {\"type\":\"notification\",\"event\":...,\"object\":{\"id\":...}}")
		return
	}
	outcome, err := h.notifications.HandleNotification(ctx, n.Event, n.Object.ID)
	if err != nil {
		logger(c).ErrorContext(ctx, "payment notification not processed; the provider will retry",
			"event", n.Event, "object_id", n.Object.ID, "error", err.Error())
		problem(c, http.StatusServiceUnavailable, "retry-later", "the notification could not be processed now; send it again")
		return
	}
	logger(c).InfoContext(ctx, "payment notification processed", "event", n.Event, "object_id", n.Object.ID, "outcome", outcome)
	c.JSON(http.StatusOK, gin.H{"outcome": outcome})
}
