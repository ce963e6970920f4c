// Command balance is the backend of "Эмоциональный баланс": it serves the public API, the admin
// API and webhooks, runs migrations, manages staff accounts, and runs a self-contained demo. This
// file only wires the parts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	// The IANA zone database in the binary: appointments keep their zones, and a minimal image
	// (or a host without tzdata) must still know Europe/Moscow.
	_ "time/tzdata"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Usage: balance <command> [flags]

Commands:
  serve        run the HTTP server and job workers (applies pending migrations first;
               --migrate=false skips them, --workers=false runs HTTP only)
  demo         serve with seeded data (the service individual-session, weekday hours) and a local
               YooKassa simulator, to book and "pay" with curl: [--addr 127.0.0.1:8080]
               [--db sqlite:./data/demo.db]; the walk-through is printed at start and in README.md
  worker       run only the job workers (domain-event delivery, scheduled tasks)
  migrate      up | down | status — manage the database schema
  createadmin  --email E --role owner|assistant|editor [--name N] — create a staff account
               (password from the terminal prompt, or BALANCE_ADMIN_PASSWORD when not a terminal)
  crypto       genkey — print a new Fernet key for BALANCE_ENCRYPTION_KEYS
               rotate [--batch N] — re-encrypt every P2 value with the first key (resumable)
  telegram     set-webhook URL — register the bot's webhook (with telegram.webhook_secret)
  totp         reset --email E — remove a staff member's authenticator (lost device); the next
               sign-in sets up a new one
  healthcheck  exit 0 when the server at http.addr answers /healthz (the container's health check)
  version      print the version
  help         [COMMAND] — this list, or COMMAND's usage and flags

Every command accepts --config FILE (default: ./balance.yaml when present);
balance <command> --help lists that command's flags.
Configuration keys and their BALANCE_* variables are listed in README.md.
`

// exit codes
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks an error that should print the usage and exit 2.
var errUsage = errors.New("usage")

// run executes one CLI command and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(ctx, rest, stderr)
	case "demo":
		err = cmdDemo(ctx, rest, stdout, stderr)
	case "worker":
		err = cmdWorker(ctx, rest, stderr)
	case "migrate":
		err = cmdMigrate(ctx, rest, stdout, stderr)
	case "createadmin":
		err = cmdCreateAdmin(ctx, rest, stdin, stdout, stderr)
	case "crypto":
		err = cmdCrypto(ctx, rest, stdout, stderr)
	case "telegram":
		err = cmdTelegram(ctx, rest, stdout, stderr)
	case "totp":
		err = cmdTOTP(ctx, rest, stdout, stderr)
	case "healthcheck":
		err = cmdHealthcheck(ctx, rest, stdout)
	case "version":
		err = cmdVersion(rest, stdout)
	case "help", "-h", "--help":
		if len(rest) > 0 && rest[0] != "help" && !strings.HasPrefix(rest[0], "-") {
			return run(ctx, []string{rest[0], "--help"}, stdin, stdout, stderr) // balance help <command>
		}
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "balance: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	return exitCode(err, args[0], stdout, stderr)
}

// exitCode reports err of command cmd and returns the exit status.
func exitCode(err error, cmd string, stdout, stderr io.Writer) int {
	var (
		cfgErr *configError
		help   *helpRequest
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &help):
		help.print(stdout)
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		// The error, then the command's own usage line: the list of every command would bury it.
		fmt.Fprintf(stderr, "balance: %s\n\nUsage: balance %s\nRun 'balance %s --help' for its flags.\n",
			strings.TrimSuffix(err.Error(), ": "+errUsage.Error()), commandSynopsis[cmd], cmd)
		return exitUsage
	case errors.As(err, &cfgErr):
		fmt.Fprintln(stderr, cfgErr.err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "balance: %v\n", err)
		return exitError
	}
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return "dev-" + s.Value
			}
		}
	}
	return version
}
