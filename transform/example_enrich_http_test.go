package transform_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

func ExampleNewEnrichHTTPGet() {
	// A threat-intel API that wants a token.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0k3n" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "{\n  \"ip\": \""+r.URL.Path[len("/ip/"):]+"\",\n  \"malicious\": false\n}\n")
	}))
	defer api.Close()

	// Secrets normally come from utility_secret transforms earlier in the
	// pipeline; here the token is set directly.
	secrets := &transform.Secrets{}
	secrets.Set("intel_token", "t0k3n")
	ctx := context.Background()
	pipeline, err := transform.NewPipeline(ctx, &transform.Env{Secrets: secrets}, []weir.Config{
		{Type: "enrich_http_get", Settings: map[string]any{
			"object":  map[string]any{"source_key": "source.ip", "target_key": "intel"},
			"url":     api.URL + "/ip/${DATA}",
			"headers": map[string]any{"Authorization": "Bearer ${SECRET:intel_token}"},
		}},
	})
	if err != nil {
		panic(err)
	}
	defer pipeline.Close()
	out, err := pipeline.Transform(ctx, weir.NewMessage([]byte(`{"source":{"ip":"192.0.2.1"}}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out[0].Data()))
	// Output:
	// {"source":{"ip":"192.0.2.1"},"intel":{"ip":"192.0.2.1","malicious":false}}
}

func ExampleNewEnrichHTTPPost() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = fmt.Fprintf(w, `{"received":%d}`, len(b))
	}))
	defer api.Close()

	ctx := context.Background()
	tf, err := transform.New(ctx, weir.Config{Type: "enrich_http_post", Settings: map[string]any{
		"object": map[string]any{"body_key": "event", "target_key": "verdict"},
		"url":    api.URL + "/classify",
	}})
	if err != nil {
		panic(err)
	}
	out, err := tf.Transform(ctx, weir.NewMessage([]byte(`{"event":{"user":"alice"}}`)))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out[0].Data()))
	// Output:
	// {"event":{"user":"alice"},"verdict":{"received":16}}
}
