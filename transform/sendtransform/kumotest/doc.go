// Package kumotest tests the Firehose and EventBridge sends of package
// sendtransform against kumo (github.com/sivchari/kumo), an AWS emulator
// run in-process on a loopback httptest server. It is a package of its
// own because kumo links every service it emulates: the other send tests
// do not wait for that build. It has no API.
package kumotest
