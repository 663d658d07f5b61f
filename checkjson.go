package weir

import "fmt"

// errDataNotJSON is CheckJSON's error.
var errDataNotJSON = fmt.Errorf("%w: the data is not valid JSON", ErrInvalidData)

// CheckJSON returns an error matching [ErrInvalidData] if m's data is not
// valid JSON. Empty data, or white space alone, passes: a write makes it an
// object. A control message passes.
//
// The first write into a message's data checks the data the same way, so
// as not to make broken output of it. CheckJSON records its answer until
// the data is replaced ([Message.SetData], [Message.Reset]), so a program
// that rejects events that are not JSON before transforming them (as weir
// run does) scans each event once for that, not twice. For an object,
// the same pass builds the index that reads and writes of plain paths use
// (see [Message]): checking an event that is then read costs about what
// reading it without the check does. An event that is checked and never
// read pays for an index it does not use, about a sixth more than the
// check alone.
func (m *Message) CheckJSON() error {
	if m.ctrl {
		return nil
	}
	if m.data.checkJSON(true, false) != nil {
		return errDataNotJSON
	}
	return nil
}
