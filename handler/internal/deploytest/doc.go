// Package deploy holds no code: its tests check that s.yaml, bootstrap and
// the RAM policy in README.md deploy what the code is. testdata keeps the
// fc3 component's props schema, since tests run without ../shared.
package deploytest
