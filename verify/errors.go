package verify

import "errors"

// ErrMode is returned by ParseMode and RunWith for a mode that does not
// exist.
var ErrMode = errors.New("unknown verify mode")

// ErrTable is returned by RunWith for an Options.Tables entry that is not
// SCHEMA.TABLE, or that the truth does not have.
var ErrTable = errors.New("bad table to check")
