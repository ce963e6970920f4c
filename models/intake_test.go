package models_test

import (
	"errors"
	"strings"
	"testing"

	"balance/models"
)

func TestIntakeAnswersValidate(t *testing.T) {
	many := models.IntakeAnswers{}
	for i := range 101 {
		many["q"+strings.Repeat("x", i%60)+string(rune('a'+i%26))+string(rune('a'+i/26))] = true
	}
	list := make([]any, 51)
	for i := range list {
		list[i] = "x"
	}
	tests := []struct {
		name    string
		answers models.IntakeAnswers
		field   string // "" when valid
	}{
		{"every kind of answer", models.IntakeAnswers{"mood": "тревожно", "sleep_hours": 6.5, "first_time": true, "goals": []any{"сон", "работа"}, "skipped": nil}, ""},
		{"none", models.IntakeAnswers{}, ""},
		{"too many", many, "answers"},
		{"a code that is no code", models.IntakeAnswers{"Mood!": "x"}, "answers"},
		{"a text too long", models.IntakeAnswers{"story": strings.Repeat("я", 5001)}, "answers.story"},
		{"a list too long", models.IntakeAnswers{"goals": list}, "answers.goals"},
		{"a list of numbers", models.IntakeAnswers{"goals": []any{1.0}}, "answers.goals"},
		{"an object", models.IntakeAnswers{"nested": map[string]any{"a": "b"}}, "answers.nested"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.answers.Validate()
			var ve *models.ValidationError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field != "" && (!errors.As(err, &ve) || ve.Field != tc.field):
				t.Fatalf("err = %v, want a validation error of %s", err, tc.field)
			case ve != nil && strings.Contains(ve.Message, "я"):
				t.Fatal("the message repeats the answer")
			}
		})
	}
}
