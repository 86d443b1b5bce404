package essemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"
)

// percentEncode is RFC 3986 encoding as the RPC signature defines it:
// A-Z a-z 0-9 - _ . ~ stay, everything else is %XY, space is %20.
func percentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// stringToSign is METHOD&%2F&percentEncode(sorted k=v pairs joined by &),
// over every parameter but Signature, empty ones included.
func stringToSign(method string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var pairs []string
	for _, k := range keys {
		for _, v := range params[k] {
			pairs = append(pairs, percentEncode(k)+"="+percentEncode(v))
		}
	}
	return method + "&" + percentEncode("/") + "&" + percentEncode(strings.Join(pairs, "&"))
}

// sign is Base64(HMAC-SHA1(secret + "&", stringToSign)).
func sign(stringToSign, secret string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// authenticate checks a request as the API gateway does: its common
// parameters, its timestamp, its key and signature, its nonce and its STS
// token. s.mu is held.
func (s *Server) authenticate(method string, params url.Values, call *Call) *apiError {
	if err := wellFormed(params); err != nil {
		return err
	}
	if err := s.timely(params.Get("Timestamp")); err != nil {
		return err
	}
	key, err := s.signingKey(method, params)
	if err != nil {
		return err
	}
	call.SignatureOK = true
	if err := s.w.useNonce(params.Get("SignatureNonce")); err != nil {
		return err
	}
	return securityToken(key, params.Get("SecurityToken"))
}

// wellFormed checks a request's common parameters: each given, the
// signature's method and version the gateway's, and the version one that
// serves the action.
func wellFormed(params url.Values) *apiError {
	for _, name := range []string{"Action", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if !params.Has(name) {
			return missing(name)
		}
	}
	if !params.Has("Signature") {
		return errorf(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
	}
	if !served(params.Get("Action"), params.Get("Version")) {
		return errorf(400, "NoSuchVersion", "The specified version does not exist.")
	}
	if params.Get("SignatureMethod") != "HMAC-SHA1" || params.Get("SignatureVersion") != "1.0" {
		return errorf(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
	}
	return nil
}

// timely checks a request's Timestamp: well formed, and within maxSkew of
// now.
func (s *Server) timely(timestamp string) *apiError {
	ts, err := time.Parse("2006-01-02T15:04:05Z", timestamp)
	if err != nil {
		return errorf(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if s.skewed(ts) {
		return errorf(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	return nil
}

// maxSkew is how far from the server's time a request's may be, either
// way, at the API gateway as at Log Service.
const maxSkew = 15 * time.Minute

// skewed says whether t is further than maxSkew from now.
func (s *Server) skewed(t time.Time) bool {
	d := s.now().Sub(t)
	return d > maxSkew || d < -maxSkew
}

// signingKey is the key a request names, if the request is signed with
// it.
func (s *Server) signingKey(method string, params url.Values) (Key, *apiError) {
	key, ok := s.keys[params.Get("AccessKeyId")]
	if !ok {
		return Key{}, errorf(400, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	sts := stringToSign(method, params)
	if sign(sts, key.Secret) != params.Get("Signature") {
		// The real gateway quotes its string to sign, security token included.
		return Key{}, errorf(403, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", sts)
	}
	return key, nil
}

// useNonce refuses a SignatureNonce used before, and remembers it.
func (w *world) useNonce(nonce string) *apiError {
	if w.nonces[nonce] {
		return errorf(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	w.nonces[nonce] = true
	return nil
}

// securityToken checks a request's SecurityToken: it must be its key's
// own, given for an STS key and absent for any other.
func securityToken(key Key, token string) *apiError {
	switch {
	case key.Token != "" && token == "":
		return errorf(400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
	case token != key.Token:
		return errorf(400, "InvalidSecurityToken.MismatchWithAccessKey", "The Security Token does not match the AccessKeyId.")
	}
	return nil
}

// commonParams are sent with every call; Call.Params leaves them out.
var commonParams = []string{"Action", "Version", "Format", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "SignatureType", "Timestamp", "SecurityToken"}

func actionParams(all url.Values) url.Values {
	out := url.Values{}
	for k, v := range all {
		out[k] = v
	}
	for _, k := range commonParams {
		delete(out, k)
	}
	return out
}
