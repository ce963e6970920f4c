package telegram

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxMessageLength is Telegram's limit for a message's text. Telegram counts characters after
// parsing the markup; SplitHTML counts UTF-16 code units of the raw HTML (tags and entities
// included, an emoji counts twice), an upper bound of what Telegram counts.
const MaxMessageLength = 4096

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// EscapeHTML makes s safe to put in a message sent with the HTML parse mode: it replaces &, <, >
// (and ", harmless) with entities. Everything a user wrote must go through it.
func EscapeHTML(s string) string { return htmlEscaper.Replace(s) }

// SplitHTML cuts an HTML message into parts Telegram accepts, in order. Text that fits is one part.
// Longer text is cut at the last line break that fits (the line break itself is dropped), a line
// longer than a message at the last space that fits, and a line without one at any character. A
// cut never falls inside a tag or an entity; a tag open at a cut is closed at the end of the part
// and opened again at the start of the next, so every part is valid HTML. Parts with no visible text
// are dropped, so blank text gives no parts.
func SplitHTML(text string) []string { return splitHTML(text, MaxMessageLength) }

type pieceKind int

const (
	textPiece pieceKind = iota // a character or an entity, visible
	newlinePiece
	openTag
	closeTag
)

// piece is an atom of HTML that a cut never splits.
type piece struct {
	raw   string
	kind  pieceKind
	name  string // a tag's name
	units int    // UTF-16 code units of raw
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// tokenize cuts s into pieces. Markup that does not parse ('<' with no '>', '&' that starts no
// entity) becomes plain characters: Telegram will refuse it, but splitting must still end.
func tokenize(s string) []piece {
	var ps []piece
	for i := 0; i < len(s); {
		var p piece
		switch c := s[i]; {
		case c == '<' && tagEnd(s[i:]) > 0:
			p.raw = s[i : i+tagEnd(s[i:])]
			p.kind, p.name = openTag, tagName(p.raw[1:])
			if strings.HasPrefix(p.raw, "</") {
				p.kind, p.name = closeTag, tagName(p.raw[2:])
			}
		case c == '&' && entityEnd(s[i:]) > 0:
			p.raw = s[i : i+entityEnd(s[i:])]
		case c == '\n':
			p.raw, p.kind = "\n", newlinePiece
		default:
			_, size := utf8.DecodeRuneInString(s[i:])
			p.raw = s[i : i+size]
		}
		p.units = utf16Len(p.raw)
		ps = append(ps, p)
		i += len(p.raw)
	}
	return ps
}

// tagEnd is the length of the tag s starts with, 0 if '>' does not close it before another '<'.
func tagEnd(s string) int {
	end := strings.IndexAny(s[1:], "<>")
	if end < 0 || s[1+end] != '>' {
		return 0
	}
	return end + 2
}

func tagName(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '>' || r == '/' })
	if end < 0 {
		end = len(s)
	}
	return strings.ToLower(s[:end])
}

// entityEnd is the length of the entity s starts with (&name; or &#digits;), 0 if none.
func entityEnd(s string) int {
	const maxEntity = 32
	for i := 1; i < len(s) && i < maxEntity; i++ {
		switch c := s[i]; {
		case c == ';':
			if i == 1 {
				return 0
			}
			return i + 1
		case c == '#' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		default:
			return 0
		}
	}
	return 0
}

// cut is a place to end a part: before pieces[at], resuming at pieces[next] with the tags in open
// still open.
type cut struct {
	at, next int
	open     []piece
}

func splitHTML(text string, limit int) []string {
	if utf16Len(text) <= limit {
		if blank(tokenize(text)) {
			return nil
		}
		return []string{text}
	}
	ps := tokenize(text)
	var parts []string
	var reopened []piece // tags carried over from the previous part
	for start := 0; start < len(ps); {
		c := bestCut(ps, start, reopened, limit)
		part := append(append([]piece{}, reopened...), ps[start:c.at]...)
		if !blank(part) {
			var b strings.Builder
			for _, p := range part {
				b.WriteString(p.raw)
			}
			b.WriteString(closers(c.open))
			parts = append(parts, b.String())
		}
		start, reopened = c.next, c.open
	}
	return parts
}

// bestCut finds where the part that starts at ps[start] (after the reopened tags) ends: the whole
// rest if it fits; else the last line break that fits, else the last space, else the last piece.
// Every part takes at least one piece, so splitting always ends.
func bestCut(ps []piece, start int, reopened []piece, limit int) cut {
	stack := append([]piece{}, reopened...) // tags open before ps[i]
	used := 0                               // units of the part before ps[i], reopened tags included
	for _, p := range reopened {
		used += p.units
	}
	var atNewline, atSpace, atAny *cut
	for i := start; ; i++ {
		// Cutting before ps[i] costs used plus the closing tags; for well-nested markup the cost
		// only grows with i, so the first cut that does not fit ends the search.
		if used+closersUnits(stack) > limit {
			break
		}
		if i == len(ps) {
			return cut{at: i, next: i, open: stack}
		}
		p := ps[i]
		// Not at the start, and not right after an opening tag: the part would end in "<b></b>".
		if i > start && ps[i-1].kind != openTag {
			atAny = &cut{at: i, next: i, open: stack}
			if p.kind == newlinePiece {
				atNewline = &cut{at: i, next: i + 1, open: stack}
			}
		}
		if p.raw == " " && used+p.units+closersUnits(stack) <= limit {
			atSpace = &cut{at: i + 1, next: i + 1, open: stack}
		}
		stack = withTag(stack, p)
		used += p.units
	}
	for _, c := range []*cut{atNewline, atSpace, atAny} {
		if c != nil {
			return *c
		}
	}
	// Nothing fits (the reopened tags, or a first tag, alone exceed the limit): take one piece anyway.
	return cut{at: start + 1, next: start + 1, open: withTag(reopened, ps[start])}
}

// withTag returns the tags open after p, given those open before it. It never changes stack in
// place, so cuts can keep earlier stacks.
func withTag(stack []piece, p piece) []piece {
	switch p.kind {
	case openTag:
		return append(stack[:len(stack):len(stack)], p)
	case closeTag:
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].name == p.name {
				return stack[:i:i]
			}
		}
	}
	return stack
}

// closers closes the open tags, innermost first.
func closers(open []piece) string {
	var b strings.Builder
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteString("</" + open[i].name + ">")
	}
	return b.String()
}

func closersUnits(open []piece) int {
	n := 0
	for _, p := range open {
		n += len("</>") + utf16Len(p.name)
	}
	return n
}

// blank reports whether the pieces show nothing but white space.
func blank(ps []piece) bool {
	for _, p := range ps {
		if p.kind == textPiece && strings.TrimSpace(p.raw) != "" {
			return false
		}
	}
	return true
}
