// Package backoff is the one implementation of exponential backoff with
// full jitter that Weir's retrying parts share: the DynamoDB cache, the
// enrich DynamoDB and HTTP clients, the aws_dynamodb kv store and
// meta_retry. Each keeps its own defaults and errors; this package only
// waits and counts.
//
// Before retry n (from 0) the wait is a random duration in
// [0, min(Max, Base·2ⁿ)) ("full jitter"), which spreads the retries of
// many workers hitting one struggling service.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Ceil returns the longest wait before retry n (from 0): min(limit,
// base·2ⁿ), without overflow. A base or limit of zero or less gives 0
// (retry at once); a negative n counts as 0.
func Ceil(base, limit time.Duration, n int) time.Duration {
	if base <= 0 || limit <= 0 {
		return 0
	}
	n = max(0, n)
	if n >= 63 || base > limit>>n {
		return limit
	}
	return base << n
}

// Jitter returns a duration uniformly at random in [0, ceil), or 0 when
// ceil is not positive.
func Jitter(ceil time.Duration) time.Duration {
	if ceil <= 0 {
		return 0
	}
	return rand.N(ceil)
}

// Sleep waits d or until ctx is done, and then returns ctx's error. A d of
// zero or less returns at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Policy says how often and how long [Policy.Do] retries. Its zero value
// retries nothing.
type Policy struct {
	// Retries is the most retries after the first attempt; negative means
	// no limit (retry until success or until the context is done).
	Retries int
	// Base and Max shape the waits (see the package comment).
	Base, Max time.Duration
	// Sleep waits d or until ctx is done, returning ctx's error then; nil
	// means [Sleep]. Tests set it to observe or skip the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter picks a wait in [0, ceil); nil means [Jitter]. Tests set it to
	// make waits predictable.
	Jitter func(ceil time.Duration) time.Duration
}

// Do calls op until it returns nil, returns an error that retryable
// rejects, or Retries retries have been made, waiting before each retry.
// It returns how many times op ran, op's last error (nil on success) and,
// when a wait was cut short (the context is done), the wait's error:
// then op's last error was retryable and no more attempts were made.
func (p Policy) Do(ctx context.Context, retryable func(error) bool, op func() error) (attempts int, err, stopped error) {
	sleep, jitter := p.Sleep, p.Jitter
	if sleep == nil {
		sleep = Sleep
	}
	if jitter == nil {
		jitter = Jitter
	}
	for n := 0; ; n++ {
		err = op()
		if err == nil || (p.Retries >= 0 && n >= p.Retries) || !retryable(err) {
			return n + 1, err, nil
		}
		if stopped = sleep(ctx, jitter(Ceil(p.Base, p.Max, n))); stopped != nil {
			return n + 1, err, stopped
		}
	}
}
