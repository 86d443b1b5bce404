//go:build !fcgo1 && !fccustom

package modes

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"ess-standby/handler/standby"
)

func init() { modes["policy"] = policy }

// policyFiles are the policies of deploy/ that policy prints, by the name
// it is asked for.
var policyFiles = map[string]string{
	"function": "deploy/function-policy.json", // the function's role
	"deployer": "deploy/deployer-policy.json", // whoever runs s deploy
	"drill":    "deploy/drill-policy.json",    // the operator who runs the drill
	"operator": "deploy/operator-policy.json", // the operator who runs status and release
}

// policyNames are policyFiles' names, in the order the usage gives them.
var policyNames = []string{"function", "deployer", "drill", "operator"}

// policiesSaid are policyNames as a sentence says them.
const policiesSaid = "function, deployer, drill or operator"

// groupPlaceholder is the one placeholder that may stand for many values:
// a string holding it becomes one string per group.
const groupPlaceholder = "<scaling-group-id>"

// placeholderFlags are the placeholders the policies hold, each with the
// flag that fills it.
var placeholderFlags = map[string]string{
	"<region>":       "--region",
	"<account-id>":   "--account",
	groupPlaceholder: "--group",
	"<log-project>":  "--log-project",
	"<logstore>":     "--logstore",
}

// placeholder is anything in a policy that is left to be filled: a policy
// that still holds one after filling is not printed, whatever its name.
var placeholder = regexp.MustCompile(`<[^<>"]+>`)

// The rules of the values, as the cloud names them: an account's ID is
// digits; a scaling group's ID asg- and lower-case letters or digits; Log
// Service's project a host name's label, its logstore that or _ (as
// handler/ess checks them before they make a host).
var (
	accountID    = regexp.MustCompile(`^[0-9]{1,32}$`)
	groupID      = regexp.MustCompile(`^asg-[a-z0-9]{1,60}$`)
	projectName  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	logstoreName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$`)
)

// policyValues are what fill a policy's placeholders.
type policyValues struct {
	Region, Account      string
	Groups               []string // in the order given
	LogProject, Logstore string
}

// groupList is --group: given again, or with commas, it adds groups.
type groupList []string

func (g *groupList) String() string { return strings.Join(*g, ",") }

func (g *groupList) Set(v string) error {
	*g = append(*g, strings.Split(v, ",")...)
	return nil
}

// policy is the mode: ess-standby policy function|deployer|drill|operator --region R
// --account A [--group G ...] [--log-project P] [--logstore S] prints the
// policy of deploy/ with its placeholders filled, ready for aliyun ram
// CreatePolicy --PolicyDocument.
func policy(args []string, env Env) int {
	flags := flag.NewFlagSet("policy", flag.ContinueOnError)
	flags.SetOutput(env.Stderr)
	var v policyValues
	flags.StringVar(&v.Region, "region", "", "the region of the function and its groups, such as cn-hangzhou")
	flags.StringVar(&v.Account, "account", "", "the account's ID (digits)")
	flags.Var((*groupList)(&v.Groups), "group", "a scaling group the function acts on, asg-...: repeat it, or separate IDs by commas (function, operator)")
	flags.StringVar(&v.LogProject, "log-project", "", "the function's Log Service project, as s info names it under logConfig (drill)")
	flags.StringVar(&v.Logstore, "logstore", "default-logs", "the function's logstore (drill)")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: ess-standby policy function|deployer|drill|operator --region R --account A [--group G ...] [--log-project P] [--logstore S]")
		flags.PrintDefaults()
	}
	// The policy's name may come first or among the flags, which the flag
	// package stops at: parsing goes on after each.
	var names []string
	for rest := args; ; {
		if code, ok := parseFlags(flags, rest); !ok {
			return code
		}
		if flags.NArg() == 0 {
			break
		}
		names, rest = append(names, flags.Arg(0)), flags.Args()[1:]
	}
	doc, problems, err := fillPolicy(env.Deploy, names, v)
	switch {
	case err != nil:
		fmt.Fprintln(env.Stderr, "ess-standby policy:", err)
		return 1
	case len(problems) > 0:
		fmt.Fprintf(env.Stderr, "ess-standby policy: fix these, then run it again:\n  %s\n", strings.Join(problems, "\n  "))
		return 2
	}
	env.Stdout.Write(doc)
	return 0
}

// fillPolicy reads the policy named in names from files and fills its
// placeholders with v. It returns the policy as indented JSON, or every
// problem of the names and values at once; err is the file's own failure
// (missing from the build, not JSON), which no flag mends.
func fillPolicy(files fs.FS, names []string, v policyValues) (doc []byte, problems []string, err error) {
	problems = v.check()
	path, wrong := policyPath(names)
	if wrong != "" {
		return nil, slices.Insert(problems, 0, wrong), nil
	}
	root, err := readPolicy(files, path)
	if err != nil {
		return nil, nil, err
	}
	pairs, unfilled := v.replacements(path, root.placeholders(nil))
	if problems = append(problems, unfilled...); len(problems) > 0 {
		return nil, problems, nil
	}
	filled := root.fill(strings.NewReplacer(pairs...), v.Groups)
	if left := filled.placeholders(nil); len(left) > 0 {
		// A placeholder in a name, or made by a value: never printed.
		return nil, []string{fmt.Sprintf("%s would still hold %s once filled: it is not printed", path, strings.Join(left, ", "))}, nil
	}
	return printPolicy(path, filled)
}

// policyPath is the file of the one policy names names, or what is wrong
// with names.
func policyPath(names []string) (path, wrong string) {
	switch {
	case len(names) == 0:
		return "", "name the policy: " + policiesSaid
	case len(names) > 1:
		return "", fmt.Sprintf("want one policy, %s; got %d: %s", policiesSaid, len(names), strings.Join(names, " "))
	case policyFiles[names[0]] == "":
		wrong := fmt.Sprintf("%q is no policy: want %s", names[0], policiesSaid)
		if near := nearest(names[0], policyNames); near != "" {
			wrong += fmt.Sprintf("; did you mean %q?", near)
		}
		return "", wrong
	}
	return policyFiles[names[0]], ""
}

// readPolicy reads the policy at path, as its keys are written.
func readPolicy(files fs.FS, path string) (node, error) {
	raw, err := fs.ReadFile(files, path)
	if err != nil {
		return node{}, fmt.Errorf("this build has no %s: %v", path, err)
	}
	root, err := readNode(raw)
	if err != nil {
		return node{}, fmt.Errorf("%s is not JSON: %v", path, err)
	}
	return root, nil
}

// replacements pairs each placeholder found in the policy at path with its
// value, for a strings.Replacer (the group placeholder aside: fill makes
// one string per group), and names each that no flag fills or whose flag
// is missing. What the file leaves to fill decides which flags it needs:
// the code knows no action or resource of any policy.
func (v policyValues) replacements(path string, found []string) (pairs, problems []string) {
	given := map[string][]string{"<region>": {v.Region}, "<account-id>": {v.Account}, groupPlaceholder: v.Groups,
		"<log-project>": {v.LogProject}, "<logstore>": {v.Logstore}}
	for _, p := range found {
		flagName, known := placeholderFlags[p]
		switch {
		case !known:
			problems = append(problems, fmt.Sprintf("%s holds %s, which no flag fills", path, p))
		case len(given[p]) == 0 || given[p][0] == "":
			problems = append(problems, fmt.Sprintf("%s is missing: %s names %s", flagName, path, p))
		case p != groupPlaceholder:
			pairs = append(pairs, p, given[p][0])
		}
	}
	return pairs, problems
}

// printPolicy is the filled policy at path as CreatePolicy takes it:
// indented when that fits RAM's limit, compact when only that does, or the
// problem when neither does.
func printPolicy(path string, filled node) (doc []byte, problems []string, err error) {
	var compact, out bytes.Buffer
	filled.write(&compact)
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, nil, fmt.Errorf("%s filled is not JSON: %v", path, err)
	}
	switch {
	case out.Len() <= maxPolicyDocument:
	case compact.Len() <= maxPolicyDocument:
		out = compact // whether RAM counts the indentation is unsaid: drop it
	default:
		return nil, []string{fmt.Sprintf("%s filled is %d characters, and RAM takes a policy of at most %d: split the groups over two policies", path, compact.Len(), maxPolicyDocument)}, nil
	}
	out.WriteByte('\n')
	return out.Bytes(), nil, nil
}

// maxPolicyDocument is the longest policy document CreatePolicy takes,
// 6,144 characters (Resource Management's and RAM's CreatePolicy pages;
// RAM's older page said 2,048): a longer one would be refused at the call.
const maxPolicyDocument = 6144

// check names every value that is given and wrong: an unused one too, so
// that a mistake in a script shows on any policy.
func (v policyValues) check() []string {
	var problems []string
	if v.Region != "" && !standby.ValidRegionID(v.Region) {
		problems = append(problems, fmt.Sprintf("--region: %q is not a region ID, such as cn-hangzhou", v.Region))
	}
	if v.Account != "" && !accountID.MatchString(v.Account) {
		problems = append(problems, fmt.Sprintf("--account: %q is not an account ID: digits, such as 1234567890123456", v.Account))
	}
	seen := map[string]bool{}
	for _, g := range v.Groups {
		switch {
		case g == "":
			problems = append(problems, "--group: an empty ID (a comma too many?)")
		case !groupID.MatchString(g):
			problems = append(problems, fmt.Sprintf("--group: %q is not a scaling group ID: asg- and lower-case letters or digits", g))
		case seen[g]:
			problems = append(problems, fmt.Sprintf("--group: %s is given twice", g))
		}
		seen[g] = true
	}
	if v.LogProject != "" && !projectName.MatchString(v.LogProject) {
		problems = append(problems, fmt.Sprintf("--log-project: %q is not a Log Service project: 3 to 63 lower-case letters, digits or hyphens, a letter or digit at each end", v.LogProject))
	}
	if v.Logstore != "" && !logstoreName.MatchString(v.Logstore) {
		problems = append(problems, fmt.Sprintf("--logstore: %q is not a Log Service logstore: 3 to 63 lower-case letters, digits, hyphens or underscores, a letter or digit at each end", v.Logstore))
	}
	return problems
}

// node is a JSON value read with its objects' keys in the file's order, so
// that the policy printed reads as the file does (a map would sort them).
type node struct {
	kind byte            // '{', '[', '"', or 0: any other value
	keys []string        // an object's, in order
	kids []node          // an object's values, by keys; an array's elements
	text string          // a string's
	raw  json.RawMessage // any other value's, as written
}

// readNode reads raw as one JSON value and nothing after it.
func readNode(raw []byte) (node, error) {
	if !json.Valid(raw) {
		var v any
		return node{}, json.Unmarshal(raw, &v) // the syntax error, where the decoder's tokens say only EOF
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // a number is printed as written
	return decodeNode(dec)
}

func decodeNode(dec *json.Decoder) (node, error) {
	tok, err := dec.Token()
	if err != nil {
		return node{}, err
	}
	switch t := tok.(type) {
	case json.Delim: // '{' or '[': the decoder returns no closing one here
		n := node{kind: byte(t)}
		for dec.More() {
			if t == '{' {
				key, err := dec.Token()
				if err != nil {
					return node{}, err
				}
				n.keys = append(n.keys, key.(string)) // the decoder yields an object's keys as strings
			}
			kid, err := decodeNode(dec)
			if err != nil {
				return node{}, err
			}
			n.kids = append(n.kids, kid)
		}
		_, err := dec.Token() // the closing delimiter
		return n, err
	case string:
		return node{kind: '"', text: t}, nil
	}
	raw, err := json.Marshal(tok) // a json.Number, a bool or null, as it was
	return node{raw: raw}, err
}

// placeholders appends those n holds, in keys and strings, each once, in
// the order they first appear.
func (n node) placeholders(found []string) []string {
	add := func(s string) {
		for _, p := range placeholder.FindAllString(s, -1) {
			if !slices.Contains(found, p) {
				found = append(found, p)
			}
		}
	}
	add(n.text)
	for _, k := range n.keys {
		add(k)
	}
	for _, kid := range n.kids {
		found = kid.placeholders(found)
	}
	return found
}

// fill is n with r's placeholders replaced, and every string holding the
// group placeholder made one string per group: in an array, as many
// elements; as an object's value, an array of them (one group: the string).
func (n node) fill(r *strings.Replacer, groups []string) node {
	perGroup := func(s string) []node {
		out := make([]node, len(groups))
		for i, g := range groups {
			out[i] = node{kind: '"', text: r.Replace(strings.ReplaceAll(s, groupPlaceholder, g))}
		}
		return out
	}
	out := node{kind: n.kind, raw: n.raw, text: r.Replace(n.text)}
	for i, kid := range n.kids {
		if n.kind == '{' {
			out.keys = append(out.keys, r.Replace(n.keys[i]))
		}
		switch {
		case kid.kind != '"' || !strings.Contains(kid.text, groupPlaceholder) || len(groups) == 0:
			out.kids = append(out.kids, kid.fill(r, groups))
		case n.kind == '[':
			out.kids = append(out.kids, perGroup(kid.text)...)
		case len(groups) == 1:
			out.kids = append(out.kids, perGroup(kid.text)[0])
		default:
			out.kids = append(out.kids, node{kind: '[', kids: perGroup(kid.text)})
		}
	}
	return out
}

// write writes n as compact JSON.
func (n node) write(b *bytes.Buffer) {
	switch n.kind {
	case '{', '[':
		b.WriteByte(n.kind)
		for i, kid := range n.kids {
			if i > 0 {
				b.WriteByte(',')
			}
			if n.kind == '{' {
				writeString(b, n.keys[i])
				b.WriteByte(':')
			}
			kid.write(b)
		}
		b.WriteByte(n.kind + 2) // '{'+2 is '}', '['+2 is ']'
	case '"':
		writeString(b, n.text)
	default:
		b.Write(n.raw)
	}
}

// writeString writes s as a JSON string, without encoding/json's escapes
// for HTML: a policy is no web page, and reads better as written.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	// A string always encodes, and Encode ends it with a newline.
	enc.Encode(s)
	b.Truncate(b.Len() - 1)
}
