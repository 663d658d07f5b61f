// Package sendtransform holds the send_aws_* transforms of Substation
// configs: send_aws_kinesis_data_stream, send_aws_data_firehose,
// send_aws_sqs, send_aws_sns, send_aws_eventbridge, send_aws_lambda,
// send_aws_s3 and send_aws_dynamodb_put. They live apart from package
// transform so that programs without them do not link the AWS SDK; package
// transform/all registers them. (send_http_post is in package transform;
// send_gcp_storage in transform/gcptransform.)
//
// Every send batches as Substation's do (batch count, size and duration;
// object.batch_key; auxiliary_transforms on each batch, see
// [transform.BatchSender]) and passes each message on unchanged. A control
// message sends every open batch and returns only once every record is
// acknowledged by the service, or reported in an error.
//
// Where Substation differs:
//
//   - each service's limits are enforced as its API reference states them
//     (records and bytes per call, bytes per record, partition key
//     length), cited beside each constant; a batch larger than one call
//     is split into several calls;
//   - a record that can never fit is reported in a [*transform.SendError]
//     whose item matches weir.ErrTooLarge, naming its size and the limit —
//     never dropped silently;
//   - failed entries (Kinesis FailedRecordCount, Firehose FailedPutCount,
//     failed entries of SQS, SNS and EventBridge, DynamoDB unprocessed
//     items) and throttled or failed calls are retried with full-jitter
//     exponential backoff, up to retry.count retries (a Weir setting; the
//     default is [DefaultRetries]); what still fails is returned as a
//     [*transform.SendError] naming each failed record, its error code and
//     the number of attempts. Records resent after a call whose outcome was
//     unknown are counted (SendError.Resent): only they can be duplicated.
//
// Clients are built from the Env's AWS configuration (awsenv.ClientConfig):
// the region of aws.arn, the role of aws.assume_role_arn; a Client in a Go
// config replaces them.
package sendtransform

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/backoff"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// Register adds the types of this package to r.
func Register(r *transform.Registry) error {
	return errors.Join(
		r.Register("send_aws_kinesis_data_stream", transform.TypedEnv(buildKinesis)),
		r.Register("send_aws_data_firehose", transform.TypedEnv(buildFirehose)),
		r.Register("send_aws_sqs", transform.TypedEnv(buildSQS)),
		r.Register("send_aws_sns", transform.TypedEnv(buildSNS)),
		r.Register("send_aws_eventbridge", transform.TypedEnv(buildEventBridge)),
		r.Register("send_aws_lambda", transform.TypedEnv(buildLambda)),
		r.Register("send_aws_s3", transform.TypedEnv(buildS3)),
		r.Register("send_aws_dynamodb_put", transform.TypedEnv(buildDynamoDBPut)),
	)
}

// Retry defaults of the sends, used when a config has no retry setting.
const (
	DefaultRetries    = 8
	DefaultRetryDelay = 100 * time.Millisecond
	DefaultRetryMax   = 5 * time.Second
)

// Common is what every send of this package is configured with, besides
// its service's own settings.
type Common struct {
	// ID names the transform in errors.
	ID string
	// Object.BatchKey, if set, batches messages by the value at that path.
	Object transform.ObjectSettings
	// Batch sets when a batch is complete and sent.
	Batch transform.BatchSettings
	// AuxTransforms run on each batch before it is sent (see
	// transform.BatchSenderConfig). The send owns them.
	AuxTransforms []transform.Transformer
	// AWS names the resource (aws.arn) and the role to assume.
	AWS weir.AWSSettings
	// Retry bounds the retries of failed records and calls; nil means
	// DefaultRetries retries, waits from DefaultRetryDelay up to
	// DefaultRetryMax. Retry.Count 0 means no limit, as in weir.RetrySettings.
	Retry *weir.RetrySettings
	// Now is the clock of batch.duration (and S3 paths); nil means time.Now.
	Now func() time.Time
	// Sleep replaces the backoff's waits (tests); nil waits for real.
	Sleep func(ctx context.Context, d time.Duration) error
}

// commonSettings are the JSON settings every send has.
type commonSettings struct {
	ID            string                   `json:"id,omitempty"`
	Object        transform.ObjectSettings `json:"object"`
	Batch         transform.BatchSettings  `json:"batch"`
	AuxTransforms []weir.Config            `json:"auxiliary_transforms"`
	AWS           weir.AWSSettings         `json:"aws"`
	Retry         *weir.RetrySettings      `json:"retry,omitempty"`
}

// common builds the Common of s: its auxiliary transforms with env.
func (s commonSettings) common(ctx context.Context, env *transform.Env) (Common, error) {
	aux, err := transform.BuildAuxTransforms(ctx, env, s.AuxTransforms)
	if err != nil {
		return Common{}, err
	}
	c := Common{ID: s.ID, Object: s.Object, Batch: s.Batch, AuxTransforms: aux, AWS: s.AWS, Retry: s.Retry}
	if env != nil {
		c.Now = env.Now
	}
	return c, nil
}

// build builds a send from its JSON settings: their Common (with common),
// then the send (with newT), closing the auxiliary transforms if newT
// fails.
func build[T any](ctx context.Context, env *transform.Env, common func(context.Context, *transform.Env) (Common, error), newT func(Common) (T, error)) (T, error) {
	c, err := common(ctx, env)
	if err != nil {
		var zero T
		return zero, err
	}
	t, err := newT(c)
	if err != nil {
		c.closeAux()
	}
	return t, err
}

// closeAux closes the auxiliary transforms of c (after a failed build).
func (c Common) closeAux() {
	for _, t := range c.AuxTransforms {
		if cl, ok := t.(interface{ Close() error }); ok {
			_ = cl.Close()
		}
	}
}

// policy returns the retry policy of c.
func (c Common) policy(typ string) (backoff.Policy, error) {
	p := backoff.Policy{Retries: DefaultRetries, Base: DefaultRetryDelay, Max: DefaultRetryMax, Sleep: c.Sleep}
	if c.Retry != nil {
		count, base, ceil, err := c.Retry.Policy()
		if err != nil {
			return p, configErr(typ, err)
		}
		p.Retries, p.Base, p.Max = count, base, ceil
		if count == 0 {
			p.Retries = -1 // no limit
		}
	}
	return p, nil
}

// sendBase is embedded by every send: the batching and retry policy.
type sendBase struct {
	bs     *transform.BatchSender
	policy backoff.Policy
	own    *http.Client // the HTTP client of a client built here, or nil
	stats  struct{ items, failed, resent atomic.Int64 }
}

// Stats counts what a send did since it was built.
type Stats struct {
	// Items is the number of items (messages after the auxiliary
	// transforms) handed to the service.
	Items int64
	// Failed is the number of items reported in errors as not delivered.
	Failed int64
	// Resent is the number of items sent again after a call whose outcome
	// was unknown (a network error, a lost answer, a 5xx): only these can
	// reach the service twice.
	Resent int64
}

// Stats returns the send's counts.
func (b *sendBase) Stats() Stats {
	return Stats{Items: b.stats.items.Load(), Failed: b.stats.failed.Load(), Resent: b.stats.resent.Load()}
}

// init builds the BatchSender of c for typ, sending with send.
func (b *sendBase) init(typ string, c Common, send func(ctx context.Context, key string, data [][]byte) error) error {
	p, err := c.policy(typ)
	if err != nil {
		return err
	}
	bs, err := transform.NewBatchSender(transform.BatchSenderConfig{
		Type: typ, ID: c.ID, Object: c.Object, Batch: c.Batch, AuxTransforms: c.AuxTransforms, Now: c.Now, Send: send,
	})
	if err != nil {
		return err
	}
	b.bs, b.policy = bs, p
	return nil
}

// Transform implements [transform.Transformer]: it returns msg.
func (b *sendBase) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return b.bs.Transform(ctx, msg)
}

// Close closes the auxiliary transforms and the idle connections of a
// client the send built. It does not send open batches: send a control
// message first.
func (b *sendBase) Close() error {
	if b.own != nil {
		b.own.CloseIdleConnections()
	}
	return b.bs.Close()
}

// configErr names typ in a constructor's error.
func configErr(typ string, err error) error {
	var ce *weir.ConfigError
	if errors.As(err, &ce) {
		if ce.Type == "" {
			ce.Type = typ
		}
		return err
	}
	return &weir.ConfigError{Type: typ, Err: err}
}

// missing is the error of a required setting that is not set.
func missing(typ, field string) error {
	return &weir.ConfigError{Type: typ, Field: field, Err: weir.ErrMissingSetting}
}

// entry is one entry of a service call: the batch items it carries (one,
// or many for an aggregated Kinesis record) and its size as the service
// counts it.
type entry struct {
	items []int
	size  int
}

// plan splits items into entries and calls: sizeOf returns an item's size
// as the service counts it; an item over maxEntry fails with tooLarge.
// Entries are grouped into calls of at most maxCount entries and maxBytes
// bytes.
type plan struct {
	entries []entry
	calls   [][]int // entry indexes per call
	failed  []transform.FailedItem
	resent  int // items sent again after a call of unknown outcome
}

// greedy groups entries into calls of at most maxCount entries and
// maxBytes bytes (0: no byte limit).
func (p *plan) greedy(maxCount, maxBytes int) {
	var cur []int
	size := 0
	for i, e := range p.entries {
		if len(cur) > 0 && (len(cur) >= maxCount || (maxBytes > 0 && size+e.size > maxBytes)) {
			p.calls = append(p.calls, cur)
			cur, size = nil, 0
		}
		cur = append(cur, i)
		size += e.size
	}
	if len(cur) > 0 {
		p.calls = append(p.calls, cur)
	}
}

// tooLarge records item i of data as too large for the service.
func (p *plan) tooLarge(data [][]byte, i, size, limit int, what string) {
	p.failed = append(p.failed, transform.FailedItem{Index: i, Data: data[i], Code: "TooLarge",
		Err: &TooLargeError{What: what, Size: size, Limit: limit}})
}

// TooLargeError is the error of a record larger than a service accepts. It
// matches weir.ErrTooLarge and weir.ErrInvalidData.
type TooLargeError struct {
	What        string // e.g. "Kinesis record (data + partition key)"
	Size, Limit int    // bytes
}

// Error implements error.
func (e *TooLargeError) Error() string {
	return "a " + e.What + " of " + itoa(e.Size) + " bytes exceeds the limit of " + itoa(e.Limit) + " bytes"
}

// Is matches weir.ErrTooLarge and weir.ErrInvalidData.
func (e *TooLargeError) Is(target error) bool {
	return target == weir.ErrTooLarge || target == weir.ErrInvalidData
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// callFunc sends the entries of one call (idx are entry indexes) and
// returns the failures by entry index, or an error of the whole call.
type callFunc func(ctx context.Context, idx []int) (map[int]sendretry.Failure, error)

// run makes the calls of p with retries and returns nil when every item
// was delivered, else a *transform.SendError naming every item that was
// not, by its index in data.
func (p *plan) run(ctx context.Context, b *sendBase, service string, data [][]byte, call callFunc) error {
	err := p.runCalls(ctx, service, b.policy, data, call)
	b.stats.items.Add(int64(len(data)))
	b.stats.resent.Add(int64(p.resent))
	b.stats.failed.Add(int64(transform.FailedCount(err)))
	return err
}

// runCalls is run without the counting.
func (p *plan) runCalls(ctx context.Context, service string, policy backoff.Policy, data [][]byte, call callFunc) error {
	out := &transform.SendError{Service: service, Total: len(data), Failed: p.failed}
	for _, c := range p.calls {
		weight := func(e int) int { return len(p.entries[e].items) }
		resent, err := sendretry.Do(ctx, service, policy, c, weight, sendretry.Call(call))
		out.Resent += resent
		p.resent += resent
		var se *transform.SendError
		if errors.As(err, &se) {
			out.Attempts = max(out.Attempts, se.Attempts)
			for _, f := range se.Failed {
				for _, it := range p.entries[f.Index].items {
					out.Failed = append(out.Failed, transform.FailedItem{Index: it, Data: data[it], Code: f.Code, Err: f.Err})
				}
			}
		} else if err != nil {
			return err
		}
	}
	if len(out.Failed) == 0 {
		return nil
	}
	sortFailed(out.Failed)
	return out
}

// sortFailed orders failures by item index.
func sortFailed(f []transform.FailedItem) {
	slices.SortStableFunc(f, func(a, b transform.FailedItem) int { return cmp.Compare(a.Index, b.Index) })
}
