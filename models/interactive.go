package models

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Interactive: self-help tools (quizzes, navigators, thermometers, ...) defined by editors and run
// by clients. A run keeps only its result — never the answers, which are about the client's state.

// InteractiveType is the kind of a self-help tool.
type InteractiveType string

// Interactive types.
const (
	InteractiveTypeQuiz        InteractiveType = "quiz"
	InteractiveTypeNavigator   InteractiveType = "navigator"
	InteractiveTypeThermometer InteractiveType = "thermometer"
	InteractiveTypeBoundaries  InteractiveType = "boundaries"
	InteractiveTypePrep        InteractiveType = "prep"
	InteractiveTypeRitual      InteractiveType = "ritual"
)

// ParseInteractiveType validates an interactive type name.
func ParseInteractiveType(s string) (InteractiveType, error) {
	switch t := InteractiveType(s); t {
	case InteractiveTypeQuiz, InteractiveTypeNavigator, InteractiveTypeThermometer,
		InteractiveTypeBoundaries, InteractiveTypePrep, InteractiveTypeRitual:
		return t, nil
	}
	return "", &ValidationError{Field: "type", Message: fmt.Sprintf("must be quiz, navigator, thermometer, boundaries, prep or ritual; got %q", s)}
}

// InteractiveLevel is the band a run's total score falls in.
type InteractiveLevel string

// Interactive result levels.
const (
	InteractiveLevelLow      InteractiveLevel = "low"
	InteractiveLevelModerate InteractiveLevel = "moderate"
	InteractiveLevelHigh     InteractiveLevel = "high"
)

// ParseInteractiveLevel validates a result level name.
func ParseInteractiveLevel(s string) (InteractiveLevel, error) {
	switch l := InteractiveLevel(s); l {
	case InteractiveLevelLow, InteractiveLevelModerate, InteractiveLevelHigh:
		return l, nil
	}
	return "", &ValidationError{Field: "level", Message: fmt.Sprintf("must be low, moderate or high; got %q", s)}
}

// InteractiveOption is one answer to a question.
type InteractiveOption struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	Score int    `json:"score"`
	// Profile names the navigator profile this answer points to (optional).
	Profile string `json:"profile,omitempty"`
}

// InteractiveQuestion is one question with its options.
type InteractiveQuestion struct {
	ID      string              `json:"id"`
	Text    string              `json:"text"`
	Options []InteractiveOption `json:"options"`
}

// InteractiveBand maps an inclusive range of total scores to a level.
type InteractiveBand struct {
	Level    InteractiveLevel `json:"level"`
	MinScore int              `json:"min_score"`
	MaxScore int              `json:"max_score"`
}

// InteractiveCrisisRule: answering any of OptionIDs to QuestionID starts the crisis flow.
type InteractiveCrisisRule struct {
	QuestionID string   `json:"question_id"`
	OptionIDs  []string `json:"option_ids"`
}

// InteractiveRecommendations are what a client is advised after a run, in Russian: a text per
// result level and a text per profile (both optional).
type InteractiveRecommendations struct {
	Levels   map[InteractiveLevel]string `json:"levels,omitempty"`
	Profiles map[string]string           `json:"profiles,omitempty"`
}

// Lengths of a tool's texts shown to clients.
const (
	InteractiveDescriptionMaxLen    = 1000
	InteractiveRecommendationMaxLen = 4000
)

// InteractiveConfig is a tool's questions and how answers are scored.
type InteractiveConfig struct {
	// Description introduces the tool on the site (optional, plain text).
	Description     string                     `json:"description,omitempty"`
	Questions       []InteractiveQuestion      `json:"questions"`
	Bands           []InteractiveBand          `json:"bands"`
	CrisisRules     []InteractiveCrisisRule    `json:"crisis_rules"`
	Recommendations InteractiveRecommendations `json:"recommendations,omitzero"`
}

// InteractiveResult is what a run yields. Score is shown to the client but not stored.
type InteractiveResult struct {
	Score int
	// Level is empty when the config has no bands (a pure navigator).
	Level InteractiveLevel
	// Profile is the most frequent profile of the chosen options; empty when none has one.
	Profile         string
	CrisisTriggered bool
}

func (c InteractiveConfig) question(id string) *InteractiveQuestion {
	for i := range c.Questions {
		if c.Questions[i].ID == id {
			return &c.Questions[i]
		}
	}
	return nil
}

func (q *InteractiveQuestion) option(id string) *InteractiveOption {
	for i := range q.Options {
		if q.Options[i].ID == id {
			return &q.Options[i]
		}
	}
	return nil
}

// scoreRange is the lowest and highest total score the questions allow.
func (c InteractiveConfig) scoreRange() (lo, hi int) {
	for _, q := range c.Questions {
		qlo, qhi := q.Options[0].Score, q.Options[0].Score
		for _, o := range q.Options[1:] {
			qlo, qhi = min(qlo, o.Score), max(qhi, o.Score)
		}
		lo, hi = lo+qlo, hi+qhi
	}
	return lo, hi
}

// Validate checks the config can be run: unique ids, at least two options per question, bands
// that cover every reachable score exactly once, crisis rules naming existing options, and
// something to report (bands or profiles).
func (c InteractiveConfig) Validate() error {
	if len(c.Questions) == 0 {
		return &ValidationError{Field: "config.questions", Message: "at least one question is required"}
	}
	hasProfile := false
	for i, q := range c.Questions {
		field := fmt.Sprintf("config.questions[%d]", i)
		if strings.TrimSpace(q.ID) == "" {
			return &ValidationError{Field: field + ".id", Message: "is required"}
		}
		if slices.ContainsFunc(c.Questions[:i], func(p InteractiveQuestion) bool { return p.ID == q.ID }) {
			return &ValidationError{Field: field + ".id", Message: fmt.Sprintf("duplicate question id %q", q.ID)}
		}
		if strings.TrimSpace(q.Text) == "" {
			return &ValidationError{Field: field + ".text", Message: "is required"}
		}
		if len(q.Options) < 2 {
			return &ValidationError{Field: field + ".options", Message: "at least two options are required"}
		}
		for j, o := range q.Options {
			ofield := fmt.Sprintf("%s.options[%d]", field, j)
			if strings.TrimSpace(o.ID) == "" {
				return &ValidationError{Field: ofield + ".id", Message: "is required"}
			}
			if slices.ContainsFunc(q.Options[:j], func(p InteractiveOption) bool { return p.ID == o.ID }) {
				return &ValidationError{Field: ofield + ".id", Message: fmt.Sprintf("duplicate option id %q", o.ID)}
			}
			if strings.TrimSpace(o.Text) == "" {
				return &ValidationError{Field: ofield + ".text", Message: "is required"}
			}
			hasProfile = hasProfile || o.Profile != ""
		}
	}
	if err := c.validateBands(); err != nil {
		return err
	}
	if len(c.Bands) == 0 && !hasProfile {
		return &ValidationError{Field: "config.bands", Message: "are required unless options have profiles"}
	}
	if utf8.RuneCountInString(c.Description) > InteractiveDescriptionMaxLen {
		return &ValidationError{Field: "config.description", Message: fmt.Sprintf("must be at most %d characters", InteractiveDescriptionMaxLen)}
	}
	if err := c.validateRecommendations(); err != nil {
		return err
	}
	for i, r := range c.CrisisRules {
		field := fmt.Sprintf("config.crisis_rules[%d]", i)
		q := c.question(r.QuestionID)
		if q == nil {
			return &ValidationError{Field: field + ".question_id", Message: fmt.Sprintf("unknown question %q", r.QuestionID)}
		}
		if len(r.OptionIDs) == 0 {
			return &ValidationError{Field: field + ".option_ids", Message: "at least one option is required"}
		}
		for _, id := range r.OptionIDs {
			if q.option(id) == nil {
				return &ValidationError{Field: field + ".option_ids", Message: fmt.Sprintf("unknown option %q of question %q", id, r.QuestionID)}
			}
		}
	}
	return nil
}

// validateRecommendations checks that each recommendation is a text for a level some band yields
// or for a profile some option has.
func (c InteractiveConfig) validateRecommendations() error {
	for _, level := range slices.Sorted(maps.Keys(c.Recommendations.Levels)) {
		field := "config.recommendations.levels." + string(level)
		if !slices.ContainsFunc(c.Bands, func(b InteractiveBand) bool { return b.Level == level }) {
			return &ValidationError{Field: field, Message: fmt.Sprintf("no band yields level %q", level)}
		}
		if err := interactiveCheckRecommendation(field, c.Recommendations.Levels[level]); err != nil {
			return err
		}
	}
	for _, profile := range slices.Sorted(maps.Keys(c.Recommendations.Profiles)) {
		field := "config.recommendations.profiles." + profile
		if !slices.Contains(c.Profiles(), profile) {
			return &ValidationError{Field: field, Message: fmt.Sprintf("no option has profile %q", profile)}
		}
		if err := interactiveCheckRecommendation(field, c.Recommendations.Profiles[profile]); err != nil {
			return err
		}
	}
	return nil
}

func interactiveCheckRecommendation(field, text string) error {
	if strings.TrimSpace(text) == "" {
		return &ValidationError{Field: field, Message: "is required"}
	}
	if utf8.RuneCountInString(text) > InteractiveRecommendationMaxLen {
		return &ValidationError{Field: field, Message: fmt.Sprintf("must be at most %d characters", InteractiveRecommendationMaxLen)}
	}
	return nil
}

// Levels are the levels the tool can yield, in the order of their scores.
func (c InteractiveConfig) Levels() []InteractiveLevel {
	sorted := slices.Clone(c.Bands)
	slices.SortFunc(sorted, func(a, b InteractiveBand) int { return a.MinScore - b.MinScore })
	out := make([]InteractiveLevel, 0, len(sorted))
	for _, b := range sorted {
		out = append(out, b.Level)
	}
	return out
}

// Profiles are the profiles the options point to, each once, in config order.
func (c InteractiveConfig) Profiles() []string {
	var out []string
	for _, q := range c.Questions {
		for _, o := range q.Options {
			if o.Profile != "" && !slices.Contains(out, o.Profile) {
				out = append(out, o.Profile)
			}
		}
	}
	return out
}

// Recommend returns the recommendations for a result: the level's text, then the profile's, each
// only when the config has one (level and profile may be empty).
func (c InteractiveConfig) Recommend(level InteractiveLevel, profile string) []string {
	out := []string{}
	if t := c.Recommendations.Levels[level]; level != "" && t != "" {
		out = append(out, t)
	}
	if t := c.Recommendations.Profiles[profile]; profile != "" && t != "" {
		out = append(out, t)
	}
	return out
}

// validateBands checks that the bands, if any, tile the reachable score range: each well-formed
// with its own level, and, in score order, each starting right after the previous one ends.
func (c InteractiveConfig) validateBands() error {
	if len(c.Bands) == 0 {
		return nil
	}
	for i, b := range c.Bands {
		field := fmt.Sprintf("config.bands[%d]", i)
		if _, err := ParseInteractiveLevel(string(b.Level)); err != nil {
			return &ValidationError{Field: field + ".level", Message: err.(*ValidationError).Message}
		}
		if slices.ContainsFunc(c.Bands[:i], func(p InteractiveBand) bool { return p.Level == b.Level }) {
			return &ValidationError{Field: field + ".level", Message: fmt.Sprintf("duplicate level %q", b.Level)}
		}
		if b.MinScore > b.MaxScore {
			return &ValidationError{Field: field, Message: "min_score must not exceed max_score"}
		}
	}
	sorted := slices.Clone(c.Bands)
	slices.SortFunc(sorted, func(a, b InteractiveBand) int { return a.MinScore - b.MinScore })
	for i := 1; i < len(sorted); i++ {
		prev, cur := sorted[i-1], sorted[i]
		if cur.MinScore <= prev.MaxScore {
			return &ValidationError{Field: "config.bands", Message: fmt.Sprintf("bands %s and %s overlap", prev.Level, cur.Level)}
		}
		if cur.MinScore > prev.MaxScore+1 {
			return &ValidationError{Field: "config.bands", Message: fmt.Sprintf("scores %d..%d fall in no band", prev.MaxScore+1, cur.MinScore-1)}
		}
	}
	lo, hi := c.scoreRange()
	if first := sorted[0]; first.MinScore > lo {
		return &ValidationError{Field: "config.bands", Message: fmt.Sprintf("scores from %d to %d fall in no band", lo, first.MinScore-1)}
	}
	if last := sorted[len(sorted)-1]; last.MaxScore < hi {
		return &ValidationError{Field: "config.bands", Message: fmt.Sprintf("scores from %d to %d fall in no band", last.MaxScore+1, hi)}
	}
	return nil
}

// Evaluate scores answers (question id → option id). Every question must be answered with one of
// its options, and nothing else may be answered. The level is the band of the total score; the
// profile is the most frequent profile of the chosen options, ties going to the profile that
// appears first in the config; the crisis flow is triggered when any crisis rule matches.
func (c InteractiveConfig) Evaluate(answers map[string]string) (InteractiveResult, error) {
	if err := c.Validate(); err != nil {
		return InteractiveResult{}, err
	}
	var res InteractiveResult
	counts := map[string]int{}
	for _, q := range c.Questions {
		id, ok := answers[q.ID]
		if !ok {
			return InteractiveResult{}, &ValidationError{Field: "answers." + q.ID, Message: "is required"}
		}
		o := q.option(id)
		if o == nil {
			return InteractiveResult{}, &ValidationError{Field: "answers." + q.ID, Message: fmt.Sprintf("unknown option %q", id)}
		}
		res.Score += o.Score
		if o.Profile != "" {
			counts[o.Profile]++
		}
	}
	if len(answers) > len(c.Questions) {
		unknown := make([]string, 0, len(answers))
		for id := range answers {
			if c.question(id) == nil {
				unknown = append(unknown, id)
			}
		}
		slices.Sort(unknown)
		return InteractiveResult{}, &ValidationError{Field: "answers." + unknown[0], Message: "unknown question"}
	}
	for _, b := range c.Bands {
		if b.MinScore <= res.Score && res.Score <= b.MaxScore {
			res.Level = b.Level
		}
	}
	// Profiles in config order, so that a tie is broken the same way every time.
	for _, q := range c.Questions {
		for _, o := range q.Options {
			if o.Profile != "" && counts[o.Profile] > counts[res.Profile] {
				res.Profile = o.Profile
			}
		}
	}
	for _, r := range c.CrisisRules {
		if slices.Contains(r.OptionIDs, answers[r.QuestionID]) {
			res.CrisisTriggered = true
		}
	}
	return res, nil
}

// InteractiveReservedSlug cannot name a tool: the site's API keeps /tools/runs/… for runs.
const InteractiveReservedSlug = "runs"

// InteractiveDefinitionFields are the editable fields of a definition.
type InteractiveDefinitionFields struct {
	Type      InteractiveType
	Slug      string
	Title     string
	TopicCode *string
	Config    InteractiveConfig
}

func (f InteractiveDefinitionFields) validate() (InteractiveDefinitionFields, error) {
	if _, err := ParseInteractiveType(string(f.Type)); err != nil {
		return f, err
	}
	if err := contentCheckSlug("slug", f.Slug); err != nil {
		return f, err
	}
	if f.Slug == InteractiveReservedSlug {
		return f, &ValidationError{Field: "slug", Message: fmt.Sprintf("%q is reserved", f.Slug)}
	}
	if err := contentCheckText("title", f.Title, ContentTitleMaxLen, true); err != nil {
		return f, err
	}
	if f.TopicCode != nil && *f.TopicCode == "" {
		f.TopicCode = nil
	}
	if f.TopicCode != nil {
		if err := contentCheckSlug("topic_code", *f.TopicCode); err != nil {
			return f, err
		}
	}
	return f, nil
}

// InteractiveDefinition is a self-help tool as an editor defines it. Drafts may hold an
// unfinished config; a published definition's config is always valid.
type InteractiveDefinition struct {
	ID    uuid.UUID       `gorm:"primaryKey"`
	Slug  string          `gorm:"uniqueIndex:interactive_definitions_slug_key"`
	Type  InteractiveType `gorm:"column:type;index:interactive_definitions_type_idx"`
	Title string
	// TopicCode refers to a content topic by its code (another context: no foreign key).
	TopicCode   *string `gorm:"index:interactive_definitions_topic_code_idx"`
	Publication `gorm:"embedded"`
	Config      InteractiveConfig `gorm:"serializer:json"`
	// Version guards against two editors overwriting each other's changes.
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewInteractiveDefinition creates a draft definition.
func NewInteractiveDefinition(f InteractiveDefinitionFields, now time.Time) (*InteractiveDefinition, error) {
	f, err := f.validate()
	if err != nil {
		return nil, err
	}
	d := &InteractiveDefinition{
		ID: NewID(), Publication: Publication{Status: PublicationDraft}, Version: 1, CreatedAt: now,
	}
	d.apply(f, now)
	return d, nil
}

func (d *InteractiveDefinition) apply(f InteractiveDefinitionFields, now time.Time) {
	d.Type, d.Slug, d.Title, d.TopicCode, d.Config = f.Type, f.Slug, f.Title, f.TopicCode, f.Config
	d.UpdatedAt = now
}

// Edit replaces the editable fields. A published definition must keep a valid config.
func (d *InteractiveDefinition) Edit(f InteractiveDefinitionFields, now time.Time) error {
	f, err := f.validate()
	if err != nil {
		return err
	}
	if d.IsPublished() {
		if err := f.Config.Validate(); err != nil {
			return err
		}
	}
	d.apply(f, now)
	return nil
}

// Publish makes the tool available on the site; its config must be valid.
func (d *InteractiveDefinition) Publish(now time.Time) error {
	if err := d.Config.Validate(); err != nil {
		return err
	}
	if err := d.Publication.publish(now); err != nil {
		return fmt.Errorf("publish interactive %s: %w", d.Slug, err)
	}
	d.UpdatedAt = now
	return nil
}

// Unpublish takes the tool back to draft for revision; runs already started can still complete.
func (d *InteractiveDefinition) Unpublish(now time.Time) error {
	if err := d.Publication.unpublish(now); err != nil {
		return fmt.Errorf("unpublish interactive %s: %w", d.Slug, err)
	}
	d.UpdatedAt = now
	return nil
}

// Archive retires the tool.
func (d *InteractiveDefinition) Archive(now time.Time) error {
	if err := d.Publication.archive(now); err != nil {
		return fmt.Errorf("archive interactive %s: %w", d.Slug, err)
	}
	d.UpdatedAt = now
	return nil
}

// InteractiveRunStatus is the lifecycle of a run.
type InteractiveRunStatus string

// Run statuses: in_progress → completed | abandoned.
const (
	InteractiveRunStatusInProgress InteractiveRunStatus = "in_progress"
	InteractiveRunStatusCompleted  InteractiveRunStatus = "completed"
	InteractiveRunStatusAbandoned  InteractiveRunStatus = "abandoned"
)

// ParseInteractiveRunStatus validates a run status name.
func ParseInteractiveRunStatus(s string) (InteractiveRunStatus, error) {
	switch st := InteractiveRunStatus(s); st {
	case InteractiveRunStatusInProgress, InteractiveRunStatusCompleted, InteractiveRunStatusAbandoned:
		return st, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("must be in_progress, completed or abandoned; got %q", s)}
}

// InteractiveRunMetadata says where a run came from.
type InteractiveRunMetadata struct {
	EntryPoint string `json:"entry_point,omitempty"`
	TopicCode  string `json:"topic_code,omitempty"`
	DeepLinkID string `json:"deep_link_id,omitempty"`
}

// interactiveMaxRefLen bounds the anonymous id and the metadata strings.
const interactiveMaxRefLen = 255

func (m InteractiveRunMetadata) validate() error {
	for field, v := range map[string]string{
		"metadata.entry_point": m.EntryPoint, "metadata.topic_code": m.TopicCode, "metadata.deep_link_id": m.DeepLinkID,
	} {
		if len(v) > interactiveMaxRefLen {
			return &ValidationError{Field: field, Message: fmt.Sprintf("must be at most %d bytes", interactiveMaxRefLen)}
		}
	}
	return nil
}

// InteractiveRun is one pass of a client (signed in or anonymous) through a tool.
type InteractiveRun struct {
	ID           uuid.UUID `gorm:"primaryKey"`
	DefinitionID uuid.UUID `gorm:"index:interactive_runs_definition_idx,priority:1"`
	// UserID is nil for anonymous runs, and becomes nil when the user is erased.
	UserID          *uuid.UUID           `gorm:"index:interactive_runs_user_idx,priority:1"`
	AnonymousID     *string              `gorm:"index:interactive_runs_anonymous_idx"`
	Status          InteractiveRunStatus `gorm:"index:interactive_runs_status_idx,priority:1"`
	StartedAt       time.Time            `gorm:"index:interactive_runs_definition_idx,priority:2;index:interactive_runs_user_idx,priority:2;index:interactive_runs_status_idx,priority:2"`
	CompletedAt     *time.Time
	ResultLevel     *InteractiveLevel
	ResultProfile   *string
	CrisisTriggered bool
	DurationMs      *int64
	Metadata        InteractiveRunMetadata `gorm:"serializer:json"`
	// TokenHash is the SHA-256 of the run token the visitor got when starting the run: the token
	// alone lets them complete the run and read its result. nil for runs started before tokens.
	TokenHash *string

	Definition *InteractiveDefinition `gorm:"foreignKey:DefinitionID"`

	Recorder `gorm:"-"`
}

// NewInteractiveRun starts a run of a published definition for a user, an anonymous visitor
// (anonymousID, e.g. a cookie) or both.
func NewInteractiveRun(def *InteractiveDefinition, userID *uuid.UUID, anonymousID *string, meta InteractiveRunMetadata, now time.Time) (*InteractiveRun, error) {
	if def == nil {
		return nil, &ValidationError{Field: "definition", Message: "is required"}
	}
	if !def.IsPublished() {
		return nil, &ValidationError{Field: "definition", Message: "is not published"}
	}
	if userID != nil && *userID == uuid.Nil {
		return nil, &ValidationError{Field: "user_id", Message: "must be a user id"}
	}
	if anonymousID != nil {
		a := strings.TrimSpace(*anonymousID)
		switch {
		case a == "":
			anonymousID = nil
		case len(a) > interactiveMaxRefLen:
			return nil, &ValidationError{Field: "anonymous_id", Message: fmt.Sprintf("must be at most %d bytes", interactiveMaxRefLen)}
		default:
			anonymousID = &a
		}
	}
	if userID == nil && anonymousID == nil {
		return nil, &ValidationError{Field: "user_id", Message: "a run needs a user or an anonymous id"}
	}
	if err := meta.validate(); err != nil {
		return nil, err
	}
	return &InteractiveRun{
		ID: NewID(), DefinitionID: def.ID, UserID: userID, AnonymousID: anonymousID,
		Status: InteractiveRunStatusInProgress, StartedAt: now, Metadata: meta, Definition: def,
	}, nil
}

// SetTokenHash stores the hash of the run's token.
func (r *InteractiveRun) SetTokenHash(hash string) error {
	if hash == "" {
		return &ValidationError{Field: "token_hash", Message: "is required"}
	}
	r.TokenHash = &hash
	return nil
}

// Complete scores answers with def (the run's definition) and keeps only the result: the answers
// themselves are not stored anywhere.
func (r *InteractiveRun) Complete(def *InteractiveDefinition, answers map[string]string, now time.Time) (InteractiveResult, error) {
	if r.Status != InteractiveRunStatusInProgress {
		return InteractiveResult{}, fmt.Errorf("complete %s run: %w", r.Status, ErrInvalidTransition)
	}
	if def == nil || def.ID != r.DefinitionID {
		return InteractiveResult{}, &ValidationError{Field: "definition", Message: "is not the definition of this run"}
	}
	res, err := def.Config.Evaluate(answers)
	if err != nil {
		return InteractiveResult{}, err
	}
	r.Status = InteractiveRunStatusCompleted
	r.CompletedAt = &now
	duration := max(now.Sub(r.StartedAt).Milliseconds(), 0)
	r.DurationMs = &duration
	r.ResultLevel, r.ResultProfile = nil, nil
	if res.Level != "" {
		r.ResultLevel = &res.Level
	}
	if res.Profile != "" {
		r.ResultProfile = &res.Profile
	}
	r.CrisisTriggered = res.CrisisTriggered
	// The result is about the client's state: the event carries ids and the crisis flag only (the
	// flag, so that the owner is alerted at once; never the level, profile or answers).
	r.Record(InteractiveRunCompleted{EventMeta: NewEventMeta(r.ID, now), RunID: r.ID, DefinitionID: r.DefinitionID, CrisisTriggered: res.CrisisTriggered})
	return res, nil
}

// Abandon marks a run that was left unfinished; its duration says how long the client stayed.
func (r *InteractiveRun) Abandon(now time.Time) error {
	if r.Status != InteractiveRunStatusInProgress {
		return fmt.Errorf("abandon %s run: %w", r.Status, ErrInvalidTransition)
	}
	r.Status = InteractiveRunStatusAbandoned
	duration := max(now.Sub(r.StartedAt).Milliseconds(), 0)
	r.DurationMs = &duration
	return nil
}

// InteractiveRunCompleted: a client finished a self-help tool. It carries ids and whether the crisis
// rules fired (the owner is alerted then), never the result: that describes the client's state.
type InteractiveRunCompleted struct {
	EventMeta
	RunID           uuid.UUID `json:"run_id"`
	DefinitionID    uuid.UUID `json:"definition_id"`
	CrisisTriggered bool      `json:"crisis_triggered"`
}

// EventName implements Event.
func (InteractiveRunCompleted) EventName() string { return "interactive_run.completed" }
