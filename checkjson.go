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
// run does) scans each event once for that, not twice.
func (m *Message) CheckJSON() error {
	d := &m.data
	if m.ctrl || d.valid || d.dirty {
		return nil // what writes leave is valid
	}
	// validJSON answers as the check before a write does (gjson), faster.
	if i := vjSpace(d.raw, 0); i < len(d.raw) && !validJSON(d.raw) {
		return errDataNotJSON
	}
	d.valid = true
	return nil
}
