#pragma once
// Whole files in and out: every reader of the tool's files starts here, and every file the
// tool writes whole (model files, nets files, plans) goes out through replace_file.
#include <string>

namespace np {

// The whole file as bytes. Throws np::Error "cannot open WHAT 'path': REASON" (or "cannot open
// 'path': ..." when `what` is empty) when it cannot be opened ("no such file", "is a
// directory", ...), and when reading it fails.
std::string read_text_file(const std::string& path, const std::string& what = "");

// Writes `text` as the whole content of `path`, by what `path` is:
// - a regular file, or nothing yet: written to a temporary file beside it, flushed to disk and
//   renamed over it, so a reader never sees half a file and a failed write (a full disk
//   included) leaves the previous file as it was; the error says so. The mode is kept.
// - a symbolic link: the same for the file it points to; the link stays a link.
// - a character device or a FIFO (/dev/stdout, a pipe): written through, never replaced.
// - a directory, a block device or a socket: refused.
// Errors are np::Error naming the path and the reason.
void replace_file(const std::string& path, const std::string& text);

// Throws the np::Error replace_file(path, ...) would, without writing anything: for checking an
// output before a long run. Creates (and removes) a probe file beside a new or regular file.
void check_writable(const std::string& path);

// What `path` is when it is neither a regular file nor missing ("a directory", "a character
// device", "a FIFO", "a block device", "a socket"), after following symbolic links; empty for
// a regular file or a path that does not exist.
std::string special_file_kind(const std::string& path);

}  // namespace np
