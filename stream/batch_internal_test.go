package stream

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// TestBatchSize checks how many messages a task takes: maxBatch, or fewer
// so that the window holds four tasks a worker.
func TestBatchSize(t *testing.T) {
	t.Parallel()
	pass := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		return []*weir.Message{msg}, nil
	})
	for _, tt := range []struct{ workers, window, batch int }{
		{2, 256, 16},
		{2, 64, 8},
		{1, 8, 2},
		{256, 1024, 1},
		{4, 4, 1},
	} {
		s, err := New(context.Background(), func(context.Context, *weir.Message) error { return nil },
			Config{Stages: []Stage{{Transformer: pass, Workers: tt.workers}}, MaxInFlight: tt.window})
		require.NoError(t, err)
		assert.Equal(t, tt.batch, s.stages[0].batch, "%d workers, window %d", tt.workers, tt.window)

		// A batch that fits is as few tasks as the batch size allows.
		msgs := make([]*weir.Message, 40)
		for i := range msgs {
			msgs[i] = weir.NewMessage([]byte(`{}`))
		}
		n, err := s.SendBatch(context.Background(), msgs[:min(len(msgs), tt.window)])
		require.NoError(t, err)
		assert.EqualValues(t, (n+tt.batch-1)/tt.batch, s.stages[0].n, "tasks for %d messages", n)
		require.NoError(t, s.Close(context.Background()))
	}
}
