package main

// Cross-origin requests and rate limits: the OpenAPI viewer at /api/docs in a real browser.

import (
	"testing"

	"balance/migrations"
)

// TestBrowserAPIDocs opens /api/docs in headless Chromium: Redoc, served from the binary under the
// page's Content-Security-Policy, renders the contract (an operation's summary shows) and its
// search (a blob: worker) finds an operation, with no CSP violation reported.
func TestBrowserAPIDocs(t *testing.T) {
	execPath := findBrowser(t)
	clearConfigEnv(t)
	browser := startBrowser(t, execPath)
	s := startBrowserServer(t, migrations.SQLite, browser)
	b := s.newTab(t, "")
	b.open("/api/docs")
	b.waitText("Book a free slot of a published service.")
	// The reports of CSP violations since the page loaded (buffered), collected for half a second.
	b.waitJS("the CSP violations are collected", `(() => {
		if (!window.__csp) {
			window.__csp = [];
			const o = new ReportingObserver(rs => window.__csp.push(...rs), {types: ["csp-violation"], buffered: true});
			o.observe();
			window.__cspAt = Date.now();
		}
		return Date.now() - window.__cspAt > 500;
	})()`)
	// Redoc's footer shows Redocly's logo from its CDN, and hides it when it cannot load: the
	// policy blocking it is the policy working. Anything else blocked would break the viewer.
	if v := evalJS[string](b, "read the CSP violations", `JSON.stringify(window.__csp.map(r => r.body.effectiveDirective + " " + r.body.blockedURL)
		.filter(v => v !== "img-src https://cdn.redoc.ly/redoc/logo-mini.svg"))`); v != "[]" {
		t.Errorf("CSP violations on /api/docs: %s", v)
	}
	b.waitJS("the search finds an operation", `(() => {
		const input = document.querySelector('input[role="search"], [role="search"] input');
		if (!input) return false;
		if (input.value !== "waitlist") {
			const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
			set.call(input, "waitlist");
			input.dispatchEvent(new Event("input", {bubbles: true}));
		}
		return /waitlist/i.test(document.querySelector('[role="search"]').innerText);
	})()`)
}
