// Package gcptransform holds the transform of Substation configs that
// writes to Google Cloud: send_gcp_storage. It lives apart from package
// transform so that programs without it do not link the Google Cloud
// Storage client; package transform/all registers it.
package gcptransform

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"cloud.google.com/go/storage"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/aggregate"
	"github.com/weirhq/weir/transform"
)

// Register adds the types of this package to r.
func Register(r *transform.Registry) error {
	return r.Register("send_gcp_storage", transform.TypedEnv(buildSendGCPStorage))
}

// GCPSettings is the "gcp" setting of send_gcp_storage.
type GCPSettings struct {
	// Resource is the bucket's name. Required.
	Resource string `json:"resource"`
}

// SendGCPStorageConfig configures [SendGCPStorage], the send_gcp_storage
// transform.
//
//	{"type": "send_gcp_storage", "settings": {
//	    "gcp": {"resource": "my-bucket"},
//	    "file_path": {"prefix": "logs", "time_format": "2006/01/02", "uuid": true, "suffix": ".jsonl"},
//	    "use_batch_key_as_prefix": false,
//	    "auxiliary_transforms": [{"type": "aggregate_to_string", "settings": {"separator": "\n"}}]}}
type SendGCPStorageConfig struct {
	// GCP.Resource is the bucket. Required.
	GCP GCPSettings
	// FilePath names each object; the zero value means a random UUID.
	FilePath transform.FilePath
	// UseBatchKeyAsPrefix replaces FilePath.Prefix with the batch key when
	// it is not empty.
	UseBatchKeyAsPrefix bool
	// Object, Batch, AuxTransforms and ID are as in
	// transform.BatchSenderConfig; the send owns the auxiliary transforms.
	Object        transform.ObjectSettings
	Batch         transform.BatchSettings
	AuxTransforms []transform.Transformer
	ID            string
	// Client writes the objects; nil means storage.NewClient with the
	// Application Default Credentials, which Close closes.
	Client *storage.Client
	// Now is the clock of batch.duration and of FilePath.TimeFormat; nil
	// means time.Now.
	Now func() time.Time
}

// SendGCPStorage writes each batch of messages to a new Google Cloud
// Storage object and passes every message on unchanged. The object holds
// the data of the batch's messages after the auxiliary transforms,
// concatenated (Substation writes only the first item of a batch; Weir
// writes them all, as send_file and send_aws_s3 do). A failed upload is
// reported in a *transform.SendError naming every message of the batch. It
// is safe for concurrent use.
type SendGCPStorage struct {
	bs        *transform.BatchSender
	client    *storage.Client
	own       bool
	bucket    string
	path      transform.FilePath
	keyPrefix bool
	now       func() time.Time
}

type sendGCPSettings struct {
	ID                  string                   `json:"id,omitempty"`
	Object              transform.ObjectSettings `json:"object"`
	Batch               transform.BatchSettings  `json:"batch"`
	AuxTransforms       []weir.Config            `json:"auxiliary_transforms"`
	GCP                 GCPSettings              `json:"gcp"`
	FilePath            transform.FilePath       `json:"file_path"`
	UseBatchKeyAsPrefix bool                     `json:"use_batch_key_as_prefix,omitempty"`
}

func buildSendGCPStorage(ctx context.Context, env *transform.Env, s sendGCPSettings) (*SendGCPStorage, error) {
	aux, err := transform.BuildAuxTransforms(ctx, env, s.AuxTransforms)
	if err != nil {
		return nil, err
	}
	cfg := SendGCPStorageConfig{GCP: s.GCP, FilePath: s.FilePath, UseBatchKeyAsPrefix: s.UseBatchKeyAsPrefix,
		Object: s.Object, Batch: s.Batch, AuxTransforms: aux, ID: s.ID}
	if env != nil {
		cfg.Now = env.Now
	}
	t, err := NewSendGCPStorage(ctx, cfg)
	if err != nil {
		for _, a := range aux {
			if c, ok := a.(interface{ Close() error }); ok {
				_ = c.Close()
			}
		}
	}
	return t, err
}

// NewSendGCPStorage returns a SendGCPStorage. It takes ownership of the
// auxiliary transforms.
func NewSendGCPStorage(ctx context.Context, cfg SendGCPStorageConfig) (*SendGCPStorage, error) {
	const typ = "send_gcp_storage"
	if cfg.GCP.Resource == "" {
		return nil, &weir.ConfigError{Type: typ, Field: "gcp.resource", Err: weir.ErrMissingSetting}
	}
	t := &SendGCPStorage{client: cfg.Client, bucket: cfg.GCP.Resource, path: cfg.FilePath, keyPrefix: cfg.UseBatchKeyAsPrefix, now: cfg.Now}
	if t.path == (transform.FilePath{}) {
		t.path.UUID = true
	}
	if t.now == nil {
		t.now = time.Now
	}
	bs, err := transform.NewBatchSender(transform.BatchSenderConfig{Type: typ, ID: cfg.ID, Object: cfg.Object, Batch: cfg.Batch,
		AuxTransforms: cfg.AuxTransforms, Now: cfg.Now, Send: t.send})
	if err != nil {
		return nil, err
	}
	t.bs = bs
	if t.client == nil {
		c, err := storage.NewClient(ctx)
		if err != nil {
			_ = bs.Close()
			return nil, &weir.ConfigError{Type: typ, Field: "gcp", Err: err}
		}
		t.client, t.own = c, true
	}
	return t, nil
}

func (t *SendGCPStorage) send(ctx context.Context, key string, data [][]byte) error {
	prefix := t.path.Prefix
	if t.keyPrefix && key != "" {
		prefix = key
	}
	name := strings.TrimPrefix(path.Clean("/"+t.path.Name(prefix, t.now())), "/")
	err := error(nil)
	code := ""
	if name == "" {
		err, code = fmt.Errorf("file_path is empty for a batch without a key: %w", weir.ErrInvalidData), "InvalidData"
	} else {
		w := t.client.Bucket(t.bucket).Object(name).NewWriter(ctx)
		_, err = w.Write(aggregate.AppendJoin(nil, data, nil))
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		return nil
	}
	se := &transform.SendError{Service: "gcs", Total: len(data), Attempts: 1}
	for i, d := range data {
		se.Failed = append(se.Failed, transform.FailedItem{Index: i, Data: d, Code: code, Err: err})
	}
	return se
}

// Transform implements [transform.Transformer]: it returns msg.
func (t *SendGCPStorage) Transform(ctx context.Context, msg *weir.Message) ([]*weir.Message, error) {
	return t.bs.Transform(ctx, msg)
}

// Close closes the auxiliary transforms and a client the send built. It
// does not send open batches: send a control message first.
func (t *SendGCPStorage) Close() error {
	err := t.bs.Close()
	if t.own {
		err = errors.Join(err, t.client.Close())
	}
	return err
}
