package handler

import (
	"context"
	"log/slog"
)

// Credentials sign Auto Scaling calls: the STS credentials of the function's
// RAM role. They never print: String, LogValue and MarshalJSON redact them,
// also when they sit inside another value being logged.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

func (c Credentials) String() string               { return "Credentials(REDACTED)" }
func (c Credentials) GoString() string             { return c.String() }
func (c Credentials) LogValue() slog.Value         { return slog.StringValue("REDACTED") }
func (c Credentials) MarshalJSON() ([]byte, error) { return []byte(`"REDACTED"`), nil }
func (c Credentials) complete() bool               { return c.AccessKeyID != "" && c.AccessKeySecret != "" }

// Secret is a setting that must never print, such as AUTH_TOKEN.
type Secret string

func (Secret) String() string               { return "REDACTED" }
func (Secret) GoString() string             { return "REDACTED" }
func (Secret) LogValue() slog.Value         { return slog.StringValue("REDACTED") }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"REDACTED"`), nil }

// Session says where and as whom an Auto Scaling call is made.
type Session struct {
	Region      string
	Credentials Credentials
}

// Invocation is what the platform tells the function about one invocation.
// Its deadline travels in the context.
type Invocation struct {
	RequestID   string // FC's request ID (x-fc-request-id)
	Region      string // FC's region (x-fc-region)
	Credentials Credentials
	RetryCount  int
}

// Request is a validated EnterStandby request. Field names follow the API.
type Request struct {
	ScalingGroupID string // empty: from the settings, else looked up per instance
	InstanceIDs    []string
	ClientToken    string
	Async          bool
	RegionID       string
	DryRun         bool // ours, not the API's: decide and report, change nothing
}

// ScalingInstance is an instance as DescribeScalingInstances reports it.
type ScalingInstance struct {
	InstanceID     string
	ScalingGroupID string
	LifecycleState string
}

// StandbyCall is one EnterStandby call: one group, at most 20 instances.
type StandbyCall struct {
	ScalingGroupID string   `json:"ScalingGroupId"`
	InstanceIDs    []string `json:"InstanceIds"`
	ClientToken    string   `json:"ClientToken,omitempty"`
	Async          bool     `json:"Async"`
}

// Activity is a scaling activity started by one call.
type Activity struct {
	ScalingGroupID    string   `json:"ScalingGroupId"`
	ScalingActivityID string   `json:"ScalingActivityId"`
	RequestID         string   `json:"RequestId"`
	InstanceIDs       []string `json:"InstanceIds"`
	ClientToken       string   `json:"ClientToken,omitempty"`
}

// AutoScaling is the part of the ESS API this function uses. handler/ess
// implements it over the SDK; the context's deadline bounds each call.
type AutoScaling interface {
	// ScalingInstances reports the given instances that belong to any
	// scaling group of the session's region; unknown ones are left out.
	ScalingInstances(ctx context.Context, s Session, instanceIDs []string) ([]ScalingInstance, error)
	EnterStandby(ctx context.Context, s Session, call StandbyCall) (Activity, error)
}
