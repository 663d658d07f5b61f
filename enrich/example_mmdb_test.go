package enrich_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/enrich"
	"github.com/weirhq/weir/transform"
)

// writeExampleMMDB writes a small MaxMind DB to path, as MaxMind's
// GeoLite2 files would be downloaded in production.
func writeExampleMMDB(path, dbType string, records map[string]mmdbtype.Map) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		return err
	}
	for cidr, rec := range records {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			return err
		}
		if err := tree.Insert(n, rec); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// exampleMMDBs writes an ASN and a Country database into dir.
func exampleMMDBs(dir string) (asn, country string, err error) {
	asn = filepath.Join(dir, "GeoLite2-ASN.mmdb")
	country = filepath.Join(dir, "GeoLite2-Country.mmdb")
	as := func(n uint32, org string) mmdbtype.Map {
		return mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(n), "autonomous_system_organization": mmdbtype.String(org)}
	}
	geo := func(iso string) mmdbtype.Map {
		return mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(iso)}}
	}
	if err := writeExampleMMDB(asn, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"192.0.2.0/24": as(64496, "EXAMPLE-NET"), "2001:db8::/32": as(64497, "EXAMPLE-NET-V6"),
	}); err != nil {
		return "", "", err
	}
	err = writeExampleMMDB(country, "GeoLite2-Country", map[string]mmdbtype.Map{
		"192.0.2.0/24": geo("US"), "2001:db8::/32": geo("DE"),
	})
	return asn, country, err
}

// Enrich the source.ip of CloudTrail events with its AS and country from
// GeoLite2 ASN and Country databases, through the typed helper.
func ExampleNewMMDB() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	asnFile, countryFile, err := exampleMMDBs(dir)
	if err != nil {
		panic(err)
	}
	asn, err := enrich.NewMMDB(enrich.MMDBConfig{Path: asnFile})
	if err != nil {
		panic(err)
	}
	defer asn.Close()
	country, err := enrich.NewMMDB(enrich.MMDBConfig{Path: countryFile})
	if err != nil {
		panic(err)
	}
	defer country.Close()

	for _, event := range []string{
		`{"eventName":"ConsoleLogin","source":{"ip":"192.0.2.10"}}`,
		`{"eventName":"GetObject","source":{"ip":"2001:db8::7"}}`,
		`{"eventName":"AssumeRole","source":{"ip":"198.51.100.1"}}`,
	} {
		msg := weir.NewMessage([]byte(event))
		ip, err := netip.ParseAddr(msg.Get("source.ip").String())
		if err != nil {
			panic(err)
		}
		if as, ok, err := asn.LookupInfo(ip); err != nil {
			panic(err)
		} else if ok {
			_ = msg.Set("source.as.number", as.ASN)
			_ = msg.Set("source.as.organization.name", as.ASOrganization)
		}
		if geo, ok, err := country.LookupInfo(ip); err != nil {
			panic(err)
		} else if ok {
			_ = msg.Set("source.geo.country_iso_code", geo.CountryISOCode)
		}
		fmt.Println(string(msg.Data()))
	}
	// Output:
	// {"eventName":"ConsoleLogin","source":{"ip":"192.0.2.10","as":{"number":64496,"organization":{"name":"EXAMPLE-NET"}},"geo":{"country_iso_code":"US"}}}
	// {"eventName":"GetObject","source":{"ip":"2001:db8::7","as":{"number":64497,"organization":{"name":"EXAMPLE-NET-V6"}},"geo":{"country_iso_code":"DE"}}}
	// {"eventName":"AssumeRole","source":{"ip":"198.51.100.1"}}
}

// The same enrichment as a Substation config: enrich_kv_store_item_get
// with mmdb kv stores writes each whole record (null for an address in no
// network).
func ExampleNewMMDB_substationConfig() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	asnFile, countryFile, err := exampleMMDBs(dir)
	if err != nil {
		panic(err)
	}
	var cfgs []weir.Config
	if err := json.Unmarshal([]byte(fmt.Sprintf(`[
		{"type":"object_copy","settings":{"object":{"source_key":"sourceIPAddress","target_key":"source.ip"}}},
		{"type":"enrich_kv_store_item_get","settings":{"object":{"source_key":"source.ip","target_key":"source.as"},
			"kv_store":{"type":"mmdb","settings":{"file":%q}}}},
		{"type":"enrich_kv_store_item_get","settings":{"object":{"source_key":"source.ip","target_key":"source.geo"},
			"kv_store":{"type":"mmdb","settings":{"file":%q}}}}
	]`, asnFile, countryFile)), &cfgs); err != nil {
		panic(err)
	}
	ctx := context.Background()
	p, err := transform.NewPipeline(ctx, nil, cfgs)
	if err != nil {
		panic(err)
	}
	defer p.Close() // closes the files
	out, err := transform.Apply(ctx, []transform.Transformer{p},
		weir.NewMessage([]byte(`{"eventName":"ConsoleLogin","sourceIPAddress":"192.0.2.10"}`)),
		weir.NewMessage([]byte(`{"eventName":"AssumeRole","sourceIPAddress":"198.51.100.1"}`)))
	if err != nil {
		panic(err)
	}
	for _, msg := range out {
		fmt.Println(string(msg.Data()))
	}
	// Output:
	// {"eventName":"ConsoleLogin","sourceIPAddress":"192.0.2.10","source":{"ip":"192.0.2.10","as":{"autonomous_system_number":64496,"autonomous_system_organization":"EXAMPLE-NET"},"geo":{"country":{"iso_code":"US"}}}}
	// {"eventName":"AssumeRole","sourceIPAddress":"198.51.100.1","source":{"ip":"198.51.100.1","as":null,"geo":null}}
}
