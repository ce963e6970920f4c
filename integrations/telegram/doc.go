// Package telegram is Balance's client of the Telegram Bot API, built on github.com/go-telegram/bot:
// it sends HTML messages (split when longer than Telegram allows), registers the webhook with its
// secret token, and reads what the webhook needs from an update.
//
// The client never retries by itself: a message sent twice reaches the user twice, so retries belong
// to the durable job queue. Errors say what the queue should do: *RetryAfterError (429) carries the
// wait Telegram asks for, ErrBlocked (403) means the user blocked the bot and must not be retried,
// Temporary reports whether trying again later can help. The bot token and the webhook secret never
// appear in errors or logs.
package telegram
