package backoff_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/backoff"
)

func TestCeil(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		base, limit time.Duration
		n           int
		want        time.Duration
	}{
		{10, 100, 0, 10},
		{10, 100, 1, 20},
		{10, 100, 3, 80},
		{10, 100, 4, 100},
		{10, 100, 1000, 100},
		{10, 100, -1, 10},
		{0, 100, 5, 0},
		{10, 0, 5, 0},
		{math.MaxInt64 / 2, math.MaxInt64, 2, math.MaxInt64},
		{1, math.MaxInt64, 62, 1 << 62},
		{1, math.MaxInt64, 63, math.MaxInt64},
	} {
		assert.Equal(t, tt.want, backoff.Ceil(tt.base, tt.limit, tt.n), "%+v", tt)
	}
}

func TestJitter(t *testing.T) {
	t.Parallel()
	assert.Zero(t, backoff.Jitter(0))
	assert.Zero(t, backoff.Jitter(-1))
	for range 1000 {
		d := backoff.Jitter(5)
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.Less(t, d, time.Duration(5))
	}
}

func TestSleep(t *testing.T) {
	t.Parallel()
	require.NoError(t, backoff.Sleep(context.Background(), 0))
	require.NoError(t, backoff.Sleep(context.Background(), time.Microsecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, backoff.Sleep(ctx, time.Hour), context.Canceled)
	assert.ErrorIs(t, backoff.Sleep(ctx, 0), context.Canceled)
}

var (
	errRetry = errors.New("retry me")
	errFatal = errors.New("fatal")
)

func TestPolicyDo(t *testing.T) {
	t.Parallel()
	retryable := func(err error) bool { return errors.Is(err, errRetry) }
	tests := []struct {
		name         string
		retries      int
		errs         []error // op's results in turn; nil after the last
		wantAttempts int
		wantErr      error
		wantWaits    []time.Duration
	}{
		{"first try", 3, nil, 1, nil, nil},
		{"recovers", 3, []error{errRetry, errRetry}, 3, nil, []time.Duration{10, 20}},
		{"gives up", 2, []error{errRetry, errRetry, errRetry, errRetry}, 3, errRetry, []time.Duration{10, 20}},
		{"not retryable", 3, []error{errRetry, errFatal}, 2, errFatal, []time.Duration{10}},
		{"no retries", 0, []error{errRetry}, 1, errRetry, nil},
		{"no limit", -1, []error{errRetry, errRetry, errRetry, errRetry, errRetry}, 6, nil, []time.Duration{10, 20, 40, 40, 40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var waits []time.Duration
			p := backoff.Policy{
				Retries: tt.retries, Base: 10, Max: 40,
				Sleep:  func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil },
				Jitter: func(ceil time.Duration) time.Duration { return ceil },
			}
			i := 0
			attempts, err, stopped := p.Do(context.Background(), retryable, func() error {
				defer func() { i++ }()
				if i < len(tt.errs) {
					return tt.errs[i]
				}
				return nil
			})
			assert.NoError(t, stopped)
			assert.Equal(t, tt.wantAttempts, attempts)
			assert.Equal(t, tt.wantErr, err)
			assert.Equal(t, tt.wantWaits, waits)
		})
	}
}

func TestPolicyDoStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	attempts, err, stopped := backoff.Policy{Retries: -1, Base: time.Hour, Max: time.Hour}.Do(ctx,
		func(error) bool { return true },
		func() error { calls++; return errRetry })
	assert.Equal(t, 1, attempts)
	assert.Equal(t, 1, calls)
	assert.ErrorIs(t, err, errRetry)
	assert.ErrorIs(t, stopped, context.Canceled)
}
