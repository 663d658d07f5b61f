package transform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// sendAux builds auxiliary transforms from JSON configs.
func sendAux(t testing.TB, configs ...string) []transform.Transformer {
	t.Helper()
	var ts []transform.Transformer
	for _, c := range configs {
		ts = append(ts, aggNew(t, c))
	}
	return ts
}

// sendRun sends each data through tf and checks that every data message
// comes back unchanged, then sends a control message if flush is set.
func sendRun(t testing.TB, tf transform.Transformer, flush bool, data ...string) {
	t.Helper()
	ctx := context.Background()
	for _, d := range data {
		msg := weir.NewMessage([]byte(d)).SetMetadata([]byte(`{"m":1}`))
		out, err := tf.Transform(ctx, msg)
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.Same(t, msg, out[0], "a send returns the message itself")
		assert.Equal(t, d, string(out[0].Data()))
		assert.Equal(t, `{"m":1}`, string(out[0].Metadata()))
	}
	if flush {
		out, err := tf.Transform(ctx, weir.NewControl())
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.True(t, out[0].IsControl())
	}
}

func TestSendStdout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    transform.SendStdoutConfig
		aux    []string
		in     []string
		before string // written before the control message
		after  string // written by it
	}{
		{
			name:  "one line per message, written on control",
			in:    []string{`{"a":1}`, `{"b":2}`},
			after: "{\"a\":1}\n{\"b\":2}\n",
		},
		{
			name:   "a full batch is written at once",
			cfg:    transform.SendStdoutConfig{Batch: transform.BatchSettings{Count: 2}},
			in:     []string{`1`, `2`, `3`},
			before: "1\n2\n",
			after:  "3\n",
		},
		{
			name:  "batch keys write apart, in first-seen order",
			cfg:   transform.SendStdoutConfig{Object: transform.ObjectSettings{BatchKey: "k"}},
			aux:   []string{`{"type":"aggregate_to_array"}`},
			in:    []string{`{"k":"b","n":1}`, `{"k":"a","n":2}`, `{"k":"b","n":3}`},
			after: "[{\"k\":\"b\",\"n\":1},{\"k\":\"b\",\"n\":3}]\n[{\"k\":\"a\",\"n\":2}]\n",
		},
		{
			name: "auxiliary transforms see each batch, not the pipeline",
			cfg:  transform.SendStdoutConfig{Batch: transform.BatchSettings{Count: 2}},
			aux: []string{
				`{"type":"object_insert","settings":{"object":{"target_key":"sent"},"value":true}}`,
				`{"type":"aggregate_to_string","settings":{"separator":" "}}`,
			},
			in:     []string{`{"a":1}`, `{"b":2}`, `{"c":3}`},
			before: "{\"a\":1,\"sent\":true} {\"b\":2,\"sent\":true}\n",
			after:  "{\"c\":3,\"sent\":true}\n",
		},
		{
			name: "nothing held, nothing written",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			cfg := tt.cfg
			cfg.Writer = &buf
			cfg.AuxTransforms = sendAux(t, tt.aux...)
			tf, err := transform.NewSendStdout(cfg)
			require.NoError(t, err)
			sendRun(t, tf, false, tt.in...)
			assert.Equal(t, tt.before, buf.String(), "before the control message")
			buf.Reset()
			sendRun(t, tf, true)
			assert.Equal(t, tt.after, buf.String(), "written by the control message")
			buf.Reset()
			sendRun(t, tf, true)
			assert.Empty(t, buf.String(), "a second control message writes nothing")
		})
	}
}

func TestSendStdoutRegistered(t *testing.T) {
	t.Parallel()
	// Built from JSON, with nested configs; it writes to os.Stdout, so send
	// it nothing to write.
	tf := aggNew(t, `{"type":"send_stdout","settings":{"id":"s","object":{"batch_key":"k"},"batch":{"count":10,"size":100,"duration":"5s"},
		"auxiliary_transforms":[{"type":"aggregate_to_array"},{"type":"utility_drop"}]}}`)
	sendRun(t, tf, true, `{"k":1}`)
	c, ok := tf.(interface{ Close() error })
	require.True(t, ok)
	assert.NoError(t, c.Close())
}

// sendFailWriter fails every write.
type sendFailWriter struct{}

func (sendFailWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestSendErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("writer", func(t *testing.T) {
		t.Parallel()
		tf, err := transform.NewSendStdout(transform.SendStdoutConfig{Writer: sendFailWriter{}, ID: "out"})
		require.NoError(t, err)
		sendRun(t, tf, false, `1`)
		out, err := tf.Transform(ctx, weir.NewControl())
		assert.Nil(t, out)
		var te *transform.Error
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "send_stdout", te.Type)
		assert.Equal(t, "out", te.ID)
		assert.ErrorContains(t, err, "disk on fire")
	})
	t.Run("auxiliary transform", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		tf, err := transform.NewSendStdout(transform.SendStdoutConfig{Writer: &buf,
			AuxTransforms: sendAux(t, `{"type":"utility_err","settings":{"message":"nope"}}`)})
		require.NoError(t, err)
		sendRun(t, tf, false, `1`)
		_, err = tf.Transform(ctx, weir.NewControl())
		assert.ErrorIs(t, err, transform.ErrRaised)
		assert.Empty(t, buf.String())
	})
	t.Run("too large", func(t *testing.T) {
		t.Parallel()
		tf, err := transform.NewSendStdout(transform.SendStdoutConfig{Writer: &bytes.Buffer{}, Batch: transform.BatchSettings{Size: 3}})
		require.NoError(t, err)
		out, err := tf.Transform(ctx, weir.NewMessage([]byte("1234")))
		assert.Nil(t, out)
		assert.ErrorIs(t, err, weir.ErrInvalidData)
	})
}

func TestSendConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ config, field string }{
		{`{"type":"send_file"}`, "file_path"},
		{`{"type":"send_file","settings":{"file_path":{"prefix":"x","bogus":true}}}`, "file_path.bogus"},
		{`{"type":"send_stdout","settings":{"batch":{"duration":"later"}}}`, "batch.duration"},
		{`{"type":"send_stdout","settings":{"auxiliary_transforms":[{"type":"no_such_type"}]}}`, "auxiliary_transforms.0"},
		{`{"type":"send_stdout","settings":{"file_path":{"prefix":"x"}}}`, "file_path"},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			t.Parallel()
			var cfg weir.Config
			require.NoError(t, json.Unmarshal([]byte(tt.config), &cfg))
			_, err := transform.New(context.Background(), cfg)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.ErrorIs(t, err, weir.ErrInvalidConfig)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
	_, err := transform.NewSendStdout(transform.SendStdoutConfig{AuxTransforms: []transform.Transformer{nil}})
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

// sendFiles returns the files under dir, relative to it, with their
// contents.
func sendFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	}))
	return files
}

func TestSendFile(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 3, 9, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	t.Run("prefix, time and suffix; no separator", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		tf, err := transform.NewSendFile(transform.SendFileConfig{
			FilePath: transform.FilePath{Prefix: dir, TimeFormat: "2006/01/02", Suffix: ".json"},
			Batch:    transform.BatchSettings{Count: 2}, Now: now,
		})
		require.NoError(t, err)
		// The full batch is written when the third message does not fit.
		sendRun(t, tf, false, `{"a":1}`, `{"b":2}`, `{"c":3}`)
		assert.Equal(t, map[string]string{"2024/03/09.json": `{"a":1}{"b":2}`}, sendFiles(t, dir))
	})
	t.Run("unix time and uuid", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		tf, err := transform.NewSendFile(transform.SendFileConfig{
			FilePath: transform.FilePath{Prefix: dir, TimeFormat: "unix_milli", UUID: true},
			AuxTransforms: sendAux(t,
				`{"type":"aggregate_to_string","settings":{"separator":"\n"}}`,
				`{"type":"string_append","settings":{"suffix":"\n"}}`),
			Now: now,
		})
		require.NoError(t, err)
		sendRun(t, tf, true, `{"a":1}`, `{"b":2}`)
		sendRun(t, tf, true, `{"c":3}`)
		files := sendFiles(t, dir)
		require.Len(t, files, 2)
		var contents []string
		for name, c := range files {
			dirPart, id, ok := strings.Cut(name, "/")
			require.True(t, ok, name)
			assert.Equal(t, "1709985600000", dirPart)
			assert.Len(t, id, 36, "a UUID")
			contents = append(contents, c)
		}
		sort.Strings(contents)
		assert.Equal(t, []string{"{\"a\":1}\n{\"b\":2}\n", "{\"c\":3}\n"}, contents)
	})
	t.Run("no file when the auxiliary transforms drop the batch", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		tf, err := transform.NewSendFile(transform.SendFileConfig{
			FilePath:      transform.FilePath{Prefix: dir, TimeFormat: "unix"},
			AuxTransforms: sendAux(t, `{"type":"utility_drop"}`),
			Now:           now,
		})
		require.NoError(t, err)
		sendRun(t, tf, true, `{"a":1}`)
		assert.Empty(t, sendFiles(t, dir))
	})
}

// TestSendFileBatchKeyPrefix is not parallel: it changes the working
// directory, where relative paths are written.
func TestSendFileBatchKeyPrefix(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tf := aggNew(t, `{"type":"send_file","settings":{"use_batch_key_as_prefix":true,"object":{"batch_key":"host"},
		"file_path":{"prefix":"nokey","suffix":".log"}}}`)
	sendRun(t, tf, true, `{"host":"web/1"}`, `{"host":"db"}`, `{"x":1}`)
	assert.Equal(t, map[string]string{
		"web/1.log": `{"host":"web/1"}`,
		"db.log":    `{"host":"db"}`,
		"nokey.log": `{"x":1}`,
	}, sendFiles(t, dir))

	for _, key := range []string{"../escape", "/abs", "a/../../b"} {
		sendRun(t, tf, false, fmt.Sprintf(`{"host":%q}`, key))
		out, err := tf.Transform(context.Background(), weir.NewControl())
		assert.Nil(t, out)
		assert.ErrorIs(t, err, weir.ErrInvalidData, key)
	}
	_, err := os.Stat(filepath.Join(dir, "..", "escape.log"))
	assert.True(t, os.IsNotExist(err))
}

// TestSendConcurrent sends from many goroutines, with control messages
// among them, and checks under -race that every message is written exactly
// once.
func TestSendConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, perG = 8, 300
	var buf bytes.Buffer // written under the send's lock only
	tf, err := transform.NewSendStdout(transform.SendStdoutConfig{
		Writer: &buf, Batch: transform.BatchSettings{Count: 9}, Object: transform.ObjectSettings{BatchKey: "k"},
		AuxTransforms: sendAux(t, `{"type":"aggregate_to_string","settings":{"separator":"\n"}}`),
	})
	require.NoError(t, err)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				out, err := tf.Transform(ctx, weir.NewMessage(fmt.Appendf(nil, `{"k":%d,"g":%d,"i":%d}`, i%4, g, i)))
				assert.NoError(t, err)
				assert.Len(t, out, 1)
				if i%50 == 0 {
					_, err := tf.Transform(ctx, weir.NewControl())
					assert.NoError(t, err)
				}
			}
		})
	}
	wg.Wait()
	_, err = tf.Transform(ctx, weir.NewControl())
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	assert.Len(t, lines, goroutines*perG)
	seen := map[string]bool{}
	for _, l := range lines {
		assert.False(t, seen[l], "written twice: %s", l)
		seen[l] = true
	}
}

// sendCloser counts Close calls.
type sendCloser struct {
	transform.Func
	n *int
}

func (c sendCloser) Close() error { *c.n++; return nil }

func TestSendCloseClosesAuxiliary(t *testing.T) {
	t.Parallel()
	n := 0
	pass := transform.Func(func(_ context.Context, m *weir.Message) ([]*weir.Message, error) { return []*weir.Message{m}, nil })
	tf, err := transform.NewSendFile(transform.SendFileConfig{
		FilePath:      transform.FilePath{Prefix: t.TempDir(), UUID: true},
		AuxTransforms: []transform.Transformer{sendCloser{pass, &n}},
	})
	require.NoError(t, err)
	require.NoError(t, tf.Close())
	assert.Equal(t, 1, n)
}

func BenchmarkSendStdout(b *testing.B) {
	ctx := context.Background()
	data := []byte(`{"event":"login","user":"alice","src":"10.0.0.1"}`)
	var buf bytes.Buffer
	tf, err := transform.NewSendStdout(transform.SendStdoutConfig{Writer: &buf, Batch: transform.BatchSettings{Count: 100}})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tf.Transform(ctx, weir.NewMessage(data)); err != nil {
			b.Fatal(err)
		}
		if buf.Len() > 1<<20 {
			buf.Reset()
		}
	}
}
