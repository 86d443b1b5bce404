package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// dingTalkSign is DingTalk's custom-robot signature (加签), as its security
// settings page documents: stringToSign = timestamp + "\n" + secret, with
// timestamp in milliseconds; HmacSHA256 keyed by the secret over
// stringToSign; Base64; then URL-encoded into &timestamp=…&sign=… . The
// URL-encoding is left to url.Values.Encode. Checked against the official
// Java and Python samples as reproduced at
// https://www.mihaoyun.com/wordpress/?p=391 and
// https://apifox.com/apidoc/docs-site/467052/doc-3550006, and against the
// test vector of https://docs.rs/crate/dingding/latest/source/src/signature.rs.
// DingTalk refuses a timestamp more than an hour off.
func dingTalkSign(secret, timestampMillis string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestampMillis + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// larkSign is the Lark/Feishu custom-bot signature (签名校验). Unlike
// DingTalk's, stringToSign = timestamp + "\n" + secret (timestamp in
// seconds) is the HMAC-SHA256 *key*, over an empty message; the result is
// Base64 and goes into the body as "timestamp" (a string) and "sign".
// Checked against Feishu's Python sample (key = f'{timestamp}\n{secret}',
// msg = "") as reproduced at https://m.down10s.com/jiaocheng/5605312225.html,
// against Feishu's Go sample GenSign as copied into
// github.com/kubesphere/notification-manager pkg/notify/notifier/feishu,
// and against Gitea's fix for it (https://github.com/go-gitea/gitea/pull/34802).
// The official page is https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot.
// A wrong sign is answered {"code":19021,"msg":"sign match fail or
// timestamp is not within one hour from current time"}.
func larkSign(secret, timestampSeconds string) string {
	m := hmac.New(sha256.New, []byte(timestampSeconds+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// webhookSign is this package's own scheme for generic webhooks, in the
// common shape (GitHub's sha256= prefix, Stripe's timestamp.body): hex
// HMAC-SHA256 keyed by the secret over timestamp + "." + body, so the
// receiver can refuse replays by the timestamp and forgeries by the MAC.
func webhookSign(secret, timestampSeconds string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestampSeconds + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
