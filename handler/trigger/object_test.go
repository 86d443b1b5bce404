package trigger

import "testing"

// An array's elements are counted by the commas between them: not those
// inside a string (an escaped quote does not end it) or a nested value.
func TestCountElements(t *testing.T) {
	tests := []struct {
		array string
		want  int
	}{
		{"", 0},
		{"  ", 0},
		{"[]", 0},
		{" [ \n ] ", 0},
		{"[1]", 1},
		{`[""]`, 1},
		{"[[]]", 1},
		{"[{}]", 1},
		{"[1,2,3]", 3},
		{"\n[\n1 ,\n 2\n]\n", 2},
		{`["a,b"]`, 1},
		{`["a\",b"]`, 1},
		{`["\\",1]`, 2},
		{`["a]",1]`, 2},
		{`[[1,2],{"a":1,"b":2}]`, 2},
		{`[{"a":[1,{"b":"]"}]},"x",null]`, 3},
	}
	for _, tt := range tests {
		if got := countElements([]byte(tt.array)); got != tt.want {
			t.Errorf("countElements(%q) = %d; want %d", tt.array, got, tt.want)
		}
	}
}
