package ess

import "maps"

// ECSEndpoints is the package's map of ECS endpoints, for its test.
func ECSEndpoints() map[string]string { return maps.Clone(ecsEndpoints) }
