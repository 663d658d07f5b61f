package transform_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
	"github.com/weirhq/weir/transform"
)

// ---------------------------------------------------------------------------
// helpers shared by the meta and utility tests

// feed sends the data messages through tf, then a control message if flush
// is set, and returns the data of every non-control output and how many
// control messages came out.
func feed(t testing.TB, tf transform.Transformer, flush bool, data ...string) (out []string, ctrls int) {
	t.Helper()
	ctx := context.Background()
	msgs := make([]*weir.Message, 0, len(data)+1)
	for _, d := range data {
		msgs = append(msgs, weir.NewMessage([]byte(d)))
	}
	if flush {
		msgs = append(msgs, weir.NewControl())
	}
	for _, m := range msgs {
		res, err := tf.Transform(ctx, m)
		require.NoError(t, err)
		for _, r := range res {
			if r.IsControl() {
				ctrls++
				continue
			}
			out = append(out, string(r.Data()))
		}
	}
	return out, ctrls
}

// setFieldTf returns a transformer that sets key to value in data messages.
func setFieldTf(key string, value any) transform.Func {
	return func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return []*weir.Message{msg}, nil
		}
		if err := msg.Set(key, value); err != nil {
			return nil, err
		}
		return []*weir.Message{msg}, nil
	}
}

// upperTf upper-cases the data of data messages.
var upperTf = transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return []*weir.Message{msg}, nil
	}
	return []*weir.Message{msg.SetData(bytes.ToUpper(msg.Data()))}, nil
})

// failWith fails on data messages with err.
func failWith(err error) transform.Func {
	return func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() {
			return []*weir.Message{msg}, nil
		}
		return nil, err
	}
}

// hasKey is true when the data has key.
func hasKey(key string) condition.Func {
	return func(_ context.Context, msg *weir.Message) (bool, error) {
		return msg.Get(key).Exists(), nil
	}
}

// holdBuffer is a stateful transformer: it holds data messages and releases them,
// then the control message, when a control message arrives. It counts what
// it saw.
type holdBuffer struct {
	mu    sync.Mutex
	held  []*weir.Message
	ctrls int
}

func (b *holdBuffer) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !msg.IsControl() {
		b.held = append(b.held, msg)
		return nil, nil
	}
	b.ctrls++
	out := append(b.held, msg)
	b.held = nil
	return out, nil
}

// closeCounter records Close calls.
type closeCounter struct {
	transform.Func
	closed *int
}

func (c closeCounter) Close() error { *c.closed++; return nil }

// parseConfig parses a weir.Config.
func parseConfig(t testing.TB, s string) weir.Config {
	t.Helper()
	var c weir.Config
	require.NoError(t, json.Unmarshal([]byte(s), &c))
	return c
}

// ---------------------------------------------------------------------------
// meta_switch

func TestMetaSwitch(t *testing.T) {
	t.Parallel()
	sw, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Condition: hasKey("a"), Transforms: []transform.Transformer{setFieldTf("case", "a"), setFieldTf("n", 1)}},
		{Condition: hasKey("b"), Transforms: []transform.Transformer{setFieldTf("case", "b")}},
		{Condition: hasKey("drop"), Transforms: []transform.Transformer{transform.Func(func(context.Context, *weir.Message) ([]*weir.Message, error) {
			return nil, nil
		})}},
	}})
	require.NoError(t, err)

	withDefault, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Condition: hasKey("a"), Transforms: []transform.Transformer{setFieldTf("case", "a")}},
		{Transforms: []transform.Transformer{setFieldTf("case", "default")}},
	}})
	require.NoError(t, err)

	tests := []struct {
		name string
		tf   transform.Transformer
		in   string
		want []string
	}{
		{"first case, chained", sw, `{"a":1}`, []string{`{"a":1,"case":"a","n":1}`}},
		{"first match wins", sw, `{"b":1,"a":1}`, []string{`{"b":1,"a":1,"case":"a","n":1}`}},
		{"second case", sw, `{"b":1}`, []string{`{"b":1,"case":"b"}`}},
		{"case drops", sw, `{"drop":1}`, nil},
		{"no match passes unchanged", sw, `{"c":1}`, []string{`{"c":1}`}},
		{"default case", withDefault, `{"c":1}`, []string{`{"c":1,"case":"default"}`}},
		{"default not reached", withDefault, `{"a":1}`, []string{`{"a":1,"case":"a"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ctrls := feed(t, tt.tf, false, tt.in)
			assert.Equal(t, tt.want, got)
			assert.Zero(t, ctrls)
		})
	}
}

func TestMetaSwitchErrors(t *testing.T) {
	t.Parallel()
	errCond := errors.New("cannot inspect")
	errTf := fmt.Errorf("bad value: %w", weir.ErrInvalidData)
	sw, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{ID: "sw", Cases: []transform.MetaSwitchCase{
		{Condition: condition.Func(func(_ context.Context, msg *weir.Message) (bool, error) {
			if msg.Get("boom").Exists() {
				return false, errCond
			}
			return msg.Get("a").Exists(), nil
		}), Transforms: []transform.Transformer{failWith(errTf)}},
	}})
	require.NoError(t, err)
	ctx := context.Background()

	tests := []struct {
		name string
		in   string
		want error
	}{
		{"condition error", `{"boom":1}`, errCond},
		{"transform error", `{"a":1}`, weir.ErrInvalidData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := sw.Transform(ctx, weir.NewMessage([]byte(tt.in)))
			assert.Nil(t, out)
			require.ErrorIs(t, err, tt.want)
			var te *transform.Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "meta_switch", te.Type)
			assert.Equal(t, "sw", te.ID)
		})
	}
}

func TestMetaSwitchControlFlushesEveryCase(t *testing.T) {
	t.Parallel()
	bufA, bufB, bufDefault := &holdBuffer{}, &holdBuffer{}, &holdBuffer{}
	sw, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Condition: hasKey("a"), Transforms: []transform.Transformer{setFieldTf("x", "a"), bufA}},
		{Condition: hasKey("b"), Transforms: []transform.Transformer{bufB, setFieldTf("x", "b")}},
		{Transforms: []transform.Transformer{bufDefault}},
	}})
	require.NoError(t, err)

	got, ctrls := feed(t, sw, true, `{"a":1}`, `{"b":1}`, `{"a":2}`, `{"c":1}`)
	// Released in case order; the control message comes out once, last.
	assert.Equal(t, []string{`{"a":1,"x":"a"}`, `{"a":2,"x":"a"}`, `{"b":1,"x":"b"}`, `{"c":1}`}, got)
	assert.Equal(t, 1, ctrls)
	assert.Equal(t, 1, bufA.ctrls)
	assert.Equal(t, 1, bufB.ctrls)
	assert.Equal(t, 1, bufDefault.ctrls)

	ctrl := weir.NewControl()
	out, err := sw.Transform(context.Background(), ctrl)
	require.NoError(t, err)
	assert.Equal(t, []*weir.Message{ctrl}, out, "the same control message is passed on")
}

func TestMetaSwitchControlError(t *testing.T) {
	t.Parallel()
	errFlush := errors.New("flush failed")
	sw, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Transforms: []transform.Transformer{transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
			if msg.IsControl() {
				return nil, errFlush
			}
			return []*weir.Message{msg}, nil
		})}},
	}})
	require.NoError(t, err)
	_, err = sw.Transform(context.Background(), weir.NewControl())
	assert.ErrorIs(t, err, errFlush)
}

func TestMetaSwitchNestedRegistry(t *testing.T) {
	t.Parallel()
	treg := transform.Builtins()
	require.NoError(t, treg.Register("test_mark", func(_ context.Context, _ *transform.Env, cfg weir.Config) (transform.Transformer, error) {
		var s struct {
			Value string `json:"value"`
		}
		if err := cfg.Decode(&s); err != nil {
			return nil, err
		}
		return setFieldTf("mark", s.Value), nil
	}))
	creg := condition.Builtins()
	require.NoError(t, creg.Register("test_has", func(_ context.Context, _ *condition.Env, cfg weir.Config) (condition.Inspector, error) {
		var s struct {
			Key string `json:"key"`
		}
		if err := cfg.Decode(&s); err != nil {
			return nil, err
		}
		return hasKey(s.Key), nil
	}))
	ctx := context.Background()

	// Custom types nested two levels deep: meta_err > meta_switch > test_mark.
	tf, err := (&transform.Env{Transforms: treg, Conditions: creg}).New(ctx, parseConfig(t, `{"type": "meta_err", "settings": {"transforms": [
		{"type": "meta_switch", "settings": {"cases": [
			{"condition": {"type": "test_has", "settings": {"key": "a"}},
			 "transforms": [{"type": "test_mark", "settings": {"value": "custom"}}]},
			{"transforms": [{"type": "utility_drop"}]}
		]}}
	]}}`))
	require.NoError(t, err)
	got, _ := feed(t, tf, true, `{"a":1}`, `{"b":1}`)
	assert.Equal(t, []string{`{"a":1,"mark":"custom"}`}, got)

	// Without the registries the custom types are unknown.
	_, err = transform.New(context.Background(), parseConfig(t, `{"type": "meta_switch", "settings": {"cases": [
		{"transforms": [{"type": "test_mark"}]}]}}`))
	assert.ErrorIs(t, err, weir.ErrUnknownType)
	_, err = treg.New(context.Background(), parseConfig(t, `{"type": "meta_switch", "settings": {"cases": [
		{"condition": {"type": "test_has"}, "transforms": [{"type": "test_mark"}]}]}}`))
	assert.ErrorIs(t, err, weir.ErrUnknownType)
}

func TestMetaSwitchConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       string
		field     string
		wantError error
	}{
		{"no cases", `{"type": "meta_switch", "settings": {}}`, "cases", weir.ErrInvalidConfig},
		{"case without transforms", `{"type": "meta_switch", "settings": {"cases": [{"transforms": []}]}}`, "cases.0.transforms", weir.ErrInvalidConfig},
		{"unknown transform", `{"type": "meta_switch", "settings": {"cases": [{"transforms": [{"type": "utility_drop"}]}, {"transforms": [{"type": "utility_drop"}, {"type": "nope"}]}]}}`, "cases.1.transforms.1", weir.ErrUnknownType},
		{"unknown condition", `{"type": "meta_switch", "settings": {"cases": [{"condition": {"type": "nope"}, "transforms": [{"type": "utility_drop"}]}]}}`, "cases.0.condition", weir.ErrUnknownType},
		{"bad nested setting", `{"type": "meta_switch", "settings": {"cases": [{"transforms": [{"type": "utility_control", "settings": {"batch": {"duration": "soon"}}}]}]}}`, "cases.0.transforms.0", weir.ErrInvalidConfig},
		{"unknown setting", `{"type": "meta_switch", "settings": {"cases": [{"transforms": [{"type": "utility_drop"}], "transform": {}}]}}`, "cases.0.transform", weir.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := transform.New(context.Background(), parseConfig(t, tt.cfg))
			require.ErrorIs(t, err, tt.wantError)
			require.ErrorIs(t, err, weir.ErrInvalidConfig)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "meta_switch", ce.Type)
			assert.Equal(t, tt.field, ce.Field)
		})
	}

	_, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Transforms: []transform.Transformer{upperTf, nil}},
	}})
	var ce *weir.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "cases.0.transforms.1", ce.Field)
}

func TestMetaSwitchConcurrent(t *testing.T) {
	t.Parallel()
	buf := &holdBuffer{}
	sw, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Condition: hasKey("even"), Transforms: []transform.Transformer{setFieldTf("seen", true), buf}},
		{Transforms: []transform.Transformer{setFieldTf("odd", true)}},
	}})
	require.NoError(t, err)

	const workers, per = 8, 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	odd := 0
	for w := range workers {
		wg.Go(func() {
			ctx := context.Background()
			for i := range per {
				key := "odd"
				if i%2 == 0 {
					key = "even"
				}
				out, err := sw.Transform(ctx, weir.NewMessage(fmt.Appendf(nil, `{"%s":%d}`, key, w*per+i)))
				assert.NoError(t, err)
				mu.Lock()
				odd += len(out)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, workers*per/2, odd)
	got, ctrls := feed(t, sw, true)
	assert.Len(t, got, workers*per/2)
	assert.Equal(t, 1, ctrls)
}

func TestMetaClose(t *testing.T) {
	t.Parallel()
	n := 0
	c := closeCounter{Func: upperTf, closed: &n}
	sw, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Transforms: []transform.Transformer{c, upperTf}},
		{Transforms: []transform.Transformer{c}},
	}})
	require.NoError(t, err)
	fe, err := transform.NewMetaForEach(transform.MetaForEachConfig{
		Object: transform.ObjectSettings{SourceKey: "a", TargetKey: "b"}, Transforms: []transform.Transformer{c},
	})
	require.NoError(t, err)
	me, err := transform.NewMetaErr(transform.MetaErrConfig{Transforms: []transform.Transformer{c}})
	require.NoError(t, err)

	require.NoError(t, sw.Close())
	require.NoError(t, fe.Close())
	require.NoError(t, me.Close())
	assert.Equal(t, 4, n)
}

// ---------------------------------------------------------------------------
// meta_for_each

func TestMetaForEach(t *testing.T) {
	t.Parallel()
	split := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if msg.IsControl() || string(msg.Data()) != "split" {
			return []*weir.Message{msg}, nil
		}
		return []*weir.Message{weir.NewMessage([]byte("x")), weir.NewMessage([]byte("y"))}, nil
	})
	dropB := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		if string(msg.Data()) == "b" {
			return nil, nil
		}
		return []*weir.Message{msg}, nil
	})
	toBinary := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		return []*weir.Message{msg.SetData([]byte{0xff, 0x00})}, nil
	})
	fromMeta := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		return []*weir.Message{msg.SetData(fmt.Appendf(nil, "%s-%s", msg.Data(), msg.Get("meta tag").String()))}, nil
	})

	tests := []struct {
		name string
		src  string
		dst  string
		tfs  []transform.Transformer
		in   string
		meta string
		want string
	}{
		{"strings", "a", "b", []transform.Transformer{upperTf}, `{"a":["x","y"]}`, "", `{"a":["x","y"],"b":["X","Y"]}`},
		{"in place", "a", "a", []transform.Transformer{upperTf}, `{"a":["x","y"]}`, "", `{"a":["X","Y"]}`},
		{"chain", "a", "b", []transform.Transformer{upperTf, split}, `{"a":["split","z"]}`, "", `{"a":["split","z"],"b":["SPLIT","Z"]}`},
		{"split adds elements", "a", "b", []transform.Transformer{split}, `{"a":["split","z"]}`, "", `{"a":["split","z"],"b":["x","y","z"]}`},
		{"drop removes elements", "a", "b", []transform.Transformer{dropB}, `{"a":["a","b","c"]}`, "", `{"a":["a","b","c"],"b":["a","c"]}`},
		{"all dropped is null", "a", "b", []transform.Transformer{dropB}, `{"a":["b"]}`, "", `{"a":["b"],"b":null}`},
		{"empty array is null", "a", "b", []transform.Transformer{upperTf}, `{"a":[]}`, "", `{"a":[],"b":null}`},
		{"objects re-encoded sorted", "a", "b", []transform.Transformer{setFieldTf("a", 1.5)}, `{"a":[{"z":1,"b":2}]}`, "", `{"a":[{"z":1,"b":2}],"b":[{"a":1.5,"b":2,"z":1}]}`},
		{"numbers become strings", "a", "b", []transform.Transformer{upperTf}, `{"a":[1,2.5,true,null]}`, "", `{"a":[1,2.5,true,null],"b":["1","2.5","TRUE",""]}`},
		{"arrays stay arrays", "a", "b", []transform.Transformer{upperTf}, `{"a":[[1,"x"]]}`, "", `{"a":[[1,"x"]],"b":[[1,"X"]]}`},
		{"not UTF-8 is base64", "a", "b", []transform.Transformer{toBinary}, `{"a":["x"]}`, "", `{"a":["x"],"b":["/wA="]}`},
		{"metadata is visible", "a", "b", []transform.Transformer{fromMeta}, `{"a":["x"]}`, `{"tag":"t"}`, `{"a":["x"],"b":["x-t"]}`},
		{"metadata source", "meta a", "b", []transform.Transformer{upperTf}, `{}`, `{"a":["m"]}`, `{"b":["M"]}`},
		{"missing source", "a", "b", []transform.Transformer{upperTf}, `{"c":1}`, "", `{"c":1}`},
		{"source not an array", "a", "b", []transform.Transformer{upperTf}, `{"a":"x"}`, "", `{"a":"x"}`},
		{"not JSON", "a", "b", []transform.Transformer{upperTf}, `x`, "", `x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fe, err := transform.NewMetaForEach(transform.MetaForEachConfig{
				Object:     transform.ObjectSettings{SourceKey: tt.src, TargetKey: tt.dst},
				Transforms: tt.tfs,
			})
			require.NoError(t, err)
			msg := weir.NewMessage([]byte(tt.in))
			if tt.meta != "" {
				msg.SetMetadata([]byte(tt.meta))
			}
			out, err := fe.Transform(context.Background(), msg)
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, tt.want, string(out[0].Data()))
			assert.Equal(t, tt.meta, string(out[0].Metadata()), "metadata unchanged")
		})
	}
}

func TestMetaForEachErrorsAndControl(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fe, err := transform.NewMetaForEach(transform.MetaForEachConfig{
		ID:         "each",
		Object:     transform.ObjectSettings{SourceKey: "a", TargetKey: "b"},
		Transforms: []transform.Transformer{failWith(weir.ErrInvalidData)},
	})
	require.NoError(t, err)
	_, err = fe.Transform(ctx, weir.NewMessage([]byte(`{"a":["x"]}`)))
	require.ErrorIs(t, err, weir.ErrInvalidData)
	var te *transform.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "meta_for_each", te.Type)
	assert.Equal(t, "each", te.ID)

	// A nested stateful transform flushes on control; what it releases is
	// returned as is, then the control message.
	buf := &holdBuffer{}
	fe, err = transform.NewMetaForEach(transform.MetaForEachConfig{
		Object:     transform.ObjectSettings{SourceKey: "a", TargetKey: "b"},
		Transforms: []transform.Transformer{upperTf, buf},
	})
	require.NoError(t, err)
	got, ctrls := feed(t, fe, true, `{"a":["x","y"]}`)
	assert.Equal(t, []string{`{"a":["x","y"],"b":null}`, "X", "Y"}, got)
	assert.Equal(t, 1, ctrls)
	assert.Equal(t, 1, buf.ctrls)
}

func TestMetaForEachConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   string
		field string
		want  error
	}{
		{"no source", `{"type": "meta_for_each", "settings": {"object": {"target_key": "b"}, "transforms": [{"type": "utility_drop"}]}}`, "object.source_key", weir.ErrInvalidConfig},
		{"no target", `{"type": "meta_for_each", "settings": {"object": {"source_key": "a"}, "transforms": [{"type": "utility_drop"}]}}`, "object.target_key", weir.ErrInvalidConfig},
		{"no transforms", `{"type": "meta_for_each", "settings": {"object": {"source_key": "a", "target_key": "b"}}}`, "transforms", weir.ErrInvalidConfig},
		{"unknown transform", `{"type": "meta_for_each", "settings": {"object": {"source_key": "a", "target_key": "b"}, "transforms": [{"type": "nope"}]}}`, "transforms.0", weir.ErrUnknownType},
		{"Substation v1 shape", `{"type": "meta_for_each", "settings": {"object": {"source_key": "a", "target_key": "b"}, "transform": {"type": "utility_drop"}}}`, "transform", weir.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := transform.New(context.Background(), parseConfig(t, tt.cfg))
			require.ErrorIs(t, err, tt.want)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "meta_for_each", ce.Type)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
}

// ---------------------------------------------------------------------------
// meta_err

func TestMetaErr(t *testing.T) {
	t.Parallel()
	raise, err := transform.NewUtilityErr(transform.UtilityErrConfig{Message: "test error", ID: "raiser"})
	require.NoError(t, err)
	other := failWith(fmt.Errorf("other failure: %w", weir.ErrInvalidData))

	tests := []struct {
		name     string
		tfs      []transform.Transformer
		patterns []string
		in       string
		want     []string
		wantErr  error
	}{
		{"caught by text", []transform.Transformer{raise}, []string{"test error"}, `{"a":"b"}`, []string{`{"a":"b"}`}, nil},
		{"caught by anchored regex on the cause", []transform.Transformer{raise}, []string{"^test"}, `{"a":"b"}`, []string{`{"a":"b"}`}, nil},
		{"caught by the wrapper's text", []transform.Transformer{raise}, []string{`^transform utility_err \(raiser\)`}, `{"a":"b"}`, []string{`{"a":"b"}`}, nil},
		{"caught by any of several", []transform.Transformer{other}, []string{"nope", "^other"}, `{}`, []string{`{}`}, nil},
		{"catch all", []transform.Transformer{other}, []string{".*"}, `{}`, []string{`{}`}, nil},
		{"changes before the error stay", []transform.Transformer{setFieldTf("x", 1), raise}, []string{".*"}, `{}`, []string{`{"x":1}`}, nil},
		{"not matched", []transform.Transformer{raise}, []string{"^nope"}, `{}`, nil, transform.ErrRaised},
		{"no patterns catch nothing", []transform.Transformer{other}, nil, `{}`, nil, weir.ErrInvalidData},
		{"no error", []transform.Transformer{upperTf}, []string{".*"}, `{"a":"b"}`, []string{`{"A":"B"}`}, nil},
		{"no transforms", nil, nil, `{"a":"b"}`, []string{`{"a":"b"}`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			me, err := transform.NewMetaErr(transform.MetaErrConfig{ID: "guard", Transforms: tt.tfs, ErrorMessages: tt.patterns})
			require.NoError(t, err)
			out, err := me.Transform(context.Background(), weir.NewMessage([]byte(tt.in)))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				var te *transform.Error
				require.ErrorAs(t, err, &te)
				assert.Equal(t, "meta_err", te.Type)
				assert.Equal(t, "guard", te.ID)
				assert.Nil(t, out)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, m := range out {
				got = append(got, string(m.Data()))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMetaErrJoinedErrors(t *testing.T) {
	t.Parallel()
	joined := failWith(errors.Join(errors.New("first"), fmt.Errorf("wrapped: %w", errors.New("second cause"))))
	me, err := transform.NewMetaErr(transform.MetaErrConfig{Transforms: []transform.Transformer{joined}, ErrorMessages: []string{"^second"}})
	require.NoError(t, err)
	got, _ := feed(t, me, false, `{}`)
	assert.Equal(t, []string{`{}`}, got)
}

func TestMetaErrControl(t *testing.T) {
	t.Parallel()
	buf := &holdBuffer{}
	me, err := transform.NewMetaErr(transform.MetaErrConfig{Transforms: []transform.Transformer{buf}})
	require.NoError(t, err)
	got, ctrls := feed(t, me, true, `{"a":1}`, `{"a":2}`)
	assert.Equal(t, []string{`{"a":1}`, `{"a":2}`}, got)
	assert.Equal(t, 1, ctrls)
}

func TestMetaErrConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   string
		field string
		want  error
	}{
		{"bad regex", `{"type": "meta_err", "settings": {"error_messages": ["ok", "("], "transforms": [{"type": "utility_drop"}]}}`, "error_messages.1", weir.ErrInvalidConfig},
		{"unknown transform", `{"type": "meta_err", "settings": {"transforms": [{"type": "nope"}]}}`, "transforms.0", weir.ErrUnknownType},
		{"Substation v1 shape", `{"type": "meta_err", "settings": {"transform": {"type": "utility_drop"}}}`, "transform", weir.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := transform.New(context.Background(), parseConfig(t, tt.cfg))
			require.ErrorIs(t, err, tt.want)
			var ce *weir.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "meta_err", ce.Type)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
	_, err := transform.NewMetaErr(transform.MetaErrConfig{Transforms: []transform.Transformer{nil}})
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

// ---------------------------------------------------------------------------
// Substation v2 conformance vectors

type metaVectorMessage struct {
	Data     *string         `json:"data"`
	DataB64  string          `json:"data_b64"`
	Metadata json.RawMessage `json:"metadata"`
}

func (m metaVectorMessage) bytes(t testing.TB) []byte {
	if m.Data != nil {
		return []byte(*m.Data)
	}
	b, err := base64.StdEncoding.DecodeString(m.DataB64)
	require.NoError(t, err)
	return b
}

type metaVector struct {
	Name      string              `json:"name"`
	Config    weir.Config         `json:"config"`
	Input     []metaVectorMessage `json:"input"`
	Flush     bool                `json:"flush"`
	Expected  []metaVectorMessage `json:"expected"`
	Unordered bool                `json:"unordered"`
	Error     bool                `json:"error"`
}

// TestMetaVectors replays Substation's vectors for the meta types (the
// project's copy of them, which the root package's conformance test replays
// too).
func TestMetaVectors(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../testdata/conformance/substation-v2/transform/meta_*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "conformance vectors not found")
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var vs []metaVector
		require.NoError(t, json.Unmarshal(b, &vs))
		typ := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, v := range vs {
			t.Run(typ+"/"+v.Name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				tf, err := transform.New(ctx, v.Config)
				require.NoError(t, err)
				var got []string
				var failed error
				msgs := make([]*weir.Message, 0, len(v.Input)+1)
				for _, in := range v.Input {
					m := weir.NewMessage(in.bytes(t))
					if len(in.Metadata) > 0 {
						m.SetMetadata(in.Metadata)
					}
					msgs = append(msgs, m)
				}
				if v.Flush {
					msgs = append(msgs, weir.NewControl())
				}
				for _, m := range msgs {
					out, err := tf.Transform(ctx, m)
					if err != nil {
						failed = err
						break
					}
					for _, o := range out {
						if !o.IsControl() {
							got = append(got, string(o.Data()))
						}
					}
				}
				if v.Error {
					assert.Error(t, failed)
					return
				}
				require.NoError(t, failed)
				want := []string{}
				for _, e := range v.Expected {
					want = append(want, string(e.bytes(t)))
				}
				if got == nil {
					got = []string{}
				}
				if v.Unordered {
					assert.ElementsMatch(t, want, got)
				} else {
					assert.Equal(t, want, got)
				}
			})
		}
	}
}

// ---------------------------------------------------------------------------
// benchmarks

func BenchmarkMetaSwitch(b *testing.B) {
	ctx := context.Background()
	data := []byte(`{"event":{"type":"login","user":"alice"},"source":"idp"}`)
	isType := func(v string) condition.Func {
		return func(_ context.Context, msg *weir.Message) (bool, error) {
			return msg.Get("event.type").String() == v, nil
		}
	}
	mark := transform.Func(func(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
		return []*weir.Message{msg}, nil
	})
	sw, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Condition: isType("logout"), Transforms: []transform.Transformer{mark}},
		{Condition: isType("mfa"), Transforms: []transform.Transformer{mark}},
		{Condition: isType("login"), Transforms: []transform.Transformer{mark}},
		{Transforms: []transform.Transformer{mark}},
	}})
	require.NoError(b, err)

	// baseline: the same decisions as a hand-written if/else chain.
	baseline := transform.Func(func(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
		for _, v := range []string{"logout", "mfa", "login"} {
			if ok, _ := isType(v)(ctx, msg); ok {
				return mark(ctx, msg)
			}
		}
		return mark(ctx, msg)
	})

	for _, bc := range []struct {
		name string
		tf   transform.Transformer
	}{{"baseline", baseline}, {"meta_switch", sw}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.tf.Transform(ctx, weir.NewMessage(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bc.tf.Transform(ctx, weir.NewMessage(data)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestMetaSwitchExists compares meta_switch cases whose condition is
// exists, alone or as the only inspector of a meta_all, which the switch
// reads itself (handing the value to a first transform that reads the same
// field), with the same cases behind a condition that hides its type:
// data, metadata and errors agree.
func TestMetaSwitchExists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	firsts := []string{ // %[1]s is the key the condition looks for
		`{"type":"object_copy","settings":{"object":{"source_key":"%[1]s","target_key":"meta out.x"}}}`,
		`{"type":"object_copy","settings":{"object":{"source_key":"%[1]s","target_key":"out"}}}`,
		`{"type":"object_copy","settings":{"object":{"source_key":"%[1]s"}}}`,
		`{"type":"object_copy","settings":{"object":{"target_key":"out"}}}`,
		`{"type":"object_copy","settings":{"object":{"source_key":"other","target_key":"out"}}}`,
		`{"type":"string_replace","settings":{"pattern":"^x","replacement":"y","object":{"source_key":"%[1]s","target_key":"out"}}}`,
		`{"type":"string_replace","settings":{"pattern":"x","replacement":"y"}}`,
		`{"type":"string_to_lower","settings":{"object":{"source_key":"%[1]s","target_key":"out"}}}`,
		`{"type":"string_capture","settings":{"pattern":"([^/]*)$","object":{"source_key":"%[1]s","target_key":"out"}}}`,
		`{"type":"string_capture","settings":{"pattern":"(?P<g>.)","object":{"source_key":"%[1]s","target_key":"out"}}}`,
		`{"type":"string_capture","settings":{"pattern":"(.)","count":2,"object":{"source_key":"%[1]s","target_key":"out"}}}`,
	}
	second := `{"type":"string_to_upper","settings":{"object":{"source_key":"out","target_key":"again"}}}`
	values := []string{``, `null`, `"xX/Y"`, `""`, `12`, `true`, `{"b":[1,"x"]}`, `[1,2]`, `"\u00e9\"x/"`, `"a\\u0041"`}
	build := func(t *testing.T, js string) transform.Transformer {
		var cfg weir.Config
		require.NoError(t, json.Unmarshal([]byte(js), &cfg))
		tf, err := transform.New(ctx, cfg)
		require.NoError(t, err, js)
		return tf
	}
	for _, key := range []string{"a", "meta m", "a.b"} {
		for fi, first := range firsts {
			if strings.Count(first, "%[1]s") > 0 {
				first = fmt.Sprintf(first, key)
			}
			for _, chained := range []bool{false, true} {
				name := fmt.Sprintf("%s/%d/%v", key, fi, chained)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					exists, err := condition.NewExists(condition.ExistsConfig{Object: condition.ObjectSettings{SourceKey: key}})
					require.NoError(t, err)
					tfs := func() []transform.Transformer {
						ts := []transform.Transformer{build(t, first)}
						if chained {
							ts = append(ts, build(t, second))
						}
						return ts
					}
					fast, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{ID: "s", Cases: []transform.MetaSwitchCase{
						{Condition: exists, Transforms: tfs()}}})
					require.NoError(t, err)
					slow, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{ID: "s", Cases: []transform.MetaSwitchCase{
						{Condition: condition.Func(exists.Inspect), Transforms: tfs()}}})
					require.NoError(t, err)
					all, err := condition.NewMetaAll(ctx, nil, condition.MetaAllConfig{Inspectors: []condition.Inspector{exists}})
					require.NoError(t, err)
					wrapped, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{ID: "s", Cases: []transform.MetaSwitchCase{
						{Condition: all, Transforms: tfs()}}})
					require.NoError(t, err)
					for _, v := range values {
						for _, data := range []string{`{"a":%s,"other":1}`, `{"a":{"b":%s}}`, `not json`, `{"out":"s","a":%s}`} {
							if v == `` {
								data = strings.ReplaceAll(strings.ReplaceAll(data, `"a":%s,`, ``), `"a":%s`, `"z":0`)
								data = strings.ReplaceAll(data, `{"b":%s}`, `{}`)
							}
							if strings.Contains(data, "%s") {
								data = fmt.Sprintf(data, v)
							}
							meta := `{}`
							if v != `` {
								meta = `{"m":` + v + `}`
							}
							run := func(sw transform.Transformer) string {
								msg := weir.NewMessage([]byte(data)).SetMetadata([]byte(meta))
								out, err := sw.Transform(ctx, msg)
								if err != nil {
									return "error: " + err.Error()
								}
								var b strings.Builder
								for _, m := range out {
									fmt.Fprintf(&b, "%s | %s\n", m.Data(), m.Metadata())
								}
								return b.String()
							}
							want := run(slow)
							assert.Equal(t, want, run(fast), "data %s, metadata %s", data, meta)
							assert.Equal(t, want, run(wrapped), "meta_all: data %s, metadata %s", data, meta)
						}
					}
				})
			}
		}
	}
}

// copyTwice embeds an object_copy and has a Transform of its own.
type copyTwice struct{ *transform.ObjectCopy }

func (c copyTwice) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if _, err := c.ObjectCopy.Transform(ctx, msg); err != nil {
		return nil, err
	}
	return msg.AsSlice(), msg.Set("twice", true)
}

// TestMetaSwitchExistsCustom checks that a custom transformer embedding a
// built-in that a meta_switch hands values to keeps its own Transform.
func TestMetaSwitchExistsCustom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	exists, err := condition.NewExists(condition.ExistsConfig{Object: condition.ObjectSettings{SourceKey: "a"}})
	require.NoError(t, err)
	cp, err := transform.NewObjectCopy(transform.ObjectCopyConfig{Object: transform.ObjectSettings{SourceKey: "a", TargetKey: "b"}})
	require.NoError(t, err)
	sw, err := transform.NewMetaSwitch(transform.MetaSwitchConfig{Cases: []transform.MetaSwitchCase{
		{Condition: exists, Transforms: []transform.Transformer{copyTwice{cp}}}}})
	require.NoError(t, err)
	out, err := sw.Transform(ctx, weir.NewMessage([]byte(`{"a":1}`)))
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.JSONEq(t, `{"a":1,"b":1,"twice":true}`, string(out[0].Data()))
}
