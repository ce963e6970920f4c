package handlers

import (
	"context"
	"encoding/base64"
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
	sessionKey     = "session"
	sessionTokenKy = "session_token"
)

// Authenticator is what the admin API needs of identity.
type Authenticator interface {
	Login(ctx context.Context, email, password, ip, userAgent string) (*identity.SignIn, error)
	Authenticate(ctx context.Context, token string) (*models.User, *models.Session, error)
	AuthenticateAny(ctx context.Context, token string) (*models.User, *models.Session, error)
	Logout(ctx context.Context, token, ip, userAgent string) error
	AcceptInvite(ctx context.Context, token, password, ip, userAgent string) error
	VerifyTOTP(ctx context.Context, token, code, recoveryCode, ip, userAgent string) (*identity.SignIn, error)
	EnrolTOTP(ctx context.Context, u *models.User) (*identity.TOTPEnrolment, error)
	ConfirmTOTP(ctx context.Context, u *models.User, sess *models.Session, code, ip, userAgent string) (*identity.TOTPConfirmation, error)
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
	a.answerSignIn(c, in, err)
}

// pendingResponse answers a right password when a second factor is still due.
type pendingResponse struct {
	TOTPRequired          bool   `json:"totp_required,omitempty"`
	TOTPEnrolmentRequired bool   `json:"totp_enrolment_required,omitempty"`
	CSRFToken             string `json:"csrf_token"`
}

// answerSignIn answers a sign-in step: 429 when throttled, the error, or the new session.
func (a *adminAuth) answerSignIn(c *gin.Context, in *identity.SignIn, err error) {
	if a.throttled(c, err) {
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	a.signedIn(c, in)
}

// signedIn sets the cookie of a new session and answers who signed in, or which step is left.
func (a *adminAuth) signedIn(c *gin.Context, in *identity.SignIn) {
	if in.Next != identity.StepNone {
		a.setCookie(c, in.Token, int(identity.PendingSessionTTL.Seconds()))
		c.JSON(http.StatusOK, pendingResponse{
			TOTPRequired:          in.Next == identity.StepTOTP,
			TOTPEnrolmentRequired: in.Next == identity.StepEnrolTOTP,
			CSRFToken:             identity.CSRFToken(in.Token),
		})
		return
	}
	a.setCookie(c, in.Token, int(a.ttl.Seconds()))
	c.JSON(http.StatusOK, newMeResponse(in.User, in.Token))
}

type totpRequest struct {
	Code         string `json:"code" binding:"max=16"`
	RecoveryCode string `json:"recovery_code" binding:"max=64"`
}

// verifyTOTP completes a pending sign-in with an authenticator code or a recovery code.
func (a *adminAuth) verifyTOTP(c *gin.Context) {
	var req totpRequest
	if !decodeJSON(c, &req) {
		return
	}
	if (req.Code == "") == (req.RecoveryCode == "") {
		respondError(c, &models.ValidationError{Field: "code", Message: "send either code or recovery_code"})
		return
	}
	in, err := a.auth.VerifyTOTP(c.Request.Context(), c.GetString(sessionTokenKy), req.Code, req.RecoveryCode, c.ClientIP(), c.Request.UserAgent())
	a.answerSignIn(c, in, err)
}

// enrolResponse is a new authenticator's secret, for the app to scan (QR code) or type.
type enrolResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRCode     string `json:"qr_code"`
}

// enrolTOTP starts setting up an authenticator for the signed-in (or pending) user.
func (a *adminAuth) enrolTOTP(c *gin.Context) {
	e, err := a.auth.EnrolTOTP(c.Request.Context(), currentUser(c))
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, enrolResponse{
		Secret: e.Secret, OTPAuthURL: e.URL,
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG),
	})
}

type confirmRequest struct {
	Code string `json:"code" binding:"required,max=16"`
}

// confirmResponse hands out the recovery codes, once, and says who is signed in.
type confirmResponse struct {
	RecoveryCodes []string   `json:"recovery_codes"`
	Me            meResponse `json:"me"`
}

// confirmTOTP activates the authenticator being set up; from a pending session it completes the
// sign-in.
func (a *adminAuth) confirmTOTP(c *gin.Context) {
	var req confirmRequest
	if !decodeJSON(c, &req) {
		return
	}
	sess, _ := c.Get(sessionKey)
	session, _ := sess.(*models.Session)
	conf, err := a.auth.ConfirmTOTP(c.Request.Context(), currentUser(c), session, req.Code, c.ClientIP(), c.Request.UserAgent())
	if a.throttled(c, err) {
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	token := c.GetString(sessionTokenKy)
	if conf.SignIn != nil {
		token = conf.SignIn.Token
		a.setCookie(c, token, int(a.ttl.Seconds()))
	}
	c.JSON(http.StatusOK, confirmResponse{RecoveryCodes: conf.RecoveryCodes, Me: newMeResponse(currentUser(c), token)})
}

// throttled answers 429 with Retry-After when err is a *identity.ThrottledError.
func (a *adminAuth) throttled(c *gin.Context, err error) bool {
	return tooMany(c, err, "too-many-attempts", "too many failed sign-in attempts; try again later")
}

// tooMany answers 429 slug with Retry-After when err is a *identity.ThrottledError.
func tooMany(c *gin.Context, err error, slug, detail string) bool {
	var throttled *identity.ThrottledError
	if !errors.As(err, &throttled) {
		return false
	}
	c.Header("Retry-After", strconv.Itoa(int(math.Ceil(max(throttled.RetryAfter, time.Second).Seconds()))))
	problem(c, http.StatusTooManyRequests, slug, detail)
	return true
}

func (a *adminAuth) me(c *gin.Context) {
	c.JSON(http.StatusOK, newMeResponse(currentUser(c), c.GetString(sessionTokenKy)))
}

func (a *adminAuth) logout(c *gin.Context) {
	if err := a.auth.Logout(c.Request.Context(), c.GetString(sessionTokenKy), c.ClientIP(), c.Request.UserAgent()); err != nil {
		respondError(c, err)
		return
	}
	a.setCookie(c, "", -1)
	c.Status(http.StatusNoContent)
}

type acceptInviteRequest struct {
	Token    string `json:"token" binding:"required,max=128"`
	Password string `json:"password" binding:"required,max=1024"`
}

// acceptInvite sets an invited staff member's password with the token from their email. It signs
// nobody in: the panel sends them to the sign-in page (and to setting up an authenticator, when
// their role needs one). A token that is unknown, used, replaced or expired answers 422 on "token".
func (a *adminAuth) acceptInvite(c *gin.Context) {
	var req acceptInviteRequest
	if !decodeJSON(c, &req) {
		return
	}
	err := a.auth.AcceptInvite(c.Request.Context(), req.Token, req.Password, c.ClientIP(), c.Request.UserAgent())
	if errors.Is(err, models.ErrInviteInvalid) {
		problem(c, http.StatusUnprocessableEntity, "invite-invalid", "the invitation is unknown, used, replaced or expired",
			FieldError{Field: "token", Message: "ссылка-приглашение недействительна: она уже использована, устарела или заменена новой; попросите владельца пригласить вас ещё раз"})
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusNoContent)
}

func (a *adminAuth) setCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode,
	})
}

// session requires a valid, full staff session cookie and puts its user in the context. A session
// still waiting for its second factor gets 401 totp-required.
func (a *adminAuth) session() gin.HandlerFunc {
	return a.sessionWith(func(ctx context.Context, token string) (*models.User, *models.Session, error) {
		return a.auth.Authenticate(ctx, token)
	})
}

// anySession is session that also lets through a session waiting for its second factor; it guards
// only the routes that complete a sign-in.
func (a *adminAuth) anySession() gin.HandlerFunc {
	return a.sessionWith(func(ctx context.Context, token string) (*models.User, *models.Session, error) {
		return a.auth.AuthenticateAny(ctx, token)
	})
}

func (a *adminAuth) sessionWith(authenticate func(context.Context, string) (*models.User, *models.Session, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, err := c.Cookie(SessionCookie)
		if err != nil || token == "" {
			problem(c, http.StatusUnauthorized, "unauthenticated", "sign in first")
			return
		}
		u, sess, err := authenticate(c.Request.Context(), token)
		if err != nil {
			respondError(c, err)
			return
		}
		c.Set(userKey, u)
		c.Set(sessionKey, sess)
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

// rejectCrossSite refuses requests a browser marks as coming from another site, unless (on the
// public API) from an origin listed in http.cors_origins — the site's own front end. It guards
// sign-in, which has no session yet and so no CSRF token.
func rejectCrossSite() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Sec-Fetch-Site") == "cross-site" && !c.GetBool(corsListedOrigin) {
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
