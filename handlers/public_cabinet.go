package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/service/identity"
)

// This file: client accounts and the cabinet — sign-in with a code sent by email
// (/api/v1/auth/...), the client-session middleware of the cabinet, and the profile (/api/v1/me).

// ClientSessionCookie is the name of the client session cookie; the staff cookie
// (SessionCookie) is another, and neither side accepts the other's session.
const ClientSessionCookie = "balance_client_session"

// clientCookiePath is where the browser sends the client cookie: the public API only.
const clientCookiePath = "/api/v1"

// Context keys of the client-session middleware.
const (
	clientKey      = "client"
	clientTokenKey = "client_token"
	clientBearer   = "client_bearer"
)

// ClientAccounts is what client sign-in and the cabinet need; *identity.Clients is one.
type ClientAccounts interface {
	RequestCode(ctx context.Context, email models.Email, ip string) error
	Verify(ctx context.Context, email models.Email, code, previousToken, ip, userAgent string) (*identity.SignIn, error)
	VerifyTelegram(ctx context.Context, token, previousToken, ip, userAgent string) (*identity.SignIn, error)
	Authenticate(ctx context.Context, token string) (*models.User, *models.Session, error)
	Logout(ctx context.Context, token, ip, userAgent string) error
	UpdateProfile(ctx context.Context, userID uuid.UUID, p models.ClientProfile) (*models.User, error)
	RequestEmailChange(ctx context.Context, u *models.User, newEmail models.Email, ip string) error
	ConfirmEmailChange(ctx context.Context, userID uuid.UUID, code string) (*models.User, error)
	CodeTTL() time.Duration
}

type clientAuth struct {
	accounts ClientAccounts
	secure   bool
}

type codeRequest struct {
	Email string `json:"email" binding:"required,max=254"`
}

// codeSentResponse answers a code request: the same for every address, with an account or not.
type codeSentResponse struct {
	// ExpiresIn is how long the code is valid once it arrives, in seconds.
	ExpiresIn int `json:"expires_in"`
}

// requestCode emails a sign-in code. The answer (202) does not say whether the address has an
// account: a first sign-in creates it.
func (a *clientAuth) requestCode(c *gin.Context) {
	var req codeRequest
	if !decodeJSON(c, &req) {
		return
	}
	addr, err := models.ParseEmail(req.Email)
	if err != nil {
		respondError(c, err)
		return
	}
	err = a.accounts.RequestCode(c.Request.Context(), addr, c.ClientIP())
	a.answerCodeSent(c, err)
}

func (a *clientAuth) answerCodeSent(c *gin.Context, err error) {
	if a.throttled(c, err) {
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusAccepted, codeSentResponse{ExpiresIn: int(a.accounts.CodeTTL().Seconds())})
}

// The kinds of client session verify can open.
const (
	sessionCookie = "cookie"
	sessionToken  = "token"
)

type verifyRequest struct {
	Email   string `json:"email" binding:"required,max=254"`
	Code    string `json:"code" binding:"required,max=16"`
	Session string `json:"session" binding:"omitempty,oneof=cookie token"`
}

// clientSessionResponse is a new client session: a cookie (with the CSRF token unsafe requests
// must carry) or a bearer token for a mobile client.
type clientSessionResponse struct {
	Session   string            `json:"session"`
	Token     string            `json:"token,omitempty"`
	CSRFToken string            `json:"csrf_token,omitempty"`
	ExpiresAt time.Time         `json:"expires_at"`
	Me        clientProfileJSON `json:"me"`
}

// verify signs a client in with the emailed code. Any client session the request came with
// (cookie or bearer) is ended: the new session always has a new token.
func (a *clientAuth) verify(c *gin.Context) {
	var req verifyRequest
	if !decodeJSON(c, &req) {
		return
	}
	addr, err := models.ParseEmail(req.Email)
	if err != nil {
		respondError(c, err)
		return
	}
	code, ok := parseCode(c, req.Code)
	if !ok {
		return
	}
	previous, _ := clientToken(c)
	in, err := a.accounts.Verify(c.Request.Context(), addr, code, previous, c.ClientIP(), c.Request.UserAgent())
	if err != nil {
		a.codeProblem(c, err)
		return
	}
	a.signedIn(c, req.Session, in)
}

// signedIn answers a sign-in with the new client session, as a cookie or a bearer token (kind).
func (a *clientAuth) signedIn(c *gin.Context, kind string, in *identity.SignIn) {
	c.Header("Cache-Control", "no-store")
	resp := clientSessionResponse{Session: kind, ExpiresAt: in.Session.ExpiresAt.UTC()}
	if kind == sessionToken {
		resp.Token = in.Token
		resp.Me = newClientProfile(in.User, "")
		a.setCookie(c, "", -1) // a planted cookie is ended as well; drop it
	} else {
		resp.Session = sessionCookie
		resp.CSRFToken = identity.CSRFToken(in.Token)
		resp.Me = newClientProfile(in.User, in.Token)
		a.setCookie(c, in.Token, int(in.Session.ExpiresAt.Sub(in.Session.CreatedAt).Seconds()))
	}
	c.JSON(http.StatusOK, resp)
}

// parseCode accepts 6 digits (spaces a client may type are dropped); anything else is a 422 on
// "code".
func parseCode(c *gin.Context, raw string) (string, bool) {
	code := strings.ReplaceAll(strings.TrimSpace(raw), " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
			FieldError{Field: "code", Message: "must be the 6 digits from the email"})
		return "", false
	}
	return code, true
}

// codeProblem answers a code that did not sign in or confirm.
func (a *clientAuth) codeProblem(c *gin.Context, err error) {
	switch {
	case errors.Is(err, models.ErrCodeExhausted):
		problem(c, http.StatusUnprocessableEntity, "code-exhausted", "too many wrong codes; request a new code",
			FieldError{Field: "code", Message: "слишком много неверных попыток: запросите новый код"})
	case errors.Is(err, models.ErrCodeExpired):
		problem(c, http.StatusUnprocessableEntity, "code-expired", "no valid code for this address; request a new code",
			FieldError{Field: "code", Message: "код устарел или уже использован: запросите новый код"})
	case errors.Is(err, models.ErrCodeInvalid):
		problem(c, http.StatusUnprocessableEntity, "code-invalid", "the code is wrong",
			FieldError{Field: "code", Message: "неверный код"})
	case errors.Is(err, models.ErrEmailTaken):
		problem(c, http.StatusConflict, "email-unavailable", "this email address cannot be used")
	default:
		respondError(c, err)
	}
}

// throttled answers 429 too-many-codes with Retry-After when err is a *identity.ThrottledError.
func (a *clientAuth) throttled(c *gin.Context, err error) bool {
	return tooMany(c, err, "too-many-codes", "too many codes requested for this address or from this network; try again later")
}

// logout ends the client session of the request, if any, and drops the cookie. It needs no
// session: ending one that is already over is not an error.
func (a *clientAuth) logout(c *gin.Context) {
	token, _ := clientToken(c)
	if err := a.accounts.Logout(c.Request.Context(), token, c.ClientIP(), c.Request.UserAgent()); err != nil {
		respondError(c, err)
		return
	}
	a.setCookie(c, "", -1)
	c.Status(http.StatusNoContent)
}

func (a *clientAuth) setCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: ClientSessionCookie, Value: value, Path: clientCookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode,
	})
}

// clientToken returns the client session token of the request — a bearer token, or else the
// client cookie — and whether it came as a bearer token.
func clientToken(c *gin.Context) (token string, bearer bool) {
	if h := c.GetHeader("Authorization"); h != "" {
		scheme, value, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(value), true
		}
		return "", true
	}
	token, _ = c.Cookie(ClientSessionCookie)
	return token, false
}

// cabinet requires a client session — `Authorization: Bearer <token>` or the client cookie — and
// puts the client in the context. A cookie session must send X-CSRF-Token (derived from the
// session, as the admin's) on unsafe methods; a bearer token cannot be sent by another site, so it
// needs none. Staff sessions, and no or a dead session, are 401.
func (a *clientAuth) cabinet() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, bearer := clientToken(c)
		if token == "" {
			problem(c, http.StatusUnauthorized, "unauthenticated", "sign in first")
			return
		}
		u, _, err := a.accounts.Authenticate(c.Request.Context(), token)
		if err != nil {
			respondError(c, err)
			return
		}
		if !bearer {
			switch c.Request.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
			default:
				want := identity.CSRFToken(token)
				if got := c.GetHeader(CSRFHeader); got == "" || !crypto.EqualTokens(got, want) {
					problem(c, http.StatusForbidden, "csrf", "missing or invalid "+CSRFHeader+" header")
					return
				}
			}
		}
		c.Set(clientKey, u)
		c.Set(clientTokenKey, token)
		c.Set(clientBearer, bearer)
		c.Next()
	}
}

// optionalClient puts the signed-in client in the context when the request carries a live client
// session — a cookie session only with its X-CSRF-Token on unsafe methods, so that another site
// cannot act as the client — and otherwise lets the request go on as an anonymous visitor's.
func (a *clientAuth) optionalClient() gin.HandlerFunc {
	return func(c *gin.Context) {
		token, bearer := clientToken(c)
		if token == "" {
			c.Next()
			return
		}
		if !bearer && c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
			if got := c.GetHeader(CSRFHeader); got == "" || !crypto.EqualTokens(got, identity.CSRFToken(token)) {
				c.Next()
				return
			}
		}
		if u, _, err := a.accounts.Authenticate(c.Request.Context(), token); err == nil {
			c.Set(clientKey, u)
		}
		c.Next()
	}
}

// currentClient returns the signed-in client set by the cabinet middleware.
func currentClient(c *gin.Context) *models.User {
	u, _ := c.Get(clientKey)
	client, _ := u.(*models.User)
	return client
}

// clientProfileJSON is the signed-in client's profile.
type clientProfileJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Phone     *string   `json:"phone"`
	TimeZone  *string   `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
	// CSRFToken is for cookie sessions only: unsafe requests send it as X-CSRF-Token.
	CSRFToken string `json:"csrf_token,omitempty"`
}

// newClientProfile describes u; cookieToken, the cookie session's token, yields its CSRF token.
func newClientProfile(u *models.User, cookieToken string) clientProfileJSON {
	p := clientProfileJSON{ID: u.ID.String(), Name: u.DisplayName, TimeZone: u.TimeZone, CreatedAt: u.CreatedAt.UTC()}
	if u.Email != nil {
		p.Email = u.Email.String()
	}
	if u.Phone != nil {
		phone := u.Phone.String()
		p.Phone = &phone
	}
	if cookieToken != "" {
		p.CSRFToken = identity.CSRFToken(cookieToken)
	}
	return p
}

// profile answers with the client's profile for the session of the request.
func (a *clientAuth) profile(c *gin.Context, u *models.User) {
	token := c.GetString(clientTokenKey)
	if c.GetBool(clientBearer) {
		token = ""
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, newClientProfile(u, token))
}

func (a *clientAuth) me(c *gin.Context) { a.profile(c, currentClient(c)) }

type profilePatch struct {
	Name     *string `json:"name" binding:"omitempty,max=200"`
	Phone    *string `json:"phone" binding:"omitempty,max=32"`
	TimeZone *string `json:"time_zone" binding:"omitempty,max=64"`
}

// patchMe changes the client's name, phone or time zone; an empty phone or time zone clears it.
func (a *clientAuth) patchMe(c *gin.Context) {
	var req profilePatch
	if !decodeJSON(c, &req) {
		return
	}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		req.Name = &name
	}
	u, err := a.accounts.UpdateProfile(c.Request.Context(), currentClient(c).ID, models.ClientProfile{
		DisplayName: req.Name, Phone: req.Phone, TimeZone: req.TimeZone,
	})
	if err != nil {
		if errors.Is(err, models.ErrConflict) {
			problem(c, http.StatusConflict, "conflict", "this phone number cannot be used")
			return
		}
		respondError(c, err)
		return
	}
	a.profile(c, u)
}

// changeEmail emails a code to the new address; the change is made when the code comes back.
func (a *clientAuth) changeEmail(c *gin.Context) {
	var req codeRequest
	if !decodeJSON(c, &req) {
		return
	}
	addr, err := models.ParseEmail(req.Email)
	if err != nil {
		respondError(c, err)
		return
	}
	err = a.accounts.RequestEmailChange(c.Request.Context(), currentClient(c), addr, c.ClientIP())
	a.answerCodeSent(c, err)
}

type confirmEmailRequest struct {
	Code string `json:"code" binding:"required,max=16"`
}

// confirmEmail makes the address the code was sent to the client's email.
func (a *clientAuth) confirmEmail(c *gin.Context) {
	var req confirmEmailRequest
	if !decodeJSON(c, &req) {
		return
	}
	code, ok := parseCode(c, req.Code)
	if !ok {
		return
	}
	u, err := a.accounts.ConfirmEmailChange(c.Request.Context(), currentClient(c).ID, code)
	if err != nil {
		a.codeProblem(c, err)
		return
	}
	a.profile(c, u)
}
