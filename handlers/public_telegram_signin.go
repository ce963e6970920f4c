package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"balance/models"
)

// This file: client sign-in — from Telegram: the token of a link the bot sent on /login is
// exchanged for a client session, as /auth/verify opens one.

type telegramSignInRequest struct {
	Token   string `json:"token" binding:"required,max=64"`
	Session string `json:"session" binding:"omitempty,oneof=cookie token"`
}

// telegramSignIn signs a client in with the token of the bot's link. Any client session the
// request came with is ended; a token that is wrong, used or expired is 422 sign-in-link-expired.
func (a *clientAuth) telegramSignIn(c *gin.Context) {
	var req telegramSignInRequest
	if !decodeJSON(c, &req) {
		return
	}
	token := strings.TrimSpace(req.Token)
	if len(token) != 43 || strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
			FieldError{Field: "token", Message: "must be the token of the link from the Telegram bot"})
		return
	}
	previous, _ := clientToken(c)
	in, err := a.accounts.VerifyTelegram(c.Request.Context(), token, previous, c.ClientIP(), c.Request.UserAgent())
	if errors.Is(err, models.ErrCodeExpired) {
		problem(c, http.StatusUnprocessableEntity, "sign-in-link-expired", "the sign-in link is wrong, used or expired; ask the bot for a new one",
			FieldError{Field: "token", Message: "ссылка устарела или уже использована: отправьте боту /login ещё раз"})
		return
	}
	if err != nil {
		respondError(c, err)
		return
	}
	a.signedIn(c, req.Session, in)
}
