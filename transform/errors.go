package transform

import (
	"errors"
	"fmt"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/internal/registry"
)

// unknownType is the error for a config of a type not in names. For a
// Substation type that lives in a subpackage, it says which.
func unknownType(names []string, typ string) error {
	err := registry.UnknownTypeError(names, typ)
	if pkg, ok := typesElsewhere[typ]; ok {
		var ce *weir.ConfigError
		if errors.As(err, &ce) {
			ce.Err = fmt.Errorf("%w (it is in package github.com/weirhq/weir/transform/%s: register it, or build with transform/all.Env() for every Substation type)", ce.Err, pkg)
		}
	}
	return err
}

// typesElsewhere names the subpackage of each Substation type that is not
// built into this package, so that programs without them stay small.
var typesElsewhere = map[string]string{
	"enrich_aws_lambda":            "awstransform",
	"enrich_aws_dynamodb_query":    "awstransform",
	"enrich_dns_ip_lookup":         "dnstransform",
	"enrich_dns_domain_lookup":     "dnstransform",
	"enrich_dns_txt_lookup":        "dnstransform",
	"enrich_dns_text_lookup":       "dnstransform",
	"object_jq":                    "jqtransform",
	"send_aws_data_firehose":       "sendtransform",
	"send_aws_dynamodb_put":        "sendtransform",
	"send_aws_eventbridge":         "sendtransform",
	"send_aws_kinesis_data_stream": "sendtransform",
	"send_aws_lambda":              "sendtransform",
	"send_aws_s3":                  "sendtransform",
	"send_aws_sns":                 "sendtransform",
	"send_aws_sqs":                 "sendtransform",
	"send_gcp_storage":             "gcptransform",
	"format_from_parquet":          "parquettransform",
}

// missingSetting is the cause of a *weir.ConfigError about a required
// setting that is absent or empty: its text says what is required, and it
// matches [weir.ErrMissingSetting].
type missingSetting string

func (m missingSetting) Error() string        { return string(m) }
func (m missingSetting) Is(target error) bool { return target == weir.ErrMissingSetting }

// errRequired is the cause for a required setting that is not set.
const errRequired = missingSetting("required")

// withID names the "id" setting of c, if it has one, in the config error
// of c that err is or wraps.
func withID(c weir.Config, err error) error {
	var ce *weir.ConfigError
	if errors.As(err, &ce) && ce.ID == "" {
		ce.ID = configID(c)
	}
	return err
}

// configID returns the "id" setting of c, or "".
func configID(c weir.Config) string {
	id, _ := c.Settings["id"].(string)
	return id
}

// atIndex places a construction error of the i-th config of a list of
// transforms: it names the position and the config's id.
func atIndex(i int, c weir.Config, err error) error {
	var ce *weir.ConfigError
	if !errors.As(err, &ce) {
		ce = &weir.ConfigError{Type: c.Type, ID: configID(c), Err: err}
		err = ce
	}
	if ce.Location == "" {
		ce.Location = fmt.Sprintf("transforms[%d]", i)
	}
	return err
}
