// Package bench holds Weir's canonical workloads, each in three forms that
// must produce the same output: the pipeline as a Substation-format JSON
// config, the same pipeline built with typed Go constructors, and a
// hand-written single-purpose floor. Its tests check the three against the
// workload's reference output; its benchmarks measure what the generality
// of a pipeline costs over the floor. See README.md.
//
// W1 ("cloudtrail-ecs") turns an AWS CloudTrail record into an ECS-shaped
// event; its rules are in the shared workload description
// W1-cloudtrail-ecs.md and its reference implementation in w1_reference.py.
package bench

import (
	"context"
	_ "embed" // for the W1 pipeline
	"encoding/json"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/transform"
)

// w1Pipeline is the W1 pipeline config. It is a copy of
// testdata/w1/pipeline.json at the root of the module, which go:embed
// cannot reach from here; TestW1ConfigInSync fails when the two differ.
//
//go:embed testdata/w1-pipeline.json
var w1Pipeline string

// w1Idiomatic is W1 written the way Substation users write their configs:
// a meta_switch per field, regex string_capture and string_replace, time
// layouts, metadata as scratch space, an escaped key (\\@timestamp). It is
// a copy of testdata/w1/idiomatic.json (TestW1ConfigInSync).
//
//go:embed testdata/w1-idiomatic.json
var w1Idiomatic string

// W1IdiomaticJSON returns the idiomatic W1 pipeline (see w1Idiomatic) as
// Substation-format JSON.
func W1IdiomaticJSON() []byte { return []byte(w1Idiomatic) }

// NewW1Idiomatic builds the idiomatic W1 pipeline with the built-in types.
func NewW1Idiomatic(ctx context.Context) (*transform.Pipeline, error) {
	p, err := transform.Parse(ctx, nil, W1IdiomaticJSON())
	if err != nil {
		return nil, fmt.Errorf("bench: W1 idiomatic config: %w", err)
	}
	return p, nil
}

// W1ConfigJSON returns the W1 pipeline as Substation-format JSON,
// {"transforms": [...]}, using only built-in types.
func W1ConfigJSON() []byte { return []byte(w1Pipeline) }

// W1Config returns the transform configs of the W1 pipeline.
func W1Config() ([]weir.Config, error) {
	var c struct {
		Transforms []weir.Config `json:"transforms"`
	}
	if err := json.Unmarshal([]byte(w1Pipeline), &c); err != nil {
		return nil, fmt.Errorf("bench: W1 config: %w", err)
	}
	return c.Transforms, nil
}

// NewW1FromConfig builds the W1 pipeline from its JSON config with the
// built-in registries, as a program loading a config file would.
func NewW1FromConfig(ctx context.Context) (transform.Transformer, error) {
	cfgs, err := W1Config()
	if err != nil {
		return nil, err
	}
	p, err := transform.NewPipeline(ctx, nil, cfgs)
	if err != nil {
		return nil, fmt.Errorf("bench: W1 config: %w", err)
	}
	return p, nil
}

// ecs is where the pipelines build the output before it replaces the data.
const ecs = "meta ecs."

// NewW1Typed builds the W1 pipeline with the typed constructors of the
// transform and condition packages, step for step the same as the JSON
// config (no JSON is decoded).
func NewW1Typed() (transform.Transformer, error) {
	b := &typedBuilder{}
	ts := []transform.Transformer{
		b.ifExists("eventTime",
			b.copy("eventTime", ecs+"@timestamp"),
			b.must(transform.NewTimeFromString(transform.TimeFromStringConfig{
				Format: "2006-01-02T15:04:05Z07:00",
				Object: transform.ObjectSettings{SourceKey: "eventTime", TargetKey: ecs + "event.start"},
			})),
			b.must(transform.NewTimeToUnixMilli(transform.TimeToUnixMilliConfig{
				Object: transform.ObjectSettings{SourceKey: ecs + "event.start", TargetKey: ecs + "event.start"},
			})),
		),
		b.copyIfExists("eventName", ecs+"event.action"),
		b.copyIfExists("eventID", ecs+"event.id"),
		b.copyIfExists("eventSource", ecs+"event.provider"),
		b.must(transform.NewHashSHA256(transform.HashSHA256Config{
			Object: transform.ObjectSettings{SourceKey: "@this", TargetKey: ecs + "event.hash"},
		})),
		b.must(transform.NewObjectToString(transform.ObjectToStringConfig{
			Object: transform.ObjectSettings{SourceKey: "@this", TargetKey: ecs + "event.original"},
		})),
		b.switchOf(
			transform.MetaSwitchCase{
				Condition: b.exists("responseElements.ConsoleLogin"),
				Transforms: []transform.Transformer{b.must(transform.NewStringToLower(transform.StringToLowerConfig{
					Object: transform.ObjectSettings{SourceKey: "responseElements.ConsoleLogin", TargetKey: ecs + "event.outcome"},
				}))},
			},
			transform.MetaSwitchCase{
				Condition:  b.exists("errorCode"),
				Transforms: []transform.Transformer{b.insert(ecs+"event.outcome", "failure")},
			},
			transform.MetaSwitchCase{
				Transforms: []transform.Transformer{b.insert(ecs+"event.outcome", "success")},
			},
		),
		b.switchOf(transform.MetaSwitchCase{
			Condition: b.cond(condition.NewStringEqualTo(condition.StringEqualToConfig{
				Value:  "AwsConsoleSignIn",
				Object: condition.ObjectSettings{SourceKey: "eventType"},
			})),
			Transforms: []transform.Transformer{b.insert(ecs+"event.category", []any{"authentication"})},
		}),
		b.insert(ecs+"cloud.provider", "aws"),
		b.copyIfExists("awsRegion", ecs+"cloud.region"),
		b.copyIfExists("recipientAccountId", ecs+"cloud.account.id"),
		b.ifExists("eventSource", b.must(transform.NewStringReplace(transform.StringReplaceConfig{
			Pattern: `\.amazonaws\.com$`,
			Object:  transform.ObjectSettings{SourceKey: "eventSource", TargetKey: ecs + "cloud.service.name"},
		}))),
		b.switchOf(
			transform.MetaSwitchCase{
				Condition: b.cond(condition.NewNetworkIPValid(condition.NetworkIPValidConfig{
					Object: condition.ObjectSettings{SourceKey: "sourceIPAddress"},
				})),
				Transforms: []transform.Transformer{b.copy("sourceIPAddress", ecs+"source.ip")},
			},
			transform.MetaSwitchCase{
				Condition:  b.exists("sourceIPAddress"),
				Transforms: []transform.Transformer{b.copy("sourceIPAddress", ecs+"source.domain")},
			},
		),
		b.copyIfExists("userIdentity.principalId", ecs+"user.id"),
		b.switchOf(
			transform.MetaSwitchCase{
				Condition:  b.exists("userIdentity.userName"),
				Transforms: []transform.Transformer{b.copy("userIdentity.userName", ecs+"user.name")},
			},
			transform.MetaSwitchCase{
				Condition: b.exists("userIdentity.arn"),
				Transforms: []transform.Transformer{b.must(transform.NewStringCapture(transform.StringCaptureConfig{
					Pattern: `(?s)^(?:.*/)?([^/]*)$`,
					Object:  transform.ObjectSettings{SourceKey: "userIdentity.arn", TargetKey: ecs + "user.name"},
				}))},
			},
		),
		b.copyIfExists("userAgent", ecs+"user_agent.original"),
		b.copyIfExists("tlsDetails.cipherSuite", ecs+"tls.cipher"),
		b.ifExists("tlsDetails.tlsVersion", b.must(transform.NewStringReplace(transform.StringReplaceConfig{
			Pattern: `^TLSv`,
			Object:  transform.ObjectSettings{SourceKey: "tlsDetails.tlsVersion", TargetKey: ecs + "tls.version"},
		}))),
		b.copyIfExists("readOnly", ecs+"aws.cloudtrail.read_only"),
		b.copyIfExists("errorCode", ecs+"aws.cloudtrail.error_code"),
		b.copyIfExists("errorMessage", ecs+"aws.cloudtrail.error_message"),
		b.must(transform.NewObjectCopy(transform.ObjectCopyConfig{
			Object: transform.ObjectSettings{SourceKey: "meta ecs"},
		})),
	}
	if b.err != nil {
		return nil, fmt.Errorf("bench: W1 typed: %w", b.err)
	}
	return transform.Chain(ts...), nil
}

// typedBuilder shortens the typed construction of W1: it keeps the first
// constructor error, so the pipeline reads as one expression.
type typedBuilder struct {
	err error
}

// must returns t, or nil after recording err.
func (b *typedBuilder) must(t transform.Transformer, err error) transform.Transformer {
	if err != nil && b.err == nil {
		b.err = err
	}
	return t
}

// cond returns in, or nil after recording err.
func (b *typedBuilder) cond(in condition.Inspector, err error) condition.Inspector {
	if err != nil && b.err == nil {
		b.err = err
	}
	return in
}

// exists is the condition "the field at key is present and not null".
func (b *typedBuilder) exists(key string) condition.Inspector {
	return b.cond(condition.NewExists(condition.ExistsConfig{Object: condition.ObjectSettings{SourceKey: key}}))
}

func (b *typedBuilder) copy(src, dst string) transform.Transformer {
	return b.must(transform.NewObjectCopy(transform.ObjectCopyConfig{
		Object: transform.ObjectSettings{SourceKey: src, TargetKey: dst},
	}))
}

func (b *typedBuilder) insert(dst string, v any) transform.Transformer {
	return b.must(transform.NewObjectInsert(transform.ObjectInsertConfig{
		Object: transform.ObjectSettings{TargetKey: dst},
		Value:  v,
	}))
}

// switchOf is a meta_switch of cases.
func (b *typedBuilder) switchOf(cases ...transform.MetaSwitchCase) transform.Transformer {
	if b.err != nil {
		return nil // a nil part would make NewMetaSwitch fail; report the first error
	}
	return b.must(transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: cases}))
}

// ifExists runs ts only when the field at key is present and not null.
func (b *typedBuilder) ifExists(key string, ts ...transform.Transformer) transform.Transformer {
	return b.switchOf(transform.MetaSwitchCase{Condition: b.exists(key), Transforms: ts})
}

// copyIfExists copies src to dst when src is present and not null.
func (b *typedBuilder) copyIfExists(src, dst string) transform.Transformer {
	return b.ifExists(src, b.copy(src, dst))
}
