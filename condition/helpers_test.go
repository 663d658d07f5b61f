package condition_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// inspectCase is one row of the family tables: a JSON config, a message and
// the answer expected.
type inspectCase struct {
	name string
	cfg  string // {"type": ..., "settings": ...}
	data string
	meta string // metadata, optional
	want bool
	err  error // a sentinel the error must match; nil means no error
}

// parseConfig decodes a JSON config the way configs are read in production
// (numbers as json.Number).
func parseConfig(t testing.TB, s string) weir.Config {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var c weir.Config
	require.NoError(t, dec.Decode(&c))
	return c
}

func runInspectCases(t *testing.T, cases []inspectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, err := condition.New(context.Background(), parseConfig(t, tc.cfg))
			require.NoError(t, err)
			msg := weir.NewMessage([]byte(tc.data))
			if tc.meta != "" {
				msg.SetMetadata([]byte(tc.meta))
			}
			got, err := in.Inspect(context.Background(), msg)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				assert.False(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
