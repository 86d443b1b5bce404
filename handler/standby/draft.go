package standby

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Param is one parameter as the caller sent it, under the name the API gives
// it (InstanceId.3), so that a problem can name it.
type Param struct {
	Name, Value string
}

// MaxNamed is the most instance IDs a draft keeps: MAX_INSTANCES is at most
// 1000, and a draft naming more is refused on its count alone, so that a
// hostile payload of many IDs costs no more than a valid one.
const MaxNamed = 1000

// Draft is a request as a decoder found it: every value still a string, plus
// the problems decoding met. Service.Check turns it into a Request.
type Draft struct {
	ScalingGroupID Param
	InstanceIDs    []Param // at most MaxNamed; Named counts them all
	Named          int     // how many instance IDs the input named
	ClientToken    Param
	Async          Param
	DryRun         Param
	Wait           Param
	Action         Param
	RegionID       Param
	Problems       Problems // what decoding (and then checking) found wrong
	// TooMany: checking refused it for naming more than MAX_INSTANCES,
	// the guard against one bad rule naming half the fleet.
	TooMany bool
}

// AddInstance records one instance ID the input names, as the parameter
// name.
func (d *Draft) AddInstance(name, value string) {
	d.Named++
	if len(d.InstanceIDs) < MaxNamed {
		d.InstanceIDs = append(d.InstanceIDs, Param{Name: name, Value: value})
	}
}

// AddInstanceN records the n-th (from 1) instance ID of a list, named as the
// API names it: InstanceId.n.
func (d *Draft) AddInstanceN(n int, value string) {
	d.Named++
	if len(d.InstanceIDs) < MaxNamed {
		d.InstanceIDs = append(d.InstanceIDs, Param{Name: "InstanceId." + strconv.Itoa(n), Value: value})
	}
}

// maxProblems is how many problems an answer lists; the others are counted.
// maxProblemText bounds each one: a hostile input must not make a large
// answer or log line.
const (
	maxProblems    = 20
	maxProblemText = 300
)

// Problems collects what is wrong with an input, to report it all at once.
type Problems struct {
	list []problem
	more int // problems past maxProblems, counted only
}

type problem struct {
	missing bool
	text    string
}

// Invalid records a value that is wrong: InvalidParameter.
func (p *Problems) Invalid(name, format string, args ...any) {
	p.add(problem{text: name + ": " + fmt.Sprintf(format, args...)})
}

// Missing records a value that is absent: MissingParameter, when nothing
// else is wrong.
func (p *Problems) Missing(name, text string) {
	p.add(problem{missing: true, text: name + ": " + text})
}

func (p *Problems) add(pr problem) {
	if len(p.list) >= maxProblems {
		p.more++
		return
	}
	pr.text = cut(pr.text, maxProblemText)
	p.list = append(p.list, pr)
}

// Include adds other's problems, each named with prefix (a batch's "[2]").
func (p *Problems) Include(prefix string, other Problems) {
	for _, pr := range other.list {
		pr.text = prefix + pr.text
		p.add(pr)
	}
	p.more += other.more
}

// Empty says whether no problem was recorded.
func (p Problems) Empty() bool { return len(p.list) == 0 }

// Err reports every problem in one error: MissingParameter when nothing but
// absent values is wrong, InvalidParameter otherwise; nil when there is none.
func (p Problems) Err() error {
	if p.Empty() {
		return nil
	}
	code := "MissingParameter"
	texts := make([]string, 0, len(p.list)+1)
	for _, pr := range p.list {
		if !pr.missing {
			code = "InvalidParameter"
		}
		texts = append(texts, pr.text)
	}
	if p.more > 0 {
		code = "InvalidParameter"
		texts = append(texts, fmt.Sprintf("and %d more problems", p.more))
	}
	return &Error{Kind: Invalid, Code: code, Message: strings.Join(texts, "; ")}
}

// Skipped is an instance the request named that no call was made for.
type Skipped struct {
	InstanceID string `json:"InstanceId"`
	Reason     string `json:"Reason"`
}

// check reads every field, records each problem into d.Problems, and
// moves duplicate instance IDs aside, which the answer reports as skipped.
// Service.Check gives it the limit.
func (d *Draft) check(limit int) Request {
	req := Request{Action: d.action(), ScalingGroupID: d.ScalingGroupID.Value, ClientToken: d.ClientToken.Value, RegionID: d.RegionID.Value}
	if v := d.ScalingGroupID.Value; v != "" && !ValidGroupID(v) {
		d.Problems.Invalid(d.ScalingGroupID.Name, "%s is not a scaling group ID (asg- and letters or digits)", Quote(v))
	}
	d.instanceIDs(&req, limit)
	if v := d.ClientToken.Value; len(v) > 64 || !PrintableASCII(v) {
		d.Problems.Invalid(d.ClientToken.Name, "must be printable ASCII of at most 64 characters")
	}
	req.Async = d.boolean(d.Async)
	req.DryRun = d.boolean(d.DryRun)
	req.Wait = d.boolean(d.Wait)
	if v := d.RegionID.Value; v != "" && !ValidRegionID(v) {
		d.Problems.Invalid(d.RegionID.Name, "%s is not a region ID", Quote(v))
	}
	return req
}

// action reads Action: EnterStandby when absent, and when not an action
// (a problem).
func (d *Draft) action() Action {
	switch a := Action(d.Action.Value); a {
	case "":
		return EnterStandby
	case EnterStandby, ExitStandby, Sweep:
		return a
	}
	d.Problems.Invalid(d.Action.Name, "%s is not EnterStandby, ExitStandby or Sweep", Quote(d.Action.Value))
	return EnterStandby
}

// instanceIDs reads the instance IDs into req: a sweep names none; any
// other action at least one and at most limit (more is refused on the
// count alone, TooMany), each once (see distinct).
func (d *Draft) instanceIDs(req *Request, limit int) {
	switch {
	case req.Action == Sweep && d.Named > 0:
		d.Problems.Invalid("InstanceId", "a sweep names no instances: it looks at every Standby instance of its groups")
	case req.Action == Sweep:
	case d.Named == 0:
		d.Problems.Missing("InstanceId", "at least one instance ID is required")
	case d.Named > limit:
		d.TooMany = true
		d.Problems.Invalid("InstanceId", "at most %d instances per invocation (MAX_INSTANCES), got %d", limit, d.Named)
	default:
		var invalid []Param
		req.InstanceIDs, req.Duplicates, invalid = distinct(d.InstanceIDs)
		for _, p := range invalid {
			d.Problems.Invalid(p.Name, "%s is not an instance ID (i- or eci- and letters or digits)", Quote(p.Value))
		}
	}
}

// distinct sorts instance ID parameters, in order: what is not an instance
// ID is invalid; the first parameter naming an instance keeps it; a later
// one is a duplicate, skipped, naming the first.
func distinct(params []Param) (ids []string, duplicates []Skipped, invalid []Param) {
	firstName := map[string]string{}
	for _, p := range params {
		switch {
		case !ValidInstanceID(p.Value):
			invalid = append(invalid, p)
		case firstName[p.Value] != "":
			duplicates = append(duplicates, Skipped{InstanceID: p.Value, Reason: "duplicate of " + firstName[p.Value]})
		default:
			firstName[p.Value] = p.Name
			ids = append(ids, p.Value)
		}
	}
	return ids, duplicates, invalid
}

// boolean reads true or false; anything else is a problem.
func (d *Draft) boolean(p Param) bool {
	switch p.Value {
	case "", "false":
	case "true":
		return true
	default:
		d.Problems.Invalid(p.Name, "%s is not a boolean (true or false)", Quote(p.Value))
	}
	return false
}

// ValidGroupID: asg- and 1 to 60 letters or digits.
func ValidGroupID(s string) bool {
	rest, ok := strings.CutPrefix(s, "asg-")
	return ok && alnum(rest, 1, 60)
}

// ValidInstanceID: i- (ECS) or eci- (ECI) and 1 to 60 letters or digits.
func ValidInstanceID(s string) bool {
	rest, ok := strings.CutPrefix(s, "i-")
	if !ok {
		rest, ok = strings.CutPrefix(s, "eci-")
	}
	return ok && alnum(rest, 1, 60)
}

// ValidRegionID: a lowercase word of two letters or more, then one to four
// dash-separated parts of lowercase letters and digits (cn-hangzhou,
// ap-southeast-1, cn-shanghai-finance-1).
func ValidRegionID(s string) bool {
	parts := strings.Split(s, "-")
	if len(s) > 64 || len(parts) < 2 || len(parts) > 5 || len(parts[0]) < 2 || strings.ContainsFunc(parts[0], func(r rune) bool { return r < 'a' || r > 'z' }) {
		return false
	}
	for _, part := range parts[1:] {
		if part == "" || strings.ContainsFunc(part, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') }) {
			return false
		}
	}
	return true
}

// alnum: between least and most ASCII letters or digits. (Regular
// expressions with {1,60} cost half a millisecond of every cold start to
// compile.)
func alnum(s string, least, most int) bool {
	if len(s) < least || len(s) > most {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// PrintableASCII: every byte a printable ASCII character.
func PrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Quote shows a caller's value in a message, cut short so a hostile payload
// cannot blow up the answer or the log.
func Quote(s string) string {
	const most = 64
	if len(s) > most {
		return strconv.Quote(cut(s, most)) + "…"
	}
	return strconv.Quote(s)
}

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
