package mcpgo

import (
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestRequestIDTextIsTheIDAsSent(t *testing.T) {
	for _, c := range []struct {
		id   any
		want string
	}{
		{mcp.NewRequestId(int64(5)).Value(), "5"},
		{mcp.NewRequestId("call-7").Value(), "call-7"},
		{float64(2), "2"},
		{float64(-3), "-3"},
		{2.5, "2.5"},
		{float64(1 << 60), "1.152921504606847e+18"},
		{nil, ""},
	} {
		if got := requestIDText(c.id); got != c.want {
			t.Errorf("requestIDText(%#v) = %q, want %q", c.id, got, c.want)
		}
	}
}
