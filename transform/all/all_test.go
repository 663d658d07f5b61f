package all_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/weirhq/weir/transform/all"
)

// substationTypes are the transform types of Substation v2's factory
// (transform.New), send types included.
var substationTypes = []string{
	"aggregate_from_array", "aggregate_to_array", "aggregate_from_string", "aggregate_to_string",
	"array_join", "array_zip",
	"enrich_aws_dynamodb_query", "enrich_aws_lambda", "enrich_dns_ip_lookup", "enrich_dns_domain_lookup",
	"enrich_dns_text_lookup", "enrich_http_get", "enrich_http_post", "enrich_kv_store_get",
	"enrich_kv_store_item_get", "enrich_kv_store_set", "enrich_kv_store_item_set", "enrich_kv_store_set_add",
	"format_from_base64", "format_to_base64", "format_from_gzip", "format_to_gzip", "format_from_pretty_print", "format_from_zip",
	"hash_md5", "hash_sha256",
	"meta_err", "meta_for_each", "meta_kv_store_lock", "meta_metric_duration", "meta_retry", "meta_switch",
	"number_maximum", "number_minimum", "number_math_addition", "number_math_division", "number_math_multiplication", "number_math_subtraction",
	"network_domain_registered_domain", "network_domain_subdomain", "network_domain_top_level_domain",
	"object_copy", "object_delete", "object_insert", "object_jq", "object_to_boolean", "object_to_float",
	"object_to_integer", "object_to_string", "object_to_unsigned_integer",
	"send_aws_dynamodb_put", "send_aws_eventbridge", "send_aws_data_firehose", "send_aws_kinesis_data_stream",
	"send_aws_lambda", "send_aws_s3", "send_aws_sns", "send_aws_sqs", "send_gcp_storage",
	"send_file", "send_http_post", "send_stdout",
	"string_append", "string_capture", "string_to_lower", "string_to_snake", "string_to_upper", "string_replace", "string_split", "string_uuid",
	"test_message",
	"time_from_string", "time_from_unix", "time_from_unix_milli", "time_now", "time_to_string", "time_to_unix", "time_to_unix_milli",
	"utility_control", "utility_delay", "utility_drop", "utility_err", "utility_metric_bytes", "utility_metric_count",
	"utility_metric_freshness", "utility_secret",
	// The spelling of Substation's Jsonnet library for enrich_dns_text_lookup.
	"enrich_dns_txt_lookup",
}

func TestEverySubstationType(t *testing.T) {
	types := all.Transforms().Types()
	for _, typ := range substationTypes {
		assert.True(t, slices.Contains(types, typ), "transform/all lacks %q", typ)
	}
}
