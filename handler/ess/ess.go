// Package ess is the only package that touches the Alibaba Cloud SDK. It
// makes the Auto Scaling calls the handler needs, signed with each
// invocation's credentials, bounded by the invocation's deadline, and it
// translates every SDK failure into a *standby.Error through one table.
//
// The SDK (v1.63.107) has pitfalls this package exists to contain: its
// default scheme is HTTP; it has no context support; a client mutates its
// http.Client and any *http.Transport it is given on every call, so clients
// are built per call over a shared RoundTripper that is not an
// *http.Transport; creating clients concurrently races on a lazily built
// package map, so New builds it first; and it can panic on odd error bodies.
package ess

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	esssdk "github.com/aliyun/alibaba-cloud-sdk-go/services/ess"

	"ess-standby/handler/standby"
)

// Config configures the client.
type Config struct {
	// Endpoint overrides the SDK's endpoint for the region (an emulator in
	// tests). Its scheme is used as given; nil means HTTPS to Auto Scaling.
	Endpoint *url.URL
	// ECSEndpoint is Endpoint for ECS's API, which holds the ECS
	// instances' tags; nil means HTTPS to the region's ECS endpoint.
	ECSEndpoint *url.URL
	// ECIEndpoint is Endpoint for ECI's API, which holds the elastic
	// container instances' tags; nil means HTTPS to the region's ECI
	// endpoint, eci.<region>.aliyuncs.com.
	ECIEndpoint *url.URL
	// LogEndpoint is Log Service's endpoint (scheme://host), to which each
	// project's name is prefixed, as Log Service's hosts are named; plain
	// HTTP (to loopback: an emulator) is dialled as given, the project in
	// the Host header. Nil means HTTPS to <region>.log.aliyuncs.com. Only
	// the drill reads logs.
	LogEndpoint *url.URL
	// TLS configures the transport the client's calls share (one per
	// process, keep-alive); nil means the system's roots.
	TLS *tls.Config
	// CallTimeout bounds one attempt of one call, so that a stalled call
	// leaves time for a retry; 0 means 10 s, the SDK's own read timeout.
	CallTimeout time.Duration
	// Proxy picks a call's proxy (HTTPS_PROXY, NO_PROXY); nil: none. The
	// environment is never read here.
	Proxy func(*url.URL) (*url.URL, error)
	// MaxConcurrent bounds the calls in flight at once in this process, and
	// the connections open to Auto Scaling; the others wait for a place
	// within their invocation's time. 0 means DefaultMaxConcurrent.
	MaxConcurrent int
}

// DefaultMaxConcurrent is MAX_CONCURRENT_CALLS when unset: server mode
// serves up to 20 invocations per instance as s.yaml deploys it, and Auto
// Scaling allows 2000 calls a minute of each API per account.
const DefaultMaxConcurrent = 16

// Client implements the core's ports: standby.AutoScaling (ess.go),
// standby.Instances (ecs.go, tags.go) and standby.Addresses (addresses.go),
// each over its own API with one signer; the drill's operator-only calls
// (drill.go) and Log Service's log search (logs.go) serve modes. It is
// safe for concurrent use.
type Client struct {
	endpoint    *url.URL
	ecsEndpoint *url.URL
	eciEndpoint *url.URL
	logEndpoint *url.URL
	transport   http.RoundTripper
	callTimeout time.Duration
	places      chan struct{} // one per call in flight
}

var (
	_ standby.AutoScaling = (*Client)(nil)
	_ standby.Instances   = (*Client)(nil)
	_ standby.Addresses   = (*Client)(nil)
)

// Cloud hands the core the client as each of its ports.
func (c *Client) Cloud() standby.Cloud {
	return standby.Cloud{Scaling: c, Instances: c, Addresses: c}
}

// defaultTimeout bounds a call when the context has no deadline (local and
// CLI modes); FC invocations always have one.
const defaultTimeout = 30 * time.Second

// answerMargin is kept back from the invocation's deadline, so the function
// can still answer when a call runs out of time.
const answerMargin = 300 * time.Millisecond

// New returns a client for cfg, with its own connection pool: main builds
// one per process and hands it to the core. Close it when done.
func New(cfg Config) *Client {
	esssdk.GetEndpointMap() // built lazily, unguarded: build it before any concurrency
	places := cmp.Or(cfg.MaxConcurrent, DefaultMaxConcurrent)
	return &Client{endpoint: cfg.Endpoint, ecsEndpoint: cfg.ECSEndpoint, eciEndpoint: cfg.ECIEndpoint, logEndpoint: cfg.LogEndpoint, callTimeout: cmp.Or(cfg.CallTimeout, 10*time.Second), places: make(chan struct{}, places),
		transport: newTransport(cfg.TLS, cfg.Proxy, places)}
}

func newTransport(tlsConfig *tls.Config, proxy func(*url.URL) (*url.URL, error), conns int) http.RoundTripper {
	t := &http.Transport{
		TLSClientConfig:     tlsConfig,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 5 * time.Second,
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
	}
	if proxy != nil {
		t.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
	}
	return t
}

// contextTransport gives the SDK's requests the invocation's context, which
// the SDK cannot take itself. Being no *http.Transport, it also keeps the
// SDK from rewriting the shared transport's dialer and TLS settings.
type contextTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t contextTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r.WithContext(t.ctx))
	if err == nil {
		resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxAnswer + 1}
	}
	return resp, err
}

// maxAnswer bounds what is read of an answer, error or not: the largest
// this package asks for, a page of 50 instances, is some 30 KB.
const maxAnswer = 1 << 20

var errAnswerTooLarge = errors.New("the answer is larger than 1 MiB")

// cappedBody fails a read past maxAnswer, where the SDK would read any
// answer whole.
type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errAnswerTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// sdkClient builds an SDK client for one call of p: cheap, and never
// shared, since an SDK client is not safe for concurrent use.
func (c *Client) sdkClient(ctx context.Context, s standby.Session, p product) (*sdk.Client, error) {
	endpoint := c.endpoint
	switch p {
	case ecs:
		endpoint = c.ecsEndpoint
	case eci:
		endpoint = c.eciEndpoint
	}
	cfg := sdk.NewConfig().WithScheme("HTTPS")
	cfg.Transport = contextTransport{ctx: ctx, base: c.transport}
	if endpoint != nil {
		cfg.Scheme = strings.ToUpper(endpoint.Scheme)
	}
	var cred credentials.CredentialsProvider
	if s.Credentials.SecurityToken != "" {
		cred = credentials.NewStaticSTSCredentialsProvider(s.Credentials.AccessKeyID, s.Credentials.AccessKeySecret, s.Credentials.SecurityToken)
	} else {
		cred = credentials.NewStaticAKCredentialsProvider(s.Credentials.AccessKeyID, s.Credentials.AccessKeySecret)
	}
	var client *sdk.Client
	var err error
	switch p {
	case ecs:
		if client, err = sdk.NewClientWithOptions(s.Region, cfg, cred); err == nil {
			client.EndpointMap, client.EndpointType = ecsEndpoints, "regional"
		}
	case eci:
		// No map: every region's ECI endpoint is eci.<region>.aliyuncs.com
		// (ECI's endpoint table), which the SDK builds for a regional
		// client, where its own configuration still names eci.aliyuncs.com.
		if client, err = sdk.NewClientWithOptions(s.Region, cfg, cred); err == nil {
			client.EndpointType = "regional"
		}
	default:
		var essClient *esssdk.Client
		if essClient, err = esssdk.NewClientWithOptions(s.Region, cfg, cred); err == nil {
			client = &essClient.Client
		}
	}
	if err != nil {
		return nil, &standby.Error{Kind: standby.Invalid, Code: "InvalidParameter", Message: "RegionId: not a region the SDK accepts"}
	}
	if endpoint != nil {
		client.Domain = endpoint.Host
	}
	return client, nil
}

// ecsEndpoints are the regions whose ECS endpoint is not
// ecs.<region>.aliyuncs.com, as the SDK's own ECS package maps them (its
// internal and financial regions aside; a test holds the two together):
// the package itself, some 900 files, is not built into the function for
// six lines of it.
var ecsEndpoints = map[string]string{
	"cn-hangzhou":   "ecs-cn-hangzhou.aliyuncs.com",
	"cn-wuhan":      "ecs.aliyuncs.com",
	"cn-zhangbei":   "ecs.aliyuncs.com",
	"cn-fujian":     "ecs-cn-hangzhou.aliyuncs.com",
	"cn-yushanfang": "ecs.aliyuncs.com",
	"cn-edge-1":     "ecs.cn-qingdao-nebula.aliyuncs.com",
}

// action is an API this package calls: Auto Scaling's, or ECS's and ECI's
// for the tags of its instances. Being a struct, it cannot be a stray string: the
// actions below are all there are, and the RAM policy is checked against
// them.
type action struct {
	product product
	name    string
}

// label names a in causes: ECS's and ECI's tag actions share their names.
func (a action) label() string {
	if a.product == ess {
		return a.name
	}
	return serviceName(a.product) + " " + a.name
}

// product is an API's product and version, as the SDK's RPC requests name
// them.
type product struct{ code, version, service string }

var (
	ess = product{"Ess", "2014-08-28", "ess"}
	ecs = product{"Ecs", "2014-05-26", "ecs"}
	eci = product{"Eci", "2018-08-08", "eci"}
)

var (
	describeScalingInstances  = action{ess, "DescribeScalingInstances"}
	enterStandby              = action{ess, "EnterStandby"}
	exitStandby               = action{ess, "ExitStandby"}
	describeScalingActivities = action{ess, "DescribeScalingActivities"}
	describeScalingGroups     = action{ess, "DescribeScalingGroups"}
	tagResources              = action{ecs, "TagResources"}
	untagResources            = action{ecs, "UntagResources"}
	listTagResources          = action{ecs, "ListTagResources"}
	describeInstanceStatus    = action{ecs, "DescribeInstanceStatus"}
	eciTagResources           = action{eci, "TagResources"}
	eciUntagResources         = action{eci, "UntagResources"}
	eciListTagResources       = action{eci, "ListTagResources"}
)

// rpc makes one call through the SDK's generic RPC request: the same
// endpoint, signature and transport as its typed requests, but the answer
// is decoded into out, which names only the fields this package reads. The
// typed responses have dozens of fields, whose decoders the SDK's JSON
// library builds by reflection on first use: 1.5 to 2 ms of a cold start
// and half a megabyte of garbage, measured.
func (c *Client) rpc(ctx context.Context, s standby.Session, a action, params map[string]string, out any) error {
	release, err := c.place(ctx, "the "+serviceName(a.product)+" call")
	if err != nil {
		return err
	}
	defer release()
	client, err := c.sdkClient(ctx, s, a.product)
	if err != nil {
		return err
	}
	req := requests.NewCommonRequest()
	req.Method, req.Product, req.Version, req.ServiceCode, req.EndpointType = requests.POST, a.product.code, a.product.version, a.product.service, "openAPI"
	req.ApiName = a.name
	for name, value := range params {
		if value != "" {
			req.QueryParams[name] = value
		}
	}
	budget := defaultTimeout
	if deadline, ok := ctx.Deadline(); ok {
		budget = time.Until(deadline) - answerMargin
	}
	budget = min(budget, c.callTimeout)
	if budget <= 0 {
		return &standby.Error{Kind: standby.Timeout, Code: "Timeout", Message: "no time left for the " + serviceName(a.product) + " call"}
	}
	req.SetReadTimeout(budget)
	req.SetConnectTimeout(min(budget, 5*time.Second))
	return call(ctx, s, a, func() error {
		raw, err := client.ProcessCommonRequest(req)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw.GetHttpContentBytes(), out); err != nil {
			return sdkerrors.NewClientError(sdkerrors.JsonUnmarshalErrorCode, "unreadable "+a.label()+" answer", err)
		}
		return nil
	})
}

// place waits, within ctx, for a place among the calls in flight; release
// gives it back.
func (c *Client) place(ctx context.Context, what string) (release func(), err error) {
	select {
	case c.places <- struct{}{}:
		return func() { <-c.places }, nil
	case <-ctx.Done():
		return nil, &standby.Error{Kind: standby.Timeout, Code: "Timeout", Message: "no time left for " + what + ": too many calls in flight (MAX_CONCURRENT_CALLS)", Cause: ctx.Err()}
	}
}

// listed adds the API's repeated parameter name.1, name.2, ... to params.
func listed(params map[string]string, name string, values []string) map[string]string {
	for i, v := range values {
		params[name+"."+strconv.Itoa(i+1)] = v
	}
	return params
}

func (c *Client) ScalingInstances(ctx context.Context, s standby.Session, groupID string, instanceIDs []string) ([]standby.ScalingInstance, error) {
	resp, err := c.describeInstances(ctx, s, groupID, "", instanceIDs)
	if err != nil {
		return nil, err
	}
	var found []standby.ScalingInstance
	for _, in := range resp.ScalingInstances.ScalingInstance.items {
		found = append(found, standby.ScalingInstance{InstanceID: in.InstanceId, ScalingGroupID: in.ScalingGroupId, LifecycleState: in.LifecycleState})
	}
	return found, nil
}

// CountInstances reads the count from TotalCount, which an answer must
// carry (describeInstances checks it): a count it does not give is not
// zero.
func (c *Client) CountInstances(ctx context.Context, s standby.Session, groupID, state string) (int, error) {
	resp, err := c.describeInstances(ctx, s, groupID, state, nil)
	if err != nil {
		return 0, err
	}
	return int(*resp.TotalCount), nil
}

// maxPages bounds every paged read: an answer still counting more after
// it is no answer. At 50 a page, 5000 instances, more than a group holds
// (2000 by the default quota).
const maxPages = 100

// pageTally is what one page of a paged read says of the whole: the count
// its answer gives (TotalCount), how many it listed, and how many the read
// holds so far.
type pageTally struct{ total, listed, held int }

// done says whether the read has every page: it holds TotalCount, or a
// page came back empty.
func (t pageTally) done() bool { return t.held >= t.total || t.listed == 0 }

// pageLacks names what a page does not carry of its count (TotalCount)
// and its list (named list), "" when it carries both: without them it says
// nothing of what is there.
func pageLacks(total *flexInt, listGiven bool, list string) string {
	switch {
	case total == nil:
		return "TotalCount"
	case !listGiven:
		return "its " + list + " list"
	}
	return ""
}

// readPages makes call a with params page by page, PageNumber 1 onwards,
// each answer decoded into a new P that keep reads into what its caller
// holds, until the tally keep returns is done. An answer with more pages
// than maxPages, more than within ("a group holds") could, is no answer.
func readPages[P any](ctx context.Context, c *Client, s standby.Session, a action, params map[string]string, within string, keep func(*P) (pageTally, error)) error {
	for page := 1; page <= maxPages; page++ {
		params["PageNumber"] = strconv.Itoa(page)
		var resp P
		if err := c.rpc(ctx, s, a, params, &resp); err != nil {
			return err
		}
		tally, err := keep(&resp)
		if err != nil {
			return err
		}
		if tally.done() {
			return nil
		}
	}
	return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: serviceName(a.product) + " answered " + a.name + " with more pages than " + within + ": nothing is read from it",
		Cause: errorf(s, "%s: more than %d pages", a.name, maxPages)}
}

// InstancesIn reads DescribeScalingInstances page by page, 50 at a time,
// until it holds TotalCount instances or a page comes back empty.
func (c *Client) InstancesIn(ctx context.Context, s standby.Session, groupID, state string) ([]string, error) {
	var ids []string
	params := map[string]string{"ScalingGroupId": groupID, "LifecycleState": state, "PageSize": "50"}
	err := readPages(ctx, c, s, describeScalingInstances, params, "a group holds", func(resp *instancesPage) (pageTally, error) {
		if what := resp.lacks(); what != "" {
			return pageTally{}, incomplete(s, describeScalingInstances, what)
		}
		listed := resp.ScalingInstances.ScalingInstance.items
		for _, in := range listed {
			if in.ScalingGroupId == groupID && (state == "" || in.LifecycleState == state) && !slices.Contains(ids, in.InstanceId) {
				ids = append(ids, in.InstanceId) // never believe more than was asked
			}
		}
		return pageTally{total: int(*resp.TotalCount), listed: len(listed), held: len(ids)}, nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// ScalingGroups reads DescribeScalingGroups page by page, 50 at a time,
// until it holds TotalCount groups or a page comes back empty.
func (c *Client) ScalingGroups(ctx context.Context, s standby.Session) ([]string, error) {
	type groupsPage struct {
		TotalCount    *flexInt
		ScalingGroups struct {
			ScalingGroup list[struct{ ScalingGroupId string }]
		}
	}
	var ids []string
	err := readPages(ctx, c, s, describeScalingGroups, map[string]string{"PageSize": "50"}, "a region holds", func(resp *groupsPage) (pageTally, error) {
		groups := resp.ScalingGroups.ScalingGroup
		if what := pageLacks(resp.TotalCount, groups.given, "ScalingGroups"); what != "" {
			return pageTally{}, incomplete(s, describeScalingGroups, what)
		}
		for _, g := range groups.items {
			if g.ScalingGroupId == "" {
				return pageTally{}, incomplete(s, describeScalingGroups, "a group's ScalingGroupId")
			}
			if !slices.Contains(ids, g.ScalingGroupId) {
				ids = append(ids, g.ScalingGroupId)
			}
		}
		return pageTally{total: int(*resp.TotalCount), listed: len(groups.items), held: len(ids)}, nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// instancesPage is the part of a DescribeScalingInstances answer read here.
type instancesPage struct {
	TotalCount       *flexInt
	ScalingInstances struct {
		ScalingInstance list[struct {
			InstanceId, ScalingGroupId, LifecycleState string
		}]
	}
}

// lacks names what of a decision's needs the answer does not carry, ""
// when it carries it all: its count, its list, and each instance's ID,
// group and state. Every read of DescribeScalingInstances checks it: an
// instance without its ID is one the core would take for not found, and
// let Auto Scaling answer a call for (issue 26, case 11).
func (p *instancesPage) lacks() string {
	if what := pageLacks(p.TotalCount, p.ScalingInstances.ScalingInstance.given, "ScalingInstances"); what != "" {
		return what
	}
	for _, in := range p.ScalingInstances.ScalingInstance.items {
		switch "" {
		case in.InstanceId:
			return "an instance's InstanceId"
		case in.ScalingGroupId:
			return "an instance's ScalingGroupId"
		case in.LifecycleState:
			return "an instance's LifecycleState"
		}
	}
	return ""
}

// list is a list an answer must carry. An answer without it says nothing
// of what it would hold, which is not that it holds nothing: read as empty,
// a state read's instances would be taken for not found. The list named
// empty, or null, is empty.
type list[T any] struct {
	items []T
	given bool
}

func (l *list[T]) UnmarshalJSON(b []byte) error {
	l.given = true
	return json.Unmarshal(b, &l.items)
}

// incomplete is the error for an answer without what a decision needs:
// nothing is read from it, and a retry may bring a whole one.
func incomplete(s standby.Session, a action, what string) error {
	return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable",
		Message: serviceName(a.product) + " answered " + a.name + " without " + what + ": nothing is read from it",
		Cause:   errorf(s, "%s: no %s in the answer", a.name, what)}
}

// serviceName names a product in messages.
func serviceName(p product) string {
	switch p {
	case ecs:
		return "ECS"
	case eci:
		return "ECI"
	}
	return "Auto Scaling"
}

// flexInt reads a number, or a number in a string (the SDK's decoder
// accepts both, so this does too).
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.Atoi(strings.Trim(string(b), `"`))
	*n = flexInt(v)
	return err
}

// describeInstances reads one page of DescribeScalingInstances, which is
// all any question asked here needs, whatever TotalCount says: at most 20
// instances by ID (a page holds 50), or with no IDs a page of one, whose
// TotalCount is the answer.
func (c *Client) describeInstances(ctx context.Context, s standby.Session, groupID, state string, instanceIDs []string) (*instancesPage, error) {
	size := 50
	if len(instanceIDs) == 0 {
		size = 1
	}
	params := listed(map[string]string{"ScalingGroupId": groupID, "LifecycleState": state,
		"PageSize": strconv.Itoa(size), "PageNumber": "1"}, "InstanceId", instanceIDs)
	var resp instancesPage
	if err := c.rpc(ctx, s, describeScalingInstances, params, &resp); err != nil {
		return nil, err
	}
	if what := resp.lacks(); what != "" {
		return nil, incomplete(s, describeScalingInstances, what)
	}
	return &resp, nil
}

func (c *Client) Standby(ctx context.Context, s standby.Session, sc standby.Call) (standby.Activity, error) {
	a := enterStandby
	if sc.Action == standby.ExitStandby {
		a = exitStandby
	}
	params := listed(map[string]string{"ScalingGroupId": sc.ScalingGroupID, "ClientToken": sc.ClientToken,
		"Async": strconv.FormatBool(sc.Async)}, "InstanceId", sc.InstanceIDs)
	var resp struct{ RequestId, ScalingActivityId string }
	if err := c.rpc(ctx, s, a, params, &resp); err != nil {
		return standby.Activity{}, err
	}
	return standby.Activity{ScalingGroupID: sc.ScalingGroupID, ScalingActivityID: resp.ScalingActivityId, RequestID: resp.RequestId,
		InstanceIDs: sc.InstanceIDs, ClientToken: sc.ClientToken}, nil
}

func (c *Client) ActivityStatuses(ctx context.Context, s standby.Session, activityIDs []string) ([]standby.ActivityStatus, error) {
	var resp struct {
		ScalingActivities struct {
			ScalingActivity list[struct{ ScalingActivityId, StatusCode, StatusMessage string }]
		}
	}
	params := listed(map[string]string{"PageSize": "50"}, "ScalingActivityId", activityIDs)
	if err := c.rpc(ctx, s, describeScalingActivities, params, &resp); err != nil {
		return nil, err
	}
	activities := resp.ScalingActivities.ScalingActivity
	if !activities.given {
		return nil, incomplete(s, describeScalingActivities, "its ScalingActivities list")
	}
	var out []standby.ActivityStatus
	for _, a := range activities.items {
		// Without its ID an activity is matched to no instance; without its
		// status it would be taken for one under way.
		switch "" {
		case a.ScalingActivityId:
			return nil, incomplete(s, describeScalingActivities, "an activity's ScalingActivityId")
		case a.StatusCode:
			return nil, incomplete(s, describeScalingActivities, "an activity's StatusCode")
		}
		out = append(out, standby.ActivityStatus{ScalingActivityID: a.ScalingActivityId, StatusCode: a.StatusCode, StatusMessage: a.StatusMessage})
	}
	return out, nil
}

// call runs one SDK call of a, turning a panic inside the SDK (it panics
// on some malformed error bodies) and every error into a *standby.Error.
func call(ctx context.Context, s standby.Session, a action, do func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable",
				Message: serviceName(a.product) + " sent a response the SDK could not read", Cause: errorf(s, "%s: SDK panicked on the response", a.label())}
		}
	}()
	if err = do(); err != nil {
		return translate(ctx, s, a, err)
	}
	return nil
}

// Close closes the shared transport's idle connections; calls still work
// afterwards, on new connections.
func (c *Client) Close() {
	if t, ok := c.transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}
