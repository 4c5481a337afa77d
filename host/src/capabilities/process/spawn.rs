//! Running one granted program under the host's control: the mechanics of `process.run`
//! (DESIGN.md, "The controlled subprocess"). [`run`] takes a [`SpawnSpec`] that the process
//! capability has already authorized (grant, argument checks) and:
//!
//! 1. checks the program's SHA-256 when the grant pins one, before each spawn;
//! 2. makes a fresh scratch directory (mode 0700, under the host's temporary directory),
//!    writes the input files and the kubeconfig (`.kube/config`, mode 0600) into it, and
//!    removes it when the run ends, also on an error or a cancelled call (a drop guard);
//! 3. starts the program with no shell, a cleared environment (only `HOME`, `TMPDIR`,
//!    `HELM_CACHE_HOME`, `HELM_CONFIG_HOME`, `HELM_DATA_HOME`, `HELM_PLUGINS` inside the
//!    scratch directory, `KUBECONFIG` when given, and the caller's extra variables; no `PATH`),
//!    the scratch directory as its working directory, in its own process group;
//! 4. confines it with Landlock where the kernel has it (see [`landlock_status`]): the child
//!    may read and run the program, read the granted `read_dirs` and a few system files, and
//!    do anything inside the scratch directory; nothing else of the file system. Landlock
//!    applies to the thread that asks for it and is inherited by the processes it starts, so
//!    each run spawns its child from a fresh thread that confines itself first (no `unsafe`,
//!    no `pre_exec`), then ends;
//! 5. feeds stdin, reads stdout and stderr (each kept up to the cap, then read and
//!    discarded so the child never blocks; [`OUTPUT_LIMIT_FACTOR`] times the cap ends the
//!    run), and waits until the deadline;
//! 6. kills the whole process group (grandchildren included) when the child exits, at the
//!    deadline, on the output limit, and when the future is dropped.

use std::fs;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

use landlock::{
    ABI, Access, AccessFs, BitFlags, LandlockStatus, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope, path_beneath_rules,
};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::time::Instant;

/// A stream that passes this many times the cap ends the run with
/// [`SpawnError::OutputLimit`]; below it, the surplus is read and discarded.
pub const OUTPUT_LIMIT_FACTOR: u64 = 8;

/// Top-level names in the scratch directory that the host uses; input files may not take
/// them.
const RESERVED: [&str; 3] = [".kube", ".helm", ".tmp"];

/// The Landlock ABI whose rights this host asks for (Linux 6.12: file system rights with
/// `ioctl` on devices, signal and abstract-socket scoping). Older kernels enforce what they
/// know (best effort); newer ones are asked no more.
const LANDLOCK_ABI: ABI = ABI::V6;

/// One authorized run.
#[derive(Debug, Clone)]
pub struct SpawnSpec<'a> {
    /// Absolute path of the program (from the grant). Run as is: no shell, no `PATH` search.
    pub program: &'a Path,
    /// `sha256:<64 hex>` the program file must hash to, checked before the spawn; `None`:
    /// not pinned.
    pub digest: Option<&'a str>,
    /// Argument vector, without the program name, passed as is.
    pub args: &'a [String],
    /// Bytes written to the child's standard input, which is then closed; `None`: stdin is
    /// `/dev/null`.
    pub stdin: Option<&'a [u8]>,
    /// Input files written into the scratch directory before the run: (relative name,
    /// content). Names are relative paths of plain segments (`values.yaml`,
    /// `chart/Chart.yaml`); empty names, absolute names, `.` or `..` segments and the
    /// host's own `.kube`, `.helm` and `.tmp` are refused.
    pub files: &'a [(String, Vec<u8>)],
    /// Extra environment variables, set after the host's own (so they may override them),
    /// e.g. `HELM_NAMESPACE`.
    pub env: &'a [(String, String)],
    /// A kubeconfig text (the loopback proxy's), written to `<scratch>/.kube/config` with
    /// mode 0600 and named by `KUBECONFIG`; `None`: no `KUBECONFIG`.
    pub kubeconfig: Option<&'a str>,
    /// When the run is given up: the child's process group is killed and
    /// [`SpawnError::Timeout`] returned. Covers the digest check and the spawn too.
    pub deadline: Instant,
    /// Bytes of stdout, and separately of stderr, kept (see [`OUTPUT_LIMIT_FACTOR`]).
    pub max_output: usize,
    /// Absolute paths (directories or files) the child may read under Landlock; the same
    /// `read_dirs` that the argument checks used.
    pub read_dirs: &'a [PathBuf],
    /// Further files or directories the child may execute (and read) under Landlock,
    /// besides the program. The process capability passes none (helm runs no other
    /// program); tests pass `/usr/bin` to run shell scripts.
    pub exec_paths: &'a [PathBuf],
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnOutput {
    /// Exit code; `None` when a signal ended the child.
    pub exit_code: Option<i32>,
    /// Standard output, at most `max_output` bytes, as UTF-8 (invalid sequences replaced, a
    /// character cut at the cap dropped).
    pub stdout: String,
    /// Standard error, capped like `stdout`.
    pub stderr: String,
    /// Whether stdout or stderr was cut at the cap.
    pub truncated: bool,
    /// Whether Landlock confined the child (fully or partly); `false` on a kernel without
    /// it, where the run goes on unconfined (see [`landlock_status`]).
    pub landlock: bool,
}

/// Why a run did not happen or did not finish. In every case the child's process group has
/// been killed and the scratch directory removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpawnError {
    /// The deadline passed; carries the time the run was given, in milliseconds.
    #[error("the program did not finish within {0} ms; its process group was killed")]
    Timeout(u64),
    /// stdout or stderr passed the output limit; carries that limit in bytes
    /// ([`OUTPUT_LIMIT_FACTOR`] × `max_output`).
    #[error("the program wrote more than {0} bytes to one stream; its process group was killed")]
    OutputLimit(u64),
    /// The program could not be started: digest mismatch, missing or not executable, a bad
    /// input file name, the scratch directory could not be made, Landlock failed.
    #[error("{0}")]
    SpawnFailed(String),
}

/// Whether Landlock is in force for the children of this host, for `plugins inspect` and
/// the startup log: `"enforced (ABI v7)"`, `"not supported by this kernel"`, `"not enabled
/// in this kernel (add landlock to the lsm= boot parameter)"`, or `"unavailable: <why>"`.
/// Probed once (in a throwaway thread), then cached.
pub fn landlock_status() -> &'static str {
    static STATUS: OnceLock<String> = OnceLock::new();
    STATUS.get_or_init(probe_landlock).as_str()
}

/// Whether [`landlock_status`] says enforced.
pub fn landlock_enforced() -> bool {
    landlock_status().starts_with("enforced")
}

/// Confines a throwaway thread (it may run nothing afterwards) to learn the kernel's ABI.
fn probe_landlock() -> String {
    let probe = std::thread::Builder::new()
        .name("kap-landlock-probe".into())
        .spawn(|| {
            Ruleset::default()
                .handle_access(AccessFs::Execute)?
                .create()?
                .restrict_self()
        });
    let status = match probe.map(|t| t.join()) {
        Ok(Ok(Ok(s))) => s,
        Ok(Ok(Err(e))) => return format!("unavailable: {e}"),
        Ok(Err(_)) => return "unavailable: the probe thread panicked".into(),
        Err(e) => return format!("unavailable: {e}"),
    };
    match status.landlock {
        LandlockStatus::Available {
            effective_abi,
            kernel_abi,
        } => format!(
            "enforced (ABI v{})",
            kernel_abi.unwrap_or(effective_abi as i32)
        ),
        LandlockStatus::NotImplemented => "not supported by this kernel".into(),
        LandlockStatus::NotEnabled => {
            "not enabled in this kernel (add landlock to the lsm= boot parameter)".into()
        }
    }
}

/// Runs the program of `spec` to completion (see the module doc) and returns its exit code
/// and capped output.
///
/// Errors: [`SpawnError::Timeout`] at `spec.deadline`, [`SpawnError::OutputLimit`] when a
/// stream passes [`OUTPUT_LIMIT_FACTOR`] × `max_output` bytes, [`SpawnError::SpawnFailed`]
/// when the run cannot start (the message names the program or file). Dropping the future
/// kills the child's process group and removes the scratch directory.
pub async fn run(spec: SpawnSpec<'_>) -> Result<SpawnOutput, SpawnError> {
    let given_ms = u64::try_from(
        spec.deadline
            .saturating_duration_since(Instant::now())
            .as_millis(),
    )
    .unwrap_or(u64::MAX);
    match tokio::time::timeout_at(spec.deadline, run_inner(&spec)).await {
        Ok(r) => r,
        Err(_) => Err(SpawnError::Timeout(given_ms)),
    }
}

/// What the spawning thread hands back. Fields drop in this order: the child (killed if
/// still running), its process group (killed), the scratch directory (removed).
struct Started {
    /// The child.
    child: tokio::process::Child,
    /// Kills the process group on drop.
    group: GroupKill,
    /// The scratch directory, removed on drop.
    _scratch: tempfile::TempDir,
    /// Whether Landlock confined the child.
    landlock: bool,
}

async fn run_inner(spec: &SpawnSpec<'_>) -> Result<SpawnOutput, SpawnError> {
    for (name, _) in spec.files {
        check_file_name(name)
            .map_err(|e| SpawnError::SpawnFailed(format!("input file name {name:?}: {e}")))?;
    }
    let job = Job {
        program: spec.program.to_path_buf(),
        digest: spec.digest.map(str::to_ascii_lowercase),
        args: spec.args.to_vec(),
        piped_stdin: spec.stdin.is_some(),
        files: spec.files.to_vec(),
        env: spec.env.to_vec(),
        kubeconfig: spec.kubeconfig.map(str::to_string),
        read_dirs: spec.read_dirs.to_vec(),
        exec_paths: spec.exec_paths.to_vec(),
    };
    let handle = tokio::runtime::Handle::current();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("kap-process-spawn".into())
        .spawn(move || {
            // The child is a tokio child: spawned, and if need be dropped, in the runtime.
            let _rt = handle.enter();
            let started = job.start();
            // The caller is gone (cancelled, or the deadline passed): clean up at once.
            if let Err(Ok(s)) = tx.send(started) {
                s.group.kill();
            }
        })
        .map_err(|e| SpawnError::SpawnFailed(format!("cannot start a spawn thread: {e}")))?;
    let mut started = rx.await.map_err(|_| {
        SpawnError::SpawnFailed("the spawn thread ended without an answer".into())
    })??;
    let landlock = started.landlock;
    let hard_limit = (spec.max_output as u64).saturating_mul(OUTPUT_LIMIT_FACTOR);
    let stdin = started.child.stdin.take();
    let stdout = started.child.stdout.take();
    let stderr = started.child.stderr.take();
    let (child, group) = (&mut started.child, &started.group);
    let wait = async {
        let status = child
            .wait()
            .await
            .map_err(|e| SpawnError::SpawnFailed(format!("waiting for the program: {e}")))?;
        // Stragglers (a background grandchild) would hold the pipes open: end them now.
        group.kill();
        Ok::<_, SpawnError>(status)
    };
    let feed = async {
        if let (Some(mut w), Some(bytes)) = (stdin, spec.stdin) {
            // A child that exits without reading its input is not an error of the run.
            let _ = w.write_all(bytes).await;
            let _ = w.shutdown().await;
        }
        Ok::<_, SpawnError>(())
    };
    let (status, (out, out_cut), (err, err_cut), ()) = tokio::try_join!(
        wait,
        read_capped(stdout, spec.max_output, hard_limit, "stdout"),
        read_capped(stderr, spec.max_output, hard_limit, "stderr"),
        feed,
    )?;
    Ok(SpawnOutput {
        exit_code: status.code(),
        stdout: utf8_lossy_cut(out, out_cut),
        stderr: utf8_lossy_cut(err, err_cut),
        truncated: out_cut || err_cut,
        landlock,
    })
}

/// Reads a stream to its end, keeping `cap` bytes; returns them and whether more came.
/// Errors with [`SpawnError::OutputLimit`] past `hard_limit` bytes.
async fn read_capped(
    stream: Option<impl AsyncRead + Unpin>,
    cap: usize,
    hard_limit: u64,
    name: &str,
) -> Result<(Vec<u8>, bool), SpawnError> {
    let Some(mut stream) = stream else {
        return Ok((Vec::new(), false));
    };
    let mut kept = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| SpawnError::SpawnFailed(format!("reading the program's {name}: {e}")))?;
        if n == 0 {
            return Ok((kept, total > cap as u64));
        }
        total += n as u64;
        if total > hard_limit {
            return Err(SpawnError::OutputLimit(hard_limit));
        }
        let room = cap.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..n.min(room)]);
    }
}

/// UTF-8 of `bytes`, invalid sequences replaced; when `cut`, a character split at the end
/// is dropped rather than replaced.
fn utf8_lossy_cut(mut bytes: Vec<u8>, cut: bool) -> String {
    if cut
        && let Err(e) = std::str::from_utf8(&bytes)
        && e.error_len().is_none()
    {
        bytes.truncate(e.valid_up_to());
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Checks an input file name: a relative path of plain segments, not a host-reserved name.
fn check_file_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains('\0') {
        return Err("must be a non-empty relative path".into());
    }
    if name.starts_with('/') {
        return Err("must be relative to the scratch directory, not absolute".into());
    }
    for (i, seg) in name.split('/').enumerate() {
        match seg {
            ".." => return Err("may not contain `..`".into()),
            "." | "" => return Err("may not contain `.` or empty segments".into()),
            _ if i == 0 && RESERVED.contains(&seg) => {
                return Err(format!("{seg:?} is reserved by the host"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Kills a process group (`kill(-pgid, SIGKILL)`), now and on drop. Errors are ignored: an
/// empty group is the common case.
struct GroupKill(Option<rustix::process::Pid>);

impl GroupKill {
    fn new(pid: Option<u32>) -> GroupKill {
        // Never 0 or 1: `kill(-1)` would signal every process the host may signal.
        let pid = pid
            .and_then(|p| i32::try_from(p).ok())
            .filter(|p| *p > 1)
            .and_then(rustix::process::Pid::from_raw);
        GroupKill(pid)
    }

    fn kill(&self) {
        if let Some(pid) = self.0 {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Everything the spawning thread needs, owned.
struct Job {
    program: PathBuf,
    digest: Option<String>,
    args: Vec<String>,
    piped_stdin: bool,
    files: Vec<(String, Vec<u8>)>,
    env: Vec<(String, String)>,
    kubeconfig: Option<String>,
    read_dirs: Vec<PathBuf>,
    exec_paths: Vec<PathBuf>,
}

fn failed(what: impl std::fmt::Display) -> SpawnError {
    SpawnError::SpawnFailed(what.to_string())
}

impl Job {
    /// Runs on the dedicated thread, inside the tokio runtime: digest, scratch directory,
    /// Landlock, spawn.
    fn start(self) -> Result<Started, SpawnError> {
        if let Some(want) = &self.digest {
            let got = file_digest(&self.program)
                .map_err(|e| failed(format!("cannot read {}: {e}", self.program.display())))?;
            if got != *want {
                return Err(failed(format!(
                    "{} has digest {got}, but the grant pins {want}; refusing to run it",
                    self.program.display()
                )));
            }
        }
        let scratch = tempfile::Builder::new()
            .prefix("kap-process-")
            .tempdir()
            .map_err(|e| failed(format!("cannot make a scratch directory: {e}")))?;
        let root = fs::canonicalize(scratch.path())
            .map_err(|e| failed(format!("scratch directory: {e}")))?;
        let env = self
            .prepare(&root)
            .map_err(|e| failed(format!("preparing the scratch directory: {e}")))?;

        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(&self.args)
            .env_clear()
            .envs(env)
            .current_dir(&root)
            .stdin(if self.piped_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);

        // From here on this thread is confined; it only spawns, then ends.
        let landlock = self.confine(&root)?;
        let child = cmd
            .spawn()
            .map_err(|e| failed(format!("cannot start {}: {e}", self.program.display())))?;
        Ok(Started {
            group: GroupKill::new(child.id()),
            child,
            _scratch: scratch,
            landlock,
        })
    }

    /// Writes the host's directories, the kubeconfig and the input files; returns the
    /// child's environment.
    fn prepare(&self, root: &Path) -> std::io::Result<Vec<(String, String)>> {
        let helm = root.join(".helm");
        let dirs = [
            ("HELM_CACHE_HOME", helm.join("cache")),
            ("HELM_CONFIG_HOME", helm.join("config")),
            ("HELM_DATA_HOME", helm.join("data")),
            ("HELM_PLUGINS", helm.join("plugins")),
            ("TMPDIR", root.join(".tmp")),
        ];
        let mut env = vec![("HOME".to_string(), root.display().to_string())];
        for (var, dir) in dirs {
            fs::create_dir_all(&dir)?;
            env.push((var.to_string(), dir.display().to_string()));
        }
        if let Some(text) = &self.kubeconfig {
            let dir = root.join(".kube");
            fs::create_dir_all(&dir)?;
            let path = dir.join("config");
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?;
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            env.push(("KUBECONFIG".to_string(), path.display().to_string()));
        }
        for (name, content) in &self.files {
            let path = root.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&path, content)?;
        }
        env.extend(self.env.iter().cloned());
        Ok(env)
    }

    /// Confines the calling thread (and so the child it starts): read and execute the
    /// program (and its ELF interpreter and libraries, if dynamically linked) and
    /// `exec_paths`; read `read_dirs` and a few system files; all rights in the scratch
    /// directory; no signals or abstract sockets out of the sandbox. Returns whether the
    /// kernel enforced it; errors only when a rule could not be built or applied.
    fn confine(&self, scratch: &Path) -> Result<bool, SpawnError> {
        let abi = LANDLOCK_ABI;
        let read: BitFlags<AccessFs> = AccessFs::ReadFile | AccessFs::ReadDir;
        let exec = read | AccessFs::Execute;
        let dev_null = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate;
        let mut run_paths = vec![self.program.clone()];
        let mut read_paths: Vec<PathBuf> = self.read_dirs.clone();
        read_paths.extend(SYSTEM_READ.iter().map(PathBuf::from));
        if let Some(interp) = elf_interpreter(&self.program) {
            run_paths.push(interp);
            read_paths.extend(LIBRARY_READ.iter().map(PathBuf::from));
        }
        run_paths.extend(self.exec_paths.iter().cloned());
        let err = |e: landlock::RulesetError| failed(format!("Landlock: {e}"));
        let status = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))
            .map_err(err)?
            .scope(Scope::from_all(abi))
            .map_err(err)?
            .create()
            .map_err(err)?
            .add_rules(path_beneath_rules(&run_paths, exec))
            .map_err(err)?
            .add_rules(path_beneath_rules(&read_paths, read))
            .map_err(err)?
            .add_rules(path_beneath_rules(
                ["/dev/null"],
                dev_null | AccessFs::IoctlDev,
            ))
            .map_err(err)?
            .add_rules(path_beneath_rules([scratch], AccessFs::from_all(abi)))
            .map_err(err)?
            .restrict_self()
            .map_err(err)?;
        Ok(status.ruleset != RulesetStatus::NotEnforced)
    }
}

/// System files any child may read: TLS roots, name resolution, randomness, time zones.
/// `/proc` is not among them: a rule on `/proc/self` would name the host's own entry (it is
/// resolved here, before the child exists), and all of `/proc` would expose the host's
/// environment and command line; Go programs such as helm run without it.
const SYSTEM_READ: [&str; 12] = [
    "/etc/ssl",
    "/etc/pki",
    "/etc/ca-certificates",
    "/usr/share/ca-certificates",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/localtime",
    "/usr/share/zoneinfo",
    "/dev/urandom",
    "/dev/random",
    "/etc/mime.types",
];

/// What the dynamic loader reads for a dynamically linked program (read, not execute).
const LIBRARY_READ: [&str; 10] = [
    "/lib",
    "/lib32",
    "/lib64",
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/local/lib",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
];

/// `sha256:<hex>` of a file's content.
fn file_digest(path: &Path) -> std::io::Result<String> {
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("sha256:{}", hex::encode(h.finalize())))
}

/// The ELF interpreter (`PT_INTERP`, e.g. `/lib64/ld-linux-x86-64.so.2`) of a dynamically
/// linked program; `None` for a static one, a script or an unreadable file.
fn elf_interpreter(path: &Path) -> Option<PathBuf> {
    let mut f = fs::File::open(path).ok()?;
    let mut h = [0u8; 64];
    f.read_exact(&mut h).ok()?;
    if &h[..4] != b"\x7fELF" {
        return None;
    }
    let is64 = match h[4] {
        1 => false,
        2 => true,
        _ => return None,
    };
    let le = match h[5] {
        1 => true,
        2 => false,
        _ => return None,
    };
    let u16_at = |b: &[u8], o: usize| {
        let a = [b[o], b[o + 1]];
        if le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        }
    };
    let u32_at = |b: &[u8], o: usize| {
        let a: [u8; 4] = b[o..o + 4].try_into().unwrap_or_default();
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let u64_at = |b: &[u8], o: usize| {
        let a: [u8; 8] = b[o..o + 8].try_into().unwrap_or_default();
        if le {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        }
    };
    let (phoff, phentsize, phnum) = if is64 {
        (u64_at(&h, 32), u16_at(&h, 54), u16_at(&h, 56))
    } else {
        (u64::from(u32_at(&h, 28)), u16_at(&h, 42), u16_at(&h, 44))
    };
    let entsize = usize::from(phentsize);
    if entsize < if is64 { 56 } else { 32 } || entsize > 256 {
        return None;
    }
    let mut ph = vec![0u8; entsize];
    for i in 0..u64::from(phnum.min(512)) {
        f.seek(SeekFrom::Start(phoff.checked_add(i * entsize as u64)?))
            .ok()?;
        f.read_exact(&mut ph).ok()?;
        if u32_at(&ph, 0) != 3 {
            continue; // not PT_INTERP
        }
        let (off, size) = if is64 {
            (u64_at(&ph, 8), u64_at(&ph, 32))
        } else {
            (u64::from(u32_at(&ph, 4)), u64::from(u32_at(&ph, 16)))
        };
        if size == 0 || size > 4096 {
            return None;
        }
        let mut name = vec![0u8; usize::try_from(size).ok()?];
        f.seek(SeekFrom::Start(off)).ok()?;
        f.read_exact(&mut name).ok()?;
        let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
        let s = std::str::from_utf8(&name[..end]).ok()?;
        return Some(PathBuf::from(s)).filter(|p| p.is_absolute());
    }
    None
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// Lets shell scripts run their helpers under Landlock.
    fn bins() -> Vec<PathBuf> {
        vec![PathBuf::from("/usr/bin"), PathBuf::from("/bin")]
    }

    fn spec<'a>(program: &'a Path, args: &'a [String], exec: &'a [PathBuf]) -> SpawnSpec<'a> {
        SpawnSpec {
            program,
            digest: None,
            args,
            stdin: None,
            files: &[],
            env: &[],
            kubeconfig: None,
            deadline: Instant::now() + Duration::from_secs(20),
            max_output: 64 * 1024,
            read_dirs: &[],
            exec_paths: exec,
        }
    }

    fn sh() -> &'static Path {
        Path::new("/bin/sh")
    }

    #[tokio::test]
    async fn exit_code_and_stdout() {
        let ex = bins();
        let a = strings(&["-c", "echo hello; echo oops >&2; exit 3"]);
        let out = run(spec(sh(), &a, &ex)).await.unwrap();
        assert_eq!(out.exit_code, Some(3));
        assert_eq!(out.stdout, "hello\n");
        assert_eq!(out.stderr, "oops\n");
        assert!(!out.truncated);
        assert_eq!(out.landlock, landlock_enforced(), "{}", landlock_status());
        // Ended by a signal: no exit code.
        let a = strings(&["-c", "kill -9 $$"]);
        let out = run(spec(sh(), &a, &ex)).await.unwrap();
        assert_eq!(out.exit_code, None);
    }

    #[tokio::test]
    async fn stdin_is_passed_and_closed() {
        let a = strings(&[]);
        let mut s = spec(Path::new("/bin/cat"), &a, &[]);
        s.stdin = Some(b"from the plugin\n");
        let out = run(s).await.unwrap();
        assert_eq!(out.exit_code, Some(0));
        assert_eq!(out.stdout, "from the plugin\n");
        // No stdin: /dev/null, cat ends at once.
        let out = run(spec(Path::new("/bin/cat"), &a, &[])).await.unwrap();
        assert_eq!((out.exit_code, out.stdout.as_str()), (Some(0), ""));
    }

    #[tokio::test]
    async fn files_are_written_into_the_scratch_directory() {
        let ex = bins();
        let a = strings(&["-c", "cat values.yaml chart/Chart.yaml"]);
        let files = vec![
            ("values.yaml".to_string(), b"replicas: 2\n".to_vec()),
            ("chart/Chart.yaml".to_string(), b"name: web\n".to_vec()),
        ];
        let mut s = spec(sh(), &a, &ex);
        s.files = &files;
        let out = run(s).await.unwrap();
        assert_eq!(out.stdout, "replicas: 2\nname: web\n", "{}", out.stderr);
        for bad in [
            "../x",
            "/etc/x",
            "a/../../x",
            "./x",
            "",
            ".kube/config",
            "a/./b",
            "a//b",
            "a/",
        ] {
            let files = vec![(bad.to_string(), b"x".to_vec())];
            let mut s = spec(sh(), &a, &ex);
            s.files = &files;
            match run(s).await {
                Err(SpawnError::SpawnFailed(m)) => {
                    assert!(m.contains("input file name"), "{bad}: {m}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn environment_is_cleared_and_set() {
        let a = strings(&[]);
        let env = vec![("HELM_NAMESPACE".to_string(), "demo".to_string())];
        let mut s = spec(Path::new("/usr/bin/env"), &a, &[]);
        s.env = &env;
        s.kubeconfig = Some("apiVersion: v1\nkind: Config\n");
        let out = run(s).await.unwrap();
        let mut vars: Vec<(&str, &str)> = out
            .stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .collect();
        vars.sort();
        let names: Vec<&str> = vars.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "HELM_CACHE_HOME",
                "HELM_CONFIG_HOME",
                "HELM_DATA_HOME",
                "HELM_NAMESPACE",
                "HELM_PLUGINS",
                "HOME",
                "KUBECONFIG",
                "TMPDIR"
            ],
            "{}",
            out.stdout
        );
        let home = vars.iter().find(|(k, _)| *k == "HOME").unwrap().1;
        for (k, v) in &vars {
            if *k != "HELM_NAMESPACE" {
                assert!(v.starts_with(home), "{k}={v} outside HOME {home}");
            }
        }
        assert!(!Path::new(home).exists(), "scratch {home} left behind");
        // The kubeconfig: there, mode 0600, readable by the child.
        let ex = bins();
        let a = strings(&["-c", "cat \"$KUBECONFIG\"; stat -c %a \"$KUBECONFIG\""]);
        let mut s = spec(sh(), &a, &ex);
        s.kubeconfig = Some("kind: Config\n");
        let out = run(s).await.unwrap();
        assert_eq!(out.stdout, "kind: Config\n600\n", "{}", out.stderr);
    }

    #[tokio::test]
    async fn scratch_directory_is_removed() {
        let a = strings(&["-c", "pwd; echo x > made-here"]);
        let out = run(spec(sh(), &a, &[])).await.unwrap();
        let pwd = out.stdout.trim();
        assert!(pwd.contains("kap-process-"), "{pwd}");
        assert!(!Path::new(pwd).exists(), "{pwd} left behind");
    }

    /// Command lines (NULs as spaces) of live, not zombie, processes that mention `marker`.
    /// A killed process stays a zombie until its reaper waits for it, which this test
    /// machine's init may never do.
    fn live_with(marker: &str) -> Vec<String> {
        let mut found = Vec::new();
        for e in fs::read_dir("/proc").unwrap().flatten() {
            if e.file_name()
                .to_str()
                .is_none_or(|s| s.parse::<u32>().is_err())
            {
                continue;
            }
            let cmdline = fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if !cmdline.contains(marker) {
                continue;
            }
            let stat = fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let state = stat.rsplit_once(") ").and_then(|(_, r)| r.chars().next());
            if state.is_some_and(|s| s != 'Z' && s != 'X') {
                found.push(cmdline);
            }
        }
        found
    }

    fn sleeps(cmdlines: &[String]) -> usize {
        cmdlines.iter().filter(|c| c.starts_with("sleep ")).count()
    }

    async fn wait_gone(marker: &str) {
        let until = std::time::Instant::now() + Duration::from_secs(2);
        while !live_with(marker).is_empty() {
            assert!(
                std::time::Instant::now() < until,
                "still alive 2 s after the kill: {:?}",
                live_with(marker)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A `sleep` duration unique to this test run, to find its processes in /proc.
    fn marker(n: u32) -> String {
        format!("{}.{:06}{n}", 900 + n, std::process::id())
    }

    #[tokio::test]
    async fn deadline_kills_the_process_group() {
        let m = marker(1);
        let ex = bins();
        let a = strings(&["-c", &format!("sleep {m} & sleep {m}")]);
        let mut s = spec(sh(), &a, &ex);
        s.deadline = Instant::now() + Duration::from_millis(1500);
        let started = Instant::now();
        let (res, seen) = tokio::join!(run(s), async {
            tokio::time::sleep(Duration::from_millis(700)).await;
            live_with(&m)
        });
        assert!(
            matches!(res, Err(SpawnError::Timeout(ms)) if (1000..=1500).contains(&ms)),
            "{res:?}"
        );
        assert!(started.elapsed() < Duration::from_millis(2500));
        assert_eq!(sleeps(&seen), 2, "both sleeps ran: {seen:?}");
        wait_gone(&m).await;
    }

    #[tokio::test]
    async fn cancellation_kills_the_process_group() {
        let m = marker(2);
        let ex = bins();
        let a = strings(&["-c", &format!("sleep {m} & sleep {m}")]);
        let s = spec(sh(), &a, &ex);
        let (r, seen) = tokio::join!(
            tokio::time::timeout(Duration::from_millis(700), run(s)),
            async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                live_with(&m)
            }
        );
        assert!(r.is_err(), "the outer timeout dropped the run");
        assert_eq!(sleeps(&seen), 2, "both sleeps ran: {seen:?}");
        wait_gone(&m).await;
    }

    #[tokio::test]
    async fn a_normal_exit_kills_stragglers() {
        let m = marker(3);
        let ex = bins();
        // The background sleep keeps stdout open; the run still ends when sh does.
        let a = strings(&["-c", &format!("sleep {m} & echo started")]);
        let started = Instant::now();
        let out = run(spec(sh(), &a, &ex)).await.unwrap();
        assert_eq!(out.stdout, "started\n");
        assert!(started.elapsed() < Duration::from_secs(5));
        wait_gone(&m).await;
    }

    #[tokio::test]
    async fn output_is_capped() {
        let ex = bins();
        // Between the cap and the limit: kept up to the cap, truncated.
        let a = strings(&["-c", "printf '%0500d' 0; echo é >&2"]);
        let mut s = spec(sh(), &a, &ex);
        s.max_output = 100;
        let out = run(s).await.unwrap();
        assert_eq!(out.stdout, "0".repeat(100), "{}", out.stderr);
        assert!(out.truncated);
        assert_eq!(out.stderr, "é\n");
        // A character cut at the cap is dropped, not replaced.
        let a = strings(&["-c", "printf 'aé'"]);
        let mut s = spec(sh(), &a, &ex);
        s.max_output = 2;
        let out = run(s).await.unwrap();
        assert_eq!((out.stdout.as_str(), out.truncated), ("a", true));
        // A flood: ended at the limit, quickly.
        let a = strings(&[]);
        let mut s = spec(Path::new("/usr/bin/yes"), &a, &[]);
        s.max_output = 1000;
        let started = Instant::now();
        let res = run(s).await;
        assert_eq!(res, Err(SpawnError::OutputLimit(8000)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn digest_is_checked() {
        let a = strings(&["-c", "echo ran"]);
        let right = file_digest(Path::new("/bin/sh")).unwrap();
        let mut s = spec(sh(), &a, &[]);
        let upper = right.to_ascii_uppercase().replace("SHA256:", "sha256:");
        s.digest = Some(&upper);
        assert_eq!(run(s).await.unwrap().stdout, "ran\n");
        let wrong = format!("sha256:{}", "0".repeat(64));
        let mut s = spec(sh(), &a, &[]);
        s.digest = Some(&wrong);
        match run(s).await {
            Err(SpawnError::SpawnFailed(m)) => {
                assert!(m.contains(&right) && m.contains(&wrong), "{m}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn missing_program_fails_to_spawn() {
        let a = strings(&[]);
        match run(spec(Path::new("/nonexistent/helm"), &a, &[])).await {
            Err(SpawnError::SpawnFailed(m)) => assert!(m.contains("/nonexistent/helm"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn landlock_limits_reads_to_read_dirs() {
        let status = landlock_status();
        println!("landlock: {status}");
        let granted = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        fs::write(granted.path().join("ok.txt"), "granted\n").unwrap();
        fs::write(other.path().join("no.txt"), "secret\n").unwrap();
        let dirs = vec![granted.path().to_path_buf()];
        let cat = Path::new("/bin/cat");
        let a = strings(&[granted.path().join("ok.txt").to_str().unwrap()]);
        let mut s = spec(cat, &a, &[]);
        s.read_dirs = &dirs;
        let out = run(s).await.unwrap();
        assert_eq!(
            (out.exit_code, out.stdout.as_str()),
            (Some(0), "granted\n"),
            "{}",
            out.stderr
        );
        let a = strings(&[other.path().join("no.txt").to_str().unwrap()]);
        let mut s = spec(cat, &a, &[]);
        s.read_dirs = &dirs;
        let out = run(s).await.unwrap();
        if !landlock_enforced() {
            println!("Landlock {status}: the unconfined read is not asserted");
            return;
        }
        assert!(out.landlock);
        assert_ne!(out.exit_code, Some(0));
        assert_eq!(out.stdout, "");
        assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
        // Nor can it run another program, or write outside the scratch directory.
        let a = strings(&[
            "-c",
            &format!("/usr/bin/id; echo x > {}/w", other.path().display()),
        ]);
        let out = run(spec(sh(), &a, &[])).await.unwrap();
        assert!(!other.path().join("w").exists());
        assert!(
            out.stderr.matches("Permission denied").count() >= 2,
            "{}",
            out.stderr
        );
    }

    #[test]
    fn elf_interpreter_of_dynamic_and_static_files() {
        let sh = elf_interpreter(Path::new("/bin/sh"));
        assert!(sh.as_ref().is_some_and(|p| p.exists()), "{sh:?}");
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s");
        fs::write(&script, "#!/bin/sh\n").unwrap();
        assert_eq!(elf_interpreter(&script), None);
        assert_eq!(elf_interpreter(Path::new("/nonexistent")), None);
    }

    #[test]
    fn landlock_status_is_stable() {
        let s = landlock_status();
        assert!(
            s.starts_with("enforced (ABI v")
                || s.starts_with("not ")
                || s.starts_with("unavailable"),
            "{s}"
        );
        assert_eq!(s, landlock_status());
    }

    /// The real helm (built by tests/cluster/build-helm.sh), when this machine has it, runs
    /// confined: `version`, and `template` of a granted chart directory.
    #[tokio::test]
    async fn real_helm_runs_confined() {
        let Some(helm) = find_helm() else {
            println!("no helm binary found (KAP_HELM, ~/.cache/kube-ai-proxy/bin); skipped");
            return;
        };
        let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/charts/web");
        let chart = fs::canonicalize(chart).unwrap();
        let a = strings(&["version", "--short"]);
        let out = run(spec(&helm, &a, &[])).await.unwrap();
        assert_eq!(out.exit_code, Some(0), "{}", out.stderr);
        assert!(out.stdout.starts_with("v4."), "{}", out.stdout);
        let dirs = vec![chart.clone()];
        let a = strings(&["template", "t", chart.to_str().unwrap()]);
        let mut s = spec(&helm, &a, &[]);
        s.read_dirs = &dirs;
        let out = run(s).await.unwrap();
        assert_eq!(out.exit_code, Some(0), "{}", out.stderr);
        assert!(out.stdout.contains("kind: Deployment"), "{}", out.stdout);
        // Its API requests go where the kubeconfig says (here: nowhere), with its HOME and
        // caches in the scratch directory.
        let kubeconfig = "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
        let l = strings(&["list", "-A"]);
        let mut s = spec(&helm, &l, &[]);
        s.kubeconfig = Some(kubeconfig);
        let out = run(s).await.unwrap();
        assert_ne!(out.exit_code, Some(0));
        assert!(out.stderr.contains("connection refused"), "{}", out.stderr);
        let e = strings(&["env"]);
        let out = run(spec(&helm, &e, &[])).await.unwrap();
        assert_eq!(out.exit_code, Some(0), "{}", out.stderr);
        assert!(out.stdout.contains("HELM_CACHE_HOME=\"/"), "{}", out.stdout);
        // Without the grant, the same chart is out of reach.
        if landlock_enforced() {
            let out = run(spec(&helm, &a, &[])).await.unwrap();
            assert_ne!(out.exit_code, Some(0), "{}", out.stdout);
        }
    }

    fn find_helm() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("KAP_HELM") {
            return Some(PathBuf::from(p));
        }
        let home = std::env::var_os("HOME")?;
        let bin = Path::new(&home).join(".cache/kube-ai-proxy/bin");
        let mut found: Vec<PathBuf> = fs::read_dir(bin)
            .ok()?
            .flatten()
            .map(|e| e.path().join("helm"))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        found.pop()
    }
}
