package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Admiral-Piett/goaws/app/conf"
	"github.com/Admiral-Piett/goaws/app/models"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir/internal/lambdatest"
)

// This file plays the parts around the function: an SQS server (goaws,
// github.com/Admiral-Piett/goaws, in-process) and Lambda's SQS event
// source mapping, which receives messages with ReceiveMessage, invokes the
// function with them, deletes those it did not report and leaves the
// reported ones to become visible again.

// goaws serves the SQS API. Its command listens on 0.0.0.0 with no setting
// for the address, so the test runs its router on an httptest server,
// which listens on 127.0.0.1 only. Its state is global, configured from a
// YAML file as the command is: one server at a time.
const goawsAccount = "100010001000"

// maxReceiveCount is the queues' redrive policy: a message received this
// many times without being deleted moves to the dead-letter queue.
const maxReceiveCount = 2

// The queues: a standard and a FIFO queue, each with a dead-letter queue.
const (
	queueStd  = "weir-sqs-lambda"
	queueFIFO = "weir-sqs-lambda.fifo"
)

func dlq(queue string) string {
	if name, ok := strings.CutSuffix(queue, ".fifo"); ok {
		return name + "-dlq.fifo"
	}
	return queue + "-dlq"
}

func queueARN(q string) string { return "arn:aws:sqs:us-east-1:" + goawsAccount + ":" + q }

// startGoaws starts goaws with the queues, empty, until t ends, and returns
// its URL. The visibility timeout is 300 s, longer than the test: the
// mapping makes reported messages visible again itself, at once, as their
// visibility timeout would.
func startGoaws(t testing.TB) string {
	t.Helper()
	logrus.SetOutput(io.Discard)
	srv := httptest.NewServer(router.New())
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	var b strings.Builder
	fmt.Fprintf(&b, "Local:\n  Host: %s\n  Port: %s\n  Region: us-east-1\n  AccountId: %q\n", u.Hostname(), u.Port(), goawsAccount)
	b.WriteString("  QueueAttributeDefaults:\n    VisibilityTimeout: 300\n    ReceiveMessageWaitTimeSeconds: 0\n    MaximumMessageSize: 262144\n")
	b.WriteString("  Queues:\n")
	for _, q := range []string{queueStd, queueFIFO} {
		fmt.Fprintf(&b, "    - Name: %s\n      RedrivePolicy: '{\"maxReceiveCount\": %d, \"deadLetterTargetArn\": \"%s\"}'\n",
			q, maxReceiveCount, queueARN(dlq(q)))
		fmt.Fprintf(&b, "    - Name: %s\n", dlq(q))
	}
	path := filepath.Join(t.TempDir(), "goaws.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	conf.LoadYamlConfig(path, "Local")
	return srv.URL
}

// sqsClient returns a client of the goaws at endpoint.
func sqsClient(t testing.TB, endpoint string) *sqs.Client {
	t.Helper()
	// Without SDK retries, so that no request is made twice unseen: a
	// ReceiveMessage made again leaves the messages of the first in flight
	// (see mapping.receive).
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  &http.Client{Transport: tr}, RetryMaxAttempts: 1})
}

func queueURL(t testing.TB, c *sqs.Client, q string) string {
	t.Helper()
	u, err := c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(q)})
	require.NoError(t, err)
	return aws.ToString(u.QueueUrl)
}

// send sends the bodies to queue, one SendMessage each (goaws's answer
// to SendMessageBatch lacks the message IDs), each with a message
// attribute "index" (and, to a FIFO queue, group(i) as its message group
// and i as its deduplication ID). It returns each body's message ID.
func send(t testing.TB, c *sqs.Client, queue string, bodies []string, group func(int) string) []string {
	t.Helper()
	u := queueURL(t, c, queue)
	ids := make([]string, len(bodies))
	for i, b := range bodies {
		in := &sqs.SendMessageInput{QueueUrl: aws.String(u), MessageBody: aws.String(b),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"index": {DataType: aws.String("Number"), StringValue: aws.String(fmt.Sprint(i))},
			}}
		if group != nil {
			in.MessageGroupId, in.MessageDeduplicationId = aws.String(group(i)), aws.String(fmt.Sprint(i))
		}
		out, err := c.SendMessage(context.Background(), in)
		require.NoError(t, err)
		ids[i] = aws.ToString(out.MessageId)
		require.NotEmpty(t, ids[i])
	}
	return ids
}

// mapping plays Lambda's SQS event source mapping (BatchSize batchSize,
// ReportBatchItemFailures): it receives up to batchSize messages (10 to a
// ReceiveMessage, as Lambda's pollers do), invokes the function with them
// as an SQS event, deletes the messages the function did not report and
// makes the reported ones visible again (ChangeMessageVisibility 0: what
// their visibility timeout does, without the wait), so that they are
// received again, or moved to the dead-letter queue once received
// maxReceiveCount times.
type mapping struct {
	c         *sqs.Client
	fn        *lambdatest.Function
	queue     string
	batchSize int

	// What happened, for the test to check.
	invocations  int
	lostReceives int                 // ReceiveMessage answers lost (see receive)
	deliveries   map[string][]string // per message ID, its ApproximateReceiveCount at each delivery
	reported     map[string]int      // per message ID, the times it was reported
	batches      [][]string          // the message IDs of each batch
	answers      [][]string          // the message IDs the function reported, per batch
}

// run delivers until the queue is empty.
func (m *mapping) run(t *testing.T) {
	t.Helper()
	m.deliveries, m.reported = map[string][]string{}, map[string]int{}
	u := queueURL(t, m.c, m.queue)
	for m.deliver(t, u) {
	}
}

// receive receives up to m.batchSize messages.
func (m *mapping) receive(t *testing.T, u string) []types.Message {
	t.Helper()
	var msgs []types.Message
	for len(msgs) < m.batchSize {
		out, err := m.c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(u), MaxNumberOfMessages: int32(min(10, m.batchSize-len(msgs))),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			// goaws received the messages, but its answer was lost: under
			// -race, reading an answer now and then fails with "use of
			// closed network connection". The messages are in flight, and
			// SQS would make them visible again when their visibility
			// timeout ends; the test does it at once.
			t.Logf("ReceiveMessage: %v: making the messages it took visible again", err)
			m.lostReceives++
			m.release(t, msgs)
			continue
		}
		if len(out.Messages) == 0 {
			break
		}
		msgs = append(msgs, out.Messages...)
	}
	return msgs
}

// release makes the messages of m.queue that are in flight but not in
// msgs visible again, in goaws's state, as their visibility timeout would
// (without counting a receive: the function never saw them).
func (m *mapping) release(t *testing.T, msgs []types.Message) {
	t.Helper()
	known := map[string]bool{}
	for _, msg := range msgs {
		known[aws.ToString(msg.ReceiptHandle)] = true
	}
	models.SyncQueues.Lock()
	defer models.SyncQueues.Unlock()
	q := models.SyncQueues.Queues[m.queue]
	require.NotNil(t, q)
	for i := range q.Messages {
		if h := q.Messages[i].ReceiptHandle; h != "" && !known[h] {
			q.Messages[i].ReceiptHandle = ""
		}
	}
}

// deliver invokes the function with the next batch; false when the queue
// had no message.
func (m *mapping) deliver(t *testing.T, u string) bool {
	t.Helper()
	ctx := context.Background()
	msgs := m.receive(t, u)
	if len(msgs) == 0 {
		return false
	}
	var ev events.SQSEvent
	var ids []string
	for _, msg := range msgs {
		ev.Records = append(ev.Records, eventRecord(queueARN(m.queue), msg))
		id := aws.ToString(msg.MessageId)
		ids = append(ids, id)
		m.deliveries[id] = append(m.deliveries[id], msg.Attributes["ApproximateReceiveCount"])
	}
	m.batches = append(m.batches, ids)
	payload, err := json.Marshal(ev)
	require.NoError(t, err)
	m.invocations++
	status, body := m.fn.Invoke(t, payload)
	require.Equal(t, http.StatusOK, status, "%s", body)
	_, isErr := lambdatest.IsFunctionError(body)
	require.False(t, isErr, "the function never fails a batch whole: %s", body)
	var resp events.SQSEventResponse
	require.NoError(t, json.Unmarshal(body, &resp), "%s", body)
	failed := map[string]bool{}
	var answer []string
	defer func() { m.answers = append(m.answers, answer) }()
	for _, f := range resp.BatchItemFailures {
		answer = append(answer, f.ItemIdentifier)
		require.Contains(t, ids, f.ItemIdentifier, "the reported message is in the batch")
		failed[f.ItemIdentifier] = true
		m.reported[f.ItemIdentifier]++
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, msg := range msgs {
		if failed[ids[i]] {
			_, err := m.c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(u),
				ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: 0})
			require.NoError(t, err)
			continue
		}
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: msg.ReceiptHandle})
		if len(del) == 10 || i == len(msgs)-1 {
			m.deleteBatch(t, u, del)
			del = nil
		}
	}
	m.deleteBatch(t, u, del)
	return true
}

func (m *mapping) deleteBatch(t *testing.T, u string, del []types.DeleteMessageBatchRequestEntry) {
	t.Helper()
	if len(del) == 0 {
		return
	}
	out, err := m.c.DeleteMessageBatch(context.Background(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(u), Entries: del})
	require.NoError(t, err)
	require.Empty(t, out.Failed)
}

// eventRecord is a record of the event Lambda invokes the function with,
// from a message as ReceiveMessage returned it.
func eventRecord(arn string, m types.Message) events.SQSMessage {
	attrs := map[string]events.SQSMessageAttribute{}
	for k, v := range m.MessageAttributes {
		attrs[k] = events.SQSMessageAttribute{StringValue: v.StringValue, BinaryValue: v.BinaryValue,
			StringListValues: v.StringListValues, BinaryListValues: v.BinaryListValues, DataType: aws.ToString(v.DataType)}
	}
	return events.SQSMessage{
		MessageId:              aws.ToString(m.MessageId),
		ReceiptHandle:          aws.ToString(m.ReceiptHandle),
		Body:                   aws.ToString(m.Body),
		Md5OfBody:              aws.ToString(m.MD5OfBody),
		Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
		Attributes:             m.Attributes,
		MessageAttributes:      attrs,
		EventSourceARN:         arn,
		EventSource:            "aws:sqs",
		AWSRegion:              "us-east-1",
	}
}

// drain receives and deletes every message of queue and returns their
// IDs.
func drain(t *testing.T, c *sqs.Client, queue string) []string {
	t.Helper()
	u := queueURL(t, c, queue)
	var ids []string
	for {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(u), MaxNumberOfMessages: 10})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			return ids
		}
		for _, msg := range out.Messages {
			ids = append(ids, aws.ToString(msg.MessageId))
			_, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(u), ReceiptHandle: msg.ReceiptHandle})
			require.NoError(t, err)
		}
	}
}
