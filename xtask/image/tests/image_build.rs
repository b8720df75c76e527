//! The Lambda image from the real static release build (`cargo xtask build`): the same
//! sources give the same digest, the root filesystem holds the executable, the CA bundle
//! and /tmp and nothing else, the executable runs with no host libraries, and the OCI
//! layout on disk reads back with skopeo. The static build runs once for this file.

mod support_registry;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use support_registry::{require, run_ok, static_image};
use xtask_image::{self as image, elf, layer::FIXED_MTIME, layout, Arch, Image};

/// One tar entry as the tests look at it.
struct Entry {
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: u64,
    kind: tar::EntryType,
    bytes: Vec<u8>,
}

/// Every entry of every layer by path, bottom-up.
fn unpack(image: &Image) -> BTreeMap<String, Entry> {
    let mut files = BTreeMap::new();
    for layer in &image.layers {
        let gz = flate2::read::GzDecoder::new(layer.bytes.as_slice());
        let mut tar = tar::Archive::new(gz);
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let h = entry.header().clone();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            files.insert(
                h.path().unwrap().to_string_lossy().into_owned(),
                Entry {
                    mode: h.mode().unwrap(),
                    uid: h.uid().unwrap(),
                    gid: h.gid().unwrap(),
                    mtime: h.mtime().unwrap(),
                    kind: h.entry_type(),
                    bytes,
                },
            );
        }
    }
    files
}

#[test]
fn two_builds_of_the_same_sources_give_the_same_digest() {
    let first = static_image();
    // A new mtime on the executable must not matter: only content goes into the image.
    std::fs::File::options()
        .write(true)
        .open(&first.binary)
        .unwrap()
        .set_modified(SystemTime::now())
        .unwrap();
    let (_, second) = image::build_image(Arch::X86_64, Path::new(image::HOST_CA_BUNDLE)).unwrap();
    assert_eq!(second.digest(), first.image.digest());
    assert_eq!(second.manifest.bytes, first.image.manifest.bytes);

    // And the layouts written from them are byte for byte the same.
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    layout::write(&first.image, a.path(), "latest").unwrap();
    layout::write(&second, b.path(), "latest").unwrap();
    for name in ["index.json", "oci-layout"] {
        assert_eq!(
            std::fs::read(a.path().join(name)).unwrap(),
            std::fs::read(b.path().join(name)).unwrap(),
            "{name}"
        );
    }
    eprintln!(
        "digest {} stable across two builds; compressed size {} ({} bytes)",
        first.image.digest(),
        image::megabytes(first.image.compressed_size()),
        first.image.compressed_size()
    );
}

#[test]
fn the_root_filesystem_is_the_executable_the_ca_bundle_and_tmp_owned_by_root() {
    let files = unpack(&static_image().image);
    let paths: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "etc/",
            "etc/ssl/",
            "etc/ssl/certs/",
            "etc/ssl/certs/ca-certificates.crt",
            "tmp/",
            "var/",
            "var/runtime/",
            "var/runtime/bootstrap"
        ],
        "no shell, no package manager, nothing else"
    );
    for (path, e) in &files {
        assert_eq!((e.uid, e.gid, e.mtime), (0, 0, FIXED_MTIME), "{path}");
    }
    let bootstrap = &files["var/runtime/bootstrap"];
    assert_eq!(
        bootstrap.kind,
        tar::EntryType::Regular,
        "the entrypoint is a file, not a link"
    );
    assert_eq!(
        bootstrap.mode, 0o755,
        "readable and executable by Lambda's non-root user"
    );
    assert_eq!(
        bootstrap.bytes,
        std::fs::read(&static_image().binary).unwrap()
    );
    assert_eq!(files["etc/ssl/certs/ca-certificates.crt"].mode, 0o644);
    assert_eq!(files["tmp/"].mode, 0o1777);
}

#[test]
fn the_entrypoint_runs_with_no_host_libraries() {
    let root = tempfile::tempdir().unwrap();
    for (path, entry) in unpack(&static_image().image) {
        let target = root.path().join(&path);
        if entry.kind == tar::EntryType::Directory {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::write(&target, entry.bytes).unwrap();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(entry.mode)).unwrap();
        }
    }
    let bootstrap = root.path().join("var/runtime/bootstrap");
    let facts = elf::inspect(&std::fs::read(&bootstrap).unwrap()).unwrap();
    assert!(!facts.has_interpreter, "static: no ELF interpreter");
    assert_eq!(facts.machine, elf::EM_X86_64);

    // As root, run it inside the unpacked root itself, where no loader or libc exists;
    // otherwise run it from there with an empty environment.
    let is_root = run_ok(Command::new("id").arg("-u")).stdout.trim_ascii() == b"0";
    let mut cmd = if is_root {
        // Absolute: with the environment cleared, there is no PATH to search.
        let mut c = Command::new(require("chroot", "coreutils"));
        c.arg(root.path()).arg("/var/runtime/bootstrap");
        c
    } else {
        eprintln!("not root: running the entrypoint without chroot (the ELF check above stands)");
        Command::new(&bootstrap)
    };
    let out = run_ok(cmd.arg("--version").env_clear());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("author-stats "), "{stdout}");
}

#[test]
fn the_oci_layout_on_disk_reads_back_with_skopeo() {
    testkit::require!(testkit::tools::Tool::Registry);
    require("skopeo", "skopeo");
    let image = &static_image().image;
    let dir = tempfile::tempdir().unwrap();
    layout::write(image, dir.path(), image::LAYOUT_TAG).unwrap();
    let reference = format!("oci:{}:{}", dir.path().display(), image::LAYOUT_TAG);
    let raw = run_ok(Command::new("skopeo").args(["inspect", "--raw", &reference]));
    assert_eq!(raw.stdout, image.manifest.bytes);
    let config = run_ok(Command::new("skopeo").args(["inspect", "--config", &reference]));
    let config: serde_json::Value = serde_json::from_slice(&config.stdout).unwrap();
    assert_eq!(config["config"]["Entrypoint"][0], image::ENTRYPOINT);
}

#[test]
fn the_compressed_image_meets_the_12_mb_goal() {
    let size = static_image().image.compressed_size();
    eprintln!(
        "compressed image: {} ({size} bytes)",
        image::megabytes(size)
    );
    assert!(
        size <= 12_000_000,
        "{} is over the 12 MB goal",
        image::megabytes(size)
    );
}
