package transform

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
)

// BatchSenderConfig configures a [BatchSender]: the settings every send_*
// transform shares, and the function that delivers one batch.
type BatchSenderConfig struct {
	// Type and ID name the transform in errors, e.g. "send_aws_sqs".
	Type, ID string
	// Object.BatchKey, if set, batches messages by the value at that path
	// (messages without it are batched together).
	Object ObjectSettings
	// Batch sets when a batch is complete and sent.
	Batch BatchSettings
	// AuxTransforms run on each batch before it is sent: they receive the
	// batch's data as new messages followed by a control message, and the
	// data of the messages they return is sent. The BatchSender owns them.
	AuxTransforms []Transformer
	// Now returns the current time, for batch.duration; nil means time.Now.
	Now func() time.Time
	// Send delivers one batch: key is its batch key (or "") and data the
	// items to send, in order. It is called by one goroutine at a time and
	// must not retain data after it returns. It returns nil only when every
	// item is acknowledged by the destination; otherwise an error, ideally
	// a [*SendError] that names the items that failed.
	Send func(ctx context.Context, key string, data [][]byte) error
}

// BatchSender is the machinery of the send_* transforms, exported so that
// send transforms in other packages (transform/sendtransform, your own)
// batch as the built-ins do: it collects the data of the messages it sees
// into batches (by object.batch_key, within the batch limits), runs each
// batch through the auxiliary transforms, and hands the result to Send. A
// batch is sent when it is complete, and every open batch on a control
// message, before the control message is passed on: so a control message
// returns only once every batch is acknowledged (or its failure reported).
//
// Every message is passed on unchanged. An error of Send is returned from
// the Transform call that completed the batch (or from the control
// message), in an [*Error] that holds an [*UndeliveredError] with the data
// of the batch's messages that were not delivered: they were passed on
// already, so a runner that accounts for every message reports them from
// there ([Undelivered]): delivered + len(Undelivered(errs)) = messages
// sent. The message of that call fails with the batch; when it was not
// part of the batch (a full batch is written when the next message does
// not fit), it is taken out of the next batch and added to the
// UndeliveredError, so that no message is both reported and delivered. A
// message larger than batch.size is an error matching weir.ErrTooLarge.
//
// A BatchSender is safe for concurrent use; sending is serialized.
type BatchSender struct{ s *sender }

// NewBatchSender returns a BatchSender for cfg. It takes ownership of the
// auxiliary transforms.
func NewBatchSender(cfg BatchSenderConfig) (*BatchSender, error) {
	if cfg.Send == nil {
		panic("transform: NewBatchSender without Send")
	}
	s, err := newSender(cfg.Type, cfg.ID, cfg.Object, cfg.Batch, cfg.AuxTransforms, cfg.Now)
	if err != nil {
		return nil, err
	}
	s.write = cfg.Send
	return &BatchSender{s: s}, nil
}

// BuildAuxTransforms builds the auxiliary_transforms configs of a send
// with env (which may be nil), for [BatchSenderConfig.AuxTransforms]. On
// error it closes what it built.
func BuildAuxTransforms(ctx context.Context, env *Env, cfgs []weir.Config) ([]Transformer, error) {
	return buildAll(ctx, env, "auxiliary_transforms", cfgs)
}

// Transform implements [Transformer]. It returns msg.
func (b *BatchSender) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return b.s.transform(ctx, msg)
}

// Close closes the auxiliary transforms that implement io.Closer. It does
// not send open batches: send a control message first.
func (b *BatchSender) Close() error { return b.s.close() }

// SendError is the error of a send whose items were not all acknowledged
// by the destination after every attempt. It names each failed item, so
// that nothing is lost silently: items not listed were acknowledged.
// Duplicates can reach the destination only through retries of a request
// whose outcome was unknown (Resent counts the items so retried).
type SendError struct {
	// Service names the destination, e.g. "kinesis" or "http".
	Service string
	// Total is the number of items the send was asked to deliver.
	Total int
	// Attempts is the number of requests made for the most-tried item.
	Attempts int
	// Resent counts items sent again after a request whose outcome was
	// unknown (a network error, a timeout, a 5xx answer): each may have
	// arrived twice.
	Resent int
	// Failed lists the items that were not delivered, in batch order.
	Failed []FailedItem
}

// FailedItem is an item that a send could not deliver.
type FailedItem struct {
	// Index is the item's position in the batch handed to the send.
	Index int
	// Data is the item (its data after the auxiliary transforms).
	Data []byte
	// Code is the service's error code ("ProvisionedThroughputExceededException",
	// "InternalFailure", "503", …), or "TooLarge", or "" for a network error.
	Code string
	// Err is what went wrong.
	Err error
}

// Error implements error: how many items failed, with which codes.
func (e *SendError) Error() string {
	codes := map[string]int{}
	for _, f := range e.Failed {
		c := f.Code
		if c == "" {
			c = "error"
		}
		codes[c]++
	}
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of %d items failed after %d attempts (", e.Service, len(e.Failed), e.Total, e.Attempts)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s ×%d", k, codes[k])
	}
	b.WriteString(")")
	if len(e.Failed) > 0 && e.Failed[0].Err != nil {
		fmt.Fprintf(&b, "; item %d: %v", e.Failed[0].Index, e.Failed[0].Err)
	}
	return b.String()
}

// Unwrap returns the distinct errors of the failed items (one per code),
// so that errors.Is matches, for example, weir.ErrTooLarge.
func (e *SendError) Unwrap() []error {
	seen := map[string]bool{}
	var out []error
	for _, f := range e.Failed {
		if f.Err == nil || seen[f.Code] {
			continue
		}
		seen[f.Code] = true
		out = append(out, f.Err)
	}
	return out
}

// UndeliveredError is how a send transform reports a batch that was not
// delivered, in its [*Error]: it wraps the send's error (often a
// [*SendError]) and carries the data of the messages that did not reach
// the destination, as they entered the send, so that a runner can report
// each of them (weir run writes each to its -errors file). Those messages
// were passed on by the Transform calls that added them to the batch; the
// batch fails later, in the call that completes it or in a control
// message.
//
// Which messages failed is exact when the send has no auxiliary
// transforms (item i of the batch is message i), or when every item
// failed, or when the error is not a *SendError (the send did not say
// which items failed: every message is reported). When auxiliary transforms combined messages into items
// and only some items failed, the messages behind each item are not
// known: Data then holds every message of the batch and Partial is set.
type UndeliveredError struct {
	// Data holds the data of the messages not delivered.
	Data [][]byte
	// Partial says that some of Data may have been delivered.
	Partial bool
	// Err is the send's error.
	Err error
}

// Error implements error: the send's error.
func (e *UndeliveredError) Error() string { return e.Err.Error() }

// Unwrap returns the send's error.
func (e *UndeliveredError) Unwrap() error { return e.Err }

// undelivered wraps err, the error of sending bt, with the data of the
// messages it did not deliver.
func undelivered(bt aggregate.Batch, hasAux bool, err error) error {
	ue := &UndeliveredError{Err: err}
	var se *SendError
	switch {
	case !errors.As(err, &se) || len(se.Failed) >= se.Total && se.Total > 0:
		ue.Data = bt.Items
	case !hasAux:
		for _, f := range se.Failed {
			if f.Index >= 0 && f.Index < len(bt.Items) {
				ue.Data = append(ue.Data, bt.Items[f.Index])
			}
		}
	case len(se.Failed) > 0:
		ue.Data, ue.Partial = bt.Items, true
	}
	return ue
}

// Undelivered returns the data of every message that err reports as not
// delivered by a send: the Data of every [*UndeliveredError] in err's
// tree, and whether any of them is Partial.
func Undelivered(err error) (data [][]byte, partial bool) {
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
			return
		case *UndeliveredError:
			data = append(data, e.Data...)
			partial = partial || e.Partial
			return
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return data, partial
}

// FailedCount returns the number of items that err reports as not
// delivered: the sum over every [*SendError] in err's tree. Items are what
// the send wrote, after the auxiliary transforms; to account for
// messages, use [Undelivered].
func FailedCount(err error) int {
	if err == nil {
		return 0
	}
	n := 0
	if se, ok := err.(*SendError); ok {
		return len(se.Failed)
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			n += FailedCount(e)
		}
	case interface{ Unwrap() error }:
		n += FailedCount(u.Unwrap())
	}
	return n
}
