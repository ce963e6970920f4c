// Command loadtest puts HTTP load on the booking API: GET /api/v1/services/{slug}/slots at a fixed
// concurrency (or, with -rate, at a fixed rate) for a fixed time, then POST /api/v1/bookings once
// for every free slot that can be booked alongside the others, and reports throughput and latency
// percentiles per phase, as text or (-json) one JSON object per phase.
//
// Run it against the demo (go run . demo), whose payments go to its local YooKassa simulator:
//
//	go run ./tools/loadtest -url http://127.0.0.1:18080 -phase both
//	go run ./tools/loadtest -url http://127.0.0.1:18080 -phase slots -window-days 30 -rate 200 -json
//
// The bookings phase books real appointments: point it at a throwaway database. compare.sh runs
// these phases against two builds of the server, one after the other (docs/performance.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:18080", "the server's base URL")
	slug := fs.String("service", "individual-session", "the service's slug")
	concurrency := fs.Int("concurrency", 8, "requests in flight at once")
	duration := fs.Duration("duration", 20*time.Second, "how long the slots phase runs")
	bookings := fs.Int("bookings", 0, "most bookings to make (0: one per non-overlapping free slot)")
	tz := fs.String("tz", "Europe/Berlin", "the client's time zone")
	buffer := fs.Duration("buffer", 10*time.Minute, "the service's buffer after each appointment (not in the public API)")
	horizon := fs.Int("horizon", 60, "the service's booking horizon in days")
	phase := fs.String("phase", "both", "slots, bookings or both")
	windowDays := fs.Int("window-days", 7, "days in each slots request's window, both ends included (1…31)")
	rate := fs.Float64("rate", 0, "slots requests per second on a fixed schedule, whatever the answers (0: -concurrency workers instead)")
	asJSON := fs.Bool("json", false, "print one JSON object per phase and nothing else")
	fs.SetOutput(stdout)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *phase != "slots" && *phase != "bookings" && *phase != "both":
		return fmt.Errorf("-phase %q: want slots, bookings or both", *phase)
	case *concurrency < 1 || *horizon < 1 || *bookings < 0:
		return errors.New("-concurrency and -horizon must be positive, -bookings not negative")
	case *windowDays < 1 || *windowDays > maxWindowDays:
		return fmt.Errorf("-window-days %d: want 1…%d", *windowDays, maxWindowDays)
	case *rate < 0 || math.IsNaN(*rate) || math.IsInf(*rate, 0):
		return fmt.Errorf("-rate %v: want a number of requests per second, or 0", *rate)
	}
	progress := stdout
	if *asJSON {
		progress = io.Discard
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		return fmt.Errorf("-tz: %w", err)
	}

	l := newLoader(*base, *slug, *tz, *concurrency)
	svc, err := l.service(ctx)
	if err != nil {
		return err
	}
	today, err := svc.today(time.Now())
	if err != nil {
		return err
	}
	var results []Result
	if *phase != "bookings" {
		plan := slotsPlan{today: today, horizonDays: *horizon, windowDays: *windowDays}
		if *rate > 0 {
			fmt.Fprintf(progress, "slots: %d-day windows at %g req/s for %s\n", *windowDays, *rate, *duration)
			results = append(results, l.runSlotsAtRate(ctx, plan, *rate, *duration))
		} else {
			fmt.Fprintf(progress, "slots: %d-day windows, %d workers for %s\n", *windowDays, *concurrency, *duration)
			results = append(results, l.runSlots(ctx, plan, *duration))
		}
	}
	if *phase != "slots" {
		free, err := l.freeSlots(ctx, today, *horizon)
		if err != nil {
			return err
		}
		held := time.Duration(svc.DurationMinutes)*time.Minute + *buffer
		starts := nonOverlapping(free, held)
		if *bookings > 0 && len(starts) > *bookings {
			starts = starts[:*bookings]
		}
		fmt.Fprintf(progress, "bookings: %d free slots, booking %d of them with %d workers\n",
			len(free), len(starts), *concurrency)
		results = append(results, l.runBookings(ctx, svc, starts))
	}

	if *asJSON {
		for _, r := range results {
			fmt.Fprint(stdout, r.JSON())
		}
		return ctx.Err()
	}
	fmt.Fprintln(stdout)
	for _, r := range results {
		fmt.Fprint(stdout, r)
	}
	fmt.Fprint(stdout, "\n"+markdownHeader)
	for _, r := range results {
		fmt.Fprint(stdout, r.MarkdownRow())
	}
	return ctx.Err()
}
