package transform_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewNetworkDomainRegisteredDomain() {
	tf, err := transform.NewNetworkDomainRegisteredDomain(transform.NetworkDomainRegisteredDomainConfig{
		Object: transform.ObjectSettings{SourceKey: "dns.question", TargetKey: "dns.registered_domain"},
	})
	if err != nil {
		panic(err)
	}
	msg := weir.NewMessage([]byte(`{"dns":{"question":"api.eu.example.co.uk"}}`))
	out, err := tf.Transform(context.Background(), msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// {"dns":{"question":"api.eu.example.co.uk","registered_domain":"example.co.uk"}}
}

func ExampleNewNetworkDomainSubdomain() {
	tf, err := transform.NewNetworkDomainSubdomain(transform.NetworkDomainSubdomainConfig{})
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"api.eu.example.co.uk", "example.co.uk"} {
		out, err := tf.Transform(context.Background(), weir.NewMessage([]byte(name)))
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(out[0])
	}
	// Output:
	// api.eu
	// error: transform network_domain_subdomain: domain "example.co.uk" has no subdomain: weir: invalid data
}

func ExampleNewNetworkDomainTopLevelDomain() {
	tf, err := transform.NewNetworkDomainTopLevelDomain(transform.NetworkDomainTopLevelDomainConfig{})
	if err != nil {
		panic(err)
	}
	out, err := tf.Transform(context.Background(), weir.NewMessage([]byte("www.example.co.uk")))
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0])
	// Output:
	// co.uk
}

func ExampleNewNetworkIPInCIDR() {
	tf, err := transform.NewNetworkIPInCIDR(transform.NetworkIPInCIDRConfig{
		CIDRs:  []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"},
		Object: transform.ObjectSettings{SourceKey: "client.ip", TargetKey: "client.internal"},
	})
	if err != nil {
		panic(err)
	}
	for _, ip := range []string{"192.168.4.20", "8.8.8.8"} {
		msg := weir.NewMessage([]byte(`{"client":{"ip":"` + ip + `"}}`))
		out, err := tf.Transform(context.Background(), msg)
		if err != nil {
			panic(err)
		}
		fmt.Println(out[0])
	}
	// Output:
	// {"client":{"ip":"192.168.4.20","internal":true}}
	// {"client":{"ip":"8.8.8.8","internal":false}}
}
