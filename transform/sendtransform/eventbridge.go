package sendtransform

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/tidwall/gjson"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/awsenv"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// Limits of EventBridge PutEvents (Amazon EventBridge API Reference,
// PutEvents): up to 10 entries per call, and "The maximum size for a
// PutEvents event entry is 256 KB" for the whole request's entries
// (262,144 bytes), an entry's size counted as in "Calculating Amazon
// EventBridge PutEvents event entry size": the UTF-8 bytes of Source,
// DetailType, Detail and each Resource, plus 14 bytes for Time when set.
const (
	EventBridgeMaxEntries     = 10
	EventBridgeMaxRequestSize = 256 << 10
	// EventBridgeSource is the Source of every event, as in Substation.
	EventBridgeSource = "substation"
)

// EventBridgeAPI is the part of the EventBridge client the send uses.
type EventBridgeAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// SendAWSEventBridgeConfig configures [SendAWSEventBridge], the
// send_aws_eventbridge transform.
//
//	{"type": "send_aws_eventbridge", "settings": {"description": "security events",
//	    "aws": {"arn": "arn:aws:events:us-east-1:123456789012:event-bus/default"}}}
type SendAWSEventBridgeConfig struct {
	Common
	// Description is every event's DetailType; empty means "Substation
	// Transform", as in Substation.
	Description string
	// Client puts the events; nil means a client built from AWS. The bus
	// is AWS.ARN (required).
	Client EventBridgeAPI
}

// SendAWSEventBridge puts batches of messages on an EventBridge event bus
// with PutEvents, one event per message, whose Detail is the message (a
// JSON object: anything else is reported as invalid data), Source
// "substation" and DetailType the description. It passes every message on
// unchanged. See the package documentation.
type SendAWSEventBridge struct {
	sendBase
	client EventBridgeAPI
	bus    string
	desc   string
}

type eventBridgeSettings struct {
	commonSettings
	Description string `json:"description,omitempty"`
}

func buildEventBridge(ctx context.Context, env *transform.Env, s eventBridgeSettings) (*SendAWSEventBridge, error) {
	return build(ctx, env, s.common, func(c Common) (*SendAWSEventBridge, error) {
		return NewSendAWSEventBridge(ctx, env, SendAWSEventBridgeConfig{Common: c, Description: s.Description})
	})
}

// NewSendAWSEventBridge returns a SendAWSEventBridge. It takes ownership
// of the auxiliary transforms.
func NewSendAWSEventBridge(ctx context.Context, env *transform.Env, cfg SendAWSEventBridgeConfig) (*SendAWSEventBridge, error) {
	const typ = "send_aws_eventbridge"
	if cfg.AWS.ARN == "" {
		return nil, missing(typ, "aws.arn")
	}
	t := &SendAWSEventBridge{client: cfg.Client, bus: cfg.AWS.ARN, desc: cfg.Description}
	if t.desc == "" {
		t.desc = "Substation Transform"
	}
	if t.client == nil {
		ac, hc, err := awsenv.ClientConfig(ctx, awsOf(env), cfg.AWS)
		if err != nil {
			return nil, configErr(typ, err)
		}
		t.client = eventbridge.NewFromConfig(ac, func(o *eventbridge.Options) { o.BaseEndpoint = awsenv.Endpoint(cfg.AWS) })
		t.own = hc
	}
	if err := t.init(typ, cfg.Common, t.send); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *SendAWSEventBridge) send(ctx context.Context, _ string, data [][]byte) error {
	var p plan
	for i, d := range data {
		if !gjson.ValidBytes(d) || !gjson.ParseBytes(d).IsObject() {
			p.failed = append(p.failed, transform.FailedItem{Index: i, Data: d, Code: "InvalidData",
				Err: fmt.Errorf("an EventBridge event's detail must be a JSON object: %w", weir.ErrInvalidData)})
			continue
		}
		size := len(EventBridgeSource) + len(t.desc) + len(d)
		if size > EventBridgeMaxRequestSize {
			p.tooLarge(data, i, size, EventBridgeMaxRequestSize, "EventBridge entry (source + detail type + detail)")
			continue
		}
		p.entries = append(p.entries, entry{items: []int{i}, size: size})
	}
	p.greedy(EventBridgeMaxEntries, EventBridgeMaxRequestSize)
	return p.run(ctx, &t.sendBase, "eventbridge", data, func(ctx context.Context, idx []int) (map[int]sendretry.Failure, error) {
		in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(idx))}
		for j, e := range idx {
			in.Entries[j] = types.PutEventsRequestEntry{
				EventBusName: aws.String(t.bus), Source: aws.String(EventBridgeSource),
				DetailType: aws.String(t.desc), Detail: aws.String(string(data[p.entries[e].items[0]])),
			}
		}
		out, err := t.client.PutEvents(ctx, in)
		if err != nil {
			return nil, err
		}
		if out.FailedEntryCount == 0 {
			return nil, nil
		}
		failed := map[int]sendretry.Failure{}
		for j, r := range out.Entries {
			if j < len(idx) && r.ErrorCode != nil {
				code := aws.ToString(r.ErrorCode)
				failed[idx[j]] = sendretry.Failure{Code: code, Err: errors.New(code + ": " + aws.ToString(r.ErrorMessage)), Retryable: retryableCode(code)}
			}
		}
		for _, e := range idx[min(len(out.Entries), len(idx)):] {
			failed[e] = sendretry.Failure{Code: "MissingResult", Err: errors.New("no result for the entry"), Retryable: true}
		}
		return failed, nil
	})
}
