//! The compile cache: precompiled components (`.cwasm`) keyed by the plugin's SHA-256 digest
//! and by the host build, since a precompiled artifact only loads in a binary built with the
//! same wasmtime version, features and settings.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A key for this host build: the crate version plus wasmtime's own compatibility hash of
/// the engine's settings.
pub fn host_build_key(engine: &Engine) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    env!("CARGO_PKG_VERSION").hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Compiles `bytes` (whose digest is `digest_hex`), reusing `<dir>/<build key>/<digest>.cwasm`
/// when present and writing it when not. Returns the component and whether the cache was hit.
///
/// A cache entry that does not load (corrupt, other build) is recompiled and replaced; a
/// cache directory that cannot be written only costs the compile time.
#[allow(unsafe_code)] // `Component::deserialize*`: see the SAFETY comments below.
pub fn load(
    engine: &Engine,
    dir: Option<&Path>,
    digest_hex: &str,
    bytes: &[u8],
) -> Result<(Component, bool)> {
    let path: Option<PathBuf> = dir.map(|d| {
        d.join(host_build_key(engine))
            .join(format!("{digest_hex}.cwasm"))
    });
    if let Some(p) = &path
        && p.is_file()
    {
        // SAFETY: the file is in the user's own cache directory, named by the digest of the
        // source we hold, and wasmtime checks that it was produced by a compatible engine.
        match unsafe { Component::deserialize_file(engine, p) } {
            Ok(c) => return Ok((c, true)),
            Err(e) => {
                tracing::warn!(path = %p.display(), error = %e, "ignoring unusable compile cache entry")
            }
        }
    }
    let compiled = engine
        .precompile_component(bytes)
        .map_err(anyhow::Error::from)
        .context("the plugin is not a valid WebAssembly component")?;
    if let Some(p) = &path {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(p.parent().unwrap_or(Path::new(".")))?;
            let tmp = p.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, &compiled)?;
            std::fs::rename(&tmp, p)
        };
        if let Err(e) = write() {
            tracing::warn!(path = %p.display(), error = %e, "cannot write compile cache");
        }
    }
    // SAFETY: `compiled` was produced just now by this engine.
    let component = unsafe { Component::deserialize(engine, &compiled) }?;
    Ok((component, false))
}
