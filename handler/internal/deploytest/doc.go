// Package deploytest holds no code: its tests check that s.yaml, bootstrap,
// Terraform, ROS, the RAM policies and the README's deploy steps deploy
// what the code is. testdata keeps the fc3 component's props schema and the
// Terraform providers' schemas, since the tests run offline.
package deploytest
