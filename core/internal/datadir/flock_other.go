//go:build !unix

package datadir

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked")

// tryLock does not lock where flock(2) is missing: the data directory is
// not protected there (Switchboard is built and tested for Linux).
func tryLock(*os.File) error { return nil }

func unlock(*os.File) error { return nil }
