package main

import (
	"balance/config"
	"balance/handlers"
	"balance/models"
)

// consentDocuments lists the documents the site's forms ask agreement to, as configured:
// personal data (required by every form) and communications (required by a subscription).
func consentDocuments(c config.Consents) []handlers.ConsentDocument {
	return []handlers.ConsentDocument{
		{Type: models.ConsentPersonalData, Version: c.PersonalDataVersion, URL: c.PersonalDataURL, Required: true},
		{Type: models.ConsentCommunications, Version: c.CommunicationsVersion, URL: c.CommunicationsURL},
	}
}
