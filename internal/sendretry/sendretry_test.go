package sendretry_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/backoff"
	"github.com/weirhq/weir/internal/sendretry"
	"github.com/weirhq/weir/transform"
)

// policy retries n times without waiting, recording the ceilings asked for.
func policy(n int, ceilings *[]time.Duration) backoff.Policy {
	return backoff.Policy{Retries: n, Base: time.Millisecond, Max: 8 * time.Millisecond,
		Jitter: func(c time.Duration) time.Duration {
			if ceilings != nil {
				*ceilings = append(*ceilings, c)
			}
			return 0
		},
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
}

func TestPartialFailuresRetried(t *testing.T) {
	t.Parallel()
	var ceilings []time.Duration
	var calls [][]int
	// Items 1 and 3 fail twice, then succeed.
	fails := map[int]int{1: 2, 3: 2}
	resent, err := sendretry.Do(context.Background(), "svc", policy(5, &ceilings), []int{0, 1, 2, 3}, nil,
		func(_ context.Context, idx []int) (map[int]sendretry.Failure, error) {
			calls = append(calls, append([]int(nil), idx...))
			out := map[int]sendretry.Failure{}
			for _, i := range idx {
				if fails[i] > 0 {
					fails[i]--
					out[i] = sendretry.Failure{Code: "Throttled", Err: errors.New("slow down"), Retryable: true}
				}
			}
			return out, nil
		})
	require.NoError(t, err)
	assert.Equal(t, [][]int{{0, 1, 2, 3}, {1, 3}, {1, 3}}, calls, "only the failed items are sent again")
	assert.Equal(t, []time.Duration{time.Millisecond, 2 * time.Millisecond}, ceilings, "exponential ceilings (full jitter below them)")
	assert.Zero(t, resent, "partial failures are known not delivered: no duplicates")
}

func TestExhaustedAndPermanent(t *testing.T) {
	t.Parallel()
	_, err := sendretry.Do(context.Background(), "svc", policy(2, nil), []int{0, 1, 2}, nil,
		func(_ context.Context, idx []int) (map[int]sendretry.Failure, error) {
			out := map[int]sendretry.Failure{}
			for _, i := range idx {
				switch i {
				case 0:
					out[i] = sendretry.Failure{Code: "InternalFailure", Err: errors.New("x"), Retryable: true}
				case 2:
					out[i] = sendretry.Failure{Code: "InvalidParameter", Err: errors.New("bad")}
				}
			}
			return out, nil
		})
	var se *transform.SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 3, se.Attempts)
	assert.Equal(t, 3, se.Total)
	require.Len(t, se.Failed, 2)
	assert.Equal(t, 0, se.Failed[0].Index)
	assert.Equal(t, "InternalFailure", se.Failed[0].Code)
	assert.Equal(t, 2, se.Failed[1].Index)
	assert.Equal(t, "InvalidParameter", se.Failed[1].Code)
	assert.Contains(t, se.Error(), "2 of 3 items failed after 3 attempts (InternalFailure ×1, InvalidParameter ×1)")
}

func TestUnknownOutcomeCountsResent(t *testing.T) {
	t.Parallel()
	n := 0
	resent, err := sendretry.Do(context.Background(), "svc", policy(3, nil), []int{0, 1}, func(int) int { return 5 },
		func(_ context.Context, idx []int) (map[int]sendretry.Failure, error) {
			n++
			if n == 1 {
				return nil, io.ErrUnexpectedEOF // the answer was lost
			}
			return nil, nil
		})
	require.NoError(t, err)
	assert.Equal(t, 10, resent, "two items of weight 5 sent again after an unknown outcome")
}

func TestCanceledDuringWait(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := sendretry.Do(ctx, "svc", policy(-1, nil), []int{0}, nil,
		func(context.Context, []int) (map[int]sendretry.Failure, error) {
			return map[int]sendretry.Failure{0: {Code: "Throttled", Err: errors.New("x"), Retryable: true}}, nil
		})
	var se *transform.SendError
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, se.Failed[0].Err, context.Canceled, "no limit, but the context ends the retries")
}

func apiErr(code string, status int) error {
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "m"},
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err                error
		code               string
		retryable, unknown bool
	}{
		{apiErr("ThrottlingException", 400), "ThrottlingException", true, false},
		{apiErr("ProvisionedThroughputExceededException", 400), "ProvisionedThroughputExceededException", true, false},
		{apiErr("InternalFailure", 500), "InternalFailure", true, true},
		{apiErr("ResourceNotFoundException", 400), "ResourceNotFoundException", false, false},
		{apiErr("Whatever", 503), "Whatever", true, true},
		{context.Canceled, "Canceled", false, true},
		{io.ErrUnexpectedEOF, "", true, true},
	} {
		code, retry, unknown := sendretry.Classify(tc.err)
		assert.Equal(t, tc.code, code, "%v", tc.err)
		assert.Equal(t, tc.retryable, retry, "%v", tc.err)
		assert.Equal(t, tc.unknown, unknown, "%v", tc.err)
	}
}
