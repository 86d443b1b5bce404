package standby

import "context"

// Locate finds the instances at private IP addresses (an alert that names
// its instance only by Prometheus's instance label, host:port), within the
// VPCs of the groups the function may act on. It answers, per address, the
// instance found there, or why none is taken: an address no instance holds,
// or more than one does, is never guessed at.
//
// Not built yet (issue 28): every address is left unresolved.
func (s *Service) Locate(ctx context.Context, inv Invocation, region string, ips []string) (found map[string]string, why map[string]error) {
	why = map[string]error{}
	for _, ip := range ips {
		why[ip] = &Error{Kind: Invalid, Code: "InvalidParameter", Message: "finding an instance by its address is not built yet"}
	}
	return map[string]string{}, why
}
