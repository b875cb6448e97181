package verify

import "errors"

// ErrMode is returned by ParseMode and RunWith for a mode that does not
// exist.
var ErrMode = errors.New("unknown verify mode")
