#!/usr/bin/env bash
# compare.sh — the booking hot path over HTTP, a baseline revision against the working tree, in one
# run on this machine (docs/performance.md, "Booking and slots: before and after").
#
#   tools/loadtest/compare.sh [BASE]        or: make bench BASE=<rev>
#
# Builds `balance` at BASE (a git revision; default f300ed1, the code before the performance work)
# and from the working tree, then, for each binary in turn, on a fresh PostgreSQL database: starts
# `balance demo`, runs the load phases with tools/loadtest (built once, from the working tree), stops
# the demo and drops the database. Prints a Markdown table of the medians over the rounds, with the
# ratio current / baseline.
#
# Environment (defaults in brackets):
#   BASE [f300ed1]     the baseline revision (the first argument wins)
#   DURATION [10s]     how long each slots phase runs
#   ROUNDS [1]         rounds; round 2 runs current before baseline, and so on, against drift
#   RATE [200]         the fixed rate of the open-loop slots phase, requests/s
#   WINDOW_DAYS [30]   days in each slots request's window
#   BOOKING_DAYS [365] the booking horizon of the bookings phase: before it, the demo service's
#                      horizon is widened to this many days (one UPDATE), so that the phase makes
#                      thousands of bookings (about 2,300 for a year) and measures the steady state
#                      rather than the first seconds of fresh connections (60 is the demo's own)
#   SLOTS_CONCURRENCY [16], BOOKINGS_CONCURRENCY [8]
#   LOG_LEVEL [warn]   the demo's log level (info logs every request)
#   OUT                a directory to keep the raw results in (JSON per phase, the demo's logs)
#   PGHOST [127.0.0.1], PGPORT [5432], PGUSER [postgres]: a PostgreSQL that lets PGUSER create
#                      databases without a password (createdb, dropdb, psql on PATH); curl on PATH.
set -euo pipefail

BASE=${1:-${BASE:-f300ed1}}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-1}
RATE=${RATE:-200}
WINDOW_DAYS=${WINDOW_DAYS:-30}
BOOKING_DAYS=${BOOKING_DAYS:-365}
SLOTS_CONCURRENCY=${SLOTS_CONCURRENCY:-16}
BOOKINGS_CONCURRENCY=${BOOKINGS_CONCURRENCY:-8}
LOG_LEVEL=${LOG_LEVEL:-warn}
OUT=${OUT:-}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
GO=${GO:-go}

say() { printf '%s\n' "$*" >&2; }
die() { say "compare: $*"; exit 1; }

for tool in "$GO" git curl createdb dropdb psql; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS=$ROUNDS: want a positive number"
[[ $BOOKING_DAYS =~ ^[1-9][0-9]*$ ]] || die "BOOKING_DAYS=$BOOKING_DAYS: want a positive number of days"
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
base_rev=$(git -C "$root" rev-parse --verify --quiet "$BASE^{commit}") || die "BASE=$BASE is not a revision"
head_rev=$(git -C "$root" rev-parse --short HEAD)
dirty=$(git -C "$root" status --porcelain --untracked-files=no | head -c1)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/balance-bench.XXXXXX")
demo_pid='' db=''
cleanup() {
	if [[ -n $demo_pid ]]; then kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
	if [[ -n $db ]]; then dropdb --if-exists "$db" || true; fi
	if [[ -d $tmp/base-src ]]; then git -C "$root" worktree remove --force "$tmp/base-src" || true; fi
	if [[ -n $OUT ]]; then mkdir -p "$OUT" && cp "$tmp"/*.json "$tmp"/*.log "$OUT"/ 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The two servers and the load generator. Both servers are built the same way.
say "building balance at ${BASE} (${base_rev:0:12})"
git -C "$root" worktree add --detach --quiet "$tmp/base-src" "$base_rev"
(cd "$tmp/base-src" && "$GO" build -trimpath -o "$tmp/balance-baseline" .)
git -C "$root" worktree remove --force "$tmp/base-src"
say "building balance from the working tree (${head_rev}${dirty:++changes})"
(cd "$root" && "$GO" build -trimpath -o "$tmp/balance-current" . && "$GO" build -trimpath -o "$tmp/loadtest" ./tools/loadtest)
BALANCE_ENCRYPTION_KEYS=$("$tmp/balance-current" crypto genkey)
# The bookings phase POSTs hundreds of bookings from one address: far over the per-address limit
# that protects the public API (10 an hour by default), which would answer them 429.
BALANCE_RATELIMIT_BOOKINGS=1000000/1h
export BALANCE_ENCRYPTION_KEYS BALANCE_RATELIMIT_BOOKINGS

# free_port prints a port nothing on 127.0.0.1 listens on now.
free_port() {
	local port
	for _ in {1..100}; do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	die "no free port found"
}

# start_demo BINARY DB_URL LOGPREFIX: starts the demo on a free port and waits until /readyz
# answers; sets demo_pid and url.
start_demo() {
	local bin=$1 dburl=$2 logs=$3 port deadline
	for _ in 1 2 3; do # a port taken between the check and the listen: try another
		port=$(free_port)
		url="http://127.0.0.1:$port"
		BALANCE_LOG_LEVEL=$LOG_LEVEL "$bin" demo --addr "127.0.0.1:$port" --db "$dburl" >"$logs.out.log" 2>"$logs.log" &
		demo_pid=$!
		deadline=$((SECONDS + 120))
		while kill -0 "$demo_pid" 2>/dev/null && ((SECONDS < deadline)); do
			if curl -fsS -o /dev/null "$url/readyz" 2>/dev/null; then
				return
			fi
			sleep 0.2
		done
		if kill -0 "$demo_pid" 2>/dev/null; then
			tail -n 20 "$logs.log" >&2
			die "the demo at $url was not ready after 120s"
		fi
		wait "$demo_pid" || true
		demo_pid=''
		grep -q 'address already in use' "$logs.log" || { tail -n 20 "$logs.log" >&2; die "the demo exited before it was ready"; }
	done
	die "the demo found no free port"
}

stop_demo() {
	kill -TERM "$demo_pid"
	wait "$demo_pid" || say "  the demo exited with $?"
	demo_pid=''
}

# field FILE KEY: a number from the one-line JSON object loadtest -json printed.
field() {
	sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" "$1"
}

# measure LABEL ROUND: one binary on a fresh database, three phases.
measure() {
	local label=$1 round=$2 run="$tmp/$1.$2"
	db="balance_bench_${label}_${round}_$$"
	createdb "$db"
	start_demo "$tmp/balance-$label" "postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable" "$run.demo"
	say "$label, round $round: demo at $url on database $db"
	local lt=("$tmp/loadtest" -url "$url" -json)
	"${lt[@]}" -phase slots -window-days "$WINDOW_DAYS" -concurrency "$SLOTS_CONCURRENCY" -duration "$DURATION" >"$run.slots.json"
	"${lt[@]}" -phase slots -window-days "$WINDOW_DAYS" -rate "$RATE" -duration "$DURATION" >"$run.rate.json"
	# Both revisions read the service on every request, so the wider horizon holds at once.
	psql -q -v ON_ERROR_STOP=1 -d "$db" -c "UPDATE services SET booking_horizon_days = $BOOKING_DAYS WHERE slug = 'individual-session'"
	"${lt[@]}" -phase bookings -horizon "$BOOKING_DAYS" -concurrency "$BOOKINGS_CONCURRENCY" >"$run.bookings.json"
	for phase in slots rate bookings; do
		say "  $(printf '%-8s' "$phase") $(field "$run.$phase.json" requests) requests, $(field "$run.$phase.json" errors) errors," \
			"$(field "$run.$phase.json" rps) req/s, p50 $(field "$run.$phase.json" p50_ms) ms, p99 $(field "$run.$phase.json" p99_ms) ms"
		if [[ $(field "$run.$phase.json" errors) != 0 ]]; then
			say "    $(grep -o '"first_errors":.*' "$run.$phase.json" | cut -c1-400)"
		fi
	done
	stop_demo
	dropdb "$db"
	db=''
}

for ((round = 1; round <= ROUNDS; round++)); do
	if ((round % 2)); then order=(baseline current); else order=(current baseline); fi
	for label in "${order[@]}"; do
		measure "$label" "$round"
	done
done

# median LABEL PHASE KEY: the median over the rounds.
median() {
	local f
	for f in "$tmp/$1".*."$2.json"; do field "$f" "$3"; done | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

errors() {
	cat "$tmp/$1".*.json | sed -n 's/.*"errors":\([0-9]*\).*/\1/p' | awk '{ n += $1 } END { print n + 0 }'
}

row() { # row METRIC PHASE KEY
	local b c
	b=$(median baseline "$2" "$3") c=$(median current "$2" "$3")
	awk -v m="$1" -v b="$b" -v c="$c" 'BEGIN {
		printf "| %s | %.1f | %.1f | %s |\n", m, b, c, (b + 0 == 0 ? "—" : sprintf("%.2f", c / b)) }'
}

cat <<EOF

Baseline ${BASE} (${base_rev:0:12}) against the working tree (${head_rev}${dirty:+ with changes}); PostgreSQL, demo;
slots: ${WINDOW_DAYS}-day windows, ${DURATION} per phase; bookings: every free slot of ${BOOKING_DAYS} days; $( ((ROUNDS > 1)) && echo "median of $ROUNDS rounds" || echo "1 round").

| metric | baseline | current | ratio |
|---|--:|--:|--:|
$(row "bookings/s (${BOOKINGS_CONCURRENCY} workers)" bookings rps)
$(row "bookings p99, ms" bookings p99_ms)
$(row "slots req/s (${SLOTS_CONCURRENCY} workers)" slots rps)
$(row "slots p99, ms" slots p99_ms)
$(row "slots at ${RATE} req/s: achieved req/s" rate rps)
$(row "slots at ${RATE} req/s: p99, ms" rate p99_ms)
| errors, all phases and rounds | $(errors baseline) | $(errors current) | |
EOF
