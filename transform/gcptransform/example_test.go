package gcptransform_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
	"github.com/weirhq/weir/transform/gcptransform"
)

// Events batched by tenant, each batch written as one object named after
// its tenant. A server on loopback stands in for Cloud Storage's JSON API
// and prints each upload; HTTPClient and Endpoint replace the client with
// Application Default Credentials and https://storage.googleapis.com.
func ExampleNewSendGCPStorage() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Printf("%s %s uploadType=%s\n  name %q, %s\n  %s\n", r.Method, r.URL.Path, r.URL.Query().Get("uploadType"),
			r.URL.Query().Get("name"), r.Header.Get("Content-Type"), strings.ReplaceAll(string(body), "\n", `\n`))
		fmt.Fprint(w, `{"kind":"storage#object"}`)
	}))
	defer api.Close()

	aux, err := transform.NewAggregateToString(transform.AggregateToStringConfig{Separator: "\n"})
	if err != nil {
		panic(err)
	}
	tf, err := gcptransform.NewSendGCPStorage(context.Background(), gcptransform.SendGCPStorageConfig{
		GCP:                 gcptransform.GCPSettings{Resource: "my-bucket"},
		FilePath:            transform.FilePath{Prefix: "logs", Suffix: ".jsonl"},
		UseBatchKeyAsPrefix: true,
		Object:              transform.ObjectSettings{BatchKey: "tenant"},
		AuxTransforms:       []transform.Transformer{aux},
		HTTPClient:          api.Client(),
		Endpoint:            api.URL,
	})
	if err != nil {
		panic(err)
	}
	defer tf.Close()
	ctx := context.Background()
	for _, d := range []string{`{"tenant":"acme corp","n":1}`, `{"tenant":"acme corp","n":2}`} {
		if _, err := tf.Transform(ctx, weir.NewMessage([]byte(d))); err != nil {
			panic(err)
		}
	}
	if _, err := tf.Transform(ctx, weir.NewControl()); err != nil { // writes every batch
		panic(err)
	}
	// Output:
	// POST /upload/storage/v1/b/my-bucket/o uploadType=media
	//   name "acme corp.jsonl", text/plain; charset=utf-8
	//   {"tenant":"acme corp","n":1}\n{"tenant":"acme corp","n":2}
}
