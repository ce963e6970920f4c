package emailtest_test

import (
	"strings"
	"testing"

	"balance/integrations/email/emailtest"
)

func raw(headers string, body string) emailtest.Message {
	return emailtest.Message{Raw: []byte(strings.ReplaceAll(headers, "\n", "\r\n") + "\r\n" + body)}
}

const addrHeaders = "From: =?utf-8?b?0JHQsNC70LDQvdGB?= <noreply@balance.example>\nTo: a@example.com, b@example.com\n" +
	"Subject: =?UTF-8?q?=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82?=\n"

func TestParse(t *testing.T) {
	t.Parallel()
	t.Run("multipart with base64 and 7bit parts", func(t *testing.T) {
		t.Parallel()
		m := raw(addrHeaders+"Content-Type: multipart/alternative; boundary=XX\n",
			"--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"+
				"0J/RgNC4\r\n0LLQtdGCCg==\r\n"+
				"--XX\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<p>hi</p>\r\n--XX--\r\n")
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if p.Subject != "Привет" || p.From.Name != "Баланс" || len(p.To) != 2 || p.MediaType != "multipart/alternative" ||
			p.Text != "Привет\n" || p.HTML != "<p>hi</p>" {
			t.Errorf("Parse = %+v", p)
		}
	})
	t.Run("single quoted-printable part", func(t *testing.T) {
		t.Parallel()
		m := raw(addrHeaders+"Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n",
			"<b>=D0=94=D0=B0</b>=\r\n!\r\n")
		p, err := m.Parse()
		if err != nil || p.HTML != "<b>Да</b>!\n" || p.Text != "" || p.MediaType != "text/html" {
			t.Errorf("Parse = %+v, %v", p, err)
		}
	})
	bad := []struct {
		name string
		m    emailtest.Message
		want string
	}{
		{"no header end", emailtest.Message{Raw: []byte("From")}, ""},
		{"bad subject", raw(addrHeaders[:strings.Index(addrHeaders, "Subject")]+"Subject: =?koi8-r?q?=F0?=\nContent-Type: text/plain; charset=utf-8\n", "x"), "subject"},
		{"bad from", raw("From: nobody\nTo: a@example.com\nSubject: s\n", "x"), "from"},
		{"bad to", raw("From: a@example.com\nTo: ,,,@\nSubject: s\n", "x"), "to"},
		{"no content type", raw(addrHeaders, "x"), "content type"},
		{"other charset", raw(addrHeaders+"Content-Type: text/plain; charset=koi8-r\n", "x"), "charset"},
		{"unknown encoding", raw(addrHeaders+"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: x-uuencode\n", "x"), "transfer encoding"},
		{"broken base64", raw(addrHeaders+"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n", "!!!!"), "text/plain"},
		{"attachment", raw(addrHeaders+"Content-Type: multipart/mixed; boundary=XX\n",
			"--XX\r\nContent-Type: application/pdf; charset=utf-8\r\n\r\n%PDF\r\n--XX--\r\n"), "unexpected part"},
		{"part without type", raw(addrHeaders+"Content-Type: multipart/mixed; boundary=XX\n",
			"--XX\r\n\r\nx\r\n--XX--\r\n"), "part content type"},
		{"unterminated multipart", raw(addrHeaders+"Content-Type: multipart/mixed; boundary=XX\n", "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx"), ""},
	}
	for _, tt := range bad {
		_, err := tt.m.Parse()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}
