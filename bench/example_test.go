package bench_test

import (
	"context"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/bench"
)

const exampleRecord = `{"eventTime":"2023-05-16T21:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",` +
	`"sourceIPAddress":"lambda.amazonaws.com","userIdentity":{"arn":"arn:aws:iam::1:role/deploy"},"errorCode":"AccessDenied"}`

func ExampleNewW1FromConfig() {
	ctx := context.Background()
	w1, err := bench.NewW1FromConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := w1.Transform(ctx, weir.NewMessage([]byte(exampleRecord)))
	if err != nil {
		fmt.Println(err)
		return
	}
	msg := out[0]
	for _, path := range []string{"@timestamp", "event.start", "event.outcome", "cloud.service.name", "source", "user.name", "aws"} {
		fmt.Println(path, msg.Get(path).Raw())
	}
	// Output:
	// @timestamp "2023-05-16T21:00:00Z"
	// event.start 1684270800000
	// event.outcome "failure"
	// cloud.service.name "sts"
	// source {"domain":"lambda.amazonaws.com"}
	// user.name "deploy"
	// aws {"cloudtrail":{"error_code":"AccessDenied"}}
}

func ExampleW1Floor() {
	out := bench.W1Floor(nil, []byte(`{"eventName":"ListBuckets","readOnly":true}`))
	fmt.Println(string(out))
	// Output:
	// {"event":{"action":"ListBuckets","hash":"61575b1d8cbe9b4e9e1ca525762f1f7d31b3a3dafa1bfcf20722ce2c1688b1a5","original":"{\"eventName\":\"ListBuckets\",\"readOnly\":true}","outcome":"success"},"cloud":{"provider":"aws"},"aws":{"cloudtrail":{"read_only":true}}}
}
