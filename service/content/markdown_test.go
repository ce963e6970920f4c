package content_test

import (
	"strings"
	"testing"

	"balance/service/content"
)

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		name, src      string
		has, hasNot    []string
		readingMinutes int
	}{
		{name: "headings get transliterated, unique ids", src: "# Как уснуть\n\n## Как уснуть\n\n### Шаг 1: дыхание!",
			has: []string{`<h1 id="kak-usnut">Как уснуть</h1>`, `<h2 id="kak-usnut-1">`, `<h3 id="shag-1-dykhanie">`}, readingMinutes: 1},
		{name: "soft sign vanishes", src: "## Мысль и Ночь", has: []string{`id="mysl-i-noch"`}, readingMinutes: 1},
		{name: "punctuation-only heading", src: "## ???", has: []string{`id="section"`}, readingMinutes: 0},
		{name: "raw html and scripts are dropped", src: "Текст <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n<script>alert(2)</script>",
			hasNot: []string{"<script", "onerror", "alert(1)</script>"}, readingMinutes: 1},
		{name: "javascript links are not links", src: "[жми](javascript:alert(1))", hasNot: []string{"javascript:"}, readingMinutes: 1},
		{name: "GFM: tables, strikethrough, autolinks", src: "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~нет~~ https://example.org",
			has: []string{"<table>", "<td>1</td>", "<del>нет</del>", `<a href="https://example.org" rel="nofollow">`}, readingMinutes: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := content.Render(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.has {
				if !strings.Contains(r.HTML, s) {
					t.Errorf("HTML %q lacks %q", r.HTML, s)
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(r.HTML, s) {
					t.Errorf("HTML %q holds %q", r.HTML, s)
				}
			}
			if r.ReadingMinutes != tc.readingMinutes {
				t.Errorf("reading minutes %d, want %d", r.ReadingMinutes, tc.readingMinutes)
			}
		})
	}
}

func TestReadingMinutes(t *testing.T) {
	for words, want := range map[int]int{0: 0, 1: 1, 180: 1, 181: 2, 900: 5} {
		if got := content.ReadingMinutes(strings.Repeat("слово ", words)); got != want {
			t.Errorf("%d words: %d minutes, want %d", words, got, want)
		}
	}
	if _, err := content.Render(strings.Repeat("a", content.MaxMarkdownBytes+1)); err != content.ErrTooLong {
		t.Errorf("a text over the bound: %v", err)
	}
}
