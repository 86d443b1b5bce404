//go:build !fcgo1

package modes

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"ess-standby/handler"
	"ess-standby/handler/fcserver"
	"ess-standby/handler/standby"
)

func init() { modes["serve"] = serve }

// shutdownGrace bounds how long server mode waits for in-flight invocations
// after SIGTERM.
const shutdownGrace = 60 * time.Second

// serve is FC's custom runtime: an HTTP server on FC's port. It takes no
// arguments: one given is a mistake, not to be served past.
func serve(args []string, env Env) int {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	flags.SetOutput(env.Stderr)
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: ess-standby serve (no flags: the settings are the environment's; ess-standby help lists them)")
	}
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "ess-standby serve: takes no arguments, got %q\n", flags.Args())
		return 2
	}
	log := env.Logger(env.Stdout)
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(env.Settings.ListenPort))
	if err != nil {
		fmt.Fprintln(env.Stderr, "ess-standby serve:", err)
		return 1
	}
	log.Info("listening", "addr", ln.Addr().String())
	ctx, force, stop := twoSignals(log)
	defer stop()
	// Many invocations share this process: a storm's requests wait for each
	// other a moment, to share their reads and their groups' plans.
	core := env.Settings.Standby
	core.MergeWindow = standby.ServerMergeWindow
	srv := fcserver.New(handler.New(env.Settings.Handler, standby.New(core, env.Cloud), log), log, env.Stdout)
	if err := srv.Serve(ctx, force, ln, fcserver.Options{Grace: shutdownGrace}); err != nil {
		log.Error("server stopped", "err", err.Error())
		return 1
	}
	log.Info("stopped")
	return 0
}

// twoSignals: the first SIGINT or SIGTERM ends ctx (stop taking requests,
// let those in flight finish), the second ends force (stop at once).
func twoSignals(log *slog.Logger) (ctx, force context.Context, stop func()) {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	force, cancelForce := context.WithCancel(context.Background())
	go func() {
		if _, ok := <-signals; !ok {
			return
		}
		log.Info("stopping: invocations in flight may finish; signal again to stop at once")
		cancel()
		if _, ok := <-signals; ok {
			log.Warn("stopping at once")
			cancelForce()
		}
	}()
	return ctx, force, func() {
		signal.Stop(signals)
		close(signals)
		cancel()
		cancelForce()
	}
}
