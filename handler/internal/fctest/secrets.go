package fctest

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
)

// The suite's credentials and everything its invocations logged, so that
// TestMain can check, once every test has run, that no log line carries one.
var suite struct {
	mu      sync.Mutex
	secrets []string
	logs    Output
}

// Secret registers a credential the tests use, and returns it.
func Secret(s string) string {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	suite.secrets = append(suite.secrets, s)
	return s
}

// Logs is where the tests' functions and handlers also write their logs.
func Logs() io.Writer { return &suite.logs }

// CheckSecrets ends a TestMain: given m.Run's code, it fails the suite if
// any log holds a registered credential, plain or URL-encoded.
func CheckSecrets(code int) int {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	logs := suite.logs.String()
	for _, s := range suite.secrets {
		for _, form := range slices.Compact([]string{s, url.QueryEscape(s), url.PathEscape(s)}) {
			if strings.Contains(logs, form) {
				fmt.Fprintf(os.Stderr, "FAIL: the suite's logs (%d bytes) contain the credential %q\n", len(logs), form)
				code = 1
			}
		}
	}
	// A full run that logged nothing means the logs went elsewhere: the
	// check would pass without checking. (With -run, a subset may log nothing.)
	fullRun := flag.Lookup("test.run") == nil || flag.Lookup("test.run").Value.String() == ""
	if len(suite.secrets) > 0 && len(logs) == 0 && fullRun {
		fmt.Fprintln(os.Stderr, "FAIL: credentials were registered but nothing was logged: the check checked nothing")
		code = 1
	}
	return code
}
