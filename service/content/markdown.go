// Package content holds the use cases of the public library: reading it (Library: topics, tags,
// cursor pages of published items with search, one item rendered with its related items),
// rendering an article's Markdown to safe HTML (for the admin preview and the public site alike)
// and publishing the drafts whose scheduled time has come.
package content

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

// MaxMarkdownBytes bounds what Render accepts: far above any article, far below what would make
// one request costly.
const MaxMarkdownBytes = 200_000

// WordsPerMinute is the reading speed of the estimate: an adult reading Russian prose silently.
const WordsPerMinute = 180

// Rendered is a Markdown text as the site shows it.
type Rendered struct {
	// HTML is sanitised: no scripts, styles, event handlers or javascript: links survive.
	HTML string
	// ReadingMinutes estimates the reading time, rounded up; 0 for a text without words.
	ReadingMinutes int
}

// ErrTooLong: the text is longer than MaxMarkdownBytes.
var ErrTooLong = fmt.Errorf("the text exceeds %d bytes", MaxMarkdownBytes)

// markdown is CommonMark with GitHub's tables, strikethrough, autolinks and task lists. Raw HTML
// in the source is dropped by goldmark (no WithUnsafe); the sanitiser below is the second line.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
)

// policy is bluemonday's policy for user-generated content: the usual formatting, links (with
// rel="nofollow"), images and tables; ids (the headings' anchors) are kept.
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return p
}()

// Render turns Markdown into sanitised HTML, each heading with an id to link to ("#kak-usnut"),
// and estimates the reading time. It never fails on content; only a text above
// MaxMarkdownBytes is refused.
func Render(src string) (Rendered, error) {
	if len(src) > MaxMarkdownBytes {
		return Rendered{}, ErrTooLong
	}
	if !utf8.ValidString(src) {
		src = strings.ToValidUTF8(src, "\uFFFD")
	}
	var out bytes.Buffer
	ctx := parser.NewContext(parser.WithIDs(&headingIDs{used: map[string]bool{}}))
	if err := markdown.Convert([]byte(src), &out, parser.WithContext(ctx)); err != nil {
		// goldmark fails only when writing fails, and a bytes.Buffer does not.
		return Rendered{}, fmt.Errorf("render markdown: %w", err)
	}
	return Rendered{HTML: policy.Sanitize(out.String()), ReadingMinutes: ReadingMinutes(src)}, nil
}

// ReadingMinutes estimates how long src takes to read at WordsPerMinute, rounded up: 0 without
// words. A word is a run of letters or digits; Markdown's punctuation does not count.
func ReadingMinutes(src string) int {
	words := len(strings.FieldsFunc(src, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
	return (words + WordsPerMinute - 1) / WordsPerMinute
}

// headingIDs makes URL-friendly anchors: Cyrillic transliterated, letters and digits kept in
// lower case, anything else one dash; "section" when nothing is left; repeats numbered -1, -2, ...
type headingIDs struct{ used map[string]bool }

func (h *headingIDs) Generate(value []byte, _ ast.NodeKind) []byte {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(string(value)) {
		s, ok := translit[r]
		switch {
		case ok && s == "": // the hard and soft signs vanish
			continue
		case ok:
		case r <= unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			s = string(r)
		default:
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(s)
	}
	id := b.String()
	if id == "" {
		id = "section"
	}
	base := id
	for i := 1; h.used[id]; i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	h.used[id] = true
	return []byte(id)
}

func (h *headingIDs) Put(value []byte) { h.used[string(value)] = true }

// translit is a Russian transliteration for anchors (the passport system, without apostrophes).
var translit = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "",
	'э': "e", 'ю': "iu", 'я': "ia",
}
