package standby

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// token is the ClientToken of a call: a digest of everything the call is
// (the action, the group, Async, the exact set of instances) and of the
// roots of the tickets it serves (their events' identities, the callers'
// tokens), within Auto Scaling's 64 ASCII characters. The same set from the
// same events always gets the same token, so a re-delivery or a retry that
// makes the call again starts nothing new; a different set, as when a retry
// finishes what a first delivery left, always gets another.
func token(action Action, group string, async bool, roots, ids []string) string {
	h := sha256.New()
	field := func(s string) { // length-prefixed: no two lists hash alike
		h.Write([]byte(strconv.Itoa(len(s)) + ":" + s))
	}
	field(string(action))
	field(group)
	field(strconv.FormatBool(async))
	field(strconv.Itoa(len(roots)))
	for _, r := range roots {
		field(r)
	}
	for _, id := range ids {
		field(id)
	}
	return "ess-standby-" + hex.EncodeToString(h.Sum(nil)[:20])
}
