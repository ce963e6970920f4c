package handlers

import "testing"

func TestBadJSONTextPaths(t *testing.T) {
	for _, tc := range []struct {
		name, body, path string
		ok               bool
	}{
		{"clean", `{"a":"b","c":[1,"d",{"e":null}]}`, "", true},
		{"escaped backslash before u0000 is not a NUL", `{"a":"\\u0000"}`, "", true},
		{"lone surrogate escape is replaced, not refused", `{"a":"\ud800"}`, "", true},
		{"NUL in a top-level value", `{"a":"x\u0000"}`, "a", false},
		{"NUL after nested values", `{"a":{"b":[1,2]},"c":{"d":"e\u0000"}}`, "c.d", false},
		{"invalid byte in an array", "{\"a\":[\"ok\",true,\"\xff\"]}", "a[2]", false},
		{"invalid byte in a nested array", "{\"a\":[[\"x\"],{\"b\":\"\xc3\"}]}", "a[1].b", false},
		{"invalid byte in a key", "{\"k\xff\":1}", "k\uFFFD", false},
		{"NUL in a key", `{"o":{"k\u0000":1}}`, `o.k\u0000`, false},
		{"a bare string", `"\u0000"`, "body", false},
		{"an array of strings", `["a","\u0000"]`, "[1]", false},
		{"malformed JSON is left to the decoder", "{\"a\":\"\xff", "", true},
		{"invalid byte outside strings is left to the decoder", "{\"a\":1\xff}", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, ok := badJSONText([]byte(tc.body))
			if ok != tc.ok || path != tc.path {
				t.Errorf("badJSONText(%q) = %q, %v; want %q, %v", tc.body, path, ok, tc.path, tc.ok)
			}
		})
	}
}

func TestBadQueryField(t *testing.T) {
	for _, tc := range []struct{ raw, field string }{
		{"a=1&b=%D0%B0", ""},
		{"a=1&b=%00", "b"},
		{"tz=%FF", "tz"},
		{"a=1&%FF=1", "query[1]"},
		{"a=%zz", ""}, // not decodable: the handler's own parsing answers for it
	} {
		field, ok := badQueryField(tc.raw)
		if field != tc.field || ok != (tc.field == "") {
			t.Errorf("badQueryField(%q) = %q, %v; want %q", tc.raw, field, ok, tc.field)
		}
	}
}
