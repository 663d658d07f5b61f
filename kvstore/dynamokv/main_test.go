package dynamokv_test

import (
	"testing"

	"github.com/weirhq/weir/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.Main(m, false) // dynamotest.Client shares the SDK's transport; TestDynamoDBKVStoreClose checks leaks
}
