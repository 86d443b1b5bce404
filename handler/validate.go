package handler

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	groupIDPattern    = regexp.MustCompile(`^asg-[A-Za-z0-9]{1,60}$`)
	instanceIDPattern = regexp.MustCompile(`^(i|eci)-[A-Za-z0-9]{1,60}$`)
	regionIDPattern   = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+){1,4}$`)
)

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
	if v := d.group.value; v != "" && !groupIDPattern.MatchString(v) {
		d.invalid(d.group.name, "%s is not a scaling group ID (asg- and letters or digits)", quote(v))
	}
	var skipped []Skipped
	firstName := map[string]string{}
	for _, p := range d.instances {
		switch {
		case !instanceIDPattern.MatchString(p.value):
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
	if v := d.region.value; v != "" && !regionIDPattern.MatchString(v) {
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
