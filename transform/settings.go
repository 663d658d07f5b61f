package transform

// ObjectSettings is the "object" setting most transforms take: where a
// transform reads its input and writes its output. Paths are GJSON/SJSON
// paths; "meta " addresses metadata. When both keys are empty the
// transform works on the whole message data.
type ObjectSettings struct {
	// SourceKey is the path the transform reads.
	SourceKey string `json:"source_key,omitempty"`
	// TargetKey is the path the transform writes.
	TargetKey string `json:"target_key,omitempty"`
	// BatchKey groups messages into batches (aggregations only).
	BatchKey string `json:"batch_key,omitempty"`
}
