package trigger

import (
	"encoding/json"
	"net"
	"net/netip"
	"slices"
	"strings"

	"ess-standby/handler/standby"
)

// alertmanager is a group of alerts in Alertmanager's webhook shape:
// {"receiver","status","alerts":[{"status","labels","annotations",
// "startsAt","endsAt","fingerprint",…}],"groupLabels","commonLabels",
// "commonAnnotations","externalURL",…}. Prometheus's Alertmanager sends it
// (webhook_config, with version "4", groupKey, truncatedAlerts), ARMS as
// $alertmanager_content, Grafana's webhook contact point with fields of
// its own (orgId, title, state, message; values per alert). Each alert is
// its own event: the delivery is a batch. Only the fields below are read;
// any other is accepted, since each sender adds its own and Alertmanager
// adds more over versions (notification_reason, routeLabels).
type alertmanager struct{}

// recognises a delivery by receiver and alerts together: no other payload
// this function reads has either (a CloudMonitor subscription's is alert,
// singular).
func (alertmanager) recognises(o object) bool { return o.has("receiver") && o.has("alerts") }

// MaxAlerts is the most alerts one delivery may hold: as many as
// MAX_INSTANCES can ever allow. Alertmanager's max_alerts keeps a larger
// group from being sent whole.
const MaxAlerts = standby.MaxNamed

// DefaultInstanceLabels are the labels tried, in order, for an alert's
// instance when INSTANCE_LABELS is unset. No label holds an ECS instance ID
// by default: a Prometheus user relabels it from service discovery's
// __meta_…_instance_id, and instance_id is the name that relabelling gives
// once the prefix is dropped (Prometheus's labels are snake_case);
// instanceId is CloudMonitor's name for the same dimension.
var DefaultInstanceLabels = []string{"instance_id", "instanceId"}

// AddressLabel is Prometheus's own label for a target: host:port, by
// default the address it scrapes.
const AddressLabel = "instance"

// Options are the settings decoding reads: INSTANCE_LABELS. The zero value
// is the defaults.
type Options struct {
	// InstanceLabels are the alert labels, tried in order, whose value is
	// an alert's instance ID; nil is DefaultInstanceLabels.
	InstanceLabels []string
}

// Labels are the labels tried for an alert's instance, in order.
func (o Options) Labels() []string {
	if len(o.InstanceLabels) == 0 {
		return DefaultInstanceLabels
	}
	return o.InstanceLabels
}

// decodeAlerts reads a group of alerts, each into its own event, named as
// the delivery came (alertmanager, or http:alertmanager). What keeps the
// group from being read at all refuses it whole.
func decodeAlerts(o object, opts Options, via string) Delivery {
	// Alertmanager retries a webhook answered 5xx, and no other failure
	// (notify/util.go, Retrier.Check); ARMS and Grafana say nothing of
	// theirs, and 5xx is what a sender that retries at all retries.
	whole := Event{Source: via, NoRequest: true, RetriedOn5xx: true}
	f := fields{obj: o, p: &whole.Draft.Problems}
	d := Delivery{Source: via, Truncated: f.count("truncatedAlerts")}
	elems, err := parseArray(o["alerts"], MaxAlerts)
	switch {
	case err != nil:
		f.p.Invalid("alerts", "%v", err)
	case len(elems) == 0:
		f.p.Missing("alerts", "the group holds no alert")
	}
	if !whole.Draft.Problems.Empty() {
		d.Events = []Event{whole}
		return d
	}
	d.Batch = true
	d.Events = make([]Event, len(elems))
	var names [][]byte
	labels := append(slices.Clone(opts.Labels()), AddressLabel, "alertname")
	for i, elem := range elems {
		ev := &d.Events[i]
		ev.Source, ev.RetriedOn5xx = via, true
		// Each alert's problems are named within it: the batch names its
		// place ([2].labels.instance_id).
		alert, err := pick(elem, alertFields, &names)
		if err != nil {
			ev.NoRequest = true
			ev.Draft.Problems.Invalid("alert", "%v", err)
			continue
		}
		f := fields{obj: alert, p: &ev.Draft.Problems}
		l := fields{path: "labels", p: f.p}
		if raw, ok := alert["labels"]; ok && !isNull(raw) {
			if l.obj, err = pick(raw, labels, &names); err != nil {
				f.p.Invalid("labels", "%v", err)
			}
		}
		readAlert(f, l, opts, ev)
	}
	return d
}

// alertFields are the fields of an alert that are read.
var alertFields = []string{"status", "labels", "startsAt", "endsAt", "fingerprint"}

// readAlert reads one alert: firing puts its instance into Standby;
// resolved is its end (with EXIT_ON_OK, what its rule parked there leaves
// Standby). Its instance is named by the first of the instance labels it
// has; else, where only Prometheus's instance label holds an IPv4
// address, the handler may look the instance up there (Event.Address).
func readAlert(f, labels fields, opts Options, ev *Event) {
	status := f.str("status")
	// The rule is the alert's name, prefixed: an alertname may be spelt as
	// a CloudMonitor rule ID is, and an end takes back what its rule
	// parked, so one must never be taken for the other.
	if name := labels.str("alertname"); name != "" {
		ev.Rule = "alertmanager:" + name
	}
	// Alertmanager's fingerprint names the alert by its labels; startsAt
	// tells one firing of it from the next. Each notice of it (firing,
	// resolved) has its own identity, as each of an ECS event's does.
	startsAt := f.str("startsAt")
	if fp := f.str("fingerprint"); fp != "" {
		ev.Identity = "alertmanager:" + fp + "@" + startsAt + "/" + status
	}
	instance, address := alertInstance(labels, opts)
	switch status {
	case "firing":
		ev.Time = f.time("startsAt", rfc3339)
	case "resolved":
		// The end's own time is when it resolved: startsAt would date an
		// alert that fired for longer than MAX_EVENT_AGE as too old, and
		// an end dated before the parking takes nothing back.
		ev.Time = f.time("endsAt", rfc3339)
		ev.Ignored, ev.Recovered = "the alert is resolved (EXIT_ON_OK is off)", instance.Value != "" || address.Value != ""
	case "":
		ev.NoRequest = true // what it asks cannot be told: nothing to check
		f.p.Missing(f.name("status"), "the alert has none; want firing or resolved")
		return
	default:
		ev.Ignored, ev.Undocumented = "alert status "+standby.Quote(status)+" is not firing or resolved, which Alertmanager's documentation lists: not acted on", true
		return
	}
	switch {
	case instance.Value != "":
		ev.Draft.AddInstance(instance.Name, instance.Value)
	case address.Value != "":
		ev.Address = address
	case status == "resolved":
		ev.Ignored = "the alert is resolved, and names no instance"
	default:
		ev.Ignored = "the alert names no instance: " + unnamed(labels, opts)
	}
}

// alertInstance finds an alert's instance: the value of the first of the
// instance labels it has, checked later as any instance ID is; else the
// IPv4 address of Prometheus's instance label (host:port, or the host
// alone), without its port.
func alertInstance(labels fields, opts Options) (instance, address standby.Param) {
	for _, name := range opts.Labels() {
		if p := labels.param(name); p.Value != "" {
			return p, standby.Param{}
		}
	}
	if ip, ok := ipv4(labels.str(AddressLabel)); ok {
		return standby.Param{}, standby.Param{Name: labels.name(AddressLabel), Value: ip}
	}
	return standby.Param{}, standby.Param{}
}

// unnamed says why an alert names no instance, for its reason.
func unnamed(labels fields, opts Options) string {
	why := "it has none of the labels " + strings.Join(opts.Labels(), ", ") + " (INSTANCE_LABELS)"
	if v := labels.str(AddressLabel); v != "" {
		why += ", and its " + AddressLabel + " label, " + standby.Quote(v) + ", holds no IPv4 address"
	}
	return why
}

// ipv4 is the IPv4 address of a Prometheus target, host:port or the host
// alone: an address an instance may hold, not a loopback, link-local,
// multicast or unspecified one. A host name, or IPv6, is not looked up.
func ipv4(target string) (string, bool) {
	host := target
	if h, _, err := net.SplitHostPort(target); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is4() || !ip.IsGlobalUnicast() {
		return "", false
	}
	return ip.String(), true
}

// count reads a field holding a count, a JSON integer of zero or more;
// absent or null is 0.
func (f fields) count(field string) int {
	raw, ok := f.obj[field]
	if !ok || isNull(raw) {
		return 0
	}
	var n int
	if json.Unmarshal(raw, &n) != nil || n < 0 {
		f.p.Invalid(f.name(field), "must be a count, a whole number of zero or more")
		return 0
	}
	return n
}
