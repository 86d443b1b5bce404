package ess

import (
	"maps"
	"net/http"
)

// ECSEndpoints is the package's map of ECS endpoints, for its test.
func ECSEndpoints() map[string]string { return maps.Clone(ecsEndpoints) }

// LogSignature is logSignature, for its test against Log Service's SDKs.
var LogSignature = logSignature

// UseTransport makes c's calls go through rt.
func UseTransport(c *Client, rt http.RoundTripper) { c.transport = rt }
