package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FileName is the lock file's name inside the data directory.
const FileName = "switchboard.lock"

// ErrInUse is wrapped by Lock's error when another process holds the
// directory.
var ErrInUse = errors.New("datadir: in use by another process")

// Lock is the held lock on one data directory.
type Lock struct {
	f    *os.File
	path string
}

// Holder is what a lock file says about the process that wrote it.
type Holder struct {
	PID     int
	Started time.Time
}

// Acquire creates dir if needed and locks it for this process, or fails at
// once if another process (or another Lock in this one) holds it; the error
// then wraps ErrInUse and names the holder's PID.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("datadir: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	// O_CLOEXEC (os.OpenFile's default): plugin processes do not inherit the
	// descriptor, so the lock dies with this process.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("datadir: open %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if !errors.Is(err, errLocked) {
			return nil, fmt.Errorf("datadir: lock %s: %w", path, err)
		}
		return nil, inUse(dir, path)
	}
	l := &Lock{f: f, path: path}
	if err := l.write(Holder{PID: os.Getpid(), Started: time.Now()}); err != nil {
		l.Release()
		return nil, fmt.Errorf("datadir: write %s: %w", path, err)
	}
	return l, nil
}

// InUseError says who holds a data directory; it matches ErrInUse.
type InUseError struct {
	Dir, Path string
	Holder    Holder // zero when the file says nothing (yet)
	ReadErr   error  // reading the lock file failed
}

func (e *InUseError) Error() string {
	switch {
	case e.ReadErr != nil:
		return fmt.Sprintf("%s is locked (%s) by another process, which could not be read: %v", e.Dir, e.Path, e.ReadErr)
	case e.Holder.PID == 0:
		// The holder is between taking the lock and writing its PID.
		return fmt.Sprintf("%s is locked (%s) by a process that is starting; each node needs its own server.data_dir", e.Dir, e.Path)
	}
	return fmt.Sprintf("%s is held by switchboard process %d (started %s, lock file %s); stop it first, or give this node its own server.data_dir",
		e.Dir, e.Holder.PID, e.Holder.Started.Format(time.RFC3339), e.Path)
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// inUse describes the holder of dir from its lock file.
func inUse(dir, path string) error {
	e := &InUseError{Dir: dir, Path: path}
	b, err := os.ReadFile(path)
	if err != nil {
		e.ReadErr = err
		return e
	}
	if h, ok := parse(b); ok {
		e.Holder = h
	}
	return e
}

// write replaces the file's content with h.
func (l *Lock) write(h Holder) error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	s := "pid=" + strconv.Itoa(h.PID) + "\nstarted=" + h.Started.UTC().Format(time.RFC3339Nano) + "\n"
	if _, err := l.f.WriteAt([]byte(s), 0); err != nil {
		return err
	}
	return l.f.Sync()
}

// parse reads "pid=N\nstarted=T\n"; ok is false while the file is empty
// or partly written.
func parse(b []byte) (h Holder, ok bool) {
	var pid, started bool
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "pid":
			n, err := strconv.Atoi(v)
			h.PID, pid = n, err == nil && n > 0
		case "started":
			t, err := time.Parse(time.RFC3339Nano, v)
			h.Started, started = t, err == nil
		}
	}
	return h, pid && started
}

// Path is the lock file.
func (l *Lock) Path() string { return l.path }

// Release unlocks the directory. The file stays (with the last holder's
// PID): removing it would let a process that opened it just before lock a
// file no other process can see. Release is idempotent and nil-safe.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = unlock(l.f)
	_ = l.f.Close()
	l.f = nil
}
