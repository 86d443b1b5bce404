package essemu

import "testing"

// Each API answers its own actions by its version: an action under another
// API's version is NoSuchVersion, and one no API has is Auto Scaling's
// InvalidApi.NotFound.
func TestActionsAreRoutedByVersion(t *testing.T) {
	tests := []struct {
		action, version string
		wantStatus      int
		wantCode        string
	}{
		{"DescribeScalingGroups", essVersion, 200, ""},
		{"DescribeInstanceStatus", ecsVersion, 200, ""},
		{"DescribeInstanceStatus", essVersion, 400, "NoSuchVersion"},
		{"DescribeScalingGroups", ecsVersion, 400, "NoSuchVersion"},
		{"DescribeInstanceStatus", eciVersion, 400, "NoSuchVersion"},
		{"ListTagResources", eciVersion, 400, "MissingParameter"}, // ECI's, which wants ResourceType
		{"DescribeRegions", essVersion, 404, "InvalidApi.NotFound"},
		{"DescribeRegions", ecsVersion, 400, "NoSuchVersion"},
		{"DescribeRegions", eciVersion, 400, "NoSuchVersion"},
	}
	c := newRaw(t)
	for _, tt := range tests {
		status, body := c.callAt(tt.action, tt.version, nil, nil)
		if code, _ := body["Code"].(string); status != tt.wantStatus || code != tt.wantCode {
			t.Errorf("%s under %s = %d %q, want %d %q", tt.action, tt.version, status, code, tt.wantStatus, tt.wantCode)
		}
	}
}
