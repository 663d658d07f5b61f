package stream_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
)

func TestSendLines(t *testing.T) {
	t.Parallel()
	long := `{"x":"` + strings.Repeat("y", 200<<10) + `"}` // beyond bufio's default 64 KiB
	tests := []struct {
		name  string
		input io.Reader
		want  []string
		err   string
	}{
		{"lines", strings.NewReader("a\nb\nc"), []string{"a", "b", "c"}, ""},
		{"blank lines and CRLF", strings.NewReader("\n  \r\na\r\n\t\nb\n"), []string{"a", "b"}, ""},
		{"empty", strings.NewReader(""), nil, ""},
		{"long line", strings.NewReader("a\n" + long + "\nb\n"), []string{"a", long, "b"}, ""},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader("a\nbc\n")), []string{"a", "bc"}, ""},
		{"read error", iotest.TimeoutReader(strings.NewReader("a\nb\n")), []string{"a", "b"}, "stream: after line 2: timeout"},
		{"too long", strings.NewReader("a\n" + strings.Repeat("z", stream.MaxLineSize+1)), []string{"a"}, "stream: line 2: longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec recorder
			s, err := stream.New(context.Background(), rec.sink, stream.Config{Stages: []stream.Stage{{Transformer: pass, Workers: 4}}})
			require.NoError(t, err)
			err = s.SendLines(context.Background(), tt.input)
			if tt.err == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
			}
			require.NoError(t, s.Close(context.Background()))
			assert.Equal(t, tt.want, rec.data)
		})
	}
}

// TestSendLinesCopies checks that each message owns its line: the scanner
// reuses its buffer.
func TestSendLinesCopies(t *testing.T) {
	t.Parallel()
	var msgs []*weir.Message
	s, err := stream.New(context.Background(), func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			msgs = append(msgs, msg)
		}
		return nil
	}, stream.Config{Stages: []stream.Stage{{Transformer: pass}}, MaxInFlight: 1})
	require.NoError(t, err)
	var in bytes.Buffer
	for _, l := range []string{"first", "second", "third"} {
		in.WriteString(l + "\n")
	}
	require.NoError(t, s.SendLines(context.Background(), &in))
	require.NoError(t, s.Close(context.Background()))
	require.Len(t, msgs, 3)
	assert.Equal(t, "first", msgs[0].String())
	assert.Equal(t, "second", msgs[1].String())
	assert.Equal(t, "third", msgs[2].String())
}

func TestCollect(t *testing.T) {
	t.Parallel()
	in := func(data ...string) func(func(*weir.Message) bool) {
		return func(yield func(*weir.Message) bool) {
			for _, d := range data {
				if !yield(weir.NewMessage([]byte(d))) {
					return
				}
			}
		}
	}
	cfg := stream.Config{Stages: []stream.Stage{{Transformer: split(2), Workers: 3}}}
	out, err := stream.Collect(context.Background(), cfg, in("a", "b"))
	require.NoError(t, err)
	var got []string
	for _, m := range out {
		got = append(got, m.String())
	}
	assert.Equal(t, []string{"a.0", "a.1", "b.0", "b.1"}, got)

	bad := stream.Config{Stages: []stream.Stage{{Transformer: failOn(func(d string) bool { return d == "b" })}}}
	out, err = stream.Collect(context.Background(), bad, in("a", "b", "c"))
	assert.ErrorIs(t, err, weir.ErrInvalidData)
	assert.Len(t, out, 1, "what came out before the failure")

	_, err = stream.Collect(context.Background(), stream.Config{}, in("a"))
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = stream.Collect(ctx, cfg, in("a"))
	assert.ErrorIs(t, err, context.Canceled)
}

func TestSendAllStopsAtError(t *testing.T) {
	t.Parallel()
	s, err := stream.New(context.Background(), (&recorder{}).sink, stream.Config{Stages: []stream.Stage{{Transformer: pass}}})
	require.NoError(t, err)
	require.NoError(t, s.Close(context.Background()))
	pulled := 0
	err = s.SendAll(context.Background(), func(yield func(*weir.Message) bool) {
		for range 3 {
			pulled++
			if !yield(weir.NewMessage([]byte("x"))) {
				return
			}
		}
	})
	assert.ErrorIs(t, err, stream.ErrClosed)
	assert.Equal(t, 1, pulled, "SendAll stops pulling at the first error")
}
