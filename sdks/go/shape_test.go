package mcpsight

import "testing"

func TestServerInfoOfReadsTheServersShape(t *testing.T) {
	type impl struct{ Name, Version string }
	type officialLike struct{ impl *impl }
	type mcpgoLike struct{ name, version string }
	cases := []struct {
		name   string
		server any
		paths  [2]string
		want   NameVersion
	}{
		{"pointer to an implementation", &officialLike{impl: &impl{"notes", "1.0.0"}}, [2]string{"impl.Name", "impl.Version"}, NameVersion{"notes", "1.0.0"}},
		{"string fields", &mcpgoLike{name: "notes", version: "2.0.0"}, [2]string{"name", "version"}, NameVersion{"notes", "2.0.0"}},
		{"nil implementation", &officialLike{}, [2]string{"impl.Name", "impl.Version"}, NameVersion{}},
		{"another shape", &mcpgoLike{name: "x"}, [2]string{"impl.Name", "impl.Version"}, NameVersion{}},
		{"not a struct", "server", [2]string{"name", "version"}, NameVersion{}},
		{"nil", nil, [2]string{"name", "version"}, NameVersion{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ServerInfoOf(tc.server, tc.paths[0], tc.paths[1]); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
