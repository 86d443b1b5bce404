package ess

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"ess-standby/handler/standby"
)

// kindByCode is the one table from Auto Scaling's (and, for tags, ECS's;
// for the drill, Log Service's) error codes to kinds. Codes
// not listed fall back on their family (below), then on the HTTP status.
var kindByCode = map[string]standby.Kind{
	"InvalidParameter":     standby.Invalid,
	"MissingParameter":     standby.Invalid,
	"UnsupportedOperation": standby.Invalid,

	"Forbidden":                   standby.Forbidden,
	"Forbidden.Unauthorized":      standby.Forbidden,
	"SignatureDoesNotMatch":       standby.Forbidden,
	"IncompleteSignature":         standby.Forbidden,
	"InvalidAccessKeyId.NotFound": standby.Forbidden, // our credentials, not the caller's resource
	"InvalidAccessKeyId.Inactive": standby.Forbidden,
	"MissingSecurityToken":        standby.Forbidden,

	"InvalidInstanceId.NotFound":     standby.NotFound,
	"InvalidScalingGroupId.NotFound": standby.NotFound,

	"IncorrectScalingGroupStatus": standby.Conflict,
	"IncorrectInstanceStatus":     standby.Conflict,
	"ScalingActivityInProgress":   standby.Conflict,
	"OperationDenied":             standby.Conflict,
	"IdempotentParameterMismatch": standby.Conflict,
	"BackendServer.configuring":   standby.Conflict,

	// ECS's, for the instances' tags.
	"InvalidResourceId.NotFound":     standby.NotFound,
	"OperationDenied.QuotaExceed":    standby.Conflict, // the instance holds too many tags for ours
	"QuotaExceed.Tags":               standby.Conflict,
	"NoPermission.Tag":               standby.Forbidden,
	"InvalidResourceId.NotSupported": standby.Invalid,
	"InvalidResourceType.NotFound":   standby.Invalid,
	"NumberExceed.ResourceIds":       standby.Invalid,
	"NumberExceed.Tags":              standby.Invalid,
	"Duplicate.TagKey":               standby.Invalid,
	"InvalidTagKey.Malformed":        standby.Invalid,
	"InvalidTagValue.Malformed":      standby.Invalid,
	"InvalidTag.Mismatch":            standby.Invalid,

	// Log Service's, for the drill's read of the function's log.
	"SignatureNotMatch":   standby.Forbidden,
	"Unauthorized":        standby.Forbidden, // RAM's denial, or an unknown key or token
	"ProjectNotExist":     standby.NotFound,
	"LogStoreNotExist":    standby.NotFound,
	"IndexConfigNotExist": standby.Invalid, // the logstore has no index to search
	"ReadQuotaExceed":     standby.Throttled,
	"RequestTimeExpired":  standby.Internal,
	"InvalidRequestTime":  standby.Internal,

	"Throttling":         standby.Throttled,
	"InternalError":      standby.Unavailable,
	"ServiceUnavailable": standby.Unavailable,

	// Our clock or our signing is off: nothing the caller can fix.
	"InvalidTimeStamp.Expired": standby.Internal,
	"InvalidTimeStamp.Format":  standby.Internal,
	"SignatureNonceUsed":       standby.Internal,
}

// credentialCodes are answered with our own message: the gateway's message
// for a bad signature quotes the string to sign, security token included.
var credentialCodes = []string{"SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId", "InvalidSecurityToken", "MissingSecurityToken", "Forbidden.AccessKeyDisabled"}

// kindOf classifies an error code and the status it came with.
func kindOf(code string, status int) standby.Kind {
	if k, ok := kindByCode[code]; ok {
		return k
	}
	switch {
	case strings.HasPrefix(code, "Throttling"):
		return standby.Throttled
	case strings.HasPrefix(code, "Forbidden"), strings.HasPrefix(code, "InvalidSecurityToken"), strings.HasPrefix(code, "InvalidAccessKeyId"):
		return standby.Forbidden
	case strings.HasSuffix(code, ".NotFound"):
		return standby.NotFound
	case strings.HasPrefix(code, "Incorrect") && strings.HasSuffix(code, "Status"):
		return standby.Conflict
	}
	switch {
	case status >= 500:
		return standby.Unavailable
	case status == 404:
		return standby.NotFound
	case status == 403:
		return standby.Forbidden
	case status == 409:
		return standby.Conflict
	case status == 429:
		return standby.Throttled
	case status >= 400:
		return standby.Invalid
	}
	return standby.Internal
}

// translate turns an SDK or transport error of a call of a into a
// *standby.Error, naming the service that failed (Auto Scaling, or ECS or
// ECI for the tags). Codes pass through. The cause is rebuilt from safe
// parts only: the SDK's own texts embed the request URL, and with it the
// security token.
func translate(ctx context.Context, s standby.Session, a action, err error) error {
	var se *sdkerrors.ServerError
	var ce *sdkerrors.ClientError
	var ue *url.Error
	who, what := serviceName(a.product), a.label()
	switch {
	case errors.Is(err, errAnswerTooLarge):
		return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: who + " sent an answer too large to read",
			Cause: errorf(s, "%s: %v", what, err)}
	case errors.As(err, &se) && se.ErrorCode() != "":
		code, status := se.ErrorCode(), se.HttpStatus()
		e := &standby.Error{Kind: kindOf(code, status), Code: code, Message: safeMessage(s, who, code, se.Message()),
			Cause: errorf(s, "%s: %s answered HTTP %d %s (RequestId %s)", what, who, status, code, se.RequestId())}
		return e
	case errors.As(err, &se):
		// Not a JSON error body: a proxy or load balancer answered.
		return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: who + " answered with an unreadable error",
			Cause: errorf(s, "%s: HTTP %d without an error code", what, se.HttpStatus())}
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &standby.Error{Kind: standby.Timeout, Code: "Timeout", Message: who + " did not answer in time",
			Cause: errorf(s, "%s: %s", what, transportText(ue, err))}
	case errors.As(err, &ue):
		return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: who + " is unreachable",
			Cause: errorf(s, "%s: %s", what, transportText(ue, err))}
	case errors.As(err, &ce):
		return &standby.Error{Kind: standby.Unavailable, Code: "ServiceUnavailable", Message: who + " sent a response the SDK could not read",
			Cause: errorf(s, "%s: SDK error %s", what, ce.ErrorCode())}
	}
	return &standby.Error{Kind: standby.Internal, Code: "InternalError", Message: "internal error", Cause: errorf(s, "%s: unexpected %T", what, err)}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// transportText describes a transport failure without its URL, which
// carries the signed query string.
func transportText(ue *url.Error, err error) string {
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return "transport error"
}

// safeMessage passes the service's message on unless it may quote the
// credentials, and caps its length.
func safeMessage(s standby.Session, who, code, msg string) string {
	for _, c := range credentialCodes {
		if strings.HasPrefix(code, c) {
			return who + " rejected the function's credentials (" + code + "): check the function's RAM role"
		}
	}
	if msg == "" || leaks(s, msg) {
		return who + " refused the call (" + code + ")"
	}
	return capped(msg)
}

// capped cuts a message passed on to 300 bytes, never inside a character.
func capped(msg string) string {
	if len(msg) > 300 {
		msg = strings.ToValidUTF8(msg[:300], "") + "…"
	}
	return msg
}

// errorf builds a cause and, as a last line of defence, drops its text if
// it quotes a credential.
func errorf(s standby.Session, format string, args ...any) error {
	text := fmt.Sprintf(format, args...)
	if leaks(s, text) {
		return errors.New("cause withheld: it quoted a credential")
	}
	return errors.New(text)
}

func leaks(s standby.Session, text string) bool {
	c := s.Credentials
	for _, secret := range []string{c.AccessKeySecret, c.SecurityToken, url.QueryEscape(c.SecurityToken), c.AccessKeyID} {
		if secret != "" && strings.Contains(text, secret) {
			return true
		}
	}
	return false
}
