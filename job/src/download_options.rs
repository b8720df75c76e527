//! How an export on S3 is read: how many ranged GETs may be in flight and how large each
//! part is (`--download-concurrency`, `--download-part-size`, and the function's
//! `DOWNLOAD_CONCURRENCY`, `DOWNLOAD_PART_SIZE`), with their defaults from `contract` and
//! the parsing of both. Their product bounds the bytes one input holds in memory.

use std::fmt;
use std::str::FromStr;

use contract::defaults;

/// Bytes buffered ahead of the reader when an object is read with one GET: enough to keep
/// the connection busy while the reader inflates.
pub const READ_AHEAD_BYTES: usize = 1 << 20;

/// Most ranged GETs one input may have in flight.
pub const MAX_CONCURRENCY: usize = 64;
/// Largest part: 256 MiB (with [`MAX_CONCURRENCY`] that would be 16 GiB in flight; the
/// product is what memory must hold).
pub const MAX_PART_SIZE: u64 = 256 << 20;

/// The bytes of one ranged GET. Any size from 1 byte is accepted (tests use tiny parts to
/// put part boundaries everywhere); below 1 MiB, requests cost more than they bring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartSize(u64);

impl PartSize {
    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl Default for PartSize {
    fn default() -> Self {
        PartSize(defaults::DOWNLOAD_PART_SIZE)
    }
}

/// `1MiB`, `512KiB`, or bytes.
impl fmt::Display for PartSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n if n >= 1 << 20 && n % (1 << 20) == 0 => write!(f, "{}MiB", n >> 20),
            n if n >= 1 << 10 && n % (1 << 10) == 0 => write!(f, "{}KiB", n >> 10),
            n => write!(f, "{n}"),
        }
    }
}

impl FromStr for PartSize {
    type Err = String;

    /// A whole number of bytes, or of `KiB` or `MiB` (`8MiB`, `512KiB`, `65536`).
    fn from_str(text: &str) -> Result<PartSize, String> {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        let (digits, unit) = if let Some(n) = lower.strip_suffix("mib") {
            (n, 1u64 << 20)
        } else if let Some(n) = lower.strip_suffix("kib") {
            (n, 1 << 10)
        } else {
            (lower.as_str(), 1)
        };
        let bytes = digits
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit));
        match bytes {
            Some(n) if (1..=MAX_PART_SIZE).contains(&n) => Ok(PartSize(n)),
            _ => Err(format!(
                "{text:?} is not a part size from 1 byte to {} (e.g. 8MiB, 512KiB or a number of \
                 bytes; default {})",
                PartSize(MAX_PART_SIZE),
                PartSize::default()
            )),
        }
    }
}

/// `--download-concurrency` / `DOWNLOAD_CONCURRENCY`: 1 to [`MAX_CONCURRENCY`] ranged GETs
/// in flight; 1 reads each input with one streaming GET.
pub fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a number of ranged GETs in flight from 1 to {MAX_CONCURRENCY} \
             (1: one streaming GET; default {})",
            defaults::DOWNLOAD_CONCURRENCY
        )),
    }
}

/// How each S3 input is read (data-spec §1 *Reading from S3*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadOptions {
    /// Ranged GETs in flight; 1: the whole object with one GET (1 MiB read ahead).
    pub concurrency: usize,
    /// Bytes per ranged GET.
    pub part_size: PartSize,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            concurrency: defaults::DOWNLOAD_CONCURRENCY,
            part_size: PartSize::default(),
        }
    }
}

impl DownloadOptions {
    /// Most bytes of one input held in memory at once (parts fetched but not yet read).
    pub fn memory_bound(self) -> u64 {
        if self.concurrency == 1 {
            READ_AHEAD_BYTES as u64
        } else {
            self.concurrency as u64 * self.part_size.bytes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_read_bytes_kib_and_mib_and_print_back() {
        assert_eq!("8MiB".parse::<PartSize>().unwrap().bytes(), 8 << 20);
        assert_eq!("512 KiB".parse::<PartSize>().unwrap().bytes(), 512 << 10);
        assert_eq!("7".parse::<PartSize>().unwrap().bytes(), 7);
        assert_eq!(" 4mib ".parse::<PartSize>().unwrap().bytes(), 4 << 20);
        for size in ["1MiB", "4MiB", "512KiB", "7", "1536KiB"] {
            assert_eq!(size.parse::<PartSize>().unwrap().to_string(), size);
        }
    }

    #[test]
    fn bad_part_sizes_are_named_with_the_range_and_the_default() {
        for bad in ["0", "", "8MB", "-1", "257MiB", "1.5MiB"] {
            let e = bad.parse::<PartSize>().unwrap_err();
            assert!(e.contains("1 byte to 256MiB"), "{e}");
            assert!(
                e.contains(&format!("default {}", PartSize::default())),
                "{e}"
            );
        }
    }

    #[test]
    fn concurrency_is_1_to_64() {
        assert_eq!(parse_concurrency("1"), Ok(1));
        assert_eq!(parse_concurrency(" 64"), Ok(64));
        for bad in ["0", "65", "eight"] {
            assert!(parse_concurrency(bad).unwrap_err().contains("1 to 64"));
        }
    }

    #[test]
    fn the_defaults_hold_at_most_8_mib_of_one_input() {
        let options = DownloadOptions::default();
        assert!(options.concurrency > 1, "ranged by default");
        assert!(options.memory_bound() <= 8 << 20);
        let single = DownloadOptions {
            concurrency: 1,
            ..options
        };
        assert_eq!(single.memory_bound(), 1 << 20);
    }
}
