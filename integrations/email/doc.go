// Package email sends Balance's email over SMTP with github.com/wneessen/go-mail: a UTF-8 plain-text
// part always and, when the message has one, an HTML alternative (multipart/alternative, text
// first), an RFC 2047 encoded subject and a generated Message-ID that Send returns for the delivery
// log.
//
// STARTTLS is required by default; "opportunistic" and "none" exist for local relays. Credentials
// go out only over TLS, whatever the mode: the client authenticates with PLAIN (or LOGIN when the
// server offers only that) after STARTTLS and refuses to authenticate on a plain connection.
//
// Send opens one connection per message. Its errors are *Error values naming the server
// (host:port, never the password); IsPermanent tells a job queue whether retrying can help: an SMTP
// 5xx answer or an invalid message is permanent, a refused connection, a timeout, a failed TLS
// handshake or a 4xx answer is not.
//
// Consumers declare the Sender interface they need; Client and LogSender (the demo's stand-in,
// which writes the email to the log) both satisfy Send(ctx, Message) (string, error). The emailtest
// sub-package is an in-process SMTP server with STARTTLS for tests.
package email
