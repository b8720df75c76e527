//! Opening a file to read it, safely: only a regular file is ever read, a FIFO is never
//! waited on (the open does not block, and the type is checked on the opened file), and in
//! the output folder a symbolic link is never followed. Reads are bounded by the caller:
//! the length comes with the file.

use std::fs::{File, FileType};
use std::io;
use std::path::Path;

/// Whether a symbolic link at the path is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// An input the operator named (`--style FILE`): a link to a regular file is fine.
    Follow,
    /// A file in the output folder: a link there is reported, never opened.
    Never,
}

/// What is at a path.
#[derive(Debug)]
pub enum Opened {
    /// A regular file, opened for reading, and its length in bytes.
    File(File, u64),
    /// Nothing.
    Missing,
    /// A symbolic link (with [`Links::Never`] only); it was not opened.
    Link,
}

/// What a file type is called in a message: `a folder`, `a FIFO (named pipe)`, ….
pub fn describe(file_type: &FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// The error for something other than a regular file at `path`: its kind says what it is.
fn not_regular(file_type: &FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {}, not a regular file", describe(file_type)),
    )
}

/// Open `path` for reading if it is a regular file. A FIFO, socket, device or folder is an
/// error saying which (`InvalidInput`), found without blocking; a link is [`Opened::Link`]
/// with [`Links::Never`].
pub fn open(path: &Path, links: Links) -> io::Result<Opened> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: opening a FIFO without a writer returns at once; the type check
        // below then refuses it. No effect on regular files.
        let mut flags = libc::O_NONBLOCK;
        if links == Links::Never {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    #[cfg(not(unix))]
    if links == Links::Never {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => return Ok(Opened::Link),
            Ok(m) if !m.is_file() => return Err(not_regular(&m.file_type())),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Opened::Missing),
            Err(e) => return Err(e),
        }
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Opened::Missing),
        Err(e) if links == Links::Never && is_link_refusal(&e) => {
            // O_NOFOLLOW refuses a link with ELOOP; make sure that is what it was.
            return match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => Ok(Opened::Link),
                _ => Err(e),
            };
        }
        Err(e) => return Err(e),
    };
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular(&metadata.file_type()));
    }
    Ok(Opened::File(file, metadata.len()))
}

fn is_link_refusal(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        // Linux says ELOOP; the BSDs EMLINK (FreeBSD) or ELOOP.
        matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::EMLINK))
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_opens_with_its_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        std::fs::write(&path, b"abc").unwrap();
        assert!(matches!(
            open(&path, Links::Never).unwrap(),
            Opened::File(_, 3)
        ));
        assert!(matches!(
            open(&dir.path().join("b"), Links::Never).unwrap(),
            Opened::Missing
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_reported_not_followed_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"secret").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(open(&link, Links::Never).unwrap(), Opened::Link));
        assert!(matches!(
            open(&link, Links::Follow).unwrap(),
            Opened::File(_, 6)
        ));
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nothing"), &dangling).unwrap();
        assert!(matches!(
            open(&dangling, Links::Never).unwrap(),
            Opened::Link
        ));
    }

    #[test]
    fn a_folder_is_refused_saying_what_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path(), Links::Never).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(e.to_string(), "it is a folder, not a regular file");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_without_reading_it() {
        let e = open(Path::new("/dev/zero"), Links::Follow).unwrap_err();
        assert_eq!(e.to_string(), "it is a device, not a regular file");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_without_a_writer_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Blocks forever if the open waited for a writer.
        let e = open(&fifo, Links::Never).unwrap_err();
        assert_eq!(
            e.to_string(),
            "it is a FIFO (named pipe), not a regular file"
        );
    }
}
