// Package weir turns raw security event logs (AWS CloudTrail, VPC Flow Logs,
// GuardDuty, Okta, GitHub audit logs, Zeek, …) into normalized, enriched
// events. It is a library: import it into a Go service, a Lambda function or
// a test, and run pipelines of transforms over messages.
//
// # Which package do I use?
//
//   - weir (this package): [Message], the unit of data — an event's bytes,
//     its metadata and a control flag — with fast path-based reads and
//     writes ([Message.Get], [Message.Set]); [Value], a read-only view of a
//     field; [Config], the {"type", "settings"} shape every transform and
//     condition is configured with; the errors shared by all packages.
//   - transform: a Transformer changes a message (copy a field, parse a
//     timestamp, drop the event, …). Every built-in has a typed Go
//     constructor, and transform.New builds any of them from a Substation v2
//     JSON config. Custom types go into a transform.Registry.
//   - condition: an Inspector answers a question about a message (is this IP
//     private? does the field match a pattern?); transforms such as
//     meta_switch use them to branch.
//   - cmd/weir: a command-line runner for JSON pipelines over NDJSON files.
//
// # Paths
//
// Fields are addressed with GJSON/SJSON paths ("userIdentity.arn",
// "Records.#.eventName", "@this"). A path that starts with "meta " addresses
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
