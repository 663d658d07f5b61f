package condition_test

import "testing"

func TestNetwork(t *testing.T) {
	t.Parallel()
	cfg := func(typ string) string { return `{"type":"network_ip_` + typ + `"}` }
	field := func(typ string) string {
		return `{"type":"network_ip_` + typ + `","settings":{"object":{"source_key":"ip"}}}`
	}
	runInspectCases(t, []inspectCase{
		{name: "global unicast", cfg: cfg("global_unicast"), data: "8.8.8.8", want: true},
		{name: "global unicast private", cfg: cfg("global_unicast"), data: "10.1.2.3", want: true},
		{name: "global unicast broadcast", cfg: cfg("global_unicast"), data: "255.255.255.255"},
		{name: "global unicast v6", cfg: cfg("global_unicast"), data: "2001:4860:4860::8888", want: true},
		{name: "link local multicast", cfg: cfg("link_local_multicast"), data: "224.0.0.12", want: true},
		{name: "link local multicast v6", cfg: cfg("link_local_multicast"), data: "ff02::1", want: true},
		{name: "link local multicast global", cfg: cfg("link_local_multicast"), data: "239.1.1.1"},
		{name: "link local unicast", cfg: cfg("link_local_unicast"), data: "169.254.255.255", want: true},
		{name: "link local unicast v6", cfg: cfg("link_local_unicast"), data: "fe80::1", want: true},
		{name: "link local unicast zone rejected", cfg: cfg("link_local_unicast"), data: "fe80::1%eth0"},
		{name: "loopback", cfg: cfg("loopback"), data: "127.0.0.1", want: true},
		{name: "loopback v6", cfg: cfg("loopback"), data: "::1", want: true},
		{name: "loopback not", cfg: cfg("loopback"), data: "8.8.8.8"},
		{name: "multicast", cfg: cfg("multicast"), data: "224.0.0.12", want: true},
		{name: "multicast not", cfg: cfg("multicast"), data: "8.8.8.8"},
		{name: "private not", cfg: cfg("private"), data: "8.8.8.8"},
		{name: "private field", cfg: field("private"), data: `{"ip":"192.168.1.2"}`, want: true},
		{name: "private v4 mapped", cfg: cfg("private"), data: "::ffff:10.0.0.1", want: true},
		{name: "private v6 ula", cfg: cfg("private"), data: "fd12:3456:789a:1::1", want: true},
		{name: "private field missing", cfg: field("private"), data: `{"x":"192.168.1.2"}`},
		{name: "unicast", cfg: cfg("unicast"), data: "223.255.255.255", want: true},
		{name: "unicast link local", cfg: cfg("unicast"), data: "169.254.1.1", want: true},
		{name: "unicast multicast", cfg: cfg("unicast"), data: "224.0.0.1"},
		{name: "unspecified", cfg: cfg("unspecified"), data: "0.0.0.0", want: true},
		{name: "unspecified v6", cfg: cfg("unspecified"), data: "::", want: true},
		{name: "valid", cfg: cfg("valid"), data: "127.0.0.1", want: true},
		{name: "valid v6", cfg: cfg("valid"), data: "2001:db8::1", want: true},
		{name: "valid short", cfg: cfg("valid"), data: "1.2.3"},
		{name: "valid leading zero", cfg: cfg("valid"), data: "01.2.3.4"},
		{name: "valid trailing newline", cfg: cfg("valid"), data: "1.2.3.4\n"},
		{name: "valid empty", cfg: cfg("valid"), data: ""},
		{name: "valid field", cfg: field("valid"), data: `{"ip":"1.2.3.4"}`, want: true},
		{name: "valid field number", cfg: field("valid"), data: `{"ip":1234}`},
	})
}
