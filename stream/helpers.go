package stream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/weirhq/weir"
)

// MaxLineSize is the longest line SendLines accepts.
const MaxLineSize = 64 << 20

// SendAll sends every message of msgs, in order, stopping at the first
// error Send returns.
func (s *Stream) SendAll(ctx context.Context, msgs iter.Seq[*weir.Message]) error {
	for msg := range msgs {
		if err := s.Send(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

// SendLines sends each line of r (newline-delimited JSON, usually) as a
// message, in order. Lines are split at "\n"; a trailing "\r" is removed and
// lines holding only white space are skipped. Each message owns a copy of
// its line. It stops at the first error: a read error or a line longer than
// MaxLineSize (reported with its line number), or an error from Send.
func (s *Stream) SendLines(ctx context.Context, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineSize)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if err := s.Send(ctx, weir.NewMessage(bytes.Clone(b))); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("stream: line %d: longer than %d bytes: %w", line+1, MaxLineSize, err)
		}
		return fmt.Errorf("stream: after line %d: %w", line, err)
	}
	return nil
}

// Collect runs msgs through a stream configured by cfg and returns the data
// messages that come out, in the order the sink received them. It is the
// shape of a batch job or a Lambda handler: everything in, flush, results
// out. The error is Close's, or Send's if the stream did not stop.
func Collect(ctx context.Context, cfg Config, msgs iter.Seq[*weir.Message]) ([]*weir.Message, error) {
	var out []*weir.Message
	s, err := New(ctx, func(_ context.Context, msg *weir.Message) error {
		if !msg.IsControl() {
			out = append(out, msg)
		}
		return nil
	}, cfg)
	if err != nil {
		return nil, err
	}
	sendErr := s.SendAll(ctx, msgs)
	if err := s.Close(ctx); err != nil {
		return out, err
	}
	return out, sendErr
}
