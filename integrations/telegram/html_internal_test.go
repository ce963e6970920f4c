package telegram

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestSplitHTMLSmallLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"fits", "abc\ndef", 7, []string{"abc\ndef"}},
		{"at the last line break that fits", "abc\ndef\nghi", 8, []string{"abc\ndef", "ghi"}},
		{"a line break first", "\nabcdef", 4, []string{"\nabc", "def"}},
		{"line breaks before spaces", "ab cd\nef gh ij kl", 9, []string{"ab cd", "ef gh ij ", "kl"}},
		{"at a space", "aaa bbb ccc", 8, []string{"aaa bbb ", "ccc"}},
		{"anywhere", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"entities stay whole", "ab&amp;cd", 4, []string{"ab", "&amp;", "cd"}},
		{"tags stay whole", "ab<i>cd</i>", 9, []string{"ab", "<i>cd</i>"}},
		{"tags close and reopen", "<b>abcdefgh</b>", 12, []string{"<b>abcde</b>", "<b>fgh</b>"}},
		{"nested tags", "<b><i>abcdef</i></b>", 17, []string{"<b><i>abc</i></b>", "<b><i>def</i></b>"}},
		{"an attribute is kept", `<a href="x">abcdef</a>`, 19, []string{`<a href="x">abc</a>`, `<a href="x">def</a>`}},
		{"a closed tag is not reopened", "<b>ab</b>cdefghijk", 9, []string{"<b>ab</b>", "cdefghijk"}},
		{"surrogate pairs count twice", "😀😀😀", 4, []string{"😀😀", "😀"}},
		{"blank parts are dropped", "ab\n\n\n\n\n\ncd", 2, []string{"ab", "cd"}},
		{"a stray < is a character", "a<b<c", 2, []string{"a<", "b<", "c"}},
		{"a stray & is a character", "a&b&;c&", 2, []string{"a&", "b&", ";c", "&"}},
		{"an overlong entity is characters", "&" + strings.Repeat("a", 40) + ";", 30, []string{"&" + strings.Repeat("a", 29), strings.Repeat("a", 11) + ";"}},
		{"reopened tags longer than the limit still progress", `<a href="https://x.example">abc</a>`, 8, []string{`<a href="https://x.example">a</a>`, `<a href="https://x.example">b</a>`, `<a href="https://x.example">c</a>`}},
	}
	for _, tt := range tests {
		if got := splitHTML(tt.text, tt.limit); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTokenize(t *testing.T) {
	t.Parallel()
	ps := tokenize(`<A HREF="x">я&#128512;</a>` + "\n<br/>&")
	var kinds []pieceKind
	var names []string
	for _, p := range ps {
		kinds, names = append(kinds, p.kind), append(names, p.name)
	}
	if !slices.Equal(kinds, []pieceKind{openTag, textPiece, textPiece, closeTag, newlinePiece, openTag, textPiece}) ||
		!slices.Equal(names, []string{"a", "", "", "a", "", "br", ""}) {
		t.Errorf("kinds %v names %q", kinds, names)
	}
}

var anyTag = regexp.MustCompile(`<[^<>]*>`)

// FuzzSplitHTML checks the promises of splitHTML on any input: every piece of the text survives in
// order (line breaks and blank parts aside), no part exceeds the limit when tags are short, and
// parts of well-formed input are well-formed.
func FuzzSplitHTML(f *testing.F) {
	for _, seed := range []string{
		"plain text", "<b>bold</b> and <i>it&amp;alic</i>\nline two", "😀 emoji <code>x</code>",
		strings.Repeat("word ", 30), "<b>" + strings.Repeat("ж", 50) + "</b>", "&lt;&gt;&#65;&#x41;",
	} {
		f.Add(seed, 16)
	}
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if limit < 1 || limit > 5000 || !utf8Valid(text) {
			t.Skip()
		}
		parts := splitHTML(text, limit)
		strip := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, anyTag.ReplaceAllString(s, ""))
		}
		if got, want := strip(strings.Join(parts, "")), strip(text); got != want {
			t.Fatalf("visible text changed:\n got %q\nwant %q", got, want)
		}
		wellFormed := balanced(text)
		for _, p := range parts {
			if strings.TrimSpace(anyTag.ReplaceAllString(p, "")) == "" {
				t.Errorf("blank part %q", p)
			}
			if wellFormed && !balanced(p) {
				t.Errorf("part %q of well-formed text is not", p)
			}
			if limit >= 64 && !strings.Contains(text, "<") && utf16Len(p) > limit {
				t.Errorf("part of %d units, limit %d", utf16Len(p), limit)
			}
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// balanced reports whether the tags nest properly.
func balanced(s string) bool {
	var open []string
	for _, p := range tokenize(s) {
		switch p.kind {
		case openTag:
			open = append(open, p.name)
		case closeTag:
			if len(open) == 0 || open[len(open)-1] != p.name {
				return false
			}
			open = open[:len(open)-1]
		}
	}
	return len(open) == 0
}
