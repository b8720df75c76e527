//! Just enough ELF reading to check the one property the image depends on: the executable
//! is static (no `PT_INTERP`, so no dynamic loader or libc is needed in the image) and is
//! built for the image's CPU. Reads the 64-bit little-endian header and program headers.

use anyhow::{bail, Result};

/// `e_machine` values for the architectures we build.
pub const EM_X86_64: u16 = 0x3e;
pub const EM_AARCH64: u16 = 0xb7;

const PT_INTERP: u32 = 3;

/// What the check found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ElfFacts {
    pub machine: u16,
    /// The program asks for a dynamic loader (`PT_INTERP`), i.e. it is not static.
    pub has_interpreter: bool,
}

/// Reads the machine and whether there is a `PT_INTERP` program header.
pub fn inspect(bytes: &[u8]) -> Result<ElfFacts> {
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        bail!("not an ELF file");
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        bail!("not a 64-bit little-endian ELF file");
    }
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let machine = u16_at(0x12);
    let phoff = u64::from_le_bytes(bytes[0x20..0x28].try_into()?) as usize;
    let phentsize = u16_at(0x36) as usize;
    let phnum = u16_at(0x38) as usize;
    let mut has_interpreter = false;
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        let Some(p_type) = bytes.get(at..at + 4) else {
            bail!("truncated ELF program header table");
        };
        if u32::from_le_bytes(p_type.try_into()?) == PT_INTERP {
            has_interpreter = true;
        }
    }
    Ok(ElfFacts {
        machine,
        has_interpreter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_test_binary_is_dynamic_and_for_this_cpu() {
        // Test executables are ordinary (dynamically linked) host builds.
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let facts = inspect(&me).unwrap();
        assert!(facts.has_interpreter);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(facts.machine, EM_X86_64);
    }

    #[test]
    fn non_elf_input_is_an_error() {
        assert!(inspect(b"#!/bin/sh\n").is_err());
    }
}
