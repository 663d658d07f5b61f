// Package weir turns raw security event logs (AWS CloudTrail, VPC Flow Logs,
// GuardDuty, Okta, GitHub audit logs, Zeek, …) into normalized, enriched
// events. It is a library: import it into a Go service, a Lambda function or
// a test, and run pipelines of transforms over messages.
//
// # Which package do I use?
//
// Building pipelines:
//
//   - weir (this package): [Message], the unit of data — an event's bytes,
//     its metadata and a control flag — with fast path-based reads and
//     writes ([Message.Get], [Message.Set]); [Value], a read-only view of a
//     field; [Config], the {"type", "settings"} shape every transform and
//     condition is configured with; settings shapes several packages share
//     ([RetrySettings], [AWSSettings]); the errors shared by all packages.
//   - transform: a Transformer changes a message (copy a field, parse a
//     timestamp, drop the event, …); a Pipeline is a Substation config
//     loaded with transform.Load or transform.Parse, which owns and closes
//     what its transforms open; an Env carries what building them needs
//     (registries, KV stores, secrets, metrics, AWS configuration, HTTP
//     client, clock, logger). It holds the local families (object, string,
//     number, time, array, hash, meta, utility, network, format, aggregate,
//     the kv store and HTTP enrichments, file, stdout and HTTP sends) and links
//     no AWS, DNS, jq or Parquet library.
//   - transform/all: every Substation type in one import — all.Env() builds
//     any Substation config. The weir command uses it.
//   - transform/awstransform, transform/dnstransform, transform/jqtransform,
//     transform/parquettransform: the families that need those libraries
//     (enrich_aws_*, enrich_dns_*, object_jq, format_from_parquet);
//     transform/sendtransform: the send_aws_* types (Kinesis with KPL
//     aggregation, Firehose, SQS, SNS, EventBridge, Lambda, S3, DynamoDB);
//     transform/gcptransform: send_gcp_storage.
//   - condition: an Inspector answers a question about a message (is this IP
//     private? does the field match a pattern?); transforms such as
//     meta_switch use them to branch.
//   - stream: runs transformers over worker pools, in order or not, with
//     backpressure, control barriers and error routing.
//
// Building blocks, usable on their own:
//
//   - kvstore, kvstore/dynamokv: the key-value stores of Substation's
//     kv_store configs (memory, CSV/JSON/text files, MaxMind, DynamoDB).
//   - enrich, enrich/dns, enrich/awsenrich: lookup tables, MaxMind
//     databases, HTTP APIs, DNS, DynamoDB queries, Lambda, S3 files.
//   - cache, cache/dynamocache: in-memory LRU caches with TTLs, cache-aside
//     loading, and a DynamoDB cache shared by many processes.
//   - aggregate: batching by count, size, age and key.
//   - awsenv: AWS configuration the SDK's way (profiles, SSO, web identity,
//     container and instance roles) plus Substation's assume_role_arn.
//
// Testing:
//
//   - transform/transformtest, condition/conditiontest: check that a
//     custom Transformer or Inspector honours the contract (control
//     messages, errors, malformed data, concurrency, Close), as
//     testing/slogtest does for slog handlers.
//   - enrich/dns/dnstest: a DNS server on loopback for tests.
//   - weirtest: golden-file tests of a pipeline's output (input.ndjson,
//     expected.ndjson) with RunGolden and -update, field-level diffs and a
//     pinned clock, DNS, HTTP and files.
//
// Jsonnet configs: transform/jsonnetconfig evaluates them for the loader.
//
// The command:
//
//   - cmd/weir: runs a Substation config over NDJSON files (weir run),
//     runs config tests and golden cases (weir test), checks configs
//     (weir vet), lists the types (weir list), builds Jsonnet (weir build).
//
// # Paths
//
// Fields are addressed with GJSON/SJSON paths ("userIdentity.arn",
// "Records.#.eventName", "@this"), and reads take the @dedupe modifier of
// Substation v2.8.0 ("Records.#.sourceIPAddress|@dedupe", see [Path]). A
// path that starts with "meta " addresses
// the message's metadata instead of its data, as in Substation. Code that
// reads or writes the same path on many messages parses it once with
// [ParsePath] and uses the [Path] methods; every built-in transform and
// condition does.
//
// # Speed
//
// A Message indexes its event once, on the first read, and serves later
// reads and writes of plain dotted paths from that index; the output is
// serialized once. A loop that handles one event at a time can reuse one
// Message with [Message.Reset] and then allocates nothing per event. On
// workload W1 (CloudTrail to ECS, 1.1 KB events, bench/README.md) a
// Substation-format pipeline runs within 2x of hand-written Go.
//
// # Substation compatibility
//
// Weir accepts Substation v2 transform and condition configs unchanged and
// produces the same bytes for them; its test suite replays Substation's own
// test vectors to prove it. Outputs therefore follow Substation's encoding
// rules (see [Message.Set]).
//
// # Control messages
//
// A control message ([NewControl]) carries no data. It asks stateful
// transforms, such as aggregations, to release what they hold; every
// transform passes it on.
package weir
