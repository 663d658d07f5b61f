package stream_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/transform"
)

// FuzzStream drives a stream with a program: the first bytes choose the
// order, the workers, the window, whether the stream is inline and whether
// it releases messages for reuse; each further byte is a message whose
// value says what the transformer does with it — pass it, drop it, split
// it, fail, panic, or start a flush. Whatever the program, every message
// sent is delivered (as many times as it was split), dropped or reported,
// in input order when ordered, and Close returns.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 2, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{1, 1, 1, 0x12, 0x22, 0x32, 5, 5})
	f.Add([]byte{2, 8, 16, 3, 3, 3, 0, 0, 0})
	f.Add([]byte{0, 0, 0xc4, 0, 1, 2, 3, 4, 5, 0xff, 0x12, 0x22})
	f.Add([]byte{0, 3, 0x44, 0, 1, 2, 3, 4, 5, 0xff, 0x12, 0x22})
	f.Add([]byte{0, 0x80, 0x5f, 0, 1, 2, 3, 4, 5, 6, 0xff, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21})
	f.Add([]byte{1, 0x81, 0x1f, 0x12, 0x22, 0x32, 5, 5, 1, 1, 1, 1, 1, 1, 0xff, 6})
	f.Add([]byte{2, 0x80, 0xdf, 3, 3, 3, 0, 0, 0, 0xff, 1})
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) < 3 || len(prog) > 512 {
			t.Skip()
		}
		// A hang is a failure: dump the goroutines (the fuzzer then keeps
		// the input).
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				buf := make([]byte, 1<<20)
				panic("stream hangs:\n" + string(buf[:runtime.Stack(buf, true)]))
			}
		}()
		order := stream.Order(prog[0] % 3)
		workers := 1 + int(prog[1]%8)
		window := 1 + int(prog[2]%32)
		inline := prog[2]&0x80 != 0
		release := prog[2]&0x40 != 0
		batches := prog[1]&0x80 != 0 // SendBatch, a flush inside a batch
		ops := prog[3:]
		if inline {
			workers = 1
		}

		tf := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if msg.IsControl() {
				return msg.AsSlice(), nil
			}
			var i int
			if _, err := fmt.Sscanf(string(msg.Data()), "%d", &i); err != nil {
				panic(fmt.Sprintf("transformed a message released early: %q", msg.Data()))
			}
			b := ops[i]
			switch b % 7 {
			case 1:
				return nil, nil // drop
			case 2:
				out := []*weir.Message{}
				for k := range int(b>>3)%4 + 1 {
					out = append(out, weir.NewMessage(fmt.Appendf(nil, "%d.%d", i, k)))
				}
				return out, nil
			case 3:
				return nil, errors.New("fail")
			case 4:
				panic("boom")
			case 5:
				return []*weir.Message{msg, weir.NewControl()}, nil
			}
			return msg.AsSlice(), nil
		})
		var cfg stream.Config
		cfg.Stages = []stream.Stage{{Transformer: tf, Workers: workers}, {Transformer: pass, Workers: 1 + workers%3}}
		cfg.Inline = inline
		if inline {
			cfg.Stages[1].Workers = 1
		}
		// Released messages are poisoned, then reused: one released too
		// early would be transformed or delivered as "poisoned".
		var (
			freeMu sync.Mutex
			free   []*weir.Message
		)
		if release {
			cfg.Release = func(m *weir.Message) {
				freeMu.Lock()
				free = append(free, m.Reset([]byte("poisoned")))
				freeMu.Unlock()
			}
		}
		newMessage := func(data []byte) *weir.Message {
			freeMu.Lock()
			defer freeMu.Unlock()
			if n := len(free); n > 0 {
				m := free[n-1]
				free = free[:n-1]
				return m.Reset(data)
			}
			return weir.NewMessage(data)
		}
		cfg.Order = order
		cfg.MaxInFlight = window
		cfg.RecoverPanics = true
		if order == stream.PerKey {
			cfg.Key = func(m *weir.Message) string { return string(m.Data()[len(m.Data())-1:]) }
		}
		var delivered []string
		reported := 0
		cfg.ErrorSink = func(context.Context, *stream.Error) error { reported++; return nil }
		s, err := stream.New(context.Background(), func(_ context.Context, m *weir.Message) error {
			if !m.IsControl() {
				if string(m.Data()) == "poisoned" {
					t.Error("delivered a message released early")
				}
				delivered = append(delivered, string(m.Data()))
			}
			return nil
		}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		want, wantReported := 0, 0
		var batch []*weir.Message
		sendBatch := func() {
			if n, err := s.SendBatch(context.Background(), batch); err != nil || n != len(batch) {
				t.Fatalf("SendBatch: %d of %d: %v", n, len(batch), err)
			}
			batch = batch[:0]
		}
		for i, b := range ops {
			msg := newMessage(fmt.Appendf(nil, "%d", i))
			switch {
			case batches:
				batch = append(batch, msg)
				if b == 0xff {
					batch = append(batch, weir.NewControl())
				}
				if b%5 == 0 || i == len(ops)-1 {
					sendBatch()
				}
			default:
				if err := s.Send(context.Background(), msg); err != nil {
					t.Fatal(err)
				}
			}
			switch b % 7 {
			case 1:
			case 2:
				want += int(b>>3)%4 + 1
			case 3, 4:
				wantReported++
			default:
				want++
			}
			if b == 0xff && !batches {
				if err := s.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		if len(delivered) != want || reported != wantReported || st.InFlight != 0 {
			t.Fatalf("delivered %d (want %d), reported %d (want %d), in flight %d", len(delivered), want, reported, wantReported, st.InFlight)
		}
		if order == stream.Ordered {
			last := -1
			for _, d := range delivered {
				var i int
				_, _ = fmt.Sscanf(d, "%d", &i)
				if i < last {
					t.Fatalf("out of order: %q", delivered)
				}
				last = i
			}
		}
	})
}
