//! What a process listens on, read from `/proc` (Linux): the sockets among its and its
//! descendants' open files, matched with the kernel's TCP (listening) and UDP (bound)
//! tables. Lets a test check that an emulator binds 127.0.0.1 only.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The addresses `pid` or a process below it listens on (TCP `LISTEN`, and every bound UDP
/// socket), sorted.
pub fn listening(pid: u32) -> Vec<SocketAddr> {
    let mut inodes = BTreeSet::new();
    for process in with_descendants(pid) {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{process}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
            {
                inodes.insert(inode.to_owned());
            }
        }
    }
    let mut found = BTreeSet::new();
    for (table, listening_state) in [("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            if *state == listening_state && inodes.contains(*inode) {
                if let Some(address) = parse_address(local) {
                    found.insert(address);
                }
            }
        }
    }
    found.into_iter().collect()
}

/// `pid` and every process below it (`/proc/<pid>/task/*/children`).
fn with_descendants(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut next = 0;
    while next < all.len() {
        let process = all[next];
        next += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{process}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            all.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    all
}

/// `0100007F:1F90` (IPv4) or 32 hex digits and a port (IPv6), as the kernel prints them:
/// each 32-bit word in host (little-endian) order.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let words: Option<Vec<[u8; 4]>> = (0..address.len() / 8)
        .map(|i| {
            u32::from_str_radix(address.get(i * 8..i * 8 + 8)?, 16)
                .ok()
                .map(u32::to_le_bytes)
        })
        .collect();
    let bytes: Vec<u8> = words?.concat();
    let ip = match bytes.len() {
        4 => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernels_hex_addresses_parse() {
        assert_eq!(
            parse_address("0100007F:1F90"),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            parse_address("00000000:0035"),
            Some("0.0.0.0:53".parse().unwrap())
        );
        assert_eq!(
            parse_address("00000000000000000000000001000000:1F90"),
            Some("[::1]:8080".parse().unwrap())
        );
    }

    #[test]
    fn this_process_is_seen_listening_where_it_listens() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        assert!(
            listening(std::process::id()).contains(&address),
            "{address} not found"
        );
    }
}
