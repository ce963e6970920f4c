package models

import (
	"fmt"
	"regexp"
	"unicode/utf8"
)

// Intake form bounds: enough for a questionnaire, not a dumping ground.
const (
	intakeMaxAnswers   = 100
	intakeMaxTextRunes = 5000
	intakeMaxListItems = 50
)

var intakeKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Validate checks answers as a client sends them: question codes as keys; strings, numbers,
// booleans or lists of strings as values, within bounds. Messages name the question, never the
// answer (P2). Answers are validated once, where the request comes in.
func (a IntakeAnswers) Validate() error {
	if len(a) > intakeMaxAnswers {
		return &ValidationError{Field: "answers", Message: fmt.Sprintf("must hold at most %d answers", intakeMaxAnswers)}
	}
	for k, v := range a {
		field := "answers." + k
		if !intakeKeyRe.MatchString(k) {
			return &ValidationError{Field: "answers", Message: "question codes are lower-case letters, digits and _, at most 64"}
		}
		switch x := v.(type) {
		case string:
			if utf8.RuneCountInString(x) > intakeMaxTextRunes {
				return &ValidationError{Field: field, Message: fmt.Sprintf("must be at most %d characters", intakeMaxTextRunes)}
			}
		case float64, bool, nil:
		case []any:
			if len(x) > intakeMaxListItems {
				return &ValidationError{Field: field, Message: fmt.Sprintf("must list at most %d items", intakeMaxListItems)}
			}
			for _, item := range x {
				s, ok := item.(string)
				if !ok || utf8.RuneCountInString(s) > intakeMaxTextRunes {
					return &ValidationError{Field: field, Message: "must list strings"}
				}
			}
		default:
			return &ValidationError{Field: field, Message: "must be a string, number, boolean or list of strings"}
		}
	}
	return nil
}
