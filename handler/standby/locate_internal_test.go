package standby

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Which addresses are looked for: each once, in the order named; what no
// instance could hold is refused without a call, once however often named.
func TestAddressesToAsk(t *testing.T) {
	tests := []struct {
		name    string
		ips     []string
		asked   []string
		refused []string
	}{
		{"none", nil, nil, nil},
		{"each once, in order", []string{"10.0.0.2", "10.0.0.1", "10.0.0.2"}, []string{"10.0.0.2", "10.0.0.1"}, nil},
		{"no address refused", []string{"10.0.0.1:9100", "10.0.0.1", "127.0.0.1", "10.0.0.1:9100", "::1"}, []string{"10.0.0.1"},
			[]string{"10.0.0.1:9100", "127.0.0.1", "::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked, refused := addressesToAsk(tt.ips)
			if diff := cmp.Diff(tt.asked, asked); diff != "" {
				t.Errorf("asked (-want +got):\n%s", diff)
			}
			if len(refused) != len(tt.refused) {
				t.Errorf("refused %v, want %v", refused, tt.refused)
			}
			for _, ip := range tt.refused {
				if e := AsError(refused[ip]); e.Code != "InvalidParameter" {
					t.Errorf("%s: %v, want InvalidParameter", ip, refused[ip])
				}
			}
		})
	}
}

// What an address's reads yield: exactly one holder across the VPCs is
// the instance; two are a conflict, whatever else failed; a failed read
// is the address's failure unless two were found; none is NotFound,
// naming where it was looked for.
func TestInstanceAt(t *testing.T) {
	down := &Error{Kind: Unavailable, Code: "ServiceUnavailable", Message: "ECS is down"}
	w1, p2 := holder{"i-w1", "vpc-web"}, holder{"i-p2", "vpc-api"}
	tests := []struct {
		name     string
		holders  []holder
		failed   error
		instance string
		code     string
		says     string // in the refusal's message
	}{
		{"one", []holder{w1}, nil, "i-w1", "", ""},
		{"two", []holder{w1, p2}, nil, "", "InvalidPrivateIpAddress.Ambiguous", "i-w1 (vpc-web) and i-p2 (vpc-api)"},
		{"two, a read failed", []holder{w1, p2}, down, "", "InvalidPrivateIpAddress.Ambiguous", ""},
		{"one, a read failed", []holder{w1}, down, "", "ServiceUnavailable", ""},
		{"none, a read failed", nil, down, "", "ServiceUnavailable", ""},
		{"none", nil, nil, "", "InvalidPrivateIpAddress.NotFound", "(vpc-api, vpc-web)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := sightings{vpcs: []string{"vpc-api", "vpc-web"}, holders: map[string][]holder{"10.0.0.2": tt.holders}, failed: map[string]error{}}
			if tt.failed != nil {
				seen.failed["10.0.0.2"] = tt.failed
			}
			id, err := seen.instanceAt("10.0.0.2")
			if tt.code == "" {
				if id != tt.instance || err != nil {
					t.Errorf("instanceAt = %q, %v; want %s", id, err, tt.instance)
				}
				return
			}
			if e := AsError(err); id != "" || e.Code != tt.code || !strings.Contains(e.Message, tt.says) {
				t.Errorf("instanceAt = %q, %v; want refused %s, saying %q", id, err, tt.code, tt.says)
			}
		})
	}
	if _, err := (sightings{}).instanceAt("10.0.0.2"); !strings.Contains(err.Error(), "none of which is in a VPC") {
		t.Errorf("no VPC looked in: %v", err)
	}
}
