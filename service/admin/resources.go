package admin

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"balance/models"
)

// Role sets of the access matrix (docs/architecture.md, "Roles").
var (
	nobody   = []models.Role{}
	practice = []models.Role{models.RoleOwner, models.RoleAssistant} // schedule, appointments, payments
	// staffAll: content, topics, tags, interactive definitions, questions, moderation, templates.
	staffAll = []models.Role{models.RoleOwner, models.RoleAssistant, models.RoleEditor}
	// clientData: records about clients (users, consents, exports, runs, deliveries, audit, CRM,
	// Telegram); the editor sees no client data at all.
	clientData = []models.Role{models.RoleOwner, models.RoleAssistant}
	ownerOnly  = []models.Role{models.RoleOwner} // P2: intake forms
)

// readOnly grants list and show to roles and nothing else. (Writes and actions go through the
// models' rules and come with their own declarations.)
func readOnly(roles []models.Role) map[Verb][]models.Role {
	return map[Verb][]models.Role{List: roles, Show: roles, Create: nobody, Update: nobody, Delete: nobody}
}

// publicationActions are the publish, unpublish and archive actions of a publishable resource
// (a service, a content item, a self-help tool), each offered in the states the models' shared
// publication rules move it from: draft → published → archived, and back to draft from either.
func publicationActions(roles []models.Role, publish, unpublish, archive func(context.Context, *Call, uuid.UUID) error) []Action {
	draft, published, archived := string(models.PublicationDraft), string(models.PublicationPublished), string(models.PublicationArchived)
	return []Action{
		{Name: "publish", Label: "Опубликовать", Roles: roles, States: []string{draft}, Run: publish},
		{Name: "unpublish", Label: "Снять с публикации", Roles: roles, States: []string{published, archived}, Run: unpublish},
		{Name: "archive", Label: "В архив", Roles: roles, States: []string{draft, published}, Run: archive},
	}
}

// Resources are the declared admin resources, in the panel's menu order, one file per context.
// P2 fields (what a client wrote) are declared only where the owner's read of them is audited.
func Resources() []Resource {
	return slices.Concat(
		bookingResources(), waitlistResources(), paymentResources(), crmResources(),
		moderationResources(), contentResources(), interactiveResources(), notificationResources(),
		identityResources(), telegramResources(), auditResources(),
	)
}
