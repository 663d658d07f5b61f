//go:build unix

package transform_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/weirhq/weir"
	"github.com/weirhq/weir/transform"
)

// TestSendFileConfined: a batch key that reaches through a symbolic link
// to a folder outside the working directory is refused, and nothing is
// written outside (issue 14 finding 5; before, the file was written
// there). Not parallel: it changes the working directory.
func TestSendFileConfined(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "link")))
	tf := aggNew(t, `{"type":"send_file","settings":{"use_batch_key_as_prefix":true,"object":{"batch_key":"host"},
		"file_path":{"suffix":".log"}}}`)
	sendRun(t, tf, false, `{"host":"link/x"}`)
	_, err := tf.Transform(context.Background(), weir.NewControl())
	assert.Error(t, err)
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written through the link")

	// A link that stays inside is followed.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "real"), 0o700))
	require.NoError(t, os.Symlink("real", filepath.Join(dir, "inner")))
	sendRun(t, tf, true, `{"host":"inner/y"}`)
	b, err := os.ReadFile(filepath.Join(dir, "real", "y.log"))
	require.NoError(t, err)
	assert.Equal(t, `{"host":"inner/y"}`, string(b))
	require.NoError(t, tf.(interface{ Close() error }).Close())
}

// TestSendFileNoOverwrite: four events in batches of two under one name
// land in two files (before, the second batch replaced the first: only
// events 3 and 4 remained), and a file that existed is kept.
func TestSendFileNoOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "out-1.json"), []byte("theirs"), 0o600))
	tf := aggNew(t, `{"type":"send_file","settings":{"file_path":{"prefix":"`+filepath.ToSlash(dir)+`/out","suffix":".json"},
		"batch":{"count":2}}}`)
	sendRun(t, tf, true, `{"e":1}`, `{"e":2}`, `{"e":3}`, `{"e":4}`)
	sendRun(t, tf, true, `{"e":5}`)
	assert.Equal(t, map[string]string{
		"out.json":   `{"e":1}{"e":2}`,
		"out-1.json": "theirs",
		"out-2.json": `{"e":3}{"e":4}`,
		"out-3.json": `{"e":5}`,
	}, sendFiles(t, dir))
}

// TestSendFileModes: files are created 0600 and folders 0700 by default
// (before: 0666 and 0770 less the umask), and file_mode and dir_mode
// change that.
func TestSendFileModes(t *testing.T) {
	umask := syscall.Umask(0)
	syscall.Umask(umask)
	for _, tc := range []struct {
		settings   string
		file, fold os.FileMode
	}{
		{``, 0o600, 0o700},
		{`,"file_mode":"0640","dir_mode":"0750"`, 0o640, 0o750},
	} {
		dir := t.TempDir()
		tf := aggNew(t, `{"type":"send_file","settings":{"file_path":{"prefix":"`+filepath.ToSlash(dir)+`/out","time_format":"2006","uuid":true}`+tc.settings+`}}`)
		sendRun(t, tf, true, `{"a":1}`)
		files := sendFiles(t, dir)
		require.Len(t, files, 1)
		for name := range files {
			fi, err := os.Stat(filepath.Join(dir, name))
			require.NoError(t, err)
			assert.Equal(t, tc.file&^os.FileMode(umask), fi.Mode().Perm(), name)
			for d := filepath.Dir(filepath.Join(dir, name)); d != dir; d = filepath.Dir(d) {
				fi, err := os.Stat(d)
				require.NoError(t, err)
				assert.Equal(t, tc.fold&^os.FileMode(umask), fi.Mode().Perm(), d)
			}
		}
	}
	_, err := newSendFileErr(`{"type":"send_file","settings":{"file_path":{"prefix":"x"},"file_mode":"rw"}}`)
	assert.ErrorIs(t, err, weir.ErrInvalidConfig)
}

func newSendFileErr(config string) (any, error) {
	var cfg weir.Config
	if err := json.Unmarshal([]byte(config), &cfg); err != nil {
		return nil, err
	}
	return transform.New(context.Background(), cfg)
}
