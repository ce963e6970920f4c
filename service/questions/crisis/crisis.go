// Package crisis recognises Russian text in which someone writes of a crisis (suicide, self-harm)
// by a configurable list of phrases, with Russian morphology considered: every word of the text
// and of the phrases is reduced to its stem by the Snowball Russian stemmer, so "покончила с собой"
// matches the phrase "покончить с собой" and "суицидальные мысли" matches "суицид".
//
// A match makes a question a priority for the psychologist; it decides nothing on its own. The
// rules therefore prefer a false alarm to a missed crisis (docs/site.md, "Questions and answers").
package crisis

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/russian"
)

// MaxGap is how many other words may stand between two consecutive words of a phrase:
// "не хочу больше жить" matches "не хочу жить".
const MaxGap = 2

// prefixMinRunes: a phrase's stem at least this long also matches words that begin with it
// (derivatives: "суицид" matches "суицидальные", "причинить" matches "причиняю"); shorter stems
// must match exactly, so that "уб" (убить) does not match "убрать".
const prefixMinRunes = 5

// reflexive maps the forms of the reflexive pronoun to one, whose stems differ otherwise
// ("себя" → "себ", "собой" → "соб").
var reflexive = map[string]string{"себе": "себя", "собой": "себя", "собою": "себя"}

// Detector finds crisis phrases in text. The zero value finds nothing; it is safe for concurrent use.
type Detector struct {
	phrases [][]string
}

// New returns a detector of phrases (each one or more words; case, ё and punctuation do not
// matter). A phrase without a word of at least three letters is an error: it would match
// almost any text.
func New(phrases []string) (*Detector, error) {
	d := &Detector{}
	for _, p := range phrases {
		stems := stemWords(p)
		long := false
		for _, w := range words(p) {
			long = long || utf8.RuneCountInString(w) >= 3
		}
		if !long {
			return nil, fmt.Errorf("crisis phrase %q has no word of three letters or more", p)
		}
		d.phrases = append(d.phrases, stems)
	}
	return d, nil
}

// Detect reports whether text holds one of the phrases, its words in order within one sentence.
func (d *Detector) Detect(text string) bool {
	if d == nil || len(d.phrases) == 0 {
		return false
	}
	for _, sentence := range strings.FieldsFunc(normalize(text), sentenceEnd) {
		stems := stemWords(sentence)
		for _, p := range d.phrases {
			for i := range stems {
				if matchFrom(stems, i, p) {
					return true
				}
			}
		}
	}
	return false
}

// matchFrom reports whether phrase matches stems with its first word at stems[at] and each next
// word at most MaxGap words after the previous one.
func matchFrom(stems []string, at int, phrase []string) bool {
	if !matches(stems[at], phrase[0]) {
		return false
	}
	if len(phrase) == 1 {
		return true
	}
	for next := at + 1; next < len(stems) && next <= at+1+MaxGap; next++ {
		if matchFrom(stems, next, phrase[1:]) {
			return true
		}
	}
	return false
}

func matches(word, stem string) bool {
	return word == stem || (utf8.RuneCountInString(stem) >= prefixMinRunes && strings.HasPrefix(word, stem))
}

// normalize lower-cases s and writes ё as е (Russian text uses both for the same letter).
func normalize(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}

// sentenceEnd splits text into sentences: a phrase does not run from one into the next.
func sentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', ';', '…', '\n', '\r':
		return true
	}
	return false
}

// words splits s into its words (letters and digits; anything else separates them, hyphens too).
func words(s string) []string {
	return strings.FieldsFunc(normalize(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// stemWords is the stems of the words of s.
func stemWords(s string) []string {
	ws := words(s)
	for i, w := range ws {
		if canon, ok := reflexive[w]; ok {
			w = canon
		}
		ws[i] = russian.Stem(w, true)
	}
	return ws
}
