package models_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
)

// interactiveQuizConfig: two questions, total score 0..5 in three bands; answering "yes" to q2
// starts the crisis flow.
func interactiveQuizConfig() models.InteractiveConfig {
	return models.InteractiveConfig{
		Questions: []models.InteractiveQuestion{
			{ID: "q1", Text: "Как вы спите?", Options: []models.InteractiveOption{
				{ID: "a", Text: "Хорошо", Score: 0}, {ID: "b", Text: "Так себе", Score: 1}, {ID: "c", Text: "Плохо", Score: 3},
			}},
			{ID: "q2", Text: "Бывают ли мысли о самоповреждении?", Options: []models.InteractiveOption{
				{ID: "no", Text: "Нет", Score: 0}, {ID: "some", Text: "Иногда", Score: 1}, {ID: "yes", Text: "Да", Score: 2},
			}},
		},
		Bands: []models.InteractiveBand{
			{Level: models.InteractiveLevelHigh, MinScore: 4, MaxScore: 5},
			{Level: models.InteractiveLevelLow, MinScore: 0, MaxScore: 1},
			{Level: models.InteractiveLevelModerate, MinScore: 2, MaxScore: 3},
		},
		CrisisRules: []models.InteractiveCrisisRule{{QuestionID: "q2", OptionIDs: []string{"yes"}}},
	}
}

// interactiveNavigatorConfig has profiles and no bands.
func interactiveNavigatorConfig() models.InteractiveConfig {
	opt := func(id, profile string) models.InteractiveOption {
		return models.InteractiveOption{ID: id, Text: "option " + id, Profile: profile}
	}
	return models.InteractiveConfig{
		Questions: []models.InteractiveQuestion{
			{ID: "n1", Text: "1", Options: []models.InteractiveOption{opt("x", "anxious"), opt("y", "avoidant"), opt("z", "")}},
			{ID: "n2", Text: "2", Options: []models.InteractiveOption{opt("x", "avoidant"), opt("y", "anxious"), opt("z", "")}},
			{ID: "n3", Text: "3", Options: []models.InteractiveOption{opt("x", "secure"), opt("y", "anxious"), opt("z", "")}},
		},
	}
}

func interactiveFields() models.InteractiveDefinitionFields {
	return models.InteractiveDefinitionFields{
		Type: models.InteractiveTypeQuiz, Slug: "sleep-check", Title: "Проверка сна",
		TopicCode: contentPtr("sleep"), Config: interactiveQuizConfig(),
	}
}

func newInteractiveDefinition(t *testing.T, publish bool) *models.InteractiveDefinition {
	t.Helper()
	d, err := models.NewInteractiveDefinition(interactiveFields(), contentT0)
	if err != nil {
		t.Fatalf("NewInteractiveDefinition: %v", err)
	}
	if publish {
		if err := d.Publish(contentT0); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	return d
}

func TestParseInteractiveEnums(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		parse func(string) (string, error)
		valid []string
		field string
	}{
		{"type", func(s string) (string, error) { v, err := models.ParseInteractiveType(s); return string(v), err },
			[]string{"quiz", "navigator", "thermometer", "boundaries", "prep", "ritual"}, "type"},
		{"level", func(s string) (string, error) { v, err := models.ParseInteractiveLevel(s); return string(v), err },
			[]string{"low", "moderate", "high"}, "level"},
		{"run status", func(s string) (string, error) { v, err := models.ParseInteractiveRunStatus(s); return string(v), err },
			[]string{"in_progress", "completed", "abandoned"}, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range tt.valid {
				if got, err := tt.parse(s); err != nil || got != s {
					t.Errorf("parse(%q) = %q, %v", s, got, err)
				}
			}
			for _, s := range []string{"", "QUIZ", "LOW", "done", " quiz"} {
				got, err := tt.parse(s)
				contentAssertValidation(t, err, tt.field)
				if got != "" {
					t.Errorf("parse(%q) = %q, want empty", s, got)
				}
			}
		})
	}
}

func TestInteractiveConfigValidate(t *testing.T) {
	t.Parallel()
	quiz := interactiveQuizConfig
	tests := []struct {
		name   string
		config func() models.InteractiveConfig
		field  string // "" when valid
		msg    string // part of the message
	}{
		{"quiz", quiz, "", ""},
		{"navigator without bands", interactiveNavigatorConfig, "", ""},
		{"bands reaching beyond the range", func() models.InteractiveConfig {
			c := quiz()
			c.Bands[0].MaxScore, c.Bands[1].MinScore = 100, -10
			return c
		}, "", ""},
		{"no questions", func() models.InteractiveConfig { return models.InteractiveConfig{} }, "config.questions", "at least one"},
		{"question without id", func() models.InteractiveConfig { c := quiz(); c.Questions[1].ID = " "; return c }, "config.questions[1].id", "required"},
		{"duplicate question id", func() models.InteractiveConfig { c := quiz(); c.Questions[1].ID = "q1"; return c }, "config.questions[1].id", "duplicate"},
		{"question without text", func() models.InteractiveConfig { c := quiz(); c.Questions[0].Text = ""; return c }, "config.questions[0].text", "required"},
		{"one option", func() models.InteractiveConfig {
			c := quiz()
			c.Questions[0].Options = c.Questions[0].Options[:1]
			return c
		}, "config.questions[0].options", "two"},
		{"option without id", func() models.InteractiveConfig { c := quiz(); c.Questions[0].Options[2].ID = ""; return c }, "config.questions[0].options[2].id", "required"},
		{"duplicate option id", func() models.InteractiveConfig { c := quiz(); c.Questions[0].Options[2].ID = "a"; return c }, "config.questions[0].options[2].id", "duplicate"},
		{"option without text", func() models.InteractiveConfig { c := quiz(); c.Questions[1].Options[0].Text = ""; return c }, "config.questions[1].options[0].text", "required"},
		{"no bands and no profiles", func() models.InteractiveConfig { c := quiz(); c.Bands = nil; return c }, "config.bands", "required"},
		{"unknown level", func() models.InteractiveConfig { c := quiz(); c.Bands[1].Level = "severe"; return c }, "config.bands[1].level", "low, moderate or high"},
		{"duplicate level", func() models.InteractiveConfig { c := quiz(); c.Bands[2].Level = "low"; return c }, "config.bands[2].level", "duplicate"},
		{"band min above max", func() models.InteractiveConfig { c := quiz(); c.Bands[0].MinScore = 6; return c }, "config.bands[0]", "must not exceed"},
		{"overlap", func() models.InteractiveConfig { c := quiz(); c.Bands[2].MinScore = 1; return c }, "config.bands", "overlap"},
		{"gap", func() models.InteractiveConfig { c := quiz(); c.Bands[2].MinScore = 3; return c }, "config.bands", "2..2 fall in no band"},
		{"range start uncovered", func() models.InteractiveConfig { c := quiz(); c.Bands[1].MinScore = 1; return c }, "config.bands", "from 0 to 0"},
		{"range end uncovered", func() models.InteractiveConfig { c := quiz(); c.Bands[0].MaxScore = 4; return c }, "config.bands", "from 5 to 5"},
		{"crisis rule of unknown question", func() models.InteractiveConfig { c := quiz(); c.CrisisRules[0].QuestionID = "q9"; return c }, "config.crisis_rules[0].question_id", "unknown question"},
		{"crisis rule without options", func() models.InteractiveConfig { c := quiz(); c.CrisisRules[0].OptionIDs = nil; return c }, "config.crisis_rules[0].option_ids", "at least one"},
		{"crisis rule of another question's option", func() models.InteractiveConfig {
			c := quiz()
			c.CrisisRules[0].OptionIDs = []string{"yes", "c"}
			return c
		}, "config.crisis_rules[0].option_ids", `unknown option "c"`},
		{"recommendations", func() models.InteractiveConfig { return interactiveAdvisedConfig() }, "", ""},
		{"recommendation for a level no band yields", func() models.InteractiveConfig {
			c := interactiveAdvisedConfig()
			c.Bands = []models.InteractiveBand{
				{Level: models.InteractiveLevelLow, MinScore: 0, MaxScore: 1},
				{Level: models.InteractiveLevelModerate, MinScore: 2, MaxScore: 5},
			}
			return c
		}, "config.recommendations.levels.high", `no band yields level "high"`},
		{"recommendation for an unknown profile", func() models.InteractiveConfig {
			c := interactiveNavigatorConfig()
			c.Recommendations.Profiles = map[string]string{"anxious": "Текст", "calm": "Текст"}
			return c
		}, "config.recommendations.profiles.calm", `no option has profile "calm"`},
		{"empty recommendation", func() models.InteractiveConfig {
			c := interactiveAdvisedConfig()
			c.Recommendations.Levels[models.InteractiveLevelLow] = " "
			return c
		}, "config.recommendations.levels.low", "required"},
		{"long recommendation", func() models.InteractiveConfig {
			c := interactiveAdvisedConfig()
			c.Recommendations.Levels[models.InteractiveLevelLow] = strings.Repeat("я", models.InteractiveRecommendationMaxLen+1)
			return c
		}, "config.recommendations.levels.low", "at most"},
		{"long description", func() models.InteractiveConfig {
			c := quiz()
			c.Description = strings.Repeat("я", models.InteractiveDescriptionMaxLen+1)
			return c
		}, "config.description", "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.config().Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			contentAssertValidation(t, err, tt.field)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want it to mention %q", err, tt.msg)
			}
		})
	}
}

func TestInteractiveConfigEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		config  models.InteractiveConfig
		answers map[string]string
		want    models.InteractiveResult
		field   string // a ValidationError naming this field instead of a result
	}{
		{"lowest score", interactiveQuizConfig(), map[string]string{"q1": "a", "q2": "no"}, models.InteractiveResult{Score: 0, Level: models.InteractiveLevelLow}, ""},
		{"upper edge of low", interactiveQuizConfig(), map[string]string{"q1": "b", "q2": "no"}, models.InteractiveResult{Score: 1, Level: models.InteractiveLevelLow}, ""},
		{"lower edge of moderate", interactiveQuizConfig(), map[string]string{"q1": "b", "q2": "some"}, models.InteractiveResult{Score: 2, Level: models.InteractiveLevelModerate}, ""},
		{"crisis answer", interactiveQuizConfig(), map[string]string{"q1": "a", "q2": "yes"}, models.InteractiveResult{Score: 2, Level: models.InteractiveLevelModerate, CrisisTriggered: true}, ""},
		{"highest score", interactiveQuizConfig(), map[string]string{"q1": "c", "q2": "yes"}, models.InteractiveResult{Score: 5, Level: models.InteractiveLevelHigh, CrisisTriggered: true}, ""},
		{"unanswered question", interactiveQuizConfig(), map[string]string{"q1": "a"}, models.InteractiveResult{}, "answers.q2"},
		{"unknown option", interactiveQuizConfig(), map[string]string{"q1": "zzz", "q2": "no"}, models.InteractiveResult{}, "answers.q1"},
		{"unknown question", interactiveQuizConfig(), map[string]string{"q1": "a", "q2": "no", "q7": "a", "q3": "a"}, models.InteractiveResult{}, "answers.q3"},
		{"invalid config", models.InteractiveConfig{}, map[string]string{}, models.InteractiveResult{}, "config.questions"},
		{"most frequent profile", interactiveNavigatorConfig(), map[string]string{"n1": "y", "n2": "x", "n3": "y"}, models.InteractiveResult{Profile: "avoidant"}, ""},
		{"tie goes to the profile first in the config", interactiveNavigatorConfig(), map[string]string{"n1": "y", "n2": "y", "n3": "z"}, models.InteractiveResult{Profile: "anxious"}, ""},
		{"three-way tie", interactiveNavigatorConfig(), map[string]string{"n1": "y", "n2": "y", "n3": "x"}, models.InteractiveResult{Profile: "anxious"}, ""},
		{"single profile among blanks", interactiveNavigatorConfig(), map[string]string{"n1": "z", "n2": "z", "n3": "x"}, models.InteractiveResult{Profile: "secure"}, ""},
		{"no profile chosen", interactiveNavigatorConfig(), map[string]string{"n1": "z", "n2": "z", "n3": "z"}, models.InteractiveResult{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.config.Evaluate(tt.answers)
			if tt.field != "" {
				contentAssertValidation(t, err, tt.field)
				if got != (models.InteractiveResult{}) {
					t.Errorf("result = %+v, want zero", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if got != tt.want {
				t.Errorf("Evaluate = %+v, want %+v", got, tt.want)
			}
		})
	}
	// Ties are broken the same way whatever the map iteration order.
	for range 50 {
		got, _ := interactiveNavigatorConfig().Evaluate(map[string]string{"n1": "x", "n2": "x", "n3": "z"})
		if got.Profile != "anxious" {
			t.Fatalf("tie anxious/avoidant = %q, want anxious (first in the config)", got.Profile)
		}
	}
}

// interactiveAdvisedConfig is the quiz with recommendations for every level.
func interactiveAdvisedConfig() models.InteractiveConfig {
	c := interactiveQuizConfig()
	c.Description = "Короткая проверка сна."
	c.Recommendations.Levels = map[models.InteractiveLevel]string{
		models.InteractiveLevelLow: "Всё хорошо.", models.InteractiveLevelModerate: "Обратите внимание на режим.",
		models.InteractiveLevelHigh: "Стоит поговорить со специалистом.",
	}
	return c
}

func TestInteractiveConfigRecommend(t *testing.T) {
	t.Parallel()
	c := interactiveAdvisedConfig()
	c.Recommendations.Profiles = map[string]string{"anxious": "Про тревогу."}
	if got := c.Levels(); !slices.Equal(got, []models.InteractiveLevel{"low", "moderate", "high"}) {
		t.Errorf("Levels = %v (in score order)", got)
	}
	if got := interactiveNavigatorConfig().Profiles(); !slices.Equal(got, []string{"anxious", "avoidant", "secure"}) {
		t.Errorf("Profiles = %v", got)
	}
	for _, tc := range []struct {
		level   models.InteractiveLevel
		profile string
		want    []string
	}{
		{"high", "", []string{"Стоит поговорить со специалистом."}},
		{"low", "anxious", []string{"Всё хорошо.", "Про тревогу."}},
		{"", "anxious", []string{"Про тревогу."}},
		{"", "secure", []string{}},
	} {
		if got := c.Recommend(tc.level, tc.profile); !slices.Equal(got, tc.want) {
			t.Errorf("Recommend(%q, %q) = %v, want %v", tc.level, tc.profile, got, tc.want)
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back models.InteractiveConfig
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	// A config without recommendations says nothing of them.
	if b, _ := json.Marshal(interactiveQuizConfig()); strings.Contains(string(b), "recommendations") || strings.Contains(string(b), "description") {
		t.Errorf("JSON %s", b)
	}
}

func TestInteractiveConfigJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(interactiveQuizConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"questions"`, `"options"`, `"score"`, `"bands"`, `"min_score"`, `"max_score"`, `"crisis_rules"`, `"question_id"`, `"option_ids"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
	var back models.InteractiveConfig
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, interactiveQuizConfig()) {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}

func TestNewInteractiveDefinition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(f *models.InteractiveDefinitionFields)
		field  string
		check  func(t *testing.T, d *models.InteractiveDefinition)
	}{
		{name: "quiz"},
		{name: "draft with an unfinished config", change: func(f *models.InteractiveDefinitionFields) { f.Config = models.InteractiveConfig{} }},
		{
			name:   "empty topic code means none",
			change: func(f *models.InteractiveDefinitionFields) { f.TopicCode = contentPtr("") },
			check: func(t *testing.T, d *models.InteractiveDefinition) {
				if d.TopicCode != nil {
					t.Errorf("TopicCode = %q, want nil", *d.TopicCode)
				}
			},
		},
		{name: "unknown type", change: func(f *models.InteractiveDefinitionFields) { f.Type = "survey" }, field: "type"},
		{name: "bad slug", change: func(f *models.InteractiveDefinitionFields) { f.Slug = "Sleep Check" }, field: "slug"},
		{name: "reserved slug", change: func(f *models.InteractiveDefinitionFields) { f.Slug = "runs" }, field: "slug"},
		{name: "no title", change: func(f *models.InteractiveDefinitionFields) { f.Title = " " }, field: "title"},
		{name: "bad topic code", change: func(f *models.InteractiveDefinitionFields) { f.TopicCode = contentPtr("Sleep") }, field: "topic_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := interactiveFields()
			if tt.change != nil {
				tt.change(&f)
			}
			d, err := models.NewInteractiveDefinition(f, contentT0)
			if tt.field != "" {
				contentAssertValidation(t, err, tt.field)
				if d != nil {
					t.Errorf("definition = %+v, want nil", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewInteractiveDefinition: %v", err)
			}
			if d.ID.Version() != 7 || d.Status != models.PublicationDraft || d.PublishedAt != nil || d.Version != 1 ||
				!d.CreatedAt.Equal(contentT0) || !d.UpdatedAt.Equal(contentT0) || d.Type != f.Type || d.Slug != f.Slug ||
				d.Title != f.Title || !reflect.DeepEqual(d.Config, f.Config) {
				t.Errorf("definition = %+v, want the fields %+v", d, f)
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

func TestInteractiveDefinitionEdit(t *testing.T) {
	t.Parallel()
	t1 := contentT0.Add(time.Hour)
	tests := []struct {
		name    string
		publish bool
		change  func(f *models.InteractiveDefinitionFields)
		field   string
	}{
		{"draft takes an unfinished config", false, func(f *models.InteractiveDefinitionFields) { f.Config.Bands = nil }, ""},
		{"published takes a valid config", true, func(f *models.InteractiveDefinitionFields) {
			f.Title, f.Type, f.Config = "Навигатор", models.InteractiveTypeNavigator, interactiveNavigatorConfig()
		}, ""},
		{"published refuses an invalid config", true, func(f *models.InteractiveDefinitionFields) { f.Config.Bands = f.Config.Bands[:2] }, "config.bands"},
		{"invalid slug", false, func(f *models.InteractiveDefinitionFields) { f.Slug = "" }, "slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newInteractiveDefinition(t, tt.publish)
			before := *d
			f := interactiveFields()
			tt.change(&f)
			err := d.Edit(f, t1)
			if tt.field != "" {
				contentAssertValidation(t, err, tt.field)
				if !reflect.DeepEqual(*d, before) {
					t.Errorf("failed Edit changed the definition: %+v", *d)
				}
				return
			}
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if d.Title != f.Title || d.Type != f.Type || !reflect.DeepEqual(d.Config, f.Config) || !d.UpdatedAt.Equal(t1) ||
				d.Status != before.Status {
				t.Errorf("definition = %+v", d)
			}
		})
	}
}

func TestInteractiveDefinitionTransitions(t *testing.T) {
	t.Parallel()
	type action struct {
		name string
		do   func(d *models.InteractiveDefinition, now time.Time) error
	}
	publish := action{"publish", (*models.InteractiveDefinition).Publish}
	unpublish := action{"unpublish", (*models.InteractiveDefinition).Unpublish}
	archive := action{"archive", (*models.InteractiveDefinition).Archive}
	t1, t2 := contentT0.Add(time.Hour), contentT0.Add(2*time.Hour)
	tests := []struct {
		name      string
		history   []action
		action    action
		want      models.PublicationStatus // "" when the action must fail with ErrInvalidTransition
		published *time.Time
	}{
		{"publish draft", nil, publish, models.PublicationPublished, &t2},
		{"archive draft", nil, archive, models.PublicationArchived, nil},
		{"unpublish draft", nil, unpublish, "", nil},
		{"publish published", []action{publish}, publish, "", &t1},
		{"unpublish published", []action{publish}, unpublish, models.PublicationDraft, &t1},
		{"archive published", []action{publish}, archive, models.PublicationArchived, &t1},
		{"publish archived", []action{archive}, publish, "", nil},
		{"archive archived", []action{archive}, archive, "", nil},
		{"unpublish archived", []action{archive}, unpublish, models.PublicationDraft, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newInteractiveDefinition(t, false)
			for _, h := range tt.history {
				if err := h.do(d, t1); err != nil {
					t.Fatalf("%s: %v", h.name, err)
				}
			}
			before := *d
			err := tt.action.do(d, t2)
			if tt.want == "" {
				if !errors.Is(err, models.ErrInvalidTransition) {
					t.Fatalf("err = %v, want ErrInvalidTransition", err)
				}
				if !reflect.DeepEqual(*d, before) {
					t.Errorf("failed %s changed the definition", tt.action.name)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.action.name, err)
			}
			if d.Status != tt.want || !reflect.DeepEqual(d.PublishedAt, tt.published) || !d.UpdatedAt.Equal(t2) {
				t.Errorf("status %q published %v updated %v; want %q %v %v", d.Status, d.PublishedAt, d.UpdatedAt, tt.want, tt.published, t2)
			}
		})
	}
	t.Run("publish requires a valid config", func(t *testing.T) {
		f := interactiveFields()
		f.Config.CrisisRules[0].QuestionID = "nope"
		d, err := models.NewInteractiveDefinition(f, contentT0)
		if err != nil {
			t.Fatal(err)
		}
		before := *d
		contentAssertValidation(t, d.Publish(t1), "config.crisis_rules[0].question_id")
		if !reflect.DeepEqual(*d, before) {
			t.Errorf("failed Publish changed the definition")
		}
	})
}

func TestNewInteractiveRun(t *testing.T) {
	t.Parallel()
	published := newInteractiveDefinition(t, true)
	draft := newInteractiveDefinition(t, false)
	userID := models.NewID()
	meta := models.InteractiveRunMetadata{EntryPoint: "article", TopicCode: "sleep", DeepLinkID: "dl-1"}
	tests := []struct {
		name      string
		def       *models.InteractiveDefinition
		user      *uuid.UUID
		anonymous *string
		meta      models.InteractiveRunMetadata
		field     string
		wantAnon  *string
	}{
		{name: "signed-in user", def: published, user: &userID, meta: meta},
		{name: "anonymous, trimmed", def: published, anonymous: contentPtr(" cookie-1 "), wantAnon: contentPtr("cookie-1")},
		{name: "both", def: published, user: &userID, anonymous: contentPtr("cookie-1"), wantAnon: contentPtr("cookie-1")},
		{name: "no definition", def: nil, user: &userID, field: "definition"},
		{name: "draft definition", def: draft, user: &userID, field: "definition"},
		{name: "nobody", def: published, field: "user_id"},
		{name: "blank anonymous id is nobody", def: published, anonymous: contentPtr("  "), field: "user_id"},
		{name: "nil user id", def: published, user: &uuid.UUID{}, field: "user_id"},
		{name: "anonymous id too long", def: published, anonymous: contentPtr(strings.Repeat("a", 256)), field: "anonymous_id"},
		{name: "metadata too long", def: published, user: &userID, meta: models.InteractiveRunMetadata{DeepLinkID: strings.Repeat("d", 256)}, field: "metadata.deep_link_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := models.NewInteractiveRun(tt.def, tt.user, tt.anonymous, tt.meta, contentT0)
			if tt.field != "" {
				contentAssertValidation(t, err, tt.field)
				if r != nil {
					t.Errorf("run = %+v, want nil", r)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewInteractiveRun: %v", err)
			}
			want := models.InteractiveRun{
				ID: r.ID, DefinitionID: tt.def.ID, UserID: tt.user, AnonymousID: tt.wantAnon,
				Status: models.InteractiveRunStatusInProgress, StartedAt: contentT0, Metadata: tt.meta, Definition: tt.def,
			}
			if !reflect.DeepEqual(*r, want) || r.ID.Version() != 7 {
				t.Errorf("run = %+v\nwant %+v", *r, want)
			}
		})
	}
}

func TestInteractiveRunTransitions(t *testing.T) {
	t.Parallel()
	def := newInteractiveDefinition(t, true)
	answers := map[string]string{"q1": "c", "q2": "yes"}
	t1 := contentT0.Add(90*time.Second + 250*time.Millisecond)
	type action struct {
		name string
		do   func(r *models.InteractiveRun) error
	}
	complete := action{"complete", func(r *models.InteractiveRun) error { _, err := r.Complete(def, answers, t1); return err }}
	abandon := action{"abandon", func(r *models.InteractiveRun) error { return r.Abandon(t1) }}
	tests := []struct {
		from   *action // nil: in progress
		action action
		want   models.InteractiveRunStatus // "" when ErrInvalidTransition
	}{
		{nil, complete, models.InteractiveRunStatusCompleted},
		{nil, abandon, models.InteractiveRunStatusAbandoned},
		{&complete, complete, ""},
		{&complete, abandon, ""},
		{&abandon, complete, ""},
		{&abandon, abandon, ""},
	}
	for _, tt := range tests {
		from := "in_progress"
		if tt.from != nil {
			from = map[string]string{"complete": "completed", "abandon": "abandoned"}[tt.from.name]
		}
		t.Run(tt.action.name+" "+from, func(t *testing.T) {
			r, err := models.NewInteractiveRun(def, nil, contentPtr("anon"), models.InteractiveRunMetadata{}, contentT0)
			if err != nil {
				t.Fatal(err)
			}
			if tt.from != nil {
				if err := tt.from.do(r); err != nil {
					t.Fatal(err)
				}
			}
			r.ClearEvents()
			before := *r
			err = tt.action.do(r)
			if tt.want == "" {
				if !errors.Is(err, models.ErrInvalidTransition) {
					t.Fatalf("err = %v, want ErrInvalidTransition", err)
				}
				if !reflect.DeepEqual(*r, before) {
					t.Errorf("failed %s changed the run:\n got %+v\nwant %+v", tt.action.name, *r, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.want || r.DurationMs == nil || *r.DurationMs != 90250 {
				t.Errorf("status %q duration %v; want %q, 90250 ms", r.Status, r.DurationMs, tt.want)
			}
			if tt.want == models.InteractiveRunStatusAbandoned {
				if r.CompletedAt != nil || r.ResultLevel != nil || r.ResultProfile != nil || r.CrisisTriggered || len(r.Events()) != 0 {
					t.Errorf("abandoned run = %+v, events %v", r, r.Events())
				}
			}
		})
	}
}

func TestInteractiveRunComplete(t *testing.T) {
	t.Parallel()
	quiz := newInteractiveDefinition(t, true)
	navFields := interactiveFields()
	navFields.Slug, navFields.Type, navFields.Config = "attachment", models.InteractiveTypeNavigator, interactiveNavigatorConfig()
	nav, err := models.NewInteractiveDefinition(navFields, contentT0)
	if err != nil {
		t.Fatal(err)
	}
	if err := nav.Publish(contentT0); err != nil {
		t.Fatal(err)
	}
	t1 := contentT0.Add(2 * time.Minute)
	tests := []struct {
		name        string
		def         *models.InteractiveDefinition
		with        func(run *models.InteractiveRun) *models.InteractiveDefinition // the definition passed to Complete
		answers     map[string]string
		level       *models.InteractiveLevel
		profile     *string
		crisis      bool
		invalidPart string
	}{
		{name: "quiz with crisis", def: quiz, answers: map[string]string{"q1": "b", "q2": "yes"}, level: contentPtr(models.InteractiveLevelModerate), crisis: true},
		{name: "quiz low", def: quiz, answers: map[string]string{"q1": "a", "q2": "no"}, level: contentPtr(models.InteractiveLevelLow)},
		{name: "navigator", def: nav, answers: map[string]string{"n1": "x", "n2": "y", "n3": "x"}, profile: contentPtr("anxious")},
		{name: "navigator without profile", def: nav, answers: map[string]string{"n1": "z", "n2": "z", "n3": "z"}},
		{name: "unanswered question", def: quiz, answers: map[string]string{"q1": "a"}, invalidPart: "answers.q2"},
		{name: "another definition", def: quiz, with: func(*models.InteractiveRun) *models.InteractiveDefinition { return nav },
			answers: map[string]string{"n1": "x", "n2": "y", "n3": "x"}, invalidPart: "definition"},
		{name: "no definition", def: quiz, with: func(*models.InteractiveRun) *models.InteractiveDefinition { return nil },
			answers: map[string]string{"q1": "a", "q2": "no"}, invalidPart: "definition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			userID := models.NewID()
			r, err := models.NewInteractiveRun(tt.def, &userID, nil, models.InteractiveRunMetadata{}, contentT0)
			if err != nil {
				t.Fatal(err)
			}
			def := tt.def
			if tt.with != nil {
				def = tt.with(r)
			}
			before := *r
			res, err := r.Complete(def, tt.answers, t1)
			if tt.invalidPart != "" {
				contentAssertValidation(t, err, tt.invalidPart)
				if !reflect.DeepEqual(*r, before) {
					t.Errorf("failed Complete changed the run: %+v", *r)
				}
				return
			}
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if r.Status != models.InteractiveRunStatusCompleted || r.CompletedAt == nil || !r.CompletedAt.Equal(t1) ||
				r.DurationMs == nil || *r.DurationMs != 120000 {
				t.Errorf("run = %+v", r)
			}
			if !reflect.DeepEqual(r.ResultLevel, tt.level) || !reflect.DeepEqual(r.ResultProfile, tt.profile) || r.CrisisTriggered != tt.crisis {
				t.Errorf("result level %v profile %v crisis %v; want %v %v %v", r.ResultLevel, r.ResultProfile, r.CrisisTriggered, tt.level, tt.profile, tt.crisis)
			}
			if res.CrisisTriggered != tt.crisis {
				t.Errorf("returned result = %+v", res)
			}
			events := r.Events()
			if len(events) != 1 {
				t.Fatalf("events = %v, want one", events)
			}
			e, ok := events[0].(models.InteractiveRunCompleted)
			if !ok || e.EventName() != "interactive_run.completed" || e.RunID != r.ID || e.DefinitionID != tt.def.ID ||
				e.AggregateID() != r.ID || !e.OccurredAt().Equal(t1) || e.CrisisTriggered != tt.crisis {
				t.Errorf("event = %#v", events[0])
			}
		})
	}
}

// The completion event is about the client's state only through ids and the crisis flag (which
// alerts the owner): it has no other field — no level, profile or answers.
func TestInteractiveRunCompletedCarriesIDsOnly(t *testing.T) {
	t.Parallel()
	var fields []string
	typ := reflect.TypeFor[models.InteractiveRunCompleted]()
	for i := range typ.NumField() {
		fields = append(fields, typ.Field(i).Name)
	}
	if want := []string{"EventMeta", "RunID", "DefinitionID", "CrisisTriggered"}; !slices.Equal(fields, want) {
		t.Errorf("InteractiveRunCompleted fields = %v, want %v", fields, want)
	}
}

func TestInteractiveRunCompleteDurationNeverNegative(t *testing.T) {
	t.Parallel()
	def := newInteractiveDefinition(t, true)
	r, err := models.NewInteractiveRun(def, nil, contentPtr("anon"), models.InteractiveRunMetadata{}, contentT0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Complete(def, map[string]string{"q1": "a", "q2": "no"}, contentT0.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if r.DurationMs == nil || *r.DurationMs != 0 {
		t.Errorf("DurationMs = %v, want 0 for a clock that went back", r.DurationMs)
	}
}
