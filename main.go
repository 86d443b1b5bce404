// Command ess-standby puts Auto Scaling instances into Standby when an HTTP
// call, a timer or a CloudMonitor / ECS event asks for it. It only wires:
// the settings are parsed once, then the mode picks the runtime adapter.
package main

import (
	"embed"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"ess-standby/handler"
	"ess-standby/handler/build"
	"ess-standby/handler/ess"
	"ess-standby/handler/fcgo"
	"ess-standby/handler/modes"
	"ess-standby/handler/settings"
	"ess-standby/handler/standby"
)

// defaultEvent is what `local` runs when given no file: a CloudMonitor alarm.
//
//go:embed events/http-cms-alarm-alert.json
var defaultEvent []byte

// deployFiles are the policies `policy` fills in: the files themselves,
// which the deployment's tests hold to the code, not a copy.
//
//go:embed deploy/*.json
var deployFiles embed.FS

const usage = `ess-standby puts Auto Scaling (ESS) instances into Standby.

Modes:
  ess-standby serve     FC custom runtime (what bootstrap runs): HTTP server on
                        FC_CUSTOM_LISTEN_PORT, else FC_SERVER_PORT, else 9000
  ess-standby           with FC_RUNTIME_API set, FC go1 runtime: serve
                        invocations with fc.Start
  ess-standby local [--now T] [FILE|-]
                        run one event against a built-in Auto Scaling emulator
                        (no account, no network); default: a CloudMonitor alarm;
                        events' ages are measured at T, default the samples' time
  ess-standby invoke [--region R] [--dry-run] [--timeout D] [FILE|-]
                        run one event against the real Auto Scaling API, with
                        the credentials of ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET
                        and _SECURITY_TOKEN (never flags: they show in ps)
  ess-standby drill --instance I [--region R] [--event T] [--ahead D]
        [--timeout D] [--poll D] [--dry-run]
        [--log-project P [--logstore S] [--function F]]
                        rehearse after s deploy: schedule a simulated ECS
                        maintenance for canary I and watch Auto Scaling until
                        the function has it in Standby, and function F's log
                        in P/S (s info names them) for what it decided; with
                        --dry-run (which needs P), until the log says it would
                        have (deploy/drill-policy.json)
  ess-standby status [--region R] [--group G] [--output table|json]
        [--emulator] [--timeout D]
                        what is in Standby in the groups the function acts on:
                        who parked each and why, since and until when, what
                        needs a person; each group's counts and the room
                        MIN_IN_SERVICE and MAX_STANDBY leave; reads only
                        (deploy/operator-policy.json); --emulator: the
                        built-in sample fleet, no account
  ess-standby release --instance I [--instance J ...] [--region R]
        [--dry-run] [--force] [--output table|json] [--emulator]
                        take instances back out of Standby as the function
                        does (its guards, tokens, its tags removed); refuses
                        one the function did not park unless --force
  ess-standby policy function|deployer|drill|operator --region R
        --account A [--group G ...] [--log-project P] [--logstore S]
                        print a RAM policy of deploy/ with its placeholders
                        filled, for aliyun ram CreatePolicy --PolicyDocument:
                        the function's role (needs --group, repeated or
                        comma-separated: one ARN per group), the deployer's,
                        the drill's (needs --log-project; --logstore is
                        default-logs unless given), or the operator's, for
                        status and release (needs --group)
  ess-standby help      this text (also -h, --help); MODE -h lists its flags

FILE is an event as the function receives it (see events/); - reads stdin.

Exit codes:
  0  success: local and invoke answered without an error (an event ignored
     too); the drill saw the canary parked (with --dry-run, the log said it
     would be); policy printed the policy; serve stopped on SIGINT or
     SIGTERM; help, or MODE -h
  1  the event or the drill failed: local and invoke answered an error (the
     answer's Code says which: a refusal, an invalid event, what is left to
     retry); the drill failed or timed out; serve could not listen, or
     stopped on an error; policy found its file in this build not JSON
  2  usage or settings: no mode or an unknown one, a flag or value it does
     not take, a FILE that is missing, unreadable or empty, a setting that
     does not parse, the drill without credentials, a policy's flag missing,
     a mode this build leaves out

Settings (environment variables, read once at start):
  ESS_ENDPOINT             Auto Scaling endpoint, scheme://host[:port]; plain
                           http only to loopback (default: the SDK's endpoint
                           for the region, over HTTPS)
  ECS_ENDPOINT             the same for ECS, which holds the instances' tags
  ECI_ENDPOINT             the same for ECI, which holds elastic container instances' tags
  LOG_ENDPOINT             the drill's: Log Service's https://host, to which the log
                           project's name is prefixed (default:
                           <region>.log.aliyuncs.com); plain http only to a
                           loopback emulator, dialled as given
  ALIBABA_CLOUD_REGION_ID  region for invocations that name none
                           (default: FC's region, FC_REGION)
  SCALING_GROUP_ID         group for events that name none
                           (default: look each instance's group up)
  ALLOWED_SCALING_GROUP_IDS  comma-separated groups it may act on (default: any)
  AUTH_TOKEN               HTTP-trigger callers must present it, as
                           Authorization: Bearer <token> or ?token=<token>
  DRY_RUN                  true: decide and report, change nothing (false)
  MAX_INSTANCES            most instances one invocation may name (100)
  MIN_IN_SERVICE           InService instances a group must keep: a count (2)
                           or a percentage (50%) (default: none)
  MAX_STANDBY              most instances of a group in Standby, whoever parked
                           them: a count (3) or a percentage (10%) (default: none)
  MAX_EVENT_AGE            events older than this, by their own time, are
                           ignored; 0: no limit (1h)
  STANDBY_LEASE            how long a parked instance's lease lasts; its tags
                           (ess-standby:*) say until when (24h)
  LEASE_END                what a sweep does when a lease has ended: report
                           (an ERROR line) or exit (take it back) (report)
  MAX_CONCURRENT_CALLS     Auto Scaling calls in flight at once in the process;
                           the others wait within their invocation's time (16)
  WAIT                     true: wait for each activity to finish (false)
  EXIT_ON_OK               true: an alarm back to OK (an alert resolved) takes
                           out of Standby what that rule parked, and nothing
                           else (false)
  EXIT_ON_EVENT_END        true: an ECS event's end (Avoided, Canceled, or
                           Executed and Running) takes back what it parked (false)
  INSTANCE_LABELS          comma-separated alert labels, tried in order, whose
                           value is an alert's instance ID (instance_id,instanceId)
  LOCATE_BY_ADDRESS        true: an alert that names its instance only by
                           Prometheus's instance label, host:port, has the
                           instance at that private address looked up (false)
  NOTIFY_URL               a DingTalk or Lark/Feishu robot's webhook, or any HTTPS
                           URL: one message per invocation that acted, was
                           refused by a guard, or swept (default: none)
  NOTIFY_SECRET            the robot's signing secret, or the webhook's HMAC key
  LOG_LEVEL                debug, info, warn or error (info)
  GOGC                     Go's garbage collector target (80 here, where Go's
                           default is 100: less memory for a little more CPU)
  FC_RUNTIME_API           FC's go1 runtime sets it: with no mode, serve FC's
                           invocations
  HTTPS_PROXY, NO_PROXY    the proxy of every outbound call, and the hosts it
                           is not used for (default: none)
  FC_CUSTOM_LISTEN_PORT, FC_SERVER_PORT
                           server mode's port (9000); 0 picks a free one
  ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET,
  ALIBABA_CLOUD_SECURITY_TOKEN
                           credentials when an invocation brings none
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	mode := ""
	if len(args) > 0 {
		mode, args = args[0], args[1:]
	}
	if mode == "help" || mode == "-h" || mode == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cfg, err := settings.Load(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ess-standby: cannot start, fix these settings:\n%v\n", err)
		return 2
	}
	debug.SetGCPercent(cfg.GCPercent) // GOGC, or 80 (settings.Settings.GCPercent says why)
	// Every line names the build that wrote it: what acted, and after a
	// rollback, that the alias points where it should.
	logger := func(w io.Writer) *slog.Logger {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel})).With(build.Current().Attr())
	}
	client := ess.New(ess.Config{Endpoint: cfg.ESSEndpoint, ECSEndpoint: cfg.ECSEndpoint, ECIEndpoint: cfg.ECIEndpoint, LogEndpoint: cfg.LogEndpoint, Proxy: cfg.Proxy, MaxConcurrent: cfg.MaxConcurrentCalls})
	defer client.Close()

	if mode == "" && cfg.FCRuntimeAPI != "" {
		// FC ships stdout to Log Service: one JSON line per invocation.
		svc := standby.New(cfg.Standby, client.Cloud())
		fc.Start(fcgo.Handler(handler.New(cfg.Handler, svc, logger(stdout)))) // never returns
	}
	if code, ok := modes.Run(mode, args, modes.Env{Settings: cfg, Cloud: client.Cloud(), Drill: client, Logger: logger,
		Stdin: stdin, Stdout: stdout, Stderr: stderr, DefaultEvent: defaultEvent, Deploy: deployFiles}); ok {
		return code
	}
	fmt.Fprint(stderr, usage) // no mode, and not on FC
	return 2
}
