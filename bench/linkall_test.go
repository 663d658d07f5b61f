//go:build weirall

package bench_test

// Built with -tags weirall, the W1 benchmarks run in a binary that also
// links every registered type of transform/all, the sends included, as
// weir run and a service that sends to AWS do. The AWS SDK's service
// schemas then hold about 2.7 MB of heap from start-up, which every
// garbage collection marks: bench/run.sh times config-new both ways.
import _ "github.com/weirhq/weir/transform/all"
