package handlers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"balance/models"
)

// This file: client accounts and the cabinet — the deletion of the client's account, confirmed by
// a fresh code sent to the account's address.

// AccountDeletion is the client's right to erasure; *erasure.Service is one.
type AccountDeletion interface {
	// RequestCode emails a deletion code to the client's address.
	RequestCode(ctx context.Context, u *models.User, ip string) error
	// Delete erases the client's account if code is their deletion code.
	Delete(ctx context.Context, u *models.User, code string) error
}

type accountDeletion struct {
	del  AccountDeletion
	auth *clientAuth
}

// requestCode emails the code that confirms the deletion to the account's address.
func (d *accountDeletion) requestCode(c *gin.Context) {
	err := d.del.RequestCode(c.Request.Context(), currentClient(c), c.ClientIP())
	d.auth.answerCodeSent(c, err)
}

type deleteAccountRequest struct {
	Code string `json:"code" binding:"required,max=16"`
}

// deleteAccount erases the signed-in client's account and ends the session (the cookie dropped).
func (d *accountDeletion) deleteAccount(c *gin.Context) {
	var req deleteAccountRequest
	if !decodeJSON(c, &req) {
		return
	}
	code, ok := parseCode(c, req.Code)
	if !ok {
		return
	}
	if err := d.del.Delete(c.Request.Context(), currentClient(c), code); err != nil {
		d.auth.codeProblem(c, err)
		return
	}
	d.auth.setCookie(c, "", -1)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusNoContent)
}
