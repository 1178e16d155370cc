package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// writeFileWith writes a report to path, whatever path names:
//
//   - a regular file, or nothing yet: the report goes to a temporary file
//     beside it that is renamed over it once complete, so no reader ever
//     sees half of it; missing parent directories are created.
//   - a symlink: the same, at the file the link resolves to, so the link
//     stays a link (a dangling link gets its target created).
//   - a device, a FIFO or a socket (/dev/stdout, /dev/stderr, a named
//     pipe, /dev/null): the report is written into it as a stream; nothing
//     is created or renamed, and no directory beside it must be writable.
//
// /dev/stdout and /dev/stderr (also as /dev/fd/1, /proc/self/fd/2, …) are
// the command's own stdout and stderr, std: the report is written into
// that stream in order with the rest of the output, also when it is a
// file a shell redirected it to. Other /dev/fd/N paths are appended to.
//
// The report is rendered in memory first, so a report that fails to render
// leaves nothing at all behind.
func writeFileWith(path string, std stdStreams, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return writeFileBytes(path, std, buf.Bytes())
}

// stdStreams are the command's stdout and stderr.
type stdStreams struct{ stdout, stderr io.Writer }

// stream returns the command's own stream that path names, if it names one.
func (s stdStreams) stream(path string) io.Writer {
	switch path {
	case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1":
		return s.stdout
	case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2":
		return s.stderr
	}
	return nil
}

// writeFileBytes writes data to path as writeFileWith describes.
func writeFileBytes(path string, std stdStreams, data []byte) error {
	target, err := resolveTarget(path)
	if err != nil {
		return err
	}
	for _, p := range []string{path, target} {
		if w := std.stream(p); w != nil {
			_, err := w.Write(data)
			return err
		}
	}
	if isFDPath(target) || strings.HasPrefix(target, "/proc/") {
		return writeStream(target, data, os.O_WRONLY|os.O_APPEND)
	}
	if fi, err := os.Stat(target); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory", path)
		}
		return writeStream(target, data, os.O_WRONLY)
	}
	return writeAtomic(target, data)
}

// isFDPath reports whether path names one of the process's own open file
// descriptors.
func isFDPath(path string) bool {
	switch path {
	case "/dev/stdout", "/dev/stderr", "/proc/self/fd/1", "/proc/self/fd/2":
		return true
	}
	return strings.HasPrefix(path, "/dev/fd/") || strings.HasPrefix(path, "/proc/self/fd/")
}

// resolveTarget follows symlinks from path to the file they lead to (which
// need not exist yet), at most 40 links deep as the kernel does.
func resolveTarget(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		if isFDPath(link) || strings.HasPrefix(link, "/proc/") {
			return link, nil
		}
		path = link
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// writeStream writes data into an existing file that is not a regular
// one (or a descriptor path), without creating, truncating or renaming.
func writeStream(path string, data []byte, flag int) error {
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	return errors.Join(werr, cerr)
}

// writeAtomic replaces path with data through a temporary file in the
// same directory: a reader sees the old file or the new one, never half of
// one. A file that was there keeps its permission bits.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
