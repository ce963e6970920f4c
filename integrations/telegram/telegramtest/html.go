package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
)

// Tags of Telegram's HTML parse mode.
var supportedTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true,
	"del": true, "span": true, "tg-spoiler": true, "a": true, "tg-emoji": true, "code": true, "pre": true,
	"blockquote": true,
}

var namedEntities = map[string]string{"lt": "<", "gt": ">", "amp": "&", "quot": `"`}

// parseHTML checks text the way Telegram parses the HTML parse mode and returns the visible text:
// tags must be supported and nested properly, and every '<' and '&' must start a tag or an entity
// (the named ones Telegram knows, or a numeric one). Telegram's own parser forgives a stray '&'; this
// one does not, so a missed EscapeHTML shows in tests.
func parseHTML(text string) (string, error) {
	var visible strings.Builder
	var open []string
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 || strings.ContainsRune(text[i+1:i+end], '<') {
				return "", fmt.Errorf("Unclosed start tag at byte offset %d", i)
			}
			tag := text[i+1 : i+end]
			if name, closing := strings.CutPrefix(tag, "/"); closing {
				name = strings.ToLower(strings.TrimSpace(name))
				if len(open) == 0 || open[len(open)-1] != name {
					return "", fmt.Errorf("Unmatched end tag at byte offset %d, found \"</%s>\"", i, name)
				}
				open = open[:len(open)-1]
			} else {
				name := tag
				if fields := strings.Fields(tag); len(fields) > 0 {
					name = strings.ToLower(fields[0])
				}
				if !supportedTags[name] {
					return "", fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, i)
				}
				open = append(open, name)
			}
			i += end + 1
		case '&':
			end := strings.IndexByte(text[i:], ';')
			if end < 0 {
				return "", fmt.Errorf("Character '&' at byte offset %d must be escaped", i)
			}
			decoded, ok := decodeEntity(text[i+1 : i+end])
			if !ok {
				return "", fmt.Errorf("Character '&' at byte offset %d must be escaped", i)
			}
			visible.WriteString(decoded)
			i += end + 1
		default:
			visible.WriteByte(text[i])
			i++
		}
	}
	if len(open) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", open[len(open)-1])
	}
	return visible.String(), nil
}

func decodeEntity(name string) (string, bool) {
	if s, ok := namedEntities[name]; ok {
		return s, true
	}
	digits, base := strings.TrimPrefix(name, "#"), 10
	if digits == name {
		return "", false
	}
	if hex, ok := strings.CutPrefix(strings.ToLower(digits), "x"); ok {
		digits, base = hex, 16
	}
	n, err := strconv.ParseUint(digits, base, 21)
	if err != nil || n == 0 || n > 0x10FFFF {
		return "", false
	}
	return string(rune(n)), true
}
