package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
	"balance/service/crm"
)

// leadStatusLabel is a lead status as staff read it.
func leadStatusLabel(s models.LeadStatus) string {
	i := slices.IndexFunc(leadStatusChoices, func(c Choice) bool { return c.Value == string(s) })
	if i < 0 {
		return string(s)
	}
	return leadStatusChoices[i].Label
}

// setLeadStatus moves a lead along its funnel (models.LeadStatus.CanMoveTo): a move the funnel
// does not allow is a 409 naming the two statuses.
func setLeadStatus(ctx context.Context, c *Call, id uuid.UUID) error {
	in := c.In
	in.Require("status")
	to := models.LeadStatus(in.String("status"))
	if in.Has("status") && !slices.ContainsFunc(leadStatusChoices, func(ch Choice) bool { return ch.Value == string(to) }) {
		in.fail("status", "неизвестный статус лида")
	}
	if err := in.Err(); err != nil {
		return err
	}
	return repository.NewLeads(c.DB).Update(ctx, id, func(l *models.Lead) error {
		if err := in.CheckVersion(l.Version); err != nil {
			return err
		}
		from := l.Status
		err := l.MoveTo(to, c.Now)
		if errors.Is(err, models.ErrInvalidTransition) {
			msg := fmt.Sprintf("лида нельзя перевести из статуса «%s» в «%s»", leadStatusLabel(from), leadStatusLabel(to))
			if from == to {
				msg = fmt.Sprintf("лид уже в статусе «%s»", leadStatusLabel(to))
			}
			return &Refusal{Field: "status", Message: msg}
		}
		return err
	})
}

// noteZone is the practice's clock, for the date a note is stamped with.
var noteZone = func() *time.Location {
	if loc, err := time.LoadLocation(models.DefaultServiceTimezone); err == nil {
		return loc
	}
	return time.UTC
}()

// addLeadNote appends a dated note to the lead's notes.
func addLeadNote(ctx context.Context, c *Call, id uuid.UUID) error {
	in := c.In
	note := strings.TrimSpace(in.String("note"))
	if note == "" {
		in.fail("note", "обязательное поле")
	}
	if err := in.Err(); err != nil {
		return err
	}
	return repository.NewLeads(c.DB).Update(ctx, id, func(l *models.Lead) error {
		if err := in.CheckVersion(l.Version); err != nil {
			return err
		}
		entry := "[" + c.Now.In(noteZone).Format("02.01.2006") + "] " + note
		notes := entry
		if l.Notes != "" {
			notes = l.Notes + "\n\n" + entry
		}
		var ve *models.ValidationError
		if err := l.SetNotes(notes, c.Now); errors.As(err, &ve) {
			return &InputError{Fields: map[string]string{"note": "заметки лида не помещаются: сократите эту заметку или старые"}}
		} else if err != nil {
			return err
		}
		l.Touch(c.Now)
		return nil
	})
}

// mergeLead folds the lead other_id names into this one (crm.MergeLeads).
func mergeLead(ctx context.Context, c *Call, id uuid.UUID) error {
	in := c.In
	in.Require("other_id")
	other := in.OptID("other_id")
	if err := in.Err(); err != nil {
		return err
	}
	if *other == id {
		return &Refusal{Field: "other_id", Message: "лида нельзя объединить с самим собой"}
	}
	leads := repository.NewLeads(c.DB)
	if _, err := leads.ByID(ctx, *other); errors.Is(err, models.ErrNotFound) {
		return &InputError{Fields: map[string]string{"other_id": "такого лида нет"}}
	} else if err != nil {
		return err
	}
	err := crm.MergeLeads(ctx, leads, repository.NewLeadTimeline(c.DB), id, *other, c.Now)
	switch {
	case errors.Is(err, crm.ErrMergeSelf):
		return &Refusal{Field: "other_id", Message: "лида нельзя объединить с самим собой"}
	case errors.Is(err, crm.ErrMergeUsers):
		return &Refusal{Field: "other_id", Message: "лиды связаны с разными пользователями сайта — это разные люди"}
	}
	return err
}
