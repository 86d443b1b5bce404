package settings

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// noProxy is NO_PROXY, read by the rules of Go's net/http (package
// golang.org/x/net/http/httpproxy, whose copy here would add a quarter of
// a megabyte of Unicode tables to the binary): comma-separated entries,
// each * (every host), an IP, a CIDR block, or a domain with an optional
// port. "example.com" matches it and its subdomains, ".example.com" and
// "*.example.com" its subdomains only. Loopback is never proxied.
type noProxy struct {
	all      bool
	prefixes []netip.Prefix // an IP is a prefix of its full length
	domains  []domainEntry
}

type domainEntry struct {
	suffix    string // with its leading dot
	matchSelf bool   // the domain itself matches too
	port      string // "": any
}

func parseNoProxy(v string) noProxy {
	var n noProxy
	for entry := range strings.SplitSeq(strings.ToLower(v), ",") {
		entry = strings.TrimSpace(entry)
		if entry == "*" {
			n.all = true
			continue
		}
		if p, err := netip.ParsePrefix(entry); err == nil {
			n.prefixes = append(n.prefixes, p.Masked())
			continue
		}
		host, port, err := net.SplitHostPort(entry)
		if err != nil {
			host, port = entry, ""
		}
		if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
			n.prefixes = append(n.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		if host = strings.TrimPrefix(host, "*"); host == "" {
			continue
		}
		n.domains = append(n.domains, domainEntry{suffix: "." + strings.TrimPrefix(host, "."), matchSelf: host[0] != '.', port: port})
	}
	return n
}

// matches says whether a call to target goes without the proxy.
func (n noProxy) matches(target *url.URL) bool {
	host := strings.ToLower(target.Hostname())
	if n.all || host == "localhost" {
		return true
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		for _, p := range n.prefixes {
			if p.Contains(ip) {
				return true
			}
		}
		return ip.IsLoopback()
	}
	port := target.Port()
	if port == "" {
		port = "443"
	}
	for _, d := range n.domains {
		if (strings.HasSuffix(host, d.suffix) || d.matchSelf && host == d.suffix[1:]) && (d.port == "" || d.port == port) {
			return true
		}
	}
	return false
}
