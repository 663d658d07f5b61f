package condition_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/condition"
)

// FuzzConditionNew: no configuration and no data make condition.New or an
// inspector panic.
func FuzzConditionNew(f *testing.F) {
	f.Add([]byte(`{"type":"string_contains","settings":{"object":{"source_key":"a"},"value":"x"}}`), []byte(`{"a":"xyz"}`))
	f.Add([]byte(`{"type":"meta_any","settings":{"conditions":[{"type":"number_greater_than","settings":{"object":{"source_key":"n"},"value":1}}]}}`), []byte(`{"n":2}`))
	f.Add([]byte(`{"type":"network_ip_in_cidr","settings":{"object":{"source_key":"ip"},"cidrs":["10.0.0.0/8"]}}`), []byte(`{"ip":"10.1.2.3"}`))
	f.Add([]byte(`{"type":"string_match","settings":{"pattern":"^a.*z$"}}`), []byte(`abcz`))
	f.Add([]byte(`{"type":"format_json","settings":{}}`), []byte(`{"a":[1,`))
	f.Fuzz(func(t *testing.T, config, data []byte) {
		if len(config) > 4096 {
			t.Skip()
		}
		var cfg weir.Config
		if json.Unmarshal(config, &cfg) != nil {
			return
		}
		insp, err := condition.New(context.Background(), cfg)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a config error with no text")
			}
			return
		}
		_, _ = insp.Inspect(context.Background(), weir.NewMessage(data))
	})
}
