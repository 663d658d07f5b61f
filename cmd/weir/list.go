package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/weirhq/weir/condition"
)

const listUsage = `Usage: weir list [-json] [transforms|conditions]

Lists every transform and condition type weir builds, with a one-line
description: all of Substation v2's, under their Substation names. With
-json, one JSON object: {"transforms": [{"type", "doc"}...], "conditions": [...]}.
`

// typeDoc is one type of weir list.
type typeDoc struct {
	Type string `json:"type"`
	Doc  string `json:"doc"`
}

func (c *cli) listCommand(_ context.Context, args []string) int {
	fs := c.newFlags("list", listUsage)
	asJSON := fs.Bool("json", false, "")
	rest, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	show := map[string]bool{"transforms": true, "conditions": true}
	if len(rest) > 0 {
		show = map[string]bool{}
		for _, what := range rest {
			if what != "transforms" && what != "conditions" {
				fmt.Fprintf(c.stderr, "weir: list: %q: list transforms or conditions\n", what)
				return exitUsage
			}
			show[what] = true
		}
	}
	transforms, conditions := c.types()
	if *asJSON {
		v := map[string][]typeDoc{}
		if show["transforms"] {
			v["transforms"] = transforms
		}
		if show["conditions"] {
			v["conditions"] = conditions
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(c.stdout, "%s\n", b)
		return exitOK
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	for _, part := range []struct {
		name  string
		types []typeDoc
	}{{"transforms", transforms}, {"conditions", conditions}} {
		if !show[part.name] {
			continue
		}
		fmt.Fprintf(w, "%s (%d):\n", part.name, len(part.types))
		for _, t := range part.types {
			fmt.Fprintf(w, "  %s\t%s\n", t.Type, t.Doc)
		}
		w.Flush()
		if part.name == "transforms" && show["conditions"] {
			fmt.Fprintln(w)
		}
	}
	w.Flush()
	return exitOK
}

// types returns the transform and condition types the command builds,
// sorted, with their docs.
func (c *cli) types() (transforms, conditions []typeDoc) {
	treg := c.env.Transforms
	if treg == nil {
		treg = newEnv().Transforms
	}
	creg := c.env.Conditions
	if creg == nil {
		creg = condition.Builtins()
	}
	for _, t := range treg.Types() {
		transforms = append(transforms, typeDoc{t, docOf(transformDocs, t)})
	}
	for _, t := range creg.Types() {
		conditions = append(conditions, typeDoc{t, docOf(conditionDocs, t)})
	}
	return transforms, conditions
}

func docOf(docs map[string]string, typ string) string {
	if d, ok := docs[typ]; ok {
		return d
	}
	return "(no description)"
}

// transformDocs describes each transform type in a line.
var transformDocs = map[string]string{
	"aggregate_from_array":             "split an array into one message per element",
	"aggregate_from_string":            "split a string into one message per part, at a separator",
	"aggregate_to_array":               "batch messages into one JSON array (by count, size or age; flushed by a control message)",
	"aggregate_to_string":              "batch messages into one string joined by a separator",
	"array_dedupe":                     "remove repeated elements of an array, keeping the first",
	"array_flatten":                    "flatten nested arrays (one level, or deep)",
	"array_join":                       "join the elements of an array into a string",
	"array_zip":                        "turn an array of arrays inside out",
	"enrich_aws_dynamodb_query":        "query a DynamoDB table and write the items",
	"enrich_aws_lambda":                "invoke an AWS Lambda function with the value and write its answer",
	"enrich_dns_domain_lookup":         "look up a domain's addresses (A/AAAA)",
	"enrich_dns_ip_lookup":             "look up an address's names (PTR)",
	"enrich_dns_text_lookup":           "look up a domain's TXT records (Substation's Go name for enrich_dns_txt_lookup)",
	"enrich_dns_txt_lookup":            "look up a domain's TXT records",
	"enrich_http_get":                  "GET a URL built from the message and write the response",
	"enrich_http_post":                 "POST the value to a URL and write the response",
	"enrich_kv_store_get":              "read a value from a kv store (deprecated name of enrich_kv_store_item_get)",
	"enrich_kv_store_item_get":         "read a value from a kv store (memory, CSV/JSON/text file, MaxMind, DynamoDB)",
	"enrich_kv_store_item_set":         "write a value to a kv store, with an optional TTL",
	"enrich_kv_store_set":              "write a value to a kv store (deprecated name of enrich_kv_store_item_set)",
	"enrich_kv_store_set_add":          "add a value to a set in a kv store",
	"format_from_base64":               "decode base64",
	"format_from_csv":                  "parse a CSV line into an object",
	"format_from_gzip":                 "decompress gzip",
	"format_from_kv":                   "parse key=value pairs into an object",
	"format_from_parquet":              "read the rows of a Parquet file as messages",
	"format_from_pretty_print":         "reassemble JSON pretty-printed over several messages",
	"format_from_snappy":               "decompress Snappy",
	"format_from_zip":                  "read the files of a zip archive as messages",
	"format_from_zstd":                 "decompress Zstandard",
	"format_to_base64":                 "encode base64",
	"format_to_gzip":                   "compress with gzip",
	"format_to_snappy":                 "compress with Snappy",
	"format_to_zstd":                   "compress with Zstandard",
	"hash_fnv":                         "FNV-1a hash of the value",
	"hash_md5":                         "MD5 hash of the value",
	"hash_sha1":                        "SHA-1 hash of the value",
	"hash_sha256":                      "SHA-256 hash of the value",
	"hash_sha512":                      "SHA-512 hash of the value",
	"hash_xxhash64":                    "xxHash64 of the value",
	"meta_err":                         "run transforms and ignore (or only log) their errors",
	"meta_for_each":                    "run transforms over each element of an array",
	"meta_kv_store_lock":               "run transforms under a kv store lock (exactly-once processing)",
	"meta_metric_duration":             "run transforms and report how long they took",
	"meta_retry":                       "run transforms again, with backoff, until a condition holds",
	"meta_switch":                      "run the transforms of the first case whose condition holds",
	"network_domain_registered_domain": "the registered domain of a domain name (public suffix list)",
	"network_domain_subdomain":         "the subdomain of a domain name",
	"network_domain_top_level_domain":  "the top-level domain (public suffix) of a domain name",
	"network_ip_in_cidr":               "whether an address is in a CIDR block",
	"number_math_addition":             "add the numbers of an array",
	"number_math_division":             "divide the numbers of an array, in order",
	"number_math_multiplication":       "multiply the numbers of an array",
	"number_math_subtraction":          "subtract the numbers of an array, in order",
	"number_maximum":                   "the larger of the value and a number",
	"number_minimum":                   "the smaller of the value and a number",
	"object_copy":                      "copy a value to another key (or the whole message)",
	"object_delete":                    "delete a key",
	"object_insert":                    "set a key to a given value",
	"object_jq":                        "run a jq query over the message",
	"object_to_boolean":                "convert a value to a boolean",
	"object_to_float":                  "convert a value to a floating-point number",
	"object_to_integer":                "convert a value to an integer",
	"object_to_string":                 "convert a value to a string",
	"object_to_unsigned_integer":       "convert a value to an unsigned integer",
	"send_aws_data_firehose":           "send batches of messages to an Amazon Data Firehose delivery stream",
	"send_aws_dynamodb_put":            "put messages as items into a DynamoDB table",
	"send_aws_eventbridge":             "send batches of messages as events to an EventBridge bus",
	"send_aws_kinesis_data_stream":     "send batches of messages to a Kinesis data stream (optionally KPL-aggregated)",
	"send_aws_lambda":                  "invoke an AWS Lambda function asynchronously with batches of messages",
	"send_aws_s3":                      "write batches of messages as objects to an S3 bucket",
	"send_aws_sns":                     "publish batches of messages to an SNS topic",
	"send_aws_sqs":                     "send batches of messages to an SQS queue",
	"send_file":                        "write batches of messages to files",
	"send_gcp_storage":                 "write batches of messages as objects to a Google Cloud Storage bucket",
	"send_http_post":                   "POST batches of messages to an HTTP endpoint",
	"send_stdout":                      "write batches of messages to standard output",
	"string_append":                    "append a suffix to a string",
	"string_capture":                   "capture a regular expression's groups",
	"string_replace":                   "replace the matches of a regular expression",
	"string_split":                     "split a string into an array at a separator",
	"string_to_lower":                  "lower-case a string",
	"string_to_snake":                  "convert a string to snake_case",
	"string_to_upper":                  "upper-case a string",
	"string_uuid":                      "write a new random UUID",
	"test_message":                     "emit a given message when a control message passes (for tests)",
	"time_from_string":                 "parse a time string (Go layout) into Unix nanoseconds",
	"time_from_unix":                   "convert Unix seconds to nanoseconds",
	"time_from_unix_milli":             "convert Unix milliseconds to nanoseconds",
	"time_now":                         "write the current time, in Unix nanoseconds",
	"time_to_string":                   "format Unix nanoseconds as a time string (Go layout)",
	"time_to_unix":                     "convert Unix nanoseconds to seconds",
	"time_to_unix_milli":               "convert Unix nanoseconds to milliseconds",
	"utility_control":                  "emit a control message every N messages, bytes or period",
	"utility_delay":                    "wait a given time before passing the message on",
	"utility_drop":                     "drop the message",
	"utility_err":                      "fail with a given error message",
	"utility_metric_bytes":             "report the bytes seen between control messages",
	"utility_metric_count":             "report the messages seen between control messages",
	"utility_metric_freshness":         "report how many messages are fresher than a threshold",
	"utility_secret":                   "resolve a secret for ${SECRET:id} references of later transforms",
}

// conditionDocs describes each condition type in a line.
var conditionDocs = map[string]string{
	"all":                             "every condition holds (alias of meta_all)",
	"any":                             "one condition holds (alias of meta_any)",
	"exists":                          "the key exists",
	"format_json":                     "the value is valid JSON",
	"format_mime":                     "the data has a given MIME type",
	"meta_all":                        "every condition holds",
	"meta_any":                        "at least one condition holds",
	"meta_none":                       "no condition holds",
	"network_ip_global_unicast":       "the address is a global unicast address",
	"network_ip_in_cidr":              "the address is in a CIDR block",
	"network_ip_link_local_multicast": "the address is a link-local multicast address",
	"network_ip_link_local_unicast":   "the address is a link-local unicast address",
	"network_ip_loopback":             "the address is a loopback address",
	"network_ip_multicast":            "the address is a multicast address",
	"network_ip_private":              "the address is private (RFC 1918, RFC 4193)",
	"network_ip_unicast":              "the address is a unicast address",
	"network_ip_unspecified":          "the address is unspecified (0.0.0.0, ::)",
	"network_ip_valid":                "the value is an IP address",
	"none":                            "no condition holds (alias of meta_none)",
	"number_bitwise_and":              "the value AND a number is not zero",
	"number_bitwise_not":              "the bitwise NOT of the value is not zero",
	"number_bitwise_or":               "the value OR a number is not zero",
	"number_bitwise_xor":              "the value XOR a number is not zero",
	"number_equal_to":                 "the number equals a value",
	"number_greater_than":             "the number is greater than a value",
	"number_length_equal_to":          "the length of the value equals a number",
	"number_length_greater_than":      "the length of the value is greater than a number",
	"number_length_less_than":         "the length of the value is less than a number",
	"number_less_than":                "the number is less than a value",
	"string_contains":                 "the string contains a value",
	"string_ends_with":                "the string ends with a value",
	"string_equal_to":                 "the string equals a value",
	"string_greater_than":             "the string sorts after a value",
	"string_less_than":                "the string sorts before a value",
	"string_match":                    "the string matches a regular expression",
	"string_starts_with":              "the string starts with a value",
	"utility_random":                  "a random choice (true half of the time)",
}
