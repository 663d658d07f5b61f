package transform

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/weirhq/weir"
)

// The time_* types convert timestamps. Between conversions a timestamp is
// held as an integer of Unix nanoseconds, as in Substation: time_from_*
// produce one and time_to_* consume one, so
//
//	time_from_string → (Unix ns) → time_to_string
//
// reformats a date. Each reads the value at object.source_key and writes
// the result to object.target_key; when both keys are empty it works on the
// whole message data instead. A message whose source value is missing
// passes unchanged. A string that does not match time_from_string's format
// is an error matching weir.ErrInvalidData, as in Substation.
//
// The types that read an integer timestamp read it as Substation does,
// with gjson's Int: a string that is not all digits, an object, null or
// false is 0 (1970-01-01), true is 1, a fraction is dropped; a conversion
// that overflows wraps around as the time package does. Each such reading
// is a coercion, counted (see [Coercions]); with [Env.Strict] it is a
// *weir.CoercionError instead.

func timeBuiltins() map[string]Factory {
	return map[string]Factory{
		"time_from_string":     decodedNoCtx(NewTimeFromString),
		"time_to_string":       coercing(NewTimeToString),
		"time_from_unix":       coercing(NewTimeFromUnix),
		"time_to_unix":         coercing(NewTimeToUnix),
		"time_from_unix_milli": coercing(NewTimeFromUnixMilli),
		"time_to_unix_milli":   coercing(NewTimeToUnixMilli),
		"time_now": decoded(func(_ context.Context, env *Env, cfg TimeNowConfig) (*TimeNow, error) {
			if cfg.Now == nil {
				cfg.Now = env.now() // Env.Now pins the clock
			}
			return NewTimeNow(cfg)
		}),
	}
}

// timeLayout checks the "format" setting and loads the "location" setting.
// An empty location is nil.
func timeLayout(typ, layout, location string) (*time.Location, error) {
	if layout == "" {
		return nil, strRequired(typ, "format")
	}
	if location == "" {
		return nil, nil
	}
	loc, err := time.LoadLocation(location)
	if err != nil {
		return nil, &weir.ConfigError{Type: typ, Field: "location", Err: err}
	}
	return loc, nil
}

// timeInvalid returns the error for a value that is not a time.
func timeInvalid(typ, id string, err error) error {
	return &Error{Type: typ, ID: id, Err: fmt.Errorf("%w: %w", weir.ErrInvalidData, err)}
}

// errTimeNotInteger is the cause of an error for a value that is not an
// integer timestamp.
var errTimeNotInteger = errors.New("not an integer timestamp")

// timeParseInt reads s as an integer: decimal digits, or a number in any
// JSON notation ("1.6e18") whose value fits an int64 (the fraction is
// dropped).
func timeParseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	// 2^63 is the first float64 past math.MaxInt64.
	if err != nil || math.IsNaN(f) || f < math.MinInt64 || f >= 1<<63 {
		return 0, fmt.Errorf("%q: %w", timeShort(s), errTimeNotInteger)
	}
	return int64(f), nil
}

// timeShort abbreviates s for an error message.
func timeShort(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// timeValueInt reads a JSON number, or a string holding one, as an integer.
func timeValueInt(v weir.Value) (int64, error) {
	switch {
	case v.IsNumber():
		return timeParseInt(v.Raw())
	case v.IsString():
		return timeParseInt(v.String())
	}
	return 0, fmt.Errorf("%s: %w", timeShort(v.Raw()), errTimeNotInteger)
}

// TimeFromStringConfig configures [TimeFromString].
type TimeFromStringConfig struct {
	// Format is the layout of the time, in Go's reference-time notation
	// ("2006-01-02T15:04:05.000Z"; see the time package). Required.
	Format string `json:"format"`
	// Location is the IANA time zone ("America/New_York") of times whose
	// layout has no zone. Empty means UTC.
	Location string `json:"location,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// TimeFromString parses a formatted time into Unix nanoseconds (type
// "time_from_string"). On the whole data the result replaces the data as
// decimal digits; at a key it is written as a JSON integer. A time that
// does not match the format is an error matching weir.ErrInvalidData.
type TimeFromString struct {
	id     string
	io     strIO
	layout string
	loc    *time.Location // nil: time.Parse
	fixed  *timeFixed     // the layout, when values are read without time.Parse
}

// NewTimeFromString returns a TimeFromString for cfg. An unknown location
// is a *weir.ConfigError for "location".
func NewTimeFromString(cfg TimeFromStringConfig) (*TimeFromString, error) {
	const typ = "time_from_string"
	io, err := newStrIO(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	loc, err := timeLayout(typ, cfg.Format, cfg.Location)
	if err != nil {
		return nil, err
	}
	t := &TimeFromString{id: cfg.ID, io: io, layout: cfg.Format, loc: loc}
	if loc == nil {
		t.fixed = timeFixedOf(cfg.Format)
	}
	return t, nil
}

// parse parses s.
func (t *TimeFromString) parse(s string) (int64, error) {
	if t.fixed != nil {
		if ns, ok := t.fixed.parse(s); ok {
			return ns, nil
		}
	}
	var (
		tm  time.Time
		err error
	)
	if t.loc != nil {
		tm, err = time.ParseInLocation(t.layout, s, t.loc)
	} else {
		tm, err = time.Parse(t.layout, s)
	}
	if err != nil {
		return 0, timeInvalid("time_from_string", t.id, err)
	}
	return tm.UnixNano(), nil
}

// Transform implements [Transformer].
func (t *TimeFromString) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	if t.io.whole() {
		ns, err := t.parse(string(msg.Data()))
		if err != nil {
			return nil, err
		}
		msg.SetData(strconv.AppendInt(nil, ns, 10))
		return strOne(msg)
	}
	v := t.io.src.Get(msg)
	if !v.Exists() {
		return strOne(msg)
	}
	ns, err := t.parse(v.String())
	if err != nil {
		return nil, err
	}
	return strSetInt(msg, &t.io.dst, ns, "time_from_string", t.id)
}

// TimeToStringConfig configures [TimeToString].
type TimeToStringConfig struct {
	// Format is the layout to write, in Go's reference-time notation
	// ("2006-01-02T15:04:05.000Z"; see the time package). Required.
	Format string `json:"format"`
	// Location is the IANA time zone ("America/New_York") the time is
	// written in. Empty means the local time zone (time.Local), as in
	// Substation.
	Location string `json:"location,omitempty"`

	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// TimeToString formats Unix nanoseconds as a time string (type
// "time_to_string"). The input is a JSON integer or a string of digits; on
// the whole data the result replaces the data. Anything else is read as 0,
// a coercion (see the package's time_* notes).
type TimeToString struct {
	coercer
	id     string
	io     strIO
	layout string
	loc    *time.Location // nil: time.Local when called
}

// NewTimeToString returns a TimeToString for cfg. An unknown location is a
// *weir.ConfigError for "location".
func NewTimeToString(cfg TimeToStringConfig) (*TimeToString, error) {
	const typ = "time_to_string"
	io, err := newStrIO(typ, cfg.Object)
	if err != nil {
		return nil, err
	}
	loc, err := timeLayout(typ, cfg.Format, cfg.Location)
	if err != nil {
		return nil, err
	}
	return &TimeToString{coercer: newCoercer(typ, cfg.ID), id: cfg.ID, io: io, layout: cfg.Format, loc: loc}, nil
}

// format formats the Unix nanoseconds ns.
func (t *TimeToString) format(ns int64) string {
	tm := time.Unix(0, ns)
	if t.loc != nil {
		tm = tm.In(t.loc)
	}
	return tm.Format(t.layout)
}

// Transform implements [Transformer].
func (t *TimeToString) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		t.control(ctx)
		return strOne(msg)
	}
	ns, ok, err := timeRead(&t.coercer, msg, &t.io)
	if err != nil || !ok {
		return timeOut(msg, err)
	}
	if t.io.whole() {
		msg.SetData([]byte(t.format(ns)))
		return strOne(msg)
	}
	return strSetText(msg, &t.io.dst, t.format(ns), "time_to_string", t.id)
}

// timeOut is the result of a transform that read no timestamp (err nil:
// the value is missing) or failed to.
func timeOut(msg *weir.Message, err error) ([]*weir.Message, error) {
	if err != nil {
		return nil, err
	}
	return strOne(msg)
}

// timeRead reads the integer timestamp of msg, at io's source key or in
// the whole data, as Substation reads it (gjson's Int: a string that is not
// all digits, an object, null or false is 0, true is 1, a fraction is
// dropped). It returns ok false when the source key is missing. A reading
// that does not stand for the value (anything but a JSON number or a
// string holding one, with the same integer) is a coercion.
func timeRead(c *coercer, msg *weir.Message, io *strIO) (n int64, ok bool, err error) {
	var (
		text     string
		faithful int64
		ferr     error
		val      weir.Value
	)
	if io.whole() {
		d := msg.Data()
		text = string(d)
		faithful, ferr = timeParseInt(text)
		n = dataInt(d)
	} else {
		val = io.src.Get(msg)
		if !val.Exists() {
			return 0, false, nil
		}
		if val.IsNumber() {
			if n, ok := timeDigits(val.Raw()); ok {
				return n, true, nil
			}
		}
		text = val.Raw()
		faithful, ferr = timeValueInt(val)
		n = val.Int()
	}
	if ferr != nil || faithful != n {
		var field string
		if !io.whole() {
			field = io.src.String()
		}
		if err := c.coerce(msg, field, text, "integer timestamp"); err != nil {
			return 0, false, err
		}
	}
	return n, true, nil
}

// timeDigits reads a JSON number written as decimal digits (after an
// optional '-') whose value fits an int64. For such a number
// strconv.ParseInt and weir.Value.Int give the same integer, so timeRead
// needs neither.
func timeDigits(s string) (int64, bool) {
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	if i == len(s) || len(s)-i > 19 { // 19 digits cannot overflow a uint64
		return 0, false
	}
	var n uint64
	for ; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + uint64(c)
	}
	if s[0] == '-' {
		if n > 1<<63 {
			return 0, false
		}
		return int64(-n), true
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

// timeUnix is the shared body of the types that convert one integer
// timestamp into another.
type timeUnix struct {
	coercer
	typ, id string
	io      strIO
	conv    func(int64) (int64, bool) // false: out of range
	// sub is the conversion as Substation makes it, with the time package
	// (which wraps on overflow).
	sub func(int64) int64
}

func newTimeUnix(typ, id string, o ObjectSettings, conv func(int64) (int64, bool), sub func(int64) int64) (timeUnix, error) {
	io, err := newStrIO(typ, o)
	return timeUnix{coercer: newCoercer(typ, id), typ: typ, id: id, io: io, conv: conv, sub: sub}, err
}

// errTimeRange is the cause of an error for a timestamp that overflows.
var errTimeRange = errors.New("timestamp out of range")

// Transform implements [Transformer].
func (t *timeUnix) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		t.control(ctx)
		return strOne(msg)
	}
	n, ok, err := timeRead(&t.coercer, msg, &t.io)
	if err != nil || !ok {
		return timeOut(msg, err)
	}
	out, ok := t.conv(n)
	if !ok {
		// The time package wraps around; strict mode refuses.
		if err := t.coerce(msg, t.io.src.String(), strconv.FormatInt(n, 10), "timestamp in range"); err != nil {
			return nil, err
		}
		out = t.sub(n)
	}
	if t.io.whole() {
		msg.SetData(strconv.AppendInt(nil, out, 10))
		return strOne(msg)
	}
	return strSetInt(msg, &t.io.dst, out, t.typ, t.id)
}

// timeScale returns a conversion that multiplies by k, failing on overflow.
func timeScale(k int64) func(int64) (int64, bool) {
	return func(n int64) (int64, bool) {
		if n > math.MaxInt64/k || n < math.MinInt64/k {
			return 0, false
		}
		return n * k, true
	}
}

// timeFloorDiv returns a conversion that divides by k, rounding down as
// time.Time's Unix and UnixMilli do for times before 1970.
func timeFloorDiv(k int64) func(int64) (int64, bool) {
	return func(n int64) (int64, bool) {
		q := n / k
		if n%k < 0 {
			q--
		}
		return q, true
	}
}

// TimeFromUnixConfig configures [TimeFromUnix].
type TimeFromUnixConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// TimeFromUnix converts Unix seconds to Unix nanoseconds (type
// "time_from_unix"). The input is a JSON integer or a string of digits;
// the result is written as a JSON integer, or replaces the data as
// decimal digits. A time past the year 2262 does not fit: it wraps around,
// a coercion (see the package's time_* notes).
type TimeFromUnix struct{ timeUnix }

// NewTimeFromUnix returns a TimeFromUnix for cfg.
func NewTimeFromUnix(cfg TimeFromUnixConfig) (*TimeFromUnix, error) {
	u, err := newTimeUnix("time_from_unix", cfg.ID, cfg.Object, timeScale(int64(time.Second)),
		func(n int64) int64 { return time.Unix(n, 0).UnixNano() })
	if err != nil {
		return nil, err
	}
	return &TimeFromUnix{u}, nil
}

// TimeToUnixConfig configures [TimeToUnix].
type TimeToUnixConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// TimeToUnix converts Unix nanoseconds to Unix seconds, rounding down
// (type "time_to_unix"). Input and output are as for [TimeFromUnix].
type TimeToUnix struct{ timeUnix }

// NewTimeToUnix returns a TimeToUnix for cfg.
func NewTimeToUnix(cfg TimeToUnixConfig) (*TimeToUnix, error) {
	u, err := newTimeUnix("time_to_unix", cfg.ID, cfg.Object, timeFloorDiv(int64(time.Second)),
		func(n int64) int64 { return time.Unix(0, n).Unix() })
	if err != nil {
		return nil, err
	}
	return &TimeToUnix{u}, nil
}

// TimeFromUnixMilliConfig configures [TimeFromUnixMilli].
type TimeFromUnixMilliConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// TimeFromUnixMilli converts Unix milliseconds to Unix nanoseconds (type
// "time_from_unix_milli"). Input and output are as for [TimeFromUnix].
type TimeFromUnixMilli struct{ timeUnix }

// NewTimeFromUnixMilli returns a TimeFromUnixMilli for cfg.
func NewTimeFromUnixMilli(cfg TimeFromUnixMilliConfig) (*TimeFromUnixMilli, error) {
	u, err := newTimeUnix("time_from_unix_milli", cfg.ID, cfg.Object, timeScale(int64(time.Millisecond)),
		func(n int64) int64 { return time.UnixMilli(n).UnixNano() })
	if err != nil {
		return nil, err
	}
	return &TimeFromUnixMilli{u}, nil
}

// TimeToUnixMilliConfig configures [TimeToUnixMilli].
type TimeToUnixMilliConfig struct {
	ID     string         `json:"id,omitempty"`
	Object ObjectSettings `json:"object"`
}

// TimeToUnixMilli converts Unix nanoseconds to Unix milliseconds, rounding
// down (type "time_to_unix_milli"). Input and output are as for
// [TimeFromUnix].
type TimeToUnixMilli struct{ timeUnix }

// NewTimeToUnixMilli returns a TimeToUnixMilli for cfg.
func NewTimeToUnixMilli(cfg TimeToUnixMilliConfig) (*TimeToUnixMilli, error) {
	u, err := newTimeUnix("time_to_unix_milli", cfg.ID, cfg.Object, timeFloorDiv(int64(time.Millisecond)),
		func(n int64) int64 { return time.Unix(0, n).UnixMilli() })
	if err != nil {
		return nil, err
	}
	return &TimeToUnixMilli{u}, nil
}

// TimeNowConfig configures [TimeNow].
type TimeNowConfig struct {
	ID string `json:"id,omitempty"`
	// Object.TargetKey is where the time is written; when it is empty the
	// time replaces the data. Object.SourceKey is not used.
	Object ObjectSettings `json:"object"`

	// Now returns the current time. Nil means time.Now; tests set it to get
	// fixed output.
	Now func() time.Time `json:"-"`
}

// TimeNow writes the current time as Unix nanoseconds (type "time_now"): a
// JSON integer at the target key, or decimal digits replacing the data.
type TimeNow struct {
	id     string
	target weir.Path
	now    func() time.Time
}

// NewTimeNow returns a TimeNow for cfg.
func NewTimeNow(cfg TimeNowConfig) (*TimeNow, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &TimeNow{id: cfg.ID, target: weir.ParsePath(cfg.Object.TargetKey), now: now}, nil
}

// Transform implements [Transformer].
func (t *TimeNow) Transform(_ context.Context, msg *weir.Message) ([]*weir.Message, error) {
	if msg.IsControl() {
		return strOne(msg)
	}
	ns := t.now().UnixNano()
	if t.target.String() == "" {
		msg.SetData(strconv.AppendInt(nil, ns, 10))
		return strOne(msg)
	}
	return strSet(msg, &t.target, ns, "time_now", t.id)
}
