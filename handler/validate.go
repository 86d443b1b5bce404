package handler

import (
	"fmt"
	"strings"
)

// validGroupID: asg- and 1 to 60 letters or digits.
func validGroupID(s string) bool {
	rest, ok := strings.CutPrefix(s, "asg-")
	return ok && alnum(rest, 1, 60)
}

// validInstanceID: i- (ECS) or eci- (ECI) and 1 to 60 letters or digits.
func validInstanceID(s string) bool {
	rest, ok := strings.CutPrefix(s, "i-")
	if !ok {
		rest, ok = strings.CutPrefix(s, "eci-")
	}
	return ok && alnum(rest, 1, 60)
}

// validRegionID: a lowercase word of two letters or more, then one to four
// dash-separated parts of lowercase letters and digits (cn-hangzhou,
// ap-southeast-1, cn-shanghai-finance-1).
func validRegionID(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 2 || len(parts) > 5 || len(parts[0]) < 2 || strings.ContainsFunc(parts[0], func(r rune) bool { return r < 'a' || r > 'z' }) {
		return false
	}
	for _, part := range parts[1:] {
		if part == "" || strings.ContainsFunc(part, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') }) {
			return false
		}
	}
	return true
}

// alnum: between min and max ASCII letters or digits. (Regular expressions
// with {1,60} cost half a millisecond of every cold start to compile.)
func alnum(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// param is one parameter as the caller sent it, under the name the API gives
// it (InstanceId.3), so problems can name it.
type param struct {
	name, value string
}

// draft is a request as a decoder found it: every value still a string, plus
// the problems decoding met. validate turns it into a Request.
type draft struct {
	group     param
	instances []param
	token     param
	async     param
	dryRun    param
	wait      param
	action    param
	region    param
	problems  []problem
}

type problem struct {
	missing bool
	text    string
}

func (d *draft) invalid(name, format string, args ...any) {
	d.problems = append(d.problems, problem{text: name + ": " + fmt.Sprintf(format, args...)})
}

func (d *draft) missing(name, text string) {
	d.problems = append(d.problems, problem{missing: true, text: name + ": " + text})
}

// Skipped is an instance the request named that no call was made for.
type Skipped struct {
	InstanceID string `json:"InstanceId"`
	Reason     string `json:"Reason"`
}

// validate checks every field, reports every problem in one error, and
// removes duplicate instance IDs, reporting them as skipped. A request may
// name at most max instances (MAX_INSTANCES).
func (d draft) validate(max int) (Request, []Skipped, error) {
	req := Request{Action: EnterStandby, ScalingGroupID: d.group.value, ClientToken: d.token.value, RegionID: d.region.value}
	switch Action(d.action.value) {
	case "", EnterStandby:
	case ExitStandby:
		req.Action = ExitStandby
	default:
		d.invalid(d.action.name, "%s is not EnterStandby or ExitStandby", quote(d.action.value))
	}
	if v := d.group.value; v != "" && !validGroupID(v) {
		d.invalid(d.group.name, "%s is not a scaling group ID (asg- and letters or digits)", quote(v))
	}
	var skipped []Skipped
	firstName := map[string]string{}
	for _, p := range d.instances {
		switch {
		case !validInstanceID(p.value):
			d.invalid(p.name, "%s is not an instance ID (i- or eci- and letters or digits)", quote(p.value))
		case firstName[p.value] != "":
			skipped = append(skipped, Skipped{InstanceID: p.value, Reason: "duplicate of " + firstName[p.value]})
		default:
			firstName[p.value] = p.name
			req.InstanceIDs = append(req.InstanceIDs, p.value)
		}
	}
	switch {
	case len(d.instances) == 0:
		d.missing("InstanceId", "at least one instance ID is required")
	case len(req.InstanceIDs) > max:
		d.invalid("InstanceId", "at most %d instances per invocation (MAX_INSTANCES), got %d", max, len(req.InstanceIDs))
	}
	if v := d.token.value; len(v) > 64 || !printableASCII(v) {
		d.invalid(d.token.name, "must be printable ASCII of at most 64 characters")
	}
	req.Async = d.boolean(d.async)
	req.DryRun = d.boolean(d.dryRun)
	req.Wait = d.boolean(d.wait)
	if v := d.region.value; v != "" && !validRegionID(v) {
		d.invalid(d.region.name, "%s is not a region ID", quote(v))
	}
	if len(d.problems) > 0 {
		return Request{}, nil, d.err()
	}
	return req, skipped, nil
}

// boolean reads true or false; anything else is a problem.
func (d *draft) boolean(p param) bool {
	switch p.value {
	case "", "false":
	case "true":
		return true
	default:
		d.invalid(p.name, "%s is not a boolean (true or false)", quote(p.value))
	}
	return false
}

// err reports all problems at once: MissingParameter when nothing but absent
// fields is wrong, InvalidParameter otherwise.
func (d draft) err() error {
	code := "MissingParameter"
	texts := make([]string, len(d.problems))
	for i, p := range d.problems {
		if !p.missing {
			code = "InvalidParameter"
		}
		texts[i] = p.text
	}
	return &Error{Kind: Invalid, Code: code, Message: strings.Join(texts, "; ")}
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// quote shows a caller's value in a message, cut short so a hostile payload
// cannot blow up the answer or the log.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
