package telegram_test

import (
	"testing"

	"balance/integrations/telegram"
)

func TestEscapeHTML(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"Анна", "Анна"},
		{"<script>alert(1)</script> & co", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"},
		{"&amp;", "&amp;amp;"},
		{`"quoted" 'single'`, "&quot;quoted&quot; 'single'"},
		{"a<b>c", "a&lt;b&gt;c"},
	}
	for _, tt := range tests {
		if got := telegram.EscapeHTML(tt.in); got != tt.want {
			t.Errorf("EscapeHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitHTMLShortText(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]int{"Привет": 1, "": 0, "\n \n": 0, "<b></b>": 0, "<b>!</b>": 1} {
		if got := telegram.SplitHTML(text); len(got) != want || (want == 1 && got[0] != text) {
			t.Errorf("SplitHTML(%q) = %q", text, got)
		}
	}
}
