package weir_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
)

// TestCheckJSON: CheckJSON accepts what a write accepts and rejects what
// a write rejects, with an error matching ErrInvalidData, and leaves the
// message as it was.
func TestCheckJSON(t *testing.T) {
	t.Parallel()
	for _, data := range []string{``, `  `, `{}`, ` {"a":1} `, `{"a":[[1]]}`, `[1,2]`, `"s"`, `12`, `null`} {
		msg := weir.NewMessage([]byte(data))
		require.NoError(t, msg.CheckJSON(), data)
		assert.Equal(t, data, string(msg.Data()))
		if data == `` || data[0] == ' ' || data[0] == '{' {
			require.NoError(t, msg.Set("b", 2), data)
		}
	}
	for _, data := range []string{`{"a":[[[}`, `{"a":1,}`, `{"a":"b"})`, `not json`, `[1,`, `{"a":[1,,2],"b":1}`} {
		msg := weir.NewMessage([]byte(data))
		err := msg.CheckJSON()
		assert.ErrorIs(t, err, weir.ErrInvalidData, data)
		assert.Equal(t, data, string(msg.Data()))
		// The answer is not remembered as valid: a write still fails.
		assert.ErrorIs(t, msg.Set("b", 1), weir.ErrInvalidData, data)
		// Replacing the data forgets the answer, both ways.
		msg.Reset([]byte(`{"a":1}`))
		require.NoError(t, msg.CheckJSON())
		msg.Reset([]byte(data))
		assert.ErrorIs(t, msg.CheckJSON(), weir.ErrInvalidData, data)
		msg.SetData([]byte(`{}`))
		require.NoError(t, msg.CheckJSON())
		msg.SetData([]byte(data))
		assert.ErrorIs(t, msg.CheckJSON(), weir.ErrInvalidData, data)
	}
	assert.NoError(t, weir.NewControl().CheckJSON())
	// After a write the data is valid and stays so.
	msg := weir.NewMessage([]byte(`{"a":1}`))
	require.NoError(t, msg.Set("b", 2))
	require.NoError(t, msg.CheckJSON())
	assert.JSONEq(t, `{"a":1,"b":2}`, string(msg.Data()))
}

func ExampleMessage_CheckJSON() {
	msg := weir.NewMessage(nil)
	for _, line := range []string{`{"user":"alice"}`, `{"user":`} {
		msg.Reset([]byte(line))
		if err := msg.CheckJSON(); err != nil {
			fmt.Println("rejected:", err)
			continue
		}
		_ = msg.SetString("checked", "yes") // does not scan the line again
		fmt.Println(string(msg.Data()))
	}
	// Output:
	// {"user":"alice","checked":"yes"}
	// rejected: weir: invalid data: the data is not valid JSON
}

// BenchmarkCheckJSON measures CheckJSON on W1's CloudTrail events with one
// reused message, as weir run uses it: alone (nothing reads the event
// after), followed by W1's 18 reads, and the 18 reads without a check.
func BenchmarkCheckJSON(b *testing.B) {
	data, err := os.ReadFile("testdata/w1/cloudtrail.ndjson")
	require.NoError(b, err)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	paths := make([]weir.Path, 0, len(w1ReadPaths))
	for _, p := range w1ReadPaths {
		paths = append(paths, weir.ParsePath(p))
	}
	for _, bc := range []struct {
		name        string
		check, read bool
	}{{"check", true, false}, {"check+read18", true, true}, {"read18", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data) / len(lines)))
			msg := weir.NewMessage(nil)
			n, i := 0, 0
			for b.Loop() {
				msg.Reset(lines[i])
				if bc.check && msg.CheckJSON() != nil {
					b.Fatal("invalid")
				}
				if bc.read {
					for _, p := range paths {
						n += len(p.Get(msg).Raw())
					}
				}
				if i++; i == len(lines) {
					i = 0
				}
			}
			_ = n
		})
	}
}

// w1ReadPaths are 18 CloudTrail fields workload W1 reads.
var w1ReadPaths = []string{
	"eventTime", "eventName", "eventID", "eventSource", "responseElements.ConsoleLogin", "errorCode",
	"eventType", "awsRegion", "recipientAccountId", "sourceIPAddress", "userIdentity.principalId",
	"userIdentity.userName", "userIdentity.arn", "userAgent", "tlsDetails.cipherSuite",
	"tlsDetails.tlsVersion", "readOnly", "errorMessage",
}
