package repository

import (
	"slices"

	"balance/models"
)

var identityModels = []any{
	&models.User{}, &models.UserRole{}, &models.Consent{}, &models.Session{}, &models.ThrottleHit{},
	&models.TOTPFactor{}, &models.RecoveryCode{}, &models.StaffInvite{},
	&models.OneTimeCode{}, &models.RateLimitCounter{},
}

// Models lists every persisted model: the schema check compares each with the migrated tables,
// and P2 key rotation finds the encrypted columns through them.
func Models() []any {
	return slices.Concat(identityModels, crmModels, telegramModels, contentModels, interactiveModels,
		bookingModels, cabinetModels, moderationModels, adminModels, notificationModels)
}
