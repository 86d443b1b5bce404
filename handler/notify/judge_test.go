package notify

import (
	"net/url"
	"strconv"
	"testing"
)

// Only a vendor's explicit confirmation (HTTP 200 and code 0) is a
// delivery; its code is reported, and retried when the vendor says it is
// throttled or busy; a generic webhook is judged by its status.
func TestJudge(t *testing.T) {
	hooks := map[Kind]string{
		DingTalk: "https://oapi.dingtalk.com/robot/send?access_token=x",
		Lark:     "https://open.feishu.cn/open-apis/bot/v2/hook/x",
		Webhook:  "https://example.com/hook",
	}
	tests := []struct {
		name      string
		kind      Kind
		status    int
		answer    string
		delivered bool
		code      string
		retry     bool
	}{
		{"dingtalk confirms", DingTalk, 200, `{"errcode":0,"errmsg":"ok"}`, true, "", false},
		{"dingtalk code 0 off 200", DingTalk, 400, `{"errcode":0}`, false, "0", false},
		{"dingtalk refuses", DingTalk, 200, `{"errcode":310000,"errmsg":"sign not match"}`, false, "310000", false},
		{"dingtalk throttled", DingTalk, 200, `{"errcode":130101}`, false, "130101", true},
		{"dingtalk busy", DingTalk, 200, `{"errcode":-1}`, false, "-1", true},
		{"dingtalk no code", DingTalk, 200, `{"errmsg":"ok"}`, false, "", false},
		{"dingtalk no JSON", DingTalk, 200, `<html>ok</html>`, false, "", false},
		{"dingtalk 503", DingTalk, 503, ``, false, "", true},
		{"dingtalk 503 with a final code", DingTalk, 503, `{"errcode":310000}`, false, "310000", true},
		{"lark confirms", Lark, 200, `{"code":0,"msg":"success"}`, true, "", false},
		{"lark old confirms", Lark, 200, `{"StatusCode":0,"StatusMessage":"success"}`, true, "", false},
		{"lark code before StatusCode", Lark, 200, `{"code":19021,"StatusCode":0}`, false, "19021", false},
		{"lark throttled off 200", Lark, 400, `{"code":11232,"msg":"frequency limited"}`, false, "11232", true},
		{"lark too many", Lark, 200, `{"code":9499}`, false, "9499", true},
		{"lark no code", Lark, 200, `{}`, false, "", false},
		{"lark 429", Lark, 429, `x`, false, "", true},
		{"webhook 204", Webhook, 204, ``, true, "", false},
		{"webhook 302", Webhook, 302, ``, false, "", false},
		{"webhook 429", Webhook, 429, ``, false, "", true},
		{"webhook 500", Webhook, 500, `{"code":0}`, false, "", true},
	}
	for _, tt := range tests {
		u, err := url.Parse(hooks[tt.kind])
		if err != nil {
			t.Fatal(err)
		}
		f, delivered := New(Config{URL: u}).judge(tt.status, []byte(tt.answer))
		if delivered != tt.delivered || f.code != tt.code || f.retry != tt.retry || f.status != tt.status {
			t.Errorf("%s: %+v, delivered %t; want code %q, retry %t, delivered %t", tt.name, f, delivered, tt.code, tt.retry, tt.delivered)
		}
	}
}

// A vendor's answer is read for its code and message: Lark's older
// answers carry StatusCode and StatusMessage instead.
func TestVendorAnswer(t *testing.T) {
	code := func(a vendorAnswer) string {
		if a.code == nil {
			return "none"
		}
		return strconv.Itoa(*a.code)
	}
	tests := []struct {
		name, answer string
		read         func([]byte) vendorAnswer
		code, msg    string
	}{
		{"dingtalk", `{"errcode":3,"errmsg":"m"}`, dingTalkAnswer, "3", "m"},
		{"dingtalk no code", `{"errmsg":"m"}`, dingTalkAnswer, "none", "m"},
		{"dingtalk no JSON", `nope`, dingTalkAnswer, "none", ""},
		{"dingtalk Lark's fields", `{"code":3,"msg":"m"}`, dingTalkAnswer, "none", ""},
		{"lark", `{"code":3,"msg":"m"}`, larkAnswer, "3", "m"},
		{"lark old", `{"StatusCode":4,"StatusMessage":"old"}`, larkAnswer, "4", "old"},
		{"lark both", `{"code":3,"msg":"m","StatusCode":4,"StatusMessage":"old"}`, larkAnswer, "3", "m"},
		{"lark none", `{"msg":"m"}`, larkAnswer, "none", ""},
		{"lark no JSON", `nope`, larkAnswer, "none", ""},
	}
	for _, tt := range tests {
		if a := tt.read([]byte(tt.answer)); code(a) != tt.code || a.msg != tt.msg {
			t.Errorf("%s: code %s, msg %q; want %s, %q", tt.name, code(a), a.msg, tt.code, tt.msg)
		}
	}
}
