// Package sendretry delivers the items of one batch through a service call
// that may fail as a whole or item by item, retrying what failed with
// full-jitter exponential backoff (internal/backoff) up to a number of
// attempts, and reports what never got through as a *transform.SendError.
// The send_* transforms share it.
package sendretry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/weirhq/weir/internal/backoff"
	"github.com/weirhq/weir/transform"
)

// Failure is the outcome of one item that a call did not deliver.
type Failure struct {
	Code      string // the service's error code
	Err       error  // what went wrong
	Retryable bool   // whether trying the item again may succeed
}

// Call sends the items at positions idx of the batch and returns the
// failures of those items, keyed by their position in the batch (a key
// not in idx is ignored), or an error for the call as a whole, when no
// item is known to have been delivered.
type Call func(ctx context.Context, idx []int) (map[int]Failure, error)

// Do delivers the items at idx through call. It returns nil when every
// item was delivered, or a *transform.SendError listing every item that
// was not, by its index, without data (service names the destination;
// weight returns how many events an item carries, for SendError.Resent;
// nil means one). A wait cut short by ctx ends the retries: the items
// still pending fail with ctx's error.
//
// resent is the number of events (by weight) sent again after a call whose
// outcome was unknown, the only ones that may have arrived twice; the
// SendError's Resent holds it too.
func Do(ctx context.Context, service string, p backoff.Policy, idx []int, weight func(i int) int, call Call) (resent int, err error) {
	if weight == nil {
		weight = func(int) int { return 1 }
	}
	attempts := max(p.Retries, 0) + 1
	unlimited := p.Retries < 0
	sleep, jitter := p.Sleep, p.Jitter
	if sleep == nil {
		sleep = backoff.Sleep
	}
	if jitter == nil {
		jitter = backoff.Jitter
	}
	se := &transform.SendError{Service: service, Total: len(idx)}
	failed := map[int]Failure{}
	pending := idx
	for n := 0; len(pending) > 0; n++ {
		se.Attempts = n + 1
		res, err := call(ctx, pending)
		var next []int
		unknown := false
		if err != nil {
			code, retry, unk := Classify(err)
			for _, i := range pending {
				failed[i] = Failure{Code: code, Err: err, Retryable: retry}
			}
			if retry {
				next, unknown = pending, unk
			}
		} else {
			for _, i := range pending {
				f, ok := res[i]
				if !ok {
					delete(failed, i)
					continue
				}
				failed[i] = f
				if f.Retryable {
					next = append(next, i)
				}
			}
		}
		if len(next) == 0 || (!unlimited && n+1 >= attempts) {
			break
		}
		if serr := sleep(ctx, jitter(backoff.Ceil(p.Base, p.Max, n))); serr != nil {
			for _, i := range next {
				failed[i] = Failure{Code: failed[i].Code, Err: errors.Join(failed[i].Err, serr)}
			}
			break
		}
		if unknown {
			for _, i := range next {
				se.Resent += weight(i) // they may have arrived: sending again may duplicate them
			}
		}
		pending = next
	}
	if len(failed) == 0 {
		return se.Resent, nil
	}
	for _, i := range idx {
		if f, ok := failed[i]; ok {
			se.Failed = append(se.Failed, transform.FailedItem{Index: i, Code: f.Code, Err: f.Err})
		}
	}
	return se.Resent, se
}

// Classify returns the code of an error of a whole call, whether it is
// worth retrying, and whether the call's outcome is unknown (the request
// may have been processed: a network error or a 5xx answer).
func Classify(err error) (code string, retryable, unknown bool) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "Canceled", false, true
	}
	status := 0
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		status = re.Response.StatusCode
	}
	var se interface{ StatusCode() int }
	if status == 0 && errors.As(err, &se) {
		status = se.StatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
		switch code {
		case "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException",
			"TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
			"LimitExceededException", "SlowDown", "ServiceUnavailable", "ServiceUnavailableException",
			"InternalFailure", "InternalError", "InternalServerError", "KMSThrottlingException",
			"RequestTimeout", "RequestTimeoutException", "EC2ThrottledException":
			return code, true, status >= 500 || status == 0
		}
		if status >= 500 || status == http.StatusTooManyRequests {
			return code, true, status >= 500
		}
		return code, false, false
	}
	if status != 0 {
		return strconv.Itoa(status), status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout, status >= 500
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, net.ErrClosed) {
		return "", true, true
	}
	// Errors without a status are transport failures (connection refused
	// or reset, EOF): retry them, the request may have been processed.
	return "", true, true
}
