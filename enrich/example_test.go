package enrich_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/weirhq/weir/enrich"
)

func ExampleNewTable() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "products.csv")
	if err := os.WriteFile(path, []byte("product,price,calories\nchurro,9.99,500\ndonut,1.99,300\n"), 0o644); err != nil {
		panic(err)
	}

	products, err := enrich.NewTable(enrich.TableConfig{Path: path, Format: enrich.CSV, Column: "product"})
	if err != nil {
		panic(err)
	}
	v, ok := products.Get("churro")
	fmt.Println(string(v), ok)
	_, ok = products.Get("eclair")
	fmt.Println(ok)
	// Output:
	// {"calories":"500","price":"9.99"} true
	// false
}

func ExampleTable_Contains() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "admins.txt")
	if err := os.WriteFile(path, []byte("alice\nbob\n"), 0o644); err != nil {
		panic(err)
	}

	admins, err := enrich.NewTable(enrich.TableConfig{Path: path, Format: enrich.Text})
	if err != nil {
		panic(err)
	}
	fmt.Println(admins.Contains("bob"), admins.Contains("mallory"))
	// Output: true false
}
