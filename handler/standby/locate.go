package standby

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Locate finds the instances at private IP addresses (an alert that names
// its instance only by Prometheus's instance label, host:port, the port
// stripped by the caller), within the VPCs of the groups the function may
// act on. It answers, per address, the instance found there, or why none
// is taken: an address no instance holds, or more than one does, is never
// guessed at.
//
// An address is looked for in the VPC of each group of
// ALLOWED_SCALING_GROUP_IDS (a group of the classic network has none, and
// is skipped), with ECS's DescribeInstances, AddressBatch addresses a call,
// each read retried as the core's other reads are. Exactly one instance
// across those VPCs: found. None: refused, NotFound. More than one (two
// VPCs reusing the same private range): refused, Conflict, naming them. A
// read that failed: its error, retryable when it is, unless the others
// already found two. What is not an IPv4 address an instance could hold is
// refused without a call, as is every address when they are more than
// MAX_INSTANCES.
//
// Without ALLOWED_SCALING_GROUP_IDS every address is refused (Forbidden),
// though the function may then act on any group: an address means an
// instance only within one network, and the allowlist is where the
// operator says which networks the alerts speak of. Looking in the VPC of
// every group of the region would take an address reported from a network
// the function cannot see (a staging VPC without a scaling group) for the
// one instance holding the same address in another, and act on it; an
// instance ID names one instance everywhere, and is still taken without an
// allowlist.
//
// Finding an instance is not acting on it: the caller's request for it
// goes through every rule, ALLOWED_SCALING_GROUP_IDS's among them (an
// instance of the VPC that is in no allowed group is refused then).
func (s *Service) Locate(ctx context.Context, inv Invocation, region string, ips []string) (found map[string]string, why map[string]error) {
	found = map[string]string{}
	asked, why := addressesToAsk(ips)
	if len(asked) == 0 {
		return found, why
	}
	seen, err := s.lookUp(ctx, inv, region, asked, len(why)+len(asked))
	if err != nil {
		for _, ip := range asked {
			why[ip] = err
		}
		return found, why
	}
	for _, ip := range asked {
		if id, err := seen.instanceAt(ip); err != nil {
			why[ip] = err
		} else {
			found[ip] = id
		}
	}
	return found, why
}

// addressesToAsk is the addresses to look for, each once, in the order
// named, and the refusal of each that is no address an instance could
// hold (checkAddress).
func addressesToAsk(ips []string) (asked []string, refused map[string]error) {
	refused = map[string]error{}
	for _, ip := range ips {
		if _, ok := refused[ip]; ok || slices.Contains(asked, ip) {
			continue
		}
		if err := checkAddress(ip); err != nil {
			refused[ip] = err
			continue
		}
		asked = append(asked, ip)
	}
	return asked, refused
}

// lookUp reads who holds the addresses asked in the VPCs of
// ALLOWED_SCALING_GROUP_IDS; named is how many addresses the invocation
// names, refused ones too. Its error refuses every address asked: more
// than MAX_INSTANCES named, no allowlist, no Addresses port, or a failed
// session or read of the VPCs.
func (s *Service) lookUp(ctx context.Context, inv Invocation, region string, asked []string, named int) (sightings, error) {
	if limit := s.cfg.MaxInstances; named > limit {
		return sightings{}, &Error{Kind: Invalid, Code: "InvalidParameter",
			Message: fmt.Sprintf("at most %d instances per invocation (MAX_INSTANCES), the invocation names %d addresses", limit, named)}
	}
	if len(s.cfg.AllowedGroups) == 0 {
		return sightings{}, errNoAllowlist
	}
	lookup := s.cloud.Addresses
	if lookup == nil {
		return sightings{}, &Error{Kind: Internal, Code: "InternalError", Message: "finding an instance by its address is not available: the core was given no Addresses port"}
	}
	sess, err := s.session(inv, Request{RegionID: region})
	if err != nil {
		return sightings{}, err
	}
	vpcs, err := s.allowedVPCs(ctx, lookup, sess)
	if err != nil {
		return sightings{}, err
	}
	holders, failed := s.holders(ctx, lookup, sess, vpcs, asked)
	return sightings{vpcs: vpcs, holders: holders, failed: failed}, nil
}

// sightings is what the reads of the VPCs found of the addresses asked.
type sightings struct {
	vpcs    []string            // the VPCs looked in
	holders map[string][]holder // per address, the instances holding it
	failed  map[string]error    // per address, the failure of one of its reads
}

// instanceAt is the one instance holding ip, or why none is taken: more
// than one holds it (Conflict, though a read failed: no read can make
// them one), a read failed (its error: the instance may be where it was
// not read), or none holds it (NotFound).
func (f sightings) instanceAt(ip string) (string, error) {
	switch h := f.holders[ip]; {
	case len(h) > 1:
		return "", ambiguous(ip, h)
	case f.failed[ip] != nil:
		return "", f.failed[ip]
	case len(h) == 1:
		return h[0].instance, nil
	}
	return "", &Error{Kind: NotFound, Code: "InvalidPrivateIpAddress.NotFound",
		Message: fmt.Sprintf("no ECS instance holds private IP %s in the VPCs of ALLOWED_SCALING_GROUP_IDS (%s)", ip, lookedIn(f.vpcs))}
}

// errNoAllowlist refuses an address when ALLOWED_SCALING_GROUP_IDS is not
// set: see Locate for why.
var errNoAllowlist = &Error{Kind: Forbidden, Code: "Forbidden.NoAllowedScalingGroups",
	Message: "an address is looked up only in the VPCs of ALLOWED_SCALING_GROUP_IDS, which is not set: name the instance by its ID, or set the groups whose networks the alerts come from"}

// checkAddress refuses what is not a private IPv4 address an ECS instance
// could hold: a host:port the caller did not strip, a name, IPv6 (ECS's
// lookup takes IPv4 only), and loopback, unspecified, link-local, multicast
// and broadcast addresses, which a scrape of the local host reports and no
// VPC assigns.
func checkAddress(ip string) error {
	a, err := netip.ParseAddr(ip)
	if err == nil && a.Is4() && !a.IsLoopback() && !a.IsUnspecified() && !a.IsLinkLocalUnicast() && !a.IsMulticast() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return nil
	}
	shown := ip
	if len(shown) > 64 {
		shown = shown[:64] + "…"
	}
	return &Error{Kind: Invalid, Code: "InvalidParameter", Message: "address " + strconv.Quote(shown) + " is not an instance's private IPv4 address"}
}

// allowedVPCs reads the VPCs of ALLOWED_SCALING_GROUP_IDS, GroupBatch
// groups a call, each retried: each VPC once, sorted. A group of the
// classic network, or one that does not exist, adds none.
func (s *Service) allowedVPCs(ctx context.Context, lookup Addresses, sess Session) ([]string, error) {
	var vpcs []string
	groups := slices.Compact(slices.Sorted(slices.Values(s.cfg.AllowedGroups)))
	for chunk := range slices.Chunk(groups, GroupBatch) {
		var got map[string]string
		if _, err := s.retry(ctx, func(ctx context.Context) (err error) {
			got, err = lookup.GroupVPCs(ctx, sess, chunk)
			return err
		}); err != nil {
			return nil, err
		}
		for _, g := range chunk { // never believe more than was asked
			if vpc := got[g]; vpc != "" {
				vpcs = append(vpcs, vpc)
			}
		}
	}
	slices.Sort(vpcs)
	return slices.Compact(vpcs), nil
}

// holder is an instance holding an address, and its VPC.
type holder struct{ instance, vpc string }

// holders reads, in each VPC, the instances holding the addresses,
// AddressBatch a call, the calls at once and each retried. It answers the
// holders found per address, and the failure of the read of each address
// any of whose reads failed.
func (s *Service) holders(ctx context.Context, lookup Addresses, sess Session, vpcs, ips []string) (map[string][]holder, map[string]error) {
	type read struct {
		vpc string
		ips []string
		got map[string][]string
		err error
	}
	var reads []*read
	for _, vpc := range vpcs {
		for chunk := range slices.Chunk(ips, AddressBatch) {
			reads = append(reads, &read{vpc: vpc, ips: chunk})
		}
	}
	var wg sync.WaitGroup
	for _, r := range reads {
		wg.Go(func() {
			_, r.err = s.retry(ctx, func(ctx context.Context) (err error) {
				r.got, err = lookup.InstancesByPrivateIP(ctx, sess, r.vpc, r.ips)
				return err
			})
		})
	}
	wg.Wait()
	holders, failed := map[string][]holder{}, map[string]error{}
	for _, r := range reads {
		for _, ip := range r.ips { // never believe more than was asked
			if r.err != nil {
				if failed[ip] == nil {
					failed[ip] = r.err
				}
				continue
			}
			for _, id := range r.got[ip] {
				if h := (holder{id, r.vpc}); !slices.Contains(holders[ip], h) {
					holders[ip] = append(holders[ip], h)
				}
			}
		}
	}
	return holders, failed
}

// ambiguous refuses an address more than one instance holds: it names
// them, and no one of them is taken.
func ambiguous(ip string, h []holder) error {
	var each []string
	for _, x := range h {
		each = append(each, x.instance+" ("+x.vpc+")")
	}
	return &Error{Kind: Conflict, Code: "InvalidPrivateIpAddress.Ambiguous",
		Message: fmt.Sprintf("private IP %s is held by %s in the VPCs of ALLOWED_SCALING_GROUP_IDS: it names no one instance, and none is guessed", ip, strings.Join(each, " and "))}
}

// lookedIn names the VPCs looked in, or says there was none.
func lookedIn(vpcs []string) string {
	if len(vpcs) == 0 {
		return "none of which is in a VPC"
	}
	return strings.Join(vpcs, ", ")
}
