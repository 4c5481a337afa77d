//! `kube-ai-proxy plugins pack IN.wasm plugin.toml -o OUT.wasm`: embeds a plugin's manifest
//! into a component as the custom section [`MANIFEST_SECTION`], for toolchains that cannot
//! place a link section (Python with componentize-py, JavaScript with componentize-js).
//!
//! Custom sections are valid anywhere at the top level of a component (component model
//! binary format), so packing appends one: section id 0, the LEB128 size, the name, then the
//! TOML bytes. The rest of the component is copied byte for byte. The host reads the section
//! back with [`Manifest::from_component`], and the digest it computes covers the code and the
//! manifest alike.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use kap_host::plugins::manifest::{MANIFEST_SECTION, Manifest};

/// The arguments of `plugins pack`.
#[derive(Args)]
pub struct PackArgs {
    /// The component to embed the manifest into (any toolchain's `.wasm` component).
    #[arg(value_name = "IN.wasm")]
    input: PathBuf,
    /// The plugin manifest (validated before it is embedded).
    #[arg(value_name = "plugin.toml")]
    manifest: PathBuf,
    /// Where to write the packed component (may be IN.wasm itself).
    #[arg(short, long, value_name = "OUT.wasm")]
    output: PathBuf,
    /// Drop the manifest the component already carries (at any depth) and embed this one.
    #[arg(long)]
    replace: bool,
}

/// Runs `plugins pack`: reads both files, packs, writes the output and reports it.
///
/// Errors: a file cannot be read or written, or [`pack`] refuses.
pub fn run(args: &PackArgs) -> Result<()> {
    let component = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let manifest = std::fs::read_to_string(&args.manifest)
        .with_context(|| format!("cannot read {}", args.manifest.display()))?;
    let packed = pack(&component, &manifest, args.replace)
        .with_context(|| format!("cannot pack {}", args.input.display()))?;
    std::fs::write(&args.output, &packed)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let m = Manifest::parse_any_wit(&manifest)?;
    eprintln!(
        "packed {} {} ({} bytes of manifest) into {} ({} bytes)",
        m.name,
        m.version,
        manifest.len(),
        args.output.display(),
        packed.len()
    );
    Ok(())
}

/// Returns `component` with `manifest` appended as its [`MANIFEST_SECTION`] custom section.
///
/// With `replace`, every manifest section the component already carries is dropped first,
/// including one inside a nested core module (where the Rust toolchain's link section puts
/// it), so the host reads exactly this manifest.
///
/// Errors: the bytes are not a well-formed component; the manifest does not parse or
/// validate ([`Manifest::parse`]); the component already carries a manifest and `replace`
/// is false; the component exports the plugin `tools` interface of another WIT version than
/// the manifest's `wit`.
pub fn pack(component: &[u8], manifest: &str, replace: bool) -> Result<Vec<u8>> {
    if !wasmparser::Parser::is_component(component) {
        if wasmparser::Parser::is_core_wasm(component) {
            bail!(
                "this is a core WebAssembly module, not a component: build for wasm32-wasip2 or wrap it with a component adapter first"
            );
        }
        bail!("not a WebAssembly component");
    }
    let m = Manifest::parse(manifest).context("invalid plugin.toml")?;
    let mut existing = 0usize;
    let mut tools_exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        match payload.context("not a well-formed WebAssembly component")? {
            wasmparser::Payload::CustomSection(r) if r.name() == MANIFEST_SECTION => existing += 1,
            wasmparser::Payload::ComponentExportSection(exports) => {
                for e in exports {
                    let name = e.context("not a well-formed WebAssembly component")?.name.0;
                    if let Some(version) = name.strip_prefix("kube-ai-proxy:plugin/tools@") {
                        tools_exports.push(version.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    let declared = m.wit.rsplit_once('@').map(|(_, v)| v).unwrap_or_default();
    if !tools_exports.is_empty() && !tools_exports.iter().any(|v| v == declared) {
        bail!(
            "plugin.toml says wit = {:?}, but the component exports kube-ai-proxy:plugin/tools@{}: build against the WIT the manifest names, or fix `wit`",
            m.wit,
            tools_exports.join(", @")
        );
    }
    let mut out = if existing == 0 {
        component.to_vec()
    } else if replace {
        strip_manifest(component, true)?
    } else {
        bail!(
            "the component already carries a `{MANIFEST_SECTION}` section (embedded by export_plugin! or an earlier pack): pass --replace to drop it and embed this plugin.toml"
        );
    };
    append_custom_section(&mut out, MANIFEST_SECTION, manifest.as_bytes());
    // The host must read back exactly this text.
    let back = Manifest::section_text(&out)?;
    if back != manifest {
        bail!("internal error: the packed component does not read back the manifest");
    }
    Ok(out)
}

/// Appends a custom section (id 0, size, name, data) to a module or component binary.
fn append_custom_section(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut payload = Vec::with_capacity(name.len() + data.len() + 5);
    write_leb(&mut payload, name.len());
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    out.push(0);
    write_leb(out, payload.len());
    out.extend_from_slice(&payload);
}

/// Copies a module (`component` false) or component binary without its manifest custom
/// sections, recursing into nested core modules (section 1) and components (section 4) of
/// a component.
fn strip_manifest(bytes: &[u8], component: bool) -> Result<Vec<u8>> {
    let header = bytes.get(..8).context("truncated WebAssembly header")?;
    let mut out = header.to_vec();
    let mut pos = 8;
    while pos < bytes.len() {
        let id = bytes[pos];
        let (size, n) = read_leb(&bytes[pos + 1..])?;
        let start = pos + 1 + n;
        let end = start
            .checked_add(size)
            .filter(|e| *e <= bytes.len())
            .context("a section runs past the end of the file")?;
        let contents = &bytes[start..end];
        match id {
            0 => {
                let (len, m) = read_leb(contents)?;
                let name = contents
                    .get(m..m + len)
                    .context("a custom section's name runs past the section")?;
                if name != MANIFEST_SECTION.as_bytes() {
                    out.extend_from_slice(&bytes[pos..end]);
                }
            }
            1 | 4 if component => {
                let inner = strip_manifest(contents, id == 4)?;
                out.push(id);
                write_leb(&mut out, inner.len());
                out.extend_from_slice(&inner);
            }
            _ => out.extend_from_slice(&bytes[pos..end]),
        }
        pos = end;
    }
    Ok(out)
}

/// Reads an unsigned LEB128 `u32`; returns it and the bytes it took.
fn read_leb(bytes: &[u8]) -> Result<(usize, usize)> {
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().take(5).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let v = u32::try_from(value).context("a section size is out of range")?;
            return Ok((v as usize, i + 1));
        }
    }
    bail!("malformed LEB128 section size")
}

/// Writes an unsigned LEB128 number.
fn write_leb(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kap_host::plugins::manifest::WIT_PACKAGE;

    /// An empty component: magic, version 0x0d, layer 1.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";
    /// An empty core module.
    const EMPTY_MODULE: &[u8] = b"\0asm\x01\x00\x00\x00";

    fn manifest(name: &str) -> String {
        format!(
            "name = \"{name}\"\nversion = \"0.1.0\"\nwit = \"{WIT_PACKAGE}\"\n\n[capabilities.kube]\nverbs = [\"list\"]\nresources = [\"namespaces\"]\nnamespaces = [\"*\"]\n"
        )
    }

    fn count_sections(bytes: &[u8]) -> usize {
        wasmparser::Parser::new(0)
            .parse_all(bytes)
            .filter(|p| {
                matches!(p, Ok(wasmparser::Payload::CustomSection(r)) if r.name() == MANIFEST_SECTION)
            })
            .count()
    }

    /// A component holding one core module that carries `manifest` in a custom section, the
    /// way `export_plugin!`'s link section does.
    fn component_with_nested(manifest: &str) -> Vec<u8> {
        let mut module = EMPTY_MODULE.to_vec();
        append_custom_section(&mut module, MANIFEST_SECTION, manifest.as_bytes());
        append_custom_section(&mut module, "producers-ish", b"keep me");
        let mut c = EMPTY_COMPONENT.to_vec();
        c.push(1);
        write_leb(&mut c, module.len());
        c.extend_from_slice(&module);
        c
    }

    #[test]
    fn packs_an_empty_component() {
        let text = manifest("demo-tool");
        let out = pack(EMPTY_COMPONENT, &text, false).unwrap();
        assert!(out.starts_with(EMPTY_COMPONENT));
        let m = Manifest::from_component(&out).unwrap();
        assert_eq!(m.name, "demo-tool");
        assert_eq!(Manifest::section_text(&out).unwrap(), text);
        assert_eq!(count_sections(&out), 1);
        // Still a well-formed component.
        for p in wasmparser::Parser::new(0).parse_all(&out) {
            p.unwrap();
        }
    }

    #[test]
    fn large_manifests_get_multibyte_sizes() {
        let text = manifest("big").replacen(
            "wit =",
            &format!("description = \"{}\"\nwit =", "x".repeat(70_000)),
            1,
        );
        let out = pack(EMPTY_COMPONENT, &text, false).unwrap();
        assert_eq!(Manifest::from_component(&out).unwrap().name, "big");
        let (n, used) = read_leb(&[0xe5, 0x8e, 0x26]).unwrap();
        assert_eq!((n, used), (624_485, 3));
        let mut buf = Vec::new();
        write_leb(&mut buf, 624_485);
        assert_eq!(buf, [0xe5, 0x8e, 0x26]);
    }

    #[test]
    fn refuses_what_is_not_a_component() {
        let err = format!(
            "{:#}",
            pack(EMPTY_MODULE, &manifest("x"), false).unwrap_err()
        );
        assert!(err.contains("not a component"), "{err}");
        let err = format!("{:#}", pack(b"hello", &manifest("x"), false).unwrap_err());
        assert!(err.contains("not a WebAssembly component"), "{err}");
        let mut truncated = EMPTY_COMPONENT.to_vec();
        truncated.extend_from_slice(&[1, 0x40]);
        assert!(pack(&truncated, &manifest("x"), false).is_err());
    }

    #[test]
    fn refuses_an_invalid_manifest() {
        let err = format!("{:#}", pack(EMPTY_COMPONENT, "name = ", false).unwrap_err());
        assert!(err.contains("invalid plugin.toml"), "{err}");
        let bad_verb = manifest("x").replace("\"list\"", "\"escalate\"");
        let err = format!("{:#}", pack(EMPTY_COMPONENT, &bad_verb, false).unwrap_err());
        assert!(err.contains("unknown verb"), "{err}");
        let no_wit = manifest("x").replace(&format!("wit = \"{WIT_PACKAGE}\"\n"), "");
        assert!(pack(EMPTY_COMPONENT, &no_wit, false).is_err());
    }

    #[test]
    fn replaces_a_top_level_manifest_only_when_asked() {
        let once = pack(EMPTY_COMPONENT, &manifest("first"), false).unwrap();
        let err = format!("{:#}", pack(&once, &manifest("second"), false).unwrap_err());
        assert!(err.contains("--replace"), "{err}");
        let twice = pack(&once, &manifest("second"), true).unwrap();
        assert_eq!(count_sections(&twice), 1);
        assert_eq!(Manifest::from_component(&twice).unwrap().name, "second");
    }

    #[test]
    fn replaces_a_manifest_inside_a_core_module() {
        let nested = component_with_nested(&manifest("linked"));
        assert_eq!(Manifest::from_component(&nested).unwrap().name, "linked");
        assert!(pack(&nested, &manifest("packed"), false).is_err());
        let out = pack(&nested, &manifest("packed"), true).unwrap();
        assert_eq!(count_sections(&out), 1);
        assert_eq!(Manifest::from_component(&out).unwrap().name, "packed");
        // Other custom sections of the module survive.
        let kept = wasmparser::Parser::new(0)
            .parse_all(&out)
            .filter(|p| matches!(p, Ok(wasmparser::Payload::CustomSection(r)) if r.name() == "producers-ish"))
            .count();
        assert_eq!(kept, 1);
    }
}
