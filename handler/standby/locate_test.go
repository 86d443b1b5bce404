package standby_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"ess-standby/handler/internal/standbytest"
	"ess-standby/handler/standby"
)

// networks is a region of four groups: asg-web and asg-api in VPCs of
// their own which reuse 10.0.0.2, asg-old of the classic network, and
// asg-other in a VPC of its own. The function may act on the first three.
func networks() *standbytest.Fake {
	f := standbytest.NewFake("cn-hangzhou", map[string]map[string]string{
		"asg-web":   {"i-w1": "InService", "i-w2": "InService", "i-w3": "Standby"},
		"asg-api":   {"i-p1": "InService", "i-p2": "InService"},
		"asg-old":   {"i-o1": "InService"},
		"asg-other": {"i-x1": "InService"},
	})
	f.SetVPC("asg-web", "vpc-web")
	f.SetVPC("asg-api", "vpc-api")
	f.SetVPC("asg-other", "vpc-other")
	for id, ip := range map[string]string{"i-w1": "10.0.0.1", "i-w2": "10.0.0.2", "i-w3": "10.0.0.3", "i-p1": "10.0.1.1", "i-p2": "10.0.0.2",
		"i-o1": "10.8.0.1", "i-x1": "10.9.0.1"} {
		f.SetAddress(id, ip)
	}
	return f
}

var allowed = standby.Config{AllowedGroups: []string{"asg-web", "asg-api", "asg-old"}}

// Each address is found, or refused with why, by the rule of issue 28:
// exactly one instance across the allowed groups' VPCs is found; none, or
// one only in a VPC the allowed groups are not in, is unknown; two is
// ambiguous and refused, never guessed; a read that fails is the address's
// failure, retryable as it was.
func TestLocateRules(t *testing.T) {
	tests := []struct {
		name  string
		cfg   standby.Config
		steer func(*standbytest.Fake)
		ips   []string
		found map[string]string
		codes map[string]string // address → the refusal's code
		kinds map[string]standby.Kind
		calls int // InstancesByPrivateIP calls made; -1: any
	}{
		{name: "found", cfg: allowed, ips: []string{"10.0.0.1", "10.0.1.1"},
			found: map[string]string{"10.0.0.1": "i-w1", "10.0.1.1": "i-p1"}, calls: 2},
		{name: "found in Standby: the caller's request decides what becomes of it", cfg: allowed, ips: []string{"10.0.0.3"},
			found: map[string]string{"10.0.0.3": "i-w3"}, calls: 2},
		{name: "unknown", cfg: allowed, ips: []string{"10.0.0.99"},
			codes: map[string]string{"10.0.0.99": "InvalidPrivateIpAddress.NotFound"}, kinds: map[string]standby.Kind{"10.0.0.99": standby.NotFound}, calls: 2},
		{name: "ambiguous across two VPCs", cfg: allowed, ips: []string{"10.0.0.2", "10.0.0.1"},
			found: map[string]string{"10.0.0.1": "i-w1"},
			codes: map[string]string{"10.0.0.2": "InvalidPrivateIpAddress.Ambiguous"}, kinds: map[string]standby.Kind{"10.0.0.2": standby.Conflict}, calls: 2},
		{name: "the same address in a group outside the allowlist is not looked at", cfg: standby.Config{AllowedGroups: []string{"asg-web"}}, ips: []string{"10.0.0.2"},
			found: map[string]string{"10.0.0.2": "i-w2"}, calls: 1},
		{name: "an instance of a group outside the allowlist is unknown", cfg: allowed, ips: []string{"10.9.0.1"},
			codes: map[string]string{"10.9.0.1": "InvalidPrivateIpAddress.NotFound"}, kinds: map[string]standby.Kind{"10.9.0.1": standby.NotFound}, calls: 2},
		{name: "a classic network group has no VPC to look in", cfg: allowed, ips: []string{"10.8.0.1"},
			codes: map[string]string{"10.8.0.1": "InvalidPrivateIpAddress.NotFound"}, kinds: map[string]standby.Kind{"10.8.0.1": standby.NotFound}, calls: 2},
		{name: "only classic groups allowed: no call to ECS", cfg: standby.Config{AllowedGroups: []string{"asg-old"}}, ips: []string{"10.8.0.1"},
			codes: map[string]string{"10.8.0.1": "InvalidPrivateIpAddress.NotFound"}, kinds: map[string]standby.Kind{"10.8.0.1": standby.NotFound}},
		{name: "an allowed group that does not exist adds no VPC", cfg: standby.Config{AllowedGroups: []string{"asg-web", "asg-gone"}}, ips: []string{"10.0.0.1"},
			found: map[string]string{"10.0.0.1": "i-w1"}, calls: 1},
		{name: "a read that fails is retried, and left retryable", cfg: allowed, ips: []string{"10.0.0.1"},
			steer: func(f *standbytest.Fake) { f.FailVPC("InstancesByPrivateIP", "vpc-web", 0, throttled) },
			codes: map[string]string{"10.0.0.1": "Throttling"}, kinds: map[string]standby.Kind{"10.0.0.1": standby.Throttled}, calls: -1},
		{name: "one VPC's read failing: an address found in the other is not taken", cfg: allowed, ips: []string{"10.0.1.1"},
			steer: func(f *standbytest.Fake) { f.FailVPC("InstancesByPrivateIP", "vpc-web", 0, throttled) },
			codes: map[string]string{"10.0.1.1": "Throttling"}, kinds: map[string]standby.Kind{"10.0.1.1": standby.Throttled}, calls: -1},
		{name: "one VPC's read failing: found twice is ambiguous all the same", cfg: standby.Config{AllowedGroups: []string{"asg-web", "asg-api", "asg-other"}},
			steer: func(f *standbytest.Fake) { f.FailVPC("InstancesByPrivateIP", "vpc-other", 0, throttled) }, ips: []string{"10.0.0.2"},
			codes: map[string]string{"10.0.0.2": "InvalidPrivateIpAddress.Ambiguous"}, kinds: map[string]standby.Kind{"10.0.0.2": standby.Conflict}, calls: -1},
		{name: "the groups' read failing fails every address", cfg: allowed, ips: []string{"10.0.0.1", "10.0.1.1"},
			steer: func(f *standbytest.Fake) { f.Fail("GroupVPCs", 0, throttled) },
			codes: map[string]string{"10.0.0.1": "Throttling", "10.0.1.1": "Throttling"}, kinds: map[string]standby.Kind{"10.0.0.1": standby.Throttled, "10.0.1.1": standby.Throttled}},
		{name: "a refusal that no retry mends is not retried", cfg: allowed, ips: []string{"10.0.0.1"},
			steer: func(f *standbytest.Fake) {
				f.Fail("InstancesByPrivateIP", 0, &standby.Error{Kind: standby.Forbidden, Code: "Forbidden.RAM", Message: "User not authorized to operate on the specified resource."})
			},
			codes: map[string]string{"10.0.0.1": "Forbidden.RAM"}, kinds: map[string]standby.Kind{"10.0.0.1": standby.Forbidden}, calls: 2},
		{name: "no allowlist: refused, no call", cfg: standby.Config{}, ips: []string{"10.0.0.1"},
			codes: map[string]string{"10.0.0.1": "Forbidden.NoAllowedScalingGroups"}, kinds: map[string]standby.Kind{"10.0.0.1": standby.Forbidden}},
		{name: "more than MAX_INSTANCES: refused, no call", cfg: standby.Config{AllowedGroups: []string{"asg-web"}, MaxInstances: 1}, ips: []string{"10.0.0.1", "10.0.0.2"},
			codes: map[string]string{"10.0.0.1": "InvalidParameter", "10.0.0.2": "InvalidParameter"}, kinds: map[string]standby.Kind{"10.0.0.1": standby.Invalid, "10.0.0.2": standby.Invalid}},
		{name: "an address named twice is looked up once", cfg: standby.Config{AllowedGroups: []string{"asg-web"}, MaxInstances: 1}, ips: []string{"10.0.0.1", "10.0.0.1"},
			found: map[string]string{"10.0.0.1": "i-w1"}, calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := networks()
			if tt.steer != nil {
				tt.steer(f)
			}
			found, why := standby.New(tt.cfg, f.Cloud()).WithoutBackoff().Locate(context.Background(), inv, "cn-hangzhou", tt.ips)
			if fmt.Sprint(found) != fmt.Sprint(nonNil(tt.found)) {
				t.Errorf("found %v, want %v", found, tt.found)
			}
			if len(why) != len(tt.codes) {
				t.Errorf("refused %v, want %v", why, tt.codes)
			}
			for ip, code := range tt.codes {
				e := standby.AsError(why[ip])
				if e.Code != code || e.Kind != tt.kinds[ip] {
					t.Errorf("%s refused with %v (kind %d), want %s (kind %d)", ip, why[ip], e.Kind, code, tt.kinds[ip])
				}
				if strings.HasPrefix(code, "InvalidPrivateIpAddress.") && !strings.Contains(e.Message, ip) {
					t.Errorf("%s's refusal does not name it: %s", ip, e.Message)
				}
			}
			lookups := f.Calls("InstancesByPrivateIP")
			if tt.calls >= 0 && len(lookups) != tt.calls {
				t.Errorf("%d InstancesByPrivateIP calls, want %d: %+v", len(lookups), tt.calls, lookups)
			}
			for _, c := range lookups {
				if c.VpcID == "vpc-other" && !slices.Contains(tt.cfg.AllowedGroups, "asg-other") {
					t.Errorf("looked in vpc-other, the VPC of no allowed group")
				}
				if c.Session.Region != "cn-hangzhou" || !c.Session.Credentials.Complete() {
					t.Errorf("a call's session is %+v", c.Session)
				}
			}
		})
	}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// An ambiguous address's refusal names every instance holding it, each
// with its VPC, so that the operator sees which networks reuse it.
func TestLocateNamesTheAmbiguity(t *testing.T) {
	_, why := standby.New(allowed, networks().Cloud()).Locate(context.Background(), inv, "cn-hangzhou", []string{"10.0.0.2"})
	msg := standby.AsError(why["10.0.0.2"]).Message
	for _, want := range []string{"i-w2 (vpc-web)", "i-p2 (vpc-api)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal %q does not name %s", msg, want)
		}
	}
	if standby.Retryable(why["10.0.0.2"]) {
		t.Error("an ambiguous address is refused for good, not left to a retry")
	}
}

// A read that fails for a moment is retried within the invocation, as the
// core's other reads are, and the address is found.
func TestLocateRetriesItsReads(t *testing.T) {
	f := networks()
	f.Fail("GroupVPCs", 1, throttled)
	f.FailVPC("InstancesByPrivateIP", "vpc-web", 2, &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server."})
	found, why := standby.New(allowed, f.Cloud()).WithoutBackoff().Locate(context.Background(), inv, "cn-hangzhou", []string{"10.0.0.1"})
	if found["10.0.0.1"] != "i-w1" || len(why) != 0 {
		t.Errorf("found %v, refused %v; want i-w1 after the retries", found, why)
	}
	if n := len(f.Calls("GroupVPCs")); n != 2 {
		t.Errorf("%d GroupVPCs calls, want 2", n)
	}
	web := 0
	for _, c := range f.Calls("InstancesByPrivateIP") {
		if c.VpcID == "vpc-web" {
			web++
		}
	}
	if web != 3 {
		t.Errorf("%d lookups in vpc-web, want 3", web)
	}
}

// What is not an IPv4 address an instance could hold is refused without a
// call, each naming itself, beside an address that is looked up.
func TestLocateRefusesWhatIsNoAddress(t *testing.T) {
	bad := []string{"10.0.80.186:9100", "web-1", "", "::1", "fe80::1", "::ffff:10.0.0.1", "127.0.0.1", "0.0.0.0", "169.254.0.1",
		"224.0.0.1", "255.255.255.255", "010.0.0.1", "10.0.0.256", " 10.0.0.1", strings.Repeat("9", 500)}
	f := networks()
	found, why := standby.New(allowed, f.Cloud()).WithoutBackoff().Locate(context.Background(), inv, "cn-hangzhou", bad)
	if len(found) != 0 || len(why) != len(bad) || len(f.Calls("")) != 0 {
		t.Errorf("found %v, refused %d of %d, %d calls; want every one refused without a call", found, len(why), len(bad), len(f.Calls("")))
	}
	for _, ip := range bad {
		if e := standby.AsError(why[ip]); e.Code != "InvalidParameter" || e.Kind != standby.Invalid || len(e.Message) > 200 {
			t.Errorf("%q refused with %v", ip, why[ip])
		}
	}
	found, why = standby.New(allowed, f.Cloud()).WithoutBackoff().Locate(context.Background(), inv, "cn-hangzhou", []string{"web-1", "10.0.0.1"})
	if found["10.0.0.1"] != "i-w1" || len(why) != 1 || why["web-1"] == nil {
		t.Errorf("beside a bad address: found %v, refused %v", found, why)
	}
	for _, c := range f.Calls("InstancesByPrivateIP") {
		if !slices.Equal(c.IDs, []string{"10.0.0.1"}) {
			t.Errorf("looked up %v; want the good address alone", c.IDs)
		}
	}
}

// More addresses than ECS takes in one call are looked up in batches of
// standby.AddressBatch, in every VPC; each address is found once.
func TestLocateBatchesAddresses(t *testing.T) {
	f := networks()
	var ips []string
	for i := range 150 {
		ips = append(ips, fmt.Sprintf("10.0.%d.%d", 2+i/100, i%100+1))
	}
	ips = append(ips, "10.0.0.1")
	found, why := standby.New(standby.Config{AllowedGroups: allowed.AllowedGroups, MaxInstances: 200}, f.Cloud()).WithoutBackoff().Locate(context.Background(), inv, "cn-hangzhou", ips)
	if found["10.0.0.1"] != "i-w1" || len(found) != 1 || len(why) != 150 {
		t.Errorf("found %v, %d refused; want i-w1 and 150 unknown", found, len(why))
	}
	calls := f.Calls("InstancesByPrivateIP")
	if len(calls) != 4 {
		t.Errorf("%d calls; want 2 per VPC", len(calls))
	}
	for _, c := range calls {
		if len(c.IDs) > standby.AddressBatch {
			t.Errorf("a call names %d addresses", len(c.IDs))
		}
	}
}

// The session is the invocation's: its credentials, and the region asked
// for, else the settings'; without a region nothing is looked up.
func TestLocateSession(t *testing.T) {
	f := networks()
	cfg := allowed
	_, why := standby.New(cfg, f.Cloud()).Locate(context.Background(), standby.Invocation{RequestID: "r", Credentials: inv.Credentials}, "", []string{"10.0.0.1"})
	if e := standby.AsError(why["10.0.0.1"]); e.Code != "MissingParameter" || len(f.Calls("")) != 0 {
		t.Errorf("without a region: %v, %d calls", why, len(f.Calls("")))
	}
	cfg.Region = "cn-hangzhou"
	found, _ := standby.New(cfg, f.Cloud()).Locate(context.Background(), standby.Invocation{RequestID: "r", Credentials: inv.Credentials}, "", []string{"10.0.0.1"})
	if found["10.0.0.1"] != "i-w1" {
		t.Errorf("in the settings' region: found %v", found)
	}
	for _, c := range f.Calls("") {
		if c.Session.Credentials != inv.Credentials {
			t.Errorf("a call was made as %v", c.Session.Credentials)
		}
	}
}

// A core given no Addresses port finds nothing, and says so.
func TestLocateWithoutTheLookup(t *testing.T) {
	f := networks()
	_, why := standby.New(allowed, standby.Cloud{Scaling: f, Instances: f}).Locate(context.Background(), inv, "cn-hangzhou", []string{"10.0.0.1"})
	if e := standby.AsError(why["10.0.0.1"]); e.Kind != standby.Internal || len(f.Calls("")) != 0 {
		t.Errorf("refused with %v (kind %d), %d calls", why["10.0.0.1"], e.Kind, len(f.Calls("")))
	}
}
