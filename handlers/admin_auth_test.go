package handlers_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// Thirty wrong passwords for one account arrive at once from thirty addresses behind a trusted
// proxy: five get their password checked (401), the rest are refused unchecked (429).
func TestAdminSignInThrottleUnderConcurrency(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		s, _ := newServer(t, db, options{trustedProxies: []string{"127.0.0.1", "::1"}})
		s.staff(t, "owner@example.org", models.RoleOwner)

		const n = 30
		statuses := make([]int, n)
		retryAfter := make([]string, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				r := s.api.Do("POST", "/admin/api/auth/login",
					map[string]string{"email": "owner@example.org", "password": "wrong password!!"},
					http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}})
				statuses[i], retryAfter[i] = r.Status, r.Header.Get("Retry-After")
			})
		}
		close(start)
		wg.Wait()
		count := map[int]int{}
		for i, st := range statuses {
			count[st]++
			if st == http.StatusTooManyRequests && retryAfter[i] != "900" {
				t.Errorf("429 with Retry-After %q, want 900", retryAfter[i])
			}
		}
		if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != n-5 {
			t.Errorf("statuses = %v, want 5 × 401 and %d × 429", count, n-5)
		}
	})
}
