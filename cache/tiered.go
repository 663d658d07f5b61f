package cache

import (
	"context"
	"errors"
	"time"
)

// DefaultFrontTTL is the longest a [Tiered] keeps a value in front when
// its config leaves FrontTTL at zero.
const DefaultFrontTTL = time.Minute

// TieredConfig configures [NewTiered]. The zero value means the defaults.
type TieredConfig struct {
	// FrontTTL bounds how long a value stays in the front cache, and so
	// how stale a value written or deleted by another process can be here.
	// Zero or less means DefaultFrontTTL.
	FrontTTL time.Duration
	// Now returns the current time, to turn the back's expiry times into
	// front TTLs; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Tiered is a [Cache] in two tiers: a fast one of this process in front
// (a [Memory]) and a shared, slow one behind (a [DynamoDB]), to cut the
// back's query volume.
//
// Get asks the front, then, on a miss, the back; a back hit is copied to
// the front for FrontTTL, or less when the back is an [ExpiryGetter] whose
// value expires sooner, so the front never serves a value past the back's
// expiry. A front error counts as a miss, and a failure to fill the front
// is ignored: the front only saves calls of the back.
//
// Set and Delete write through: the back first, then the front. A failing
// back Set still removes the key from the front, so this process does not
// keep serving the value it meant to replace.
//
// Consistency: the tiers are not updated atomically, and the front is this
// process's alone. A Set or Delete made through another process (another
// Lambda instance with its own front) is not seen here until the front
// entry expires, FrontTTL at most; choose FrontTTL as the staleness you
// can accept. Within one process, a Get racing a Set or Delete of the same
// key may refill the front with the old value, for FrontTTL at most.
//
// A Tiered is safe for concurrent use if both tiers are.
type Tiered struct {
	front, back Cache
	ttl         time.Duration
	now         func() time.Time
}

// NewTiered returns a Tiered cache of front over back. It fails if either
// is nil.
func NewTiered(front, back Cache, cfg TieredConfig) (*Tiered, error) {
	if front == nil || back == nil {
		return nil, errors.New("cache: NewTiered: front or back is nil")
	}
	t := &Tiered{front: front, back: back, ttl: cfg.FrontTTL, now: cfg.Now}
	if t.ttl <= 0 {
		t.ttl = DefaultFrontTTL
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t, nil
}

// Get implements [Cache].
func (t *Tiered) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if v, ok, err := t.front.Get(ctx, key); err == nil && ok {
		return v, true, nil
	}
	var (
		v   []byte
		exp time.Time
		ok  bool
		err error
	)
	if eg, isEG := t.back.(ExpiryGetter); isEG {
		v, exp, ok, err = eg.GetWithExpiry(ctx, key)
	} else {
		v, ok, err = t.back.Get(ctx, key)
	}
	if err != nil || !ok {
		return nil, false, err
	}
	ttl := t.ttl
	if !exp.IsZero() {
		ttl = min(ttl, exp.Sub(t.now()))
	}
	if ttl > 0 {
		_ = t.front.Set(ctx, key, v, ttl)
	}
	return v, true, nil
}

// Set implements [Cache]. The front keeps value for the lesser of ttl and
// FrontTTL.
func (t *Tiered) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := t.back.Set(ctx, key, value, ttl); err != nil {
		return errors.Join(err, t.front.Delete(ctx, key))
	}
	fttl := t.ttl
	if ttl > 0 {
		fttl = min(fttl, ttl)
	}
	return t.front.Set(ctx, key, value, fttl)
}

// Delete implements [Cache]. It deletes from both tiers even if the back
// fails.
func (t *Tiered) Delete(ctx context.Context, key string) error {
	return errors.Join(t.back.Delete(ctx, key), t.front.Delete(ctx, key))
}
