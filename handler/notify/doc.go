// Package notify sends one chat or webhook message per ess-standby
// invocation: to a DingTalk custom robot, a Lark/Feishu custom bot, or any
// HTTPS endpoint that takes the event as JSON.
//
// The package stands alone (it imports nothing else from ess-standby): the
// caller converts its own results into an Event. A notification is a side
// channel, so Send is bounded — at most three attempts within five seconds
// and the caller's deadline — and its errors are safe to log: they never
// carry NOTIFY_SECRET, a DingTalk access_token, a URL's query, or more of
// the vendor's answer than a short code and message.
package notify
