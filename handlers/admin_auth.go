package handlers

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"balance/crypto"
	"balance/models"
	"balance/service/identity"
)

// SessionCookie is the name of the staff session cookie.
const SessionCookie = "balance_session"

// CSRFHeader carries the anti-CSRF token on unsafe admin requests.
const CSRFHeader = "X-CSRF-Token"

const (
	cookiePath     = "/admin/api"
	userKey        = "user"
	sessionTokenKy = "session_token"
)

// Authenticator is what the admin API needs of identity.
type Authenticator interface {
	Login(ctx context.Context, email, password, ip, userAgent string) (*identity.SignIn, error)
	Authenticate(ctx context.Context, token string) (*models.User, *models.Session, error)
	Logout(ctx context.Context, token string) error
}

type adminAuth struct {
	auth   Authenticator
	secure bool
	ttl    time.Duration
}

type loginRequest struct {
	Email    string `json:"email" binding:"required,max=254"`
	Password string `json:"password" binding:"required,max=256"`
}

// meResponse describes the signed-in staff member and the CSRF token for unsafe requests.
type meResponse struct {
	ID          string   `json:"id"`
	Email       string   `json:"email"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	CSRFToken   string   `json:"csrf_token"`
}

func newMeResponse(u *models.User, sessionToken string) meResponse {
	r := meResponse{
		ID: u.ID.String(), DisplayName: u.DisplayName, Roles: []string{},
		CSRFToken: identity.CSRFToken(sessionToken),
	}
	if u.Email != nil {
		r.Email = u.Email.String()
	}
	for _, role := range u.RoleNames() {
		r.Roles = append(r.Roles, string(role))
	}
	return r
}

func (a *adminAuth) login(c *gin.Context) {
	var req loginRequest
	if !decodeJSON(c, &req) {
		return
	}
	in, err := a.auth.Login(c.Request.Context(), req.Email, req.Password, c.ClientIP(), c.Request.UserAgent())
	var throttled *identity.ThrottledError
	if errors.As(err, &throttled) {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(max(throttled.RetryAfter, time.Second).Seconds()))))
		problem(c, http.StatusTooManyRequests, "too-many-attempts", "too many failed sign-in attempts; try again later")
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	a.setCookie(c, in.Token, int(a.ttl.Seconds()))
	c.JSON(http.StatusOK, newMeResponse(in.User, in.Token))
}

func (a *adminAuth) me(c *gin.Context) {
	c.JSON(http.StatusOK, newMeResponse(currentUser(c), c.GetString(sessionTokenKy)))
}

func (a *adminAuth) logout(c *gin.Context) {
	if err := a.auth.Logout(c.Request.Context(), c.GetString(sessionTokenKy)); err != nil {
		respondError(c, err)
		return
	}
	a.setCookie(c, "", -1)
	c.Status(http.StatusNoContent)
}

func (a *adminAuth) setCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode,
	})
}

// session requires a valid staff session cookie and puts its user in the context.
func (a *adminAuth) session() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, err := c.Cookie(SessionCookie)
		if err != nil || token == "" {
			problem(c, http.StatusUnauthorized, "unauthenticated", "sign in first")
			return
		}
		u, _, err := a.auth.Authenticate(c.Request.Context(), token)
		if err != nil {
			respondError(c, err)
			return
		}
		c.Set(userKey, u)
		c.Set(sessionTokenKy, token)
		c.Next()
	}
}

// currentUser returns the signed-in user set by the session middleware.
func currentUser(c *gin.Context) *models.User {
	u, _ := c.Get(userKey)
	user, _ := u.(*models.User)
	return user
}

// csrf requires X-CSRF-Token, derived from the session token, on every unsafe method.
func csrf() gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			c.Next()
			return
		}
		want := identity.CSRFToken(c.GetString(sessionTokenKy))
		if got := c.GetHeader(CSRFHeader); got == "" || !crypto.EqualTokens(got, want) {
			problem(c, http.StatusForbidden, "csrf", "missing or invalid "+CSRFHeader+" header")
			return
		}
		c.Next()
	}
}

// rejectCrossSite refuses requests a browser marks as coming from another site. It guards sign-in,
// which has no session yet and so no CSRF token.
func rejectCrossSite() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Sec-Fetch-Site") == "cross-site" {
			problem(c, http.StatusForbidden, "csrf", "cross-site sign-in is not allowed")
			return
		}
		c.Next()
	}
}

// RequireRole lets the request through only when the signed-in user holds one of roles. It must
// run after the session middleware.
func RequireRole(roles ...models.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		if u == nil {
			problem(c, http.StatusUnauthorized, "unauthenticated", "sign in first")
			return
		}
		if !u.HasRole(roles...) {
			problem(c, http.StatusForbidden, "forbidden", "your role does not allow this")
			return
		}
		c.Next()
	}
}
