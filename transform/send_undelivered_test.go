package transform_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// TestBatchSenderUndelivered: when a batch fails, its messages (passed on
// already) are in the error, for a runner to report; the message whose
// call sent the batch, which had started the next batch, fails with it and
// is taken out, so no message is both reported and delivered.
func TestBatchSenderUndelivered(t *testing.T) {
	t.Parallel()
	var delivered []string
	send := func(_ context.Context, _ string, data [][]byte) error {
		se := &transform.SendError{Service: "test", Total: len(data), Attempts: 1}
		for i, d := range data {
			if string(d) == "c" {
				se.Failed = append(se.Failed, transform.FailedItem{Index: i, Data: d, Code: "Refused", Err: errors.New("refused")})
				continue
			}
			delivered = append(delivered, string(d))
		}
		if len(se.Failed) > 0 {
			return se
		}
		return nil
	}
	bs, err := transform.NewBatchSender(transform.BatchSenderConfig{Type: "send_test", Batch: transform.BatchSettings{Count: 2}, Send: send})
	require.NoError(t, err)
	ctx := context.Background()
	var lost []string
	passed := 0
	for _, d := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		out, err := bs.Transform(ctx, weir.NewMessage([]byte(d)))
		if err != nil {
			data, partial := transform.Undelivered(err)
			assert.False(t, partial)
			for _, x := range data {
				lost = append(lost, string(x))
			}
			assert.Equal(t, 1, transform.FailedCount(err), "one item failed")
			continue
		}
		passed += len(out)
	}
	_, err = bs.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	// [a b] is sent when c arrives; [c d] when e arrives, and c fails:
	// without auxiliary transforms the failed items are the failed
	// messages. e, which had started the next batch, fails with it.
	assert.Equal(t, []string{"a", "b", "d", "f", "g"}, delivered)
	assert.Equal(t, []string{"c", "e"}, lost)
	assert.Equal(t, 6, passed, "every message but e was passed on")
}

// TestUndeliveredPartial: when auxiliary transforms combine messages into
// items and only some items fail, which messages failed is unknown: the
// whole batch is reported, marked partial.
func TestUndeliveredPartial(t *testing.T) {
	t.Parallel()
	split := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return msg.AsSlice(), nil
		}
		return []*weir.Message{msg, weir.NewMessage([]byte("copy"))}, nil
	})
	send := func(_ context.Context, _ string, data [][]byte) error {
		return &transform.SendError{Service: "test", Total: len(data), Attempts: 1,
			Failed: []transform.FailedItem{{Index: 1, Data: data[1], Err: errors.New("refused")}}}
	}
	bs, err := transform.NewBatchSender(transform.BatchSenderConfig{Type: "send_test", Send: send,
		AuxTransforms: []transform.Transformer{split}})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = bs.Transform(ctx, weir.NewMessage([]byte("x")))
	require.NoError(t, err)
	_, err = bs.Transform(ctx, weir.NewControl())
	data, partial := transform.Undelivered(err)
	assert.True(t, partial)
	assert.Equal(t, [][]byte{[]byte("x")}, data)
	var ue *transform.UndeliveredError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "test: 1 of 2 items failed after 1 attempts (error ×1); item 1: refused", ue.Error())
}
