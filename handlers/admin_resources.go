package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service/admin"
)

// AdminRecords reads the declared resources' records within a user's roles; *admin.Records is one.
type AdminRecords interface {
	List(ctx context.Context, res *admin.Resource, actor admin.Actor, req admin.ListRequest) ([]repository.Record, int64, error)
	Get(ctx context.Context, res *admin.Resource, actor admin.Actor, id uuid.UUID) (repository.Record, error)
	Create(ctx context.Context, res *admin.Resource, actor admin.Actor, body map[string]any) (repository.Record, error)
	Update(ctx context.Context, res *admin.Resource, actor admin.Actor, id uuid.UUID, body map[string]any) (repository.Record, error)
	Delete(ctx context.Context, res *admin.Resource, actor admin.Actor, id uuid.UUID) (repository.Record, error)
	Act(ctx context.Context, res *admin.Resource, actor admin.Actor, id uuid.UUID, action string, body map[string]any) (repository.Record, error)
	// GetInt and ActInt serve a resource whose ids are integers (the job queue's).
	GetInt(ctx context.Context, res *admin.Resource, actor admin.Actor, id int64) (repository.Record, error)
	ActInt(ctx context.Context, res *admin.Resource, actor admin.Actor, id int64, action string, body map[string]any) (repository.Record, error)
}

const (
	// totalCountHeader carries a list's total for react-admin's pagination (json-server dialect);
	// Content-Range carries it for the simple-REST dialect.
	totalCountHeader   = "X-Total-Count"
	contentRangeHeader = "Content-Range"
)

type adminResources struct {
	reg     *admin.Registry
	records AdminRecords
}

// mount adds GET /admin/api/schema and, for every declared resource, its list and show routes
// (react-admin's simple REST conventions). Role checks come from the declaration: a verb a role
// may not use answers 403.
func (h *adminResources) mount(signedIn *gin.RouterGroup) {
	signedIn.GET("/schema", h.schema)
	for _, res := range h.reg.Resources() {
		base := "/" + res.Name
		signedIn.GET(base, h.list(res))
		signedIn.GET(base+"/:id", h.show(res))
		if len(res.Access[admin.Create]) > 0 {
			signedIn.POST(base, h.write(res, func(ctx context.Context, a admin.Actor, _ uuid.UUID, body map[string]any) (repository.Record, error) {
				return h.records.Create(ctx, res, a, body)
			}, false))
		}
		if len(res.Access[admin.Update]) > 0 {
			signedIn.PUT(base+"/:id", h.write(res, func(ctx context.Context, a admin.Actor, id uuid.UUID, body map[string]any) (repository.Record, error) {
				return h.records.Update(ctx, res, a, id, body)
			}, true))
		}
		if len(res.Access[admin.Delete]) > 0 {
			signedIn.DELETE(base+"/:id", h.remove(res))
		}
		if len(res.Actions) > 0 {
			signedIn.POST(base+"/:id/actions/:action", h.act(res, ""))
		}
	}
	h.mountAliases(signedIn)
}

// mountAliases adds the older URLs of two registry routes, kept for the clients that use them:
// the same handlers, so the same role checks, list conventions and audit records.
//   - GET /admin/api/notification-deliveries: the list of notification_deliveries (its
//     Content-Range names notification_deliveries).
//   - POST /admin/api/jobs/{id}/retry: the jobs resource's retry action (the owner's).
func (h *adminResources) mountAliases(signedIn *gin.RouterGroup) {
	if res, ok := h.reg.Resource("notification_deliveries"); ok {
		signedIn.GET("/notification-deliveries", h.list(res))
	}
	if res, ok := h.reg.Resource("jobs"); ok {
		if _, ok := res.Action("retry"); ok {
			signedIn.POST("/jobs/:id/retry", h.act(res, "retry"))
		}
	}
}

type writeFunc func(ctx context.Context, a admin.Actor, id uuid.UUID, body map[string]any) (repository.Record, error)

// write answers a create (201) or an update (200, withID) with the record as it now is.
func (h *adminResources) write(res *admin.Resource, fn writeFunc, withID bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var id uuid.UUID
		if withID {
			var ok bool
			if id, ok = recordID(c); !ok {
				return
			}
		}
		var body map[string]any
		if !decodeJSON(c, &body) {
			return
		}
		if body == nil {
			problem(c, http.StatusUnprocessableEntity, "validation", "the body must be a JSON object")
			return
		}
		rec, err := fn(c.Request.Context(), staffActor(c), id, body)
		if err != nil {
			respondAdminError(c, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		if withID {
			recordJSON(c, http.StatusOK, rec)
			return
		}
		c.Header("Location", "/admin/api/"+res.Name+"/"+fmt.Sprint(rec["id"]))
		recordJSON(c, http.StatusCreated, rec)
	}
}

func (h *adminResources) remove(res *admin.Resource) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := recordID(c)
		if !ok {
			return
		}
		rec, err := h.records.Delete(c.Request.Context(), res, staffActor(c), id)
		if err != nil {
			respondAdminError(c, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		recordJSON(c, http.StatusOK, rec)
	}
}

// act starts an action on a record: the named one, or (name empty) the route's :action.
func (h *adminResources) act(res *admin.Resource, name string) gin.HandlerFunc {
	return func(c *gin.Context) {
		action := name
		if action == "" {
			action = c.Param("action")
		}
		var id uuid.UUID
		var intID int64
		var ok bool
		if res.IntID {
			intID, ok = recordIntID(c)
		} else {
			id, ok = recordID(c)
		}
		if !ok {
			return
		}
		var body map[string]any // an action without fields may come without a body
		if c.Request.ContentLength != 0 && !decodeJSON(c, &body) {
			return
		}
		var rec repository.Record
		var err error
		if res.IntID {
			rec, err = h.records.ActInt(c.Request.Context(), res, staffActor(c), intID, action, body)
		} else {
			rec, err = h.records.Act(c.Request.Context(), res, staffActor(c), id, action, body)
		}
		if err != nil {
			respondAdminError(c, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		recordJSON(c, http.StatusOK, rec)
	}
}

// recordJSON encodes v before answering, so that a value that cannot be encoded becomes a 500
// problem rather than a 200 with a cut body.
func recordJSON(c *gin.Context, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		respondError(c, fmt.Errorf("encode the answer: %w", err))
		return
	}
	c.Data(status, "application/json; charset=utf-8", body)
}

// recordID reads the :id of a record route; a malformed one answers 404.
func recordID(c *gin.Context) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		respondError(c, models.ErrNotFound)
		return uuid.Nil, false
	}
	return id, true
}

// recordIntID reads the :id of a record whose ids are positive integers; another answers 404.
func recordIntID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		respondError(c, models.ErrNotFound)
		return 0, false
	}
	return id, true
}

// adminValidation is the 422 a react-admin form shows beside its fields: a problem whose
// "errors" maps each field to a message for the person filling the form.
type adminValidation struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail"`
	Instance  string            `json:"instance"`
	Errors    map[string]string `json:"errors"`
	RequestID string            `json:"request_id,omitempty"`
}

// respondAdminError answers a write's error: field errors as adminValidation, the rest through
// the one error table.
func respondAdminError(c *gin.Context, err error) {
	var in *admin.InputError
	if errors.As(err, &in) {
		body, _ := json.Marshal(adminValidation{
			Type: problemTypeBase + "validation", Title: http.StatusText(http.StatusUnprocessableEntity),
			Status: http.StatusUnprocessableEntity, Detail: "the request has invalid fields", Instance: c.Request.URL.Path,
			Errors: in.Fields, RequestID: c.GetString(requestIDKey),
		})
		c.Abort()
		c.Data(http.StatusUnprocessableEntity, ProblemContentType, body)
		return
	}
	if errors.Is(err, admin.ErrNotAvailable) {
		problem(c, http.StatusServiceUnavailable, "not-available", "this action is not available in this configuration")
		return
	}
	var vc *admin.VersionConflict
	if errors.As(err, &vc) {
		body, _ := json.Marshal(struct {
			Problem
			CurrentVersion int    `json:"current_version"`
			Message        string `json:"message"`
		}{Problem{
			Type: problemTypeBase + "version-conflict", Title: http.StatusText(http.StatusConflict), Status: http.StatusConflict,
			Detail: "another staff member changed this record first; reload it and edit again", Instance: c.Request.URL.Path,
			RequestID: c.GetString(requestIDKey),
		}, vc.Current, "Запись уже изменил другой сотрудник: обновите её и внесите изменения снова."})
		c.Abort()
		c.Data(http.StatusConflict, ProblemContentType, body)
		return
	}
	var refusal *admin.Refusal
	if errors.As(err, &refusal) {
		p := Problem{
			Type: problemTypeBase + "conflict", Title: http.StatusText(http.StatusConflict), Status: http.StatusConflict,
			Detail: "the record's state or its use does not allow this; message says why", Instance: c.Request.URL.Path,
			RequestID: c.GetString(requestIDKey),
		}
		if refusal.Field != "" {
			p.Errors = []FieldError{{Field: refusal.Field, Message: refusal.Message}}
		}
		body, _ := json.Marshal(struct {
			Problem
			Message string `json:"message"`
		}{p, refusal.Message})
		c.Abort()
		c.Data(http.StatusConflict, ProblemContentType, body)
		return
	}
	respondError(c, err)
}

// schema answers GET /admin/api/schema: the resources, fields and verbs this user's roles allow.
func (h *adminResources) schema(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	recordJSON(c, http.StatusOK, gin.H{"resources": h.reg.Schema(currentUser(c).RoleNames())})
}

func (h *adminResources) list(res *admin.Resource) gin.HandlerFunc {
	return func(c *gin.Context) {
		roles := currentUser(c).RoleNames()
		if !res.Allows(admin.List, roles) {
			respondError(c, models.ErrForbidden)
			return
		}
		req, fields := listRequest(c)
		if len(fields) > 0 {
			problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields", fields...)
			return
		}
		records, total, err := h.records.List(c.Request.Context(), res, staffActor(c), req)
		if err != nil {
			respondError(c, err)
			return
		}
		if len(records) == 0 {
			c.Header(contentRangeHeader, fmt.Sprintf("%s */%d", res.Name, total))
		} else {
			c.Header(contentRangeHeader, fmt.Sprintf("%s %d-%d/%d", res.Name, req.Offset, req.Offset+len(records)-1, total))
		}
		c.Header(totalCountHeader, strconv.FormatInt(total, 10))
		c.Header("Access-Control-Expose-Headers", totalCountHeader+", "+contentRangeHeader)
		c.Header("Cache-Control", "no-store")
		recordJSON(c, http.StatusOK, records)
	}
}

func (h *adminResources) show(res *admin.Resource) gin.HandlerFunc {
	return func(c *gin.Context) {
		roles := currentUser(c).RoleNames()
		if !res.Allows(admin.Show, roles) {
			respondError(c, models.ErrForbidden)
			return
		}
		var rec repository.Record
		var err error
		if res.IntID {
			id, ok := recordIntID(c)
			if !ok {
				return
			}
			rec, err = h.records.GetInt(c.Request.Context(), res, staffActor(c), id)
		} else {
			id, ok := recordID(c)
			if !ok {
				return
			}
			rec, err = h.records.Get(c.Request.Context(), res, staffActor(c), id)
		}
		if err != nil {
			respondError(c, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		recordJSON(c, http.StatusOK, rec)
	}
}

// staffActor is the signed-in staff member, for the admin use cases and their audit records.
func staffActor(c *gin.Context) admin.Actor {
	u := currentUser(c)
	return admin.Actor{UserID: u.ID, Roles: u.RoleNames(), IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}
}

// listRequest reads react-admin's simple REST list parameters:
// sort=["field","ASC"], range=[first,last], filter={"q":"…","field":value}.
func listRequest(c *gin.Context) (admin.ListRequest, []FieldError) {
	req := admin.ListRequest{Limit: 25}
	var fields []FieldError
	if raw, ok := c.GetQuery("sort"); ok {
		var s []string
		if err := json.Unmarshal([]byte(raw), &s); err != nil || len(s) != 2 || (s[1] != "ASC" && s[1] != "DESC") {
			fields = append(fields, FieldError{Field: "sort", Message: `must be a JSON array ["field", "ASC" or "DESC"]`})
		} else {
			req.Sort, req.Desc = s[0], s[1] == "DESC"
		}
	}
	if raw, ok := c.GetQuery("range"); ok {
		var r []int
		if err := json.Unmarshal([]byte(raw), &r); err != nil || len(r) != 2 || r[0] < 0 || r[1] < r[0] {
			fields = append(fields, FieldError{Field: "range", Message: "must be a JSON array [first, last] of non-negative integers"})
		} else {
			req.Offset, req.Limit = r[0], min(r[1]-r[0]+1, admin.MaxPage)
		}
	}
	if raw, ok := c.GetQuery("filter"); ok {
		if err := json.Unmarshal([]byte(raw), &req.Filter); err != nil {
			fields = append(fields, FieldError{Field: "filter", Message: `must be a JSON object such as {"q":"text","status":"confirmed"}`})
		}
	}
	return req, fields
}
