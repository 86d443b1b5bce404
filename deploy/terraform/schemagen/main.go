// Command schemagen dumps the configuration schemas of selected alicloud provider
// resources as JSON, for tests that check .tf files without the provider.
//
// It mirrors terraform-plugin-sdk v1's schemaMap.CoreConfigSchema (how
// Terraform core sees a resource: attributes vs nested blocks) and adds what
// the SDK keeps only in ValidateFunc closures (enums, ranges, patterns), read
// back by probing each ValidateFunc with out-of-range values and parsing the
// error text ("expected k to be one of [a b], got ...").
//
//	cd deploy/terraform/schemagen && go run . -o ../../../handler/internal/deploytest/testdata/terraform-schema.json
//
// It is its own module, so that go test ./... never builds the provider: the
// first build takes some 8 minutes and 5 GB of memory, and its module cache
// 1.7 GB. Run it by hand when the provider version below is bumped.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/aliyun/terraform-provider-alicloud/alicloud"
	"github.com/hashicorp/terraform-plugin-sdk/helper/schema"
)

var defaultResources = []string{
	"alicloud_fcv3_function",
	"alicloud_fcv3_trigger",
	"alicloud_fcv3_async_invoke_config",
	"alicloud_fcv3_concurrency_config",
	"alicloud_fcv3_provision_config",
	"alicloud_fcv3_alias",
	"alicloud_fcv3_function_version",
	"alicloud_ram_role",
	"alicloud_ram_policy",
	"alicloud_ram_role_policy_attachment",
	"alicloud_log_project",
	"alicloud_log_store",
	"alicloud_log_store_index",
	"alicloud_sls_alert",
}

type Attr struct {
	Type          string   `json:"type"` // cty-like: string, number, bool, list(string), map(string), list(object), ...
	Required      bool     `json:"required,omitempty"`
	Optional      bool     `json:"optional,omitempty"`
	Computed      bool     `json:"computed,omitempty"`
	Sensitive     bool     `json:"sensitive,omitempty"`
	Default       any      `json:"default,omitempty"`
	Deprecated    string   `json:"deprecated,omitempty"`
	Removed       string   `json:"removed,omitempty"`
	Enum          []string `json:"enum,omitempty"`
	Range         []string `json:"range,omitempty"` // [min, max]; "" = unbounded
	LenRange      []int    `json:"len_range,omitempty"`
	Pattern       string   `json:"pattern,omitempty"`
	Validation    string   `json:"validation,omitempty"` // message of a validator not decoded above
	ConflictsWith []string `json:"conflicts_with,omitempty"`
	ExactlyOneOf  []string `json:"exactly_one_of,omitempty"`
	AtLeastOneOf  []string `json:"at_least_one_of,omitempty"`
	DocEnum       []string `json:"doc_enum,omitempty"` // values listed only in the provider's docs, not enforced by it
	Object        *Block   `json:"object,omitempty"`   // shape of a computed-only list(object)
}

type Block struct {
	Attributes map[string]*Attr   `json:"attributes,omitempty"`
	Blocks     map[string]*Nested `json:"blocks,omitempty"`
}

type Nested struct {
	Nesting    string `json:"nesting"` // list | set
	MinItems   int    `json:"min_items,omitempty"`
	MaxItems   int    `json:"max_items,omitempty"`
	Required   bool   `json:"required,omitempty"`
	Optional   bool   `json:"optional,omitempty"`
	Computed   bool   `json:"computed,omitempty"`
	Deprecated string `json:"deprecated,omitempty"`
	Block
}

type Dump struct {
	Provider  string            `json:"provider"`
	Version   string            `json:"version"`
	Resources map[string]*Block `json:"resources"`
}

func main() {
	out := flag.String("o", "-", "output file")
	indent := flag.Bool("indent", false, "indent the JSON")
	flag.Parse()
	names := flag.Args()
	if len(names) == 0 {
		names = defaultResources
	}
	p := alicloud.Provider().(*schema.Provider)
	d := &Dump{Provider: "aliyun/alicloud", Version: providerVersion(), Resources: map[string]*Block{}}
	var missing []string
	for _, n := range names {
		r, ok := p.ResourcesMap[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		d.Resources[n] = block(r.Schema)
		docEnums(n, d.Resources[n])
	}
	if len(missing) > 0 {
		fmt.Fprintln(os.Stderr, "not in the provider:", strings.Join(missing, ", "))
		os.Exit(1)
	}
	var b []byte
	var err error
	if *indent {
		b, err = json.MarshalIndent(d, "", " ")
	} else {
		b, err = json.Marshal(d)
	}
	if err != nil {
		panic(err)
	}
	b = append(b, '\n')
	if *out == "-" {
		os.Stdout.Write(b)
	} else if err := os.WriteFile(*out, b, 0o644); err != nil {
		panic(err)
	}
}

func providerVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/aliyun/terraform-provider-alicloud" {
				return m.Version
			}
		}
	}
	return "unknown"
}

// block mirrors schemaMap.CoreConfigSchema in terraform-plugin-sdk v1.
func block(m map[string]*schema.Schema) *Block {
	b := &Block{Attributes: map[string]*Attr{}, Blocks: map[string]*Nested{}}
	for name, s := range m {
		res, isRes := s.Elem.(*schema.Resource)
		asBlock := false
		switch {
		case s.Elem == nil || s.Type == schema.TypeMap:
		case s.ConfigMode == schema.SchemaConfigModeAttr:
		case s.ConfigMode == schema.SchemaConfigModeBlock:
			asBlock = true
		case s.Computed && !s.Optional:
		default:
			asBlock = isRes
		}
		if asBlock {
			n := &Nested{Nesting: "list", MinItems: s.MinItems, MaxItems: s.MaxItems,
				Required: s.Required, Optional: s.Optional, Computed: s.Computed,
				Deprecated: s.Deprecated, Block: *block(res.Schema)}
			if s.Type == schema.TypeSet {
				n.Nesting = "set"
			}
			b.Blocks[name] = n
			continue
		}
		b.Attributes[name] = attr(name, s)
	}
	return b
}

func typeOf(s *schema.Schema) string {
	switch s.Type {
	case schema.TypeBool:
		return "bool"
	case schema.TypeInt, schema.TypeFloat:
		return "number"
	case schema.TypeString:
		return "string"
	case schema.TypeList, schema.TypeSet, schema.TypeMap:
		kind := map[schema.ValueType]string{schema.TypeList: "list", schema.TypeSet: "set", schema.TypeMap: "map"}[s.Type]
		switch e := s.Elem.(type) {
		case *schema.Schema:
			return kind + "(" + typeOf(e) + ")"
		case schema.ValueType:
			return kind + "(" + typeOf(&schema.Schema{Type: e}) + ")"
		case *schema.Resource:
			if s.Type == schema.TypeMap {
				return "map(string)"
			}
			return kind + "(object)"
		default:
			return kind + "(string)"
		}
	}
	return "dynamic"
}

func attr(name string, s *schema.Schema) *Attr {
	a := &Attr{Type: typeOf(s), Required: s.Required, Optional: s.Optional, Computed: s.Computed,
		Sensitive: s.Sensitive, Default: s.Default, Deprecated: s.Deprecated, Removed: s.Removed,
		ConflictsWith: s.ConflictsWith, ExactlyOneOf: s.ExactlyOneOf, AtLeastOneOf: s.AtLeastOneOf}
	if r, ok := s.Elem.(*schema.Resource); ok && s.Type != schema.TypeMap {
		a.Object = block(r.Schema)
	}
	if s.ValidateFunc != nil {
		probe(a, s.Type, s.ValidateFunc)
	} else if e, ok := s.Elem.(*schema.Schema); ok && e.ValidateFunc != nil {
		probe(a, e.Type, e.ValidateFunc) // e.g. list(string) whose items are an enum
	}
	return a
}

var (
	reOneOf   = regexp.MustCompile(`to be one of \[(.*?)\], got`)
	reRange   = regexp.MustCompile(`to be in the range \((-?[0-9.e+]+) - (-?[0-9.e+]+)\)`)
	reLen     = regexp.MustCompile(`expected length of .* to be in the range \((\d+) - (\d+)\)`)
	reAtLeast = regexp.MustCompile(`to be at least \((-?[0-9.]+)\)`)
	reAtMost  = regexp.MustCompile(`to be at most \((-?[0-9.]+)\)`)
	reRegexp  = regexp.MustCompile(`to match regular expression (".*")`)
	reInvalid = regexp.MustCompile(`invalid value for \S+ \((.*)\)`)
)

// probe calls the opaque ValidateFunc with values meant to fail and reads the
// constraint back from the message.
func probe(a *Attr, t schema.ValueType, f schema.SchemaValidateFunc) {
	var inputs []any
	switch t {
	case schema.TypeString:
		inputs = []any{"\x00probe\x00", strings.Repeat("x", 100000)}
	case schema.TypeInt:
		inputs = []any{math.MinInt32, math.MaxInt32}
	case schema.TypeFloat:
		inputs = []any{-1e300, 1e300}
	default:
		return
	}
	var lo, hi string
	var msgs []string
	for _, in := range inputs {
		for _, m := range call(f, in) {
			msgs = append(msgs, m)
			if g := reOneOf.FindStringSubmatch(m); g != nil {
				a.Enum = strings.Fields(g[1])
			} else if g := reLen.FindStringSubmatch(m); g != nil {
				x, _ := strconv.Atoi(g[1])
				y, _ := strconv.Atoi(g[2])
				a.LenRange = []int{x, y}
			} else if g := reRange.FindStringSubmatch(m); g != nil {
				lo, hi = trimNum(g[1]), trimNum(g[2])
			} else if g := reAtLeast.FindStringSubmatch(m); g != nil {
				lo = trimNum(g[1])
			} else if g := reAtMost.FindStringSubmatch(m); g != nil {
				hi = trimNum(g[1])
			} else if g := reRegexp.FindStringSubmatch(m); g != nil {
				a.Pattern, _ = strconv.Unquote(g[1])
			} else if strings.Contains(m, "invalid JSON") {
				a.Validation = "json"
			} else if g := reInvalid.FindStringSubmatch(m); g != nil {
				a.Validation = g[1]
			}
		}
	}
	if lo != "" || hi != "" {
		a.Range = []string{lo, hi}
	}
	if a.Enum == nil && a.Range == nil && a.LenRange == nil && a.Pattern == "" && a.Validation == "" && len(msgs) > 0 {
		a.Validation = clean(msgs[0])
	}
}

func call(f schema.SchemaValidateFunc, v any) (msgs []string) {
	defer func() { recover() }()
	ws, es := f(v, "k")
	for _, w := range ws {
		msgs = append(msgs, clean(w))
	}
	for _, e := range es {
		msgs = append(msgs, clean(e.Error()))
	}
	sort.Strings(msgs)
	return msgs
}

// clean drops the provider's "[NOTE] set env variable ..." tail.
func clean(s string) string {
	if i := strings.Index(s, "\n[NOTE]"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func trimNum(s string) string {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return s
}

var (
	reDocArg  = regexp.MustCompile("^\\* `([a-z0-9_]+)` - (.*)$")
	reDocEnum = regexp.MustCompile(`(?:supported types include|Valid values(?: are)?:?)\s+(.+?)\.(?:\s|$)`)
	reDocSep  = regexp.MustCompile(`\s*(?:,|\band\b|\bor\b)\s*`)
)

// docEnums reads website/docs/r/<name>.html.markdown from the provider
// module and records value lists that the provider documents but does not
// validate (e.g. alicloud_fcv3_trigger.trigger_type), for top-level string
// arguments only.
func docEnums(name string, b *Block) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aliyun/terraform-provider-alicloud").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "docs: go list:", err)
		return
	}
	doc, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "website", "docs", "r", strings.TrimPrefix(name, "alicloud_")+".html.markdown"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		return
	}
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "## Attributes Reference") {
			break
		}
		g := reDocArg.FindStringSubmatch(line)
		if g == nil {
			continue
		}
		a := b.Attributes[g[1]]
		if a == nil || a.Type != "string" || a.Enum != nil || !(a.Required || a.Optional) {
			continue
		}
		e := reDocEnum.FindStringSubmatch(g[2])
		if e == nil || strings.ContainsAny(e[1], "[~") {
			continue
		}
		var vals []string
		for _, v := range reDocSep.Split(e[1], -1) {
			if v = strings.Trim(v, "` \""); v != "" {
				vals = append(vals, v)
			}
		}
		a.DocEnum = vals
	}
}
