package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// interactiveWriter creates and edits self-help tools through models.InteractiveDefinition's rules.
// A config the body sets must be runnable (models.InteractiveConfig.Validate) before it is saved,
// draft or not, so that an editor learns of a mistake at once, beside the field that has it.
type interactiveWriter struct{}

// interactiveFields overlays what the input sets on base.
func interactiveFields(in *Input, base models.InteractiveDefinitionFields) (models.InteractiveDefinitionFields, error) {
	f := base
	if in.Has("type") {
		f.Type = models.InteractiveType(in.String("type"))
	}
	if in.Has("slug") {
		f.Slug = in.String("slug")
	}
	if in.Has("title") {
		f.Title = in.String("title")
	}
	if in.Has("topic_code") {
		f.TopicCode = in.OptString("topic_code")
	}
	if in.Has("config") {
		cfg, ok := interactiveConfig(in)
		if !ok {
			return f, in.Err()
		}
		if err := cfg.Validate(); err != nil {
			return f, inRussian(err)
		}
		f.Config = cfg
	}
	return f, in.Err()
}

// interactiveConfig decodes the config field: a JSON object of questions, bands, crisis rules and
// the optional description and recommendations, with no other keys (a misspelt key would otherwise
// vanish silently).
func interactiveConfig(in *Input) (models.InteractiveConfig, bool) {
	var cfg models.InteractiveConfig
	raw, err := json.Marshal(in.values["config"])
	if _, isObject := in.values["config"].(map[string]any); err != nil || !isObject {
		in.fail("config", "должно быть объектом JSON с вопросами (questions), диапазонами (bands), кризисными правилами (crisis_rules) и, по желанию, описанием (description) и рекомендациями (recommendations)")
		return cfg, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		in.fail("config", "не соответствует формату: ожидаются questions (id, text, options: id, text, score, profile), bands (level, min_score, max_score), crisis_rules (question_id, option_ids), по желанию description (текст) и recommendations (levels: уровень → текст, profiles: профиль → текст)")
		return cfg, false
	}
	return cfg, true
}

func (interactiveWriter) Create(ctx context.Context, c *Call) (uuid.UUID, error) {
	c.In.Require("type", "slug", "title")
	if err := c.In.Err(); err != nil {
		return uuid.Nil, err
	}
	f, err := interactiveFields(c.In, models.InteractiveDefinitionFields{})
	if err != nil {
		return uuid.Nil, err
	}
	d, err := models.NewInteractiveDefinition(f, c.Now)
	if err != nil {
		return uuid.Nil, inRussian(err)
	}
	return d.ID, repository.NewInteractiveDefinitions(c.DB).Create(ctx, d)
}

func (interactiveWriter) Update(ctx context.Context, c *Call, id uuid.UUID) error {
	return repository.NewInteractiveDefinitions(c.DB).Update(ctx, id, func(d *models.InteractiveDefinition) error {
		if err := c.In.CheckVersion(d.Version); err != nil {
			return err
		}
		f, err := interactiveFields(c.In, models.InteractiveDefinitionFields{
			Type: d.Type, Slug: d.Slug, Title: d.Title, TopicCode: d.TopicCode, Config: d.Config,
		})
		if err != nil {
			return err
		}
		return inRussian(d.Edit(f, c.Now))
	})
}

// Delete: a tool is archived, never deleted (its runs refer to it).
func (interactiveWriter) Delete(context.Context, *Call, uuid.UUID) error { return models.ErrForbidden }

// interactiveChange is a definition's publish, unpublish or archive action.
func interactiveChange(change func(*models.InteractiveDefinition, time.Time) error) func(context.Context, *Call, uuid.UUID) error {
	return func(ctx context.Context, c *Call, id uuid.UUID) error {
		return repository.NewInteractiveDefinitions(c.DB).Update(ctx, id, func(d *models.InteractiveDefinition) error {
			if err := c.In.CheckVersion(d.Version); err != nil {
				return err
			}
			return inRussian(change(d, c.Now))
		})
	}
}
