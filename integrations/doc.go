// Package integrations groups Balance's clients of external services, one subpackage each:
// yookassa (payments), gcal (Google Calendar), telegram (the bot) and email (SMTP). Each speaks
// the service's real wire protocol and satisfies an interface declared by the use case that needs
// it; tests run them against in-process fakes. They arrive with the booking and notification issues.
package integrations
