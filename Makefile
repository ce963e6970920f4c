# Balance — common tasks. `make run` serves on SQLite with no setup; `make test` needs PostgreSQL
# (BALANCE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable).

SHELL       := /bin/bash
GO          ?= go
COVER_MIN   ?= 80
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)

.PHONY: run build test fuzz lint lint-api cover-html clean admin admin-test admin-check bench

run:
	$(GO) run . serve

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o balance .

# Every package, both databases, the race detector, and a coverage floor over our own packages.
# go test prints each package's share of the whole module's statements ("coverage: 1.5% of
# statements in ./..."), which reads like a failure: those are dropped, and one total is printed.
# Tests' artifacts (the browser tests' screenshots) are kept under test-artifacts/_artifacts/, one
# folder per test; -outputdir would also take a relative coverage profile, hence the absolute path.
ARTIFACTS   ?= $(CURDIR)/test-artifacts
test:
	@rm -rf '$(ARTIFACTS)' && mkdir -p '$(ARTIFACTS)'
	@set -o pipefail; $(GO) test -race -count=1 -timeout 8m -coverpkg=./... -coverprofile='$(CURDIR)/coverage.out' \
		-artifacts -outputdir='$(ARTIFACTS)' ./... 2>&1 | \
		sed -E -e 's/[[:space:]]*coverage: [0-9.]+% of statements in \.\/\.\.\.$$//' -e '/^[[:space:]]*$$/d'
	@$(GO) tool cover -func=coverage.out | awk -v min=$(COVER_MIN) \
		'/^total:/ { sub("%", "", $$3); printf "coverage: %s%% of statements (minimum %s%%)\n", $$3, min; \
		if ($$3 + 0 < min) { print "FAIL: coverage below minimum"; exit 1 } }'

# Each fuzz target runs for FUZZTIME beyond its committed corpus (testdata/fuzz in its package).
FUZZTIME    ?= 10s
FUZZ_TARGETS := ./handlers:FuzzDecodeJSON ./handlers:FuzzYooKassaNotification ./integrations/telegram:FuzzParseUpdate
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; done

# The admin panel (admin/, React + TypeScript): its built files in admin/dist are committed and
# embedded in the binary, so only changing the panel's sources needs Node (18 or newer).
admin:
	cd admin && npm ci --no-audit --no-fund && npm run build

admin-test:
	cd admin && npm test

# What CI runs: a clean install from the lock file, the unit tests, a build, and a failure when
# the committed admin/dist is not what the sources build.
admin-check:
	.ci/admin-check

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The OpenAPI document against Redocly CLI's recommended rules (tools/openapi-lint: the CLI pinned
# in its lock file, the rules in redocly.yaml). Needs Node 20.19 or newer and npm. The CLI's usage
# telemetry and update check are off: CI sends nothing about the document anywhere.
lint-api:
	cd tools/openapi-lint && npm ci --no-audit --no-fund --loglevel=error && \
		REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npm run --silent lint

# The booking hot path over HTTP, side by side: `balance` built at BASE (a git revision; default
# f300ed1, the code before the performance work) against the working tree, each in turn as the demo
# on a fresh PostgreSQL database, loaded by tools/loadtest. Needs PostgreSQL that lets PGUSER
# (postgres) at PGHOST:PGPORT (127.0.0.1:5432) create databases without a password, createdb, dropdb,
# psql and curl. DURATION (10s), ROUNDS (1), BOOKING_DAYS (365) and the rest: tools/loadtest/compare.sh.
bench:
	tools/loadtest/compare.sh $(BASE)

cover-html: test
	$(GO) tool cover -html=coverage.out

clean:
	rm -rf balance coverage.out test-artifacts
