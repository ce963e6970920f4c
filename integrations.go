package main

import (
	"context"

	"balance/integrations/email"
	"balance/integrations/gcal"
	"balance/integrations/telegram"
	"balance/integrations/yookassa"
)

// integrations builds the clients the configuration enables, and says in the log which are off
// and what that means. A client the caller set already (the demo's) is kept.
func (a *app) integrations(ctx context.Context) error {
	c := a.cfg
	var err error
	if a.provider == nil && c.YooKassa.Enabled() {
		client, err := yookassa.New(yookassa.Config{
			ShopID: c.YooKassa.ShopID, SecretKey: c.YooKassa.SecretKey, APIURL: c.YooKassa.APIURL,
			ReturnURL: c.YooKassa.ReturnURL, Receipts: c.YooKassa.Receipts,
		})
		if err != nil {
			return &configError{err}
		}
		a.provider = yookassa.Gateway{Client: client}
	}
	if a.provider == nil {
		a.log.Warn("payments disabled: yookassa.shop_id is empty (BALANCE_YOOKASSA_SHOP_ID); paid services cannot be booked and /webhooks/yookassa answers 503")
	}

	if a.mailer == nil && c.SMTP.Host != "" {
		client, err := email.New(email.Config{
			Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.Username, Password: c.SMTP.Password,
			From: c.SMTP.From, FromName: c.SMTP.FromName, TLS: c.SMTP.TLS,
		})
		if err != nil {
			return &configError{err}
		}
		a.mailer = client
	}
	if a.mailer == nil {
		a.log.Warn("email disabled: smtp.host is empty (BALANCE_SMTP_HOST); messages to clients are logged as skipped")
	}

	if c.Telegram.BotToken != "" {
		if a.bot, err = telegram.New(telegram.Config{
			Token: c.Telegram.BotToken, APIURL: c.Telegram.APIURL, WebhookSecret: c.Telegram.WebhookSecret,
		}); err != nil {
			return &configError{err}
		}
	} else {
		a.log.Info("telegram bot disabled: telegram.bot_token is empty (BALANCE_TELEGRAM_BOT_TOKEN)")
	}

	if c.GCal.CredentialsFile != "" {
		if a.calendar, err = gcal.New(ctx, gcal.Config{
			CredentialsFile: c.GCal.CredentialsFile, CalendarID: c.GCal.CalendarID, APIURL: c.GCal.APIURL,
		}); err != nil {
			return &configError{err}
		}
	} else {
		a.log.Info("calendar sync disabled: gcal.credentials_file is empty (BALANCE_GCAL_CREDENTIALS_FILE); slots consider appointments only")
	}
	return nil
}
