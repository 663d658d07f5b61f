package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tidwall/gjson"

	"github.com/weirhq/weir/internal/ctgen"
)

// options configure one conservation run.
type options struct {
	N       int    // events to generate and run
	Seed    uint64 // ctgen's seed
	Workers int    // weir run -workers
	Weir    string // the weir binary
	Dir     string // where the input, config, -errors file and logs go
	// DynamoDB is dynalite's endpoint (WEIR_DYNAMODB_ENDPOINT).
	DynamoDB string
	Faults   dynamoFaults
	// SinkFail makes the send's destination refuse (503, on every attempt)
	// this many request bodies in 10,000.
	SinkFail int
	// Progress, if set, receives a line every 10 s while weir runs.
	Progress io.Writer
}

// result is what a run counted.
type result struct {
	Read          int `json:"read"`
	Delivered     int `json:"delivered"`
	DroppedByRule int `json:"dropped_by_rule"`
	Reported      int `json:"reported"`
	// Undelivered counts the reported events that weir run had emitted
	// (written to standard output) when a send then failed to deliver
	// them: the -errors file marks them "undelivered".
	Undelivered int `json:"undelivered"`
	// ReportedByKind splits Reported by the error's cause.
	ReportedByKind map[string]int `json:"reported_by_kind"`
	// Conserved says Delivered + DroppedByRule + Reported = Read, with each
	// event in exactly one of the three (checked by event ID) and nothing
	// delivered twice.
	Conserved bool `json:"conserved"`
	// Anomalies describe what broke conservation, at most 20.
	Anomalies []string `json:"anomalies,omitempty"`
	// Outcomes counts the events of each anomalous outcome, such as
	// "on stdout, not at the sink, not reported".
	Outcomes      map[string]int `json:"outcomes,omitempty"`
	AnomalyCount  int            `json:"anomaly_count"`
	Duplicates    int            `json:"duplicates"`    // events that reached the sink more than once
	SinkRequests  int64          `json:"sink_requests"` // POSTs the sink received
	SinkItems     int64          `json:"sink_items"`    // events in them
	StdoutEvents  int            `json:"stdout_events"` // events weir run wrote to standard output
	RuleMatches   int            `json:"rule_matches"`  // input events the drop rule matches
	WeirStats     weirStat       `json:"weir_stats"`    // weir run -stats
	WeirExit      int            `json:"weir_exit"`     // weir run's exit status
	WeirStderr    string         `json:"weir_stderr"`   // its last lines, without the -stats line
	Wall          float64        `json:"wall_seconds"`  // weir run, start to exit
	WeirUserCPU   float64        `json:"weir_user_cpu_seconds"`
	WeirSysCPU    float64        `json:"weir_sys_cpu_seconds"`
	WeirMaxRSSMiB float64        `json:"weir_max_rss_mib"`
	// HarnessCPU is this program's CPU time while weir ran: the DNS, HTTP
	// and sink servers, the DynamoDB proxy and the counting.
	HarnessCPU float64 `json:"harness_cpu_seconds"`
	// Injected counts what each server did, by kind.
	Injected map[string]map[string]int64 `json:"injected"`
	Workers  int                         `json:"workers"`
	Seed     uint64                      `json:"seed"`
}

// weirStat is the -stats line of weir run.
type weirStat struct {
	Read        uint64  `json:"read"`
	Emitted     uint64  `json:"emitted"`
	Dropped     uint64  `json:"dropped"`
	Failed      uint64  `json:"failed"`
	Unprocessed uint64  `json:"unprocessed"`
	Undelivered uint64  `json:"undelivered"`
	EventsOut   uint64  `json:"events_out"`
	Seconds     float64 `json:"seconds"`
}

// The drop rule of the pipeline: S3 data events are dropped.
const dropField, dropValue = "eventName", "GetObject"

// pipelineConfig is the pipeline weir run runs, with the servers'
// addresses filled in.
func pipelineConfig(dnsAddr, httpURL, dynamoURL, table, sinkURL string) ([]byte, error) {
	kv := map[string]any{"type": "aws_dynamodb", "settings": map[string]any{
		"table_name": table,
		"attributes": map[string]any{"partition_key": "PK", "value": "value"},
		"aws":        map[string]any{"region": "us-east-1", "endpoint": dynamoURL},
	}}
	batch := map[string]any{"count": 500, "size": 4 << 20}
	cfg := map[string]any{"transforms": []any{
		// Reverse DNS of the source address, when it is one (CloudTrail
		// also has "AWS Internal" and service names there).
		sw(cond("network_ip_valid", "sourceIPAddress", nil), map[string]any{"type": "enrich_dns_ip_lookup", "settings": map[string]any{
			"id":      "rdns",
			"object":  map[string]any{"source_key": "sourceIPAddress", "target_key": "weir.source_domain"},
			"request": map[string]any{"timeout": "300ms"},
			"servers": []any{dnsAddr},
		}}),
		// The rule: S3 data events are noise here.
		sw(cond("string_equal_to", dropField, dropValue), map[string]any{"type": "utility_drop"}),
		// Threat intelligence on every event that is left.
		map[string]any{"type": "enrich_http_get", "settings": map[string]any{
			"id":      "intel",
			"object":  map[string]any{"source_key": "eventID", "target_key": "weir.intel"},
			"url":     httpURL + "/v1/event/${DATA}",
			"request": map[string]any{"timeout": "250ms"},
		}},
		// The account's owner, for console sign-ins.
		sw(cond("string_equal_to", "eventType", "AwsConsoleSignIn"), map[string]any{"type": "enrich_kv_store_item_get", "settings": map[string]any{
			"id":       "accounts",
			"object":   map[string]any{"source_key": "userIdentity.accountId", "target_key": "weir.account"},
			"kv_store": kv,
		}}),
		map[string]any{"type": "send_http_post", "settings": map[string]any{
			"id":                   "sink",
			"url":                  sinkURL,
			"batch":                batch,
			"auxiliary_transforms": []any{map[string]any{"type": "aggregate_to_array", "settings": map[string]any{"batch": batch}}},
		}},
	}}
	return json.MarshalIndent(cfg, "", "  ")
}

func cond(typ, key string, value any) map[string]any {
	s := map[string]any{"object": map[string]any{"source_key": key}}
	if value != nil {
		s["value"] = value
	}
	return map[string]any{"type": typ, "settings": s}
}

func sw(condition map[string]any, tf map[string]any) map[string]any {
	return map[string]any{"type": "meta_switch", "settings": map[string]any{
		"cases": []any{map[string]any{"condition": condition, "transforms": []any{tf}}},
	}}
}

// accounts are the account IDs ctgen uses, and the items stored for them.
var accounts = map[string]string{
	"123456789012": "payments-prod",
	"987654321012": "data-platform",
	"210987654321": "security-audit",
}

// setupTable creates a table on dynalite (directly, not through the
// proxy) and stores the accounts.
func setupTable(ctx context.Context, endpoint string) (string, error) {
	// A transport of its own, closed on return: the SDK's default one
	// keeps its connections (and their goroutines) open.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("conserve", "conserve", ""),
		HTTPClient:   &http.Client{Transport: tr},
	})
	table := fmt.Sprintf("conserve-%d", time.Now().UnixNano())
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		return "", fmt.Errorf("create table: %w", err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		return "", fmt.Errorf("create table: %w", err)
	}
	for id, name := range accounts {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: id},
			"value": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"name": &types.AttributeValueMemberS{Value: name},
				"tier": &types.AttributeValueMemberS{Value: "1"},
			}},
		}})
		if err != nil {
			return "", fmt.Errorf("put item: %w", err)
		}
	}
	return table, nil
}

// Event states, as bits.
const (
	atSink   = 1 << iota // reached the sink
	onStdout             // weir run wrote it
	reported             // in the -errors file
	ruleDrop             // the drop rule matches it
)

// run makes the input, starts the servers, runs weir and counts.
func run(ctx context.Context, o options) (*result, error) {
	res := &result{Workers: o.Workers, Seed: o.Seed, Injected: map[string]map[string]int64{}, ReportedByKind: map[string]int{}}
	input := filepath.Join(o.Dir, "input.ndjson")
	index, state, err := writeInput(input, o.N, o.Seed)
	if err != nil {
		return nil, err
	}
	res.Read = len(state)
	for _, s := range state {
		if s&ruleDrop != 0 {
			res.RuleMatches++
		}
	}

	dnsSrv, err := startDNS()
	if err != nil {
		return nil, err
	}
	defer dnsSrv.close()
	httpSrv, err := startHTTPEnrich()
	if err != nil {
		return nil, err
	}
	defer httpSrv.close()
	proxy, err := startDynamoProxy(o.DynamoDB, o.Faults)
	if err != nil {
		return nil, err
	}
	defer proxy.close()
	sink, err := startSink(o.N, o.SinkFail)
	if err != nil {
		return nil, err
	}
	defer sink.close()
	table, err := setupTable(ctx, o.DynamoDB)
	if err != nil {
		return nil, err
	}
	cfg, err := pipelineConfig(dnsSrv.addr, httpSrv.url, proxy.url, table, sink.url)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(o.Dir, "pipeline.json")
	errorsPath := filepath.Join(o.Dir, "errors.ndjson")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, o.Weir, "run", "-config", cfgPath, "-errors", errorsPath, "-stats",
		"-workers", strconv.Itoa(o.Workers), input)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=conserve", "AWS_SECRET_ACCESS_KEY=conserve", "AWS_SESSION_TOKEN=",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PROFILE=",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cpu0 := selfCPU()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start weir: %w", err)
	}
	stopProgress := progress(o.Progress, start, sink)
	countErr := readStdout(stdout, index, state, res)
	waitErr := cmd.Wait()
	res.Wall = time.Since(start).Seconds()
	stopProgress()
	res.HarnessCPU = (selfCPU() - cpu0).Seconds()
	if countErr != nil {
		return nil, countErr
	}
	var ee *exec.ExitError
	switch {
	case waitErr == nil:
	case errors.As(waitErr, &ee):
		res.WeirExit = ee.ExitCode()
	default:
		return nil, fmt.Errorf("weir run: %w", waitErr)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.WeirUserCPU = time.Duration(ru.Utime.Nano()).Seconds()
		res.WeirSysCPU = time.Duration(ru.Stime.Nano()).Seconds()
		res.WeirMaxRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	if err := parseStderr(stderr.Bytes(), res); err != nil {
		return nil, err
	}
	if err := readErrors(errorsPath, index, state, res); err != nil {
		return nil, err
	}

	ids, requests, items, bad := sink.snapshot()
	res.SinkRequests, res.SinkItems = requests, items
	res.Injected["sink"] = map[string]int64{"refused (503)": sink.refused}
	if bad > 0 {
		res.anomaly("the sink received %d items without an eventID, or bodies that were not arrays", bad)
	}
	for id, n := range ids {
		i, ok := index[id]
		if !ok {
			res.anomaly("the sink received event %s, which is not in the input", id)
			continue
		}
		state[i] |= atSink
		if n > 1 {
			res.Duplicates++
			res.anomaly("event %s reached the sink %d times", id, n)
		}
	}
	res.classify(state)

	res.Injected["dns"] = dnsSrv.counts.snapshot()
	res.Injected["http"] = httpSrv.counts.snapshot()
	res.Injected["dynamodb"] = proxy.counts.snapshot()
	res.Injected["dynamodb"]["requests"] = proxy.reqs.Load()
	return res, nil
}

// classify puts each event in one outcome and checks the totals against
// weir run's -stats.
func (r *result) classify(state []uint8) {
	for i, s := range state {
		switch s &^ ruleDrop {
		case atSink | onStdout:
			r.Delivered++
		case reported:
			r.Reported++
		case reported | onStdout:
			r.Reported++
			r.Undelivered++
		case 0:
			if s&ruleDrop != 0 {
				r.DroppedByRule++
				continue
			}
			r.anomaly("event %d (line %d) was neither delivered, dropped by the rule, nor reported", i, i+1)
		default:
			p := stateName(s)
			if r.Outcomes == nil {
				r.Outcomes = map[string]int{}
			}
			r.Outcomes[p]++
			r.anomaly("event %d (line %d): %s", i, i+1, p)
		}
	}
	st := r.WeirStats
	check := func(what string, got uint64, want int) {
		if got != uint64(want) {
			r.anomaly("weir run -stats says %s %d, the count is %d", what, got, want)
		}
	}
	check("read", st.Read, r.Read)
	check("emitted", st.Emitted, r.Delivered+r.Undelivered)
	check("dropped", st.Dropped, r.DroppedByRule)
	check("failed", st.Failed, r.Reported-r.Undelivered)
	check("undelivered", st.Undelivered, r.Undelivered)
	check("events_out", st.EventsOut, r.Delivered+r.Undelivered)
	check("unprocessed", st.Unprocessed, 0)
	if r.SinkItems != int64(r.Delivered) {
		r.anomaly("the sink received %d items for %d delivered events", r.SinkItems, r.Delivered)
	}
	wantExit := 0
	if r.Reported > 0 {
		wantExit = 1
	}
	if r.WeirExit != wantExit {
		r.anomaly("weir run exited %d, want %d", r.WeirExit, wantExit)
	}
	r.Conserved = r.AnomalyCount == 0 && r.Delivered+r.DroppedByRule+r.Reported == r.Read
}

func (r *result) anomaly(format string, args ...any) {
	r.AnomalyCount++
	if len(r.Anomalies) < 20 {
		r.Anomalies = append(r.Anomalies, fmt.Sprintf(format, args...))
	}
}

// stateName describes an event's state.
func stateName(s uint8) string {
	yes := func(bit uint8, what string) string {
		if s&bit != 0 {
			return what
		}
		return "not " + what
	}
	return strings.Join([]string{yes(atSink, "at the sink"), yes(onStdout, "on stdout"), yes(reported, "reported"), yes(ruleDrop, "matching the rule")}, ", ")
}

// writeInput writes n ctgen records to path and returns the index of each
// event ID and the events' initial states.
func writeInput(path string, n int, seed uint64) (map[string]int, []uint8, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	g := ctgen.New(seed)
	index := make(map[string]int, n)
	state := make([]uint8, n)
	var buf []byte
	for i := range n {
		buf = g.Append(buf[:0])
		id := gjson.GetBytes(buf, "eventID").String()
		if id == "" {
			return nil, nil, fmt.Errorf("record %d has no eventID", i+1)
		}
		if _, dup := index[id]; dup {
			return nil, nil, fmt.Errorf("records %d and %d have the same eventID %s: pick another seed", index[id]+1, i+1, id)
		}
		index[id] = i
		if gjson.GetBytes(buf, dropField).String() == dropValue {
			state[i] |= ruleDrop
		}
		w.Write(buf)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return nil, nil, err
	}
	return index, state, f.Close()
}

// readStdout counts the events weir run writes.
func readStdout(r io.Reader, index map[string]int, state []uint8, res *result) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: read it whole.
			rest, err2 := br.ReadBytes('\n')
			line, err = append(append([]byte(nil), line...), rest...), err2
		}
		if len(bytes.TrimSpace(line)) > 0 {
			res.StdoutEvents++
			id := gjson.GetBytes(line, "eventID").String()
			i, ok := index[id]
			switch {
			case !ok:
				res.anomaly("weir run wrote an event that is not in the input: %.80s", line)
			case state[i]&onStdout != 0:
				res.anomaly("weir run wrote event %s twice", id)
			default:
				state[i] |= onStdout
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read weir's output: %w", err)
		}
	}
}

// readErrors reads weir run's -errors file.
func readErrors(path string, index map[string]int, state []uint8, res *result) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var rec struct {
			Line        int    `json:"line"`
			Error       string `json:"error"`
			Data        string `json:"data"`
			Undelivered bool   `json:"undelivered"`
			Partial     bool   `json:"partial"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			res.anomaly("-errors line is not JSON: %v", err)
			continue
		}
		kind := errorKind(rec.Error)
		if rec.Undelivered {
			kind = "send: emitted, then not delivered"
		}
		res.ReportedByKind[kind]++
		id := gjson.Get(rec.Data, "eventID").String()
		i, ok := index[id]
		switch {
		case !ok:
			res.anomaly("-errors reports an event not in the input (line %d): %s", rec.Line, rec.Error)
		case rec.Partial:
			res.anomaly("-errors reports event %s as perhaps delivered (partial)", id)
		case rec.Undelivered && rec.Line != 0:
			res.anomaly("-errors names line %d for undelivered event %s", rec.Line, id)
		case !rec.Undelivered && rec.Line != i+1:
			res.anomaly("-errors names line %d for event %s, which is on line %d", rec.Line, id, i+1)
		case state[i]&reported != 0:
			res.anomaly("-errors reports event %s twice", id)
		default:
			state[i] |= reported
		}
	}
	return sc.Err()
}

// errorKind names the cause of a reported error, from its text.
func errorKind(msg string) string {
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(msg, x) {
				return true
			}
		}
		return false
	}
	switch {
	case has("enrich_dns_ip_lookup"):
		switch {
		case has("DNS timeout", "deadline exceeded"):
			return "dns: timeout"
		case has("SERVFAIL", "server failure"):
			return "dns: SERVFAIL"
		case has("not found", "NXDOMAIN"):
			return "dns: NXDOMAIN"
		}
		return "dns: other"
	case has("enrich_http_get"):
		switch {
		case has("status 503"):
			return "http: 503 after retries"
		case has("status 404"):
			return "http: 404"
		case has("Timeout", "timeout", "deadline exceeded"):
			return "http: timeout after retries"
		}
		return "http: other"
	case has("enrich_kv_store_item_get"):
		// The last answer, and whether the SDK's retry quota, which
		// throttling storms drain, stopped the retries.
		kind := "dynamodb: other"
		switch {
		case has("ProvisionedThroughputExceeded"):
			kind = "dynamodb: throttled"
		case has("InternalServerError"):
			kind = "dynamodb: 500"
		case has("ServiceUnavailable"):
			kind = "dynamodb: 503"
		case has("EOF", "connection reset"):
			kind = "dynamodb: connection closed"
		}
		if has("retry quota exceeded") {
			return kind + ", retry quota exhausted"
		}
		return kind + " after retries"
	case has("send_http_post"):
		return "send: failed with the batch before it"
	}
	return "other"
}

// parseStderr reads weir run's -stats line and keeps the rest.
func parseStderr(b []byte, res *result) error {
	var rest []string
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, `{"read":`) {
			if err := json.Unmarshal([]byte(line), &res.WeirStats); err != nil {
				return fmt.Errorf("weir run -stats: %w", err)
			}
			found = true
			continue
		}
		rest = append(rest, line)
	}
	if len(rest) > 20 {
		rest = rest[len(rest)-20:]
	}
	res.WeirStderr = strings.Join(rest, "\n")
	if !found {
		return fmt.Errorf("weir run printed no -stats line; its standard error:\n%s", b)
	}
	return nil
}

// progress prints what the sink has received every 10 s, until stopped.
func progress(w io.Writer, start time.Time, sink *sinkServer) (stop func()) {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sink.mu.Lock()
				items := sink.items
				sink.mu.Unlock()
				fmt.Fprintf(w, "conserve: %s: %d events delivered so far\n", time.Since(start).Round(time.Second), items)
			}
		}
	}()
	return func() { close(done); <-exited }
}

// selfCPU returns this process's CPU time (user + system).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// summary is the result for a person.
func (r *result) summary(w io.Writer) {
	fmt.Fprintf(w, "read %d = delivered %d + dropped by rule %d + reported %d: %v\n",
		r.Read, r.Delivered, r.DroppedByRule, r.Reported, r.Conserved)
	if r.Undelivered > 0 {
		fmt.Fprintf(w, "  (of the reported, %d were emitted and then not delivered by the send)\n", r.Undelivered)
	}
	kinds := make([]string, 0, len(r.ReportedByKind))
	for k := range r.ReportedByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  reported %-45s %d\n", k, r.ReportedByKind[k])
	}
	fmt.Fprintf(w, "weir run -stats: read %d, emitted %d, dropped %d, failed %d, unprocessed %d, undelivered %d; exit %d\n",
		r.WeirStats.Read, r.WeirStats.Emitted, r.WeirStats.Dropped, r.WeirStats.Failed, r.WeirStats.Unprocessed, r.WeirStats.Undelivered, r.WeirExit)
	fmt.Fprintf(w, "sink: %d requests, %d events, %d duplicates; weir's standard output: %d events\n",
		r.SinkRequests, r.SinkItems, r.Duplicates, r.StdoutEvents)
	fmt.Fprintf(w, "weir run: %.1f s wall, %.1f s user + %.1f s system CPU, max RSS %.0f MiB, %d workers; harness CPU %.1f s\n",
		r.Wall, r.WeirUserCPU, r.WeirSysCPU, r.WeirMaxRSSMiB, r.Workers, r.HarnessCPU)
	for _, srv := range []string{"dns", "http", "dynamodb", "sink"} {
		m := r.Injected[srv]
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, m[k])
		}
		fmt.Fprintf(w, "injected by %s: %s\n", srv, strings.Join(parts, ", "))
	}
	outcomes := make([]string, 0, len(r.Outcomes))
	for k := range r.Outcomes {
		outcomes = append(outcomes, k)
	}
	sort.Strings(outcomes)
	for _, k := range outcomes {
		fmt.Fprintf(w, "ANOMALOUS OUTCOME: %d events %s\n", r.Outcomes[k], k)
	}
	for _, a := range r.Anomalies {
		fmt.Fprintf(w, "ANOMALY: %s\n", a)
	}
	if r.AnomalyCount > len(r.Anomalies) {
		fmt.Fprintf(w, "ANOMALY: … %d more\n", r.AnomalyCount-len(r.Anomalies))
	}
	if r.WeirStderr != "" {
		fmt.Fprintf(w, "weir run's standard error:\n%s\n", r.WeirStderr)
	}
}
