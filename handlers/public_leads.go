package handlers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/models"
	"balance/service/crm"
)

// Leads is the site's form use case; *crm.Capture is one.
type Leads interface {
	Submit(ctx context.Context, f crm.Form) (uuid.UUID, error)
}

// ConsentDocument is one document the site asks visitors to agree to, in its current version.
type ConsentDocument struct {
	Type     models.ConsentType `json:"type"`
	Version  string             `json:"version"`
	URL      string             `json:"url"`
	Required bool               `json:"required"`
}

// consentsMaxAge is how long a browser or CDN may keep the current consents: a new version of a
// document reaches the site within this time.
const consentsMaxAge = "public, max-age=300"

// defaultLeadSource is the source of a form that names none.
const defaultLeadSource = "contact_form"

type publicLeads struct {
	leads    Leads
	consents []ConsentDocument
}

type leadUTMBody struct {
	Source   string `json:"source" binding:"max=256"`
	Medium   string `json:"medium" binding:"max=256"`
	Campaign string `json:"campaign" binding:"max=256"`
	Content  string `json:"content" binding:"max=256"`
	Term     string `json:"term" binding:"max=256"`
}

type leadRequest struct {
	Name     string        `json:"name" binding:"max=800"`
	Email    string        `json:"email" binding:"max=254"`
	Phone    string        `json:"phone" binding:"max=32"`
	Telegram string        `json:"telegram" binding:"max=64"`
	Message  string        `json:"message" binding:"max=20000"`
	Source   string        `json:"source" binding:"max=32"`
	UTM      *leadUTMBody  `json:"utm"`
	Consents []consentBody `json:"consents" binding:"required,min=1,max=5,dive"`
}

// submit takes a contact or subscription form: 201 with the lead's id, whether the lead is new or
// known (the answer tells nobody who is known).
func (h *publicLeads) submit(c *gin.Context) {
	var req leadRequest
	if !decodeJSON(c, &req) {
		return
	}
	f := crm.Form{Name: req.Name, Message: req.Message, Source: req.Source}
	if f.Source == "" {
		f.Source = defaultLeadSource
	}
	if req.Email != "" {
		e, err := models.ParseEmail(req.Email)
		if err != nil {
			respondError(c, &models.ValidationError{Field: "email", Message: "is not a valid email address"})
			return
		}
		f.Email = e
	}
	if req.Phone != "" {
		p, err := models.ParsePhone(req.Phone)
		if err != nil {
			respondError(c, &models.ValidationError{Field: "phone", Message: "must be a phone number such as +7 999 123-45-67"})
			return
		}
		f.Phone = p
	}
	if req.Telegram != "" {
		t, err := models.NormalizeLeadIdentity(models.LeadIdentityKindTelegramUsername, req.Telegram)
		if err != nil {
			respondError(c, err)
			return
		}
		f.Telegram = t
	}
	if u := req.UTM; u != nil {
		f.UTM = models.UTM{Source: u.Source, Medium: u.Medium, Campaign: u.Campaign, Content: u.Content, Term: u.Term}
	}
	for _, k := range req.Consents {
		f.Consents = append(f.Consents, models.LeadConsent{Type: models.ConsentType(k.Type), Version: k.Version})
	}
	id, err := h.leads.Submit(c.Request.Context(), f)
	if err != nil {
		respondError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{"id": id})
}

// current answers the documents the site shows beside its forms, in their current versions.
func (h *publicLeads) current(c *gin.Context) {
	c.Header("Cache-Control", consentsMaxAge)
	c.JSON(http.StatusOK, gin.H{"documents": h.consents})
}
