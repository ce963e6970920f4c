package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"balance/models"
)

func TestRequireRole(t *testing.T) {
	t.Parallel()
	user := func(roles ...models.Role) *models.User {
		u := &models.User{}
		for _, r := range roles {
			u.Roles = append(u.Roles, models.UserRole{Role: r})
		}
		return u
	}
	for _, tc := range []struct {
		name    string
		user    *models.User
		allowed []models.Role
		status  int
	}{
		{"no session", nil, []models.Role{models.RoleOwner}, http.StatusUnauthorized},
		{"owner on owner route", user(models.RoleOwner), []models.Role{models.RoleOwner}, http.StatusOK},
		{"assistant on owner route", user(models.RoleAssistant), []models.Role{models.RoleOwner}, http.StatusForbidden},
		{"editor among several", user(models.RoleEditor), []models.Role{models.RoleOwner, models.RoleEditor}, http.StatusOK},
		{"client on staff route", user(models.RoleClient), models.StaffRoles, http.StatusForbidden},
		{"user with two roles", user(models.RoleClient, models.RoleAssistant), []models.Role{models.RoleAssistant}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := gin.New()
			reached := false
			r.GET("/x", func(c *gin.Context) {
				if tc.user != nil {
					c.Set(userKey, tc.user)
				}
			}, RequireRole(tc.allowed...), func(c *gin.Context) {
				reached = true
				c.Status(http.StatusOK)
			})
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
			if w.Code != tc.status || reached != (tc.status == http.StatusOK) {
				t.Fatalf("status %d reached=%v, want %d", w.Code, reached, tc.status)
			}
			if tc.status != http.StatusOK {
				var p Problem
				if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != tc.status || w.Header().Get("Content-Type") != ProblemContentType {
					t.Errorf("problem body %s (%v)", w.Body, err)
				}
			}
		})
	}
}

func TestRespondErrorTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err    error
		status int
		field  string
	}{
		{fmt.Errorf("user: %w", models.ErrNotFound), http.StatusNotFound, ""},
		{&models.ConstraintError{Kind: models.ErrSlotTaken}, http.StatusConflict, ""},
		{&models.ConstraintError{Kind: models.ErrConflict, Constraint: "users_email_key"}, http.StatusConflict, ""},
		{models.ErrInvalidReference, http.StatusUnprocessableEntity, ""},
		{models.ErrInvalidTransition, http.StatusConflict, ""},
		{models.ErrInvalidCredentials, http.StatusUnauthorized, ""},
		{models.ErrUnauthenticated, http.StatusUnauthorized, ""},
		{models.ErrForbidden, http.StatusForbidden, ""},
		{fmt.Errorf("wrapped: %w", &models.ValidationError{Field: "email", Message: "is required"}), http.StatusUnprocessableEntity, "email"},
		{fmt.Errorf("list services: %w", models.ErrUnavailable), http.StatusServiceUnavailable, ""},
		{errors.New("database on fire: secret detail"), http.StatusInternalServerError, ""},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest("GET", "/x", nil)
			respondError(c, tc.err)
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.status || p.Status != tc.status {
				t.Errorf("status %d/%d, want %d", w.Code, p.Status, tc.status)
			}
			if (tc.status == http.StatusServiceUnavailable) != (w.Header().Get("Retry-After") != "") {
				t.Errorf("Retry-After %q on a %d", w.Header().Get("Retry-After"), tc.status)
			}
			if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
				t.Errorf("errors = %+v", p.Errors)
			}
			if tc.status == 500 && (p.Detail == "" || json.Valid([]byte(p.Detail)) || strings.Contains(w.Body.String(), "fire") || strings.Contains(w.Body.String(), "secret")) {
				t.Errorf("500 leaks the cause: %s", w.Body)
			}
		})
	}
}
