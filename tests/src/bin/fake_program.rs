//! A stand-in for helm in the process capability's containment tests, granted as `helm` by
//! path. What it does depends on the file name it runs as (the tests copy it):
//! - `*hang*`: starts a grandchild (itself, `--grandchild MARKER`, looping forever) in its own
//!   process group's reach, then sleeps 300 s; the host must kill both at the deadline;
//! - `*flood*`: writes to stdout forever; the host must cap it;
//! - `*leak*`: reads the kubeconfig it was given (`$KUBECONFIG`), checks that its token works
//!   while the call runs (`GET /version` through the proxy: prints `live-status: 200`), and
//!   prints the proxy address and the token reversed in groups (`kap-reversed-groups:`) (so the host's redaction of
//!   tokens does not hide it from the test), for the test to replay after the call.
//!
//! A dynamically linked Rust program, so Landlock (which allows the ELF interpreter and the
//! libraries) lets it run, where a shell script's `/bin/sh` would not be allowed to execute.

use std::io::Write as _;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--grandchild") {
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let me = args.first().cloned().unwrap_or_default();
    let name = std::path::Path::new(&me)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.contains("hang") {
        let marker = std::env::var("KAP_FAKE_MARKER").unwrap_or_else(|_| {
            format!(
                "kap-hang-{}",
                name.trim_start_matches(|c: char| !c.is_ascii_digit())
            )
        });
        let _child = std::process::Command::new(&me)
            .args(["--grandchild", &marker])
            .spawn();
        std::thread::sleep(Duration::from_secs(300));
    } else if name.contains("flood") {
        let line = "kap-flood ".repeat(100) + "\n";
        let mut out = std::io::stdout().lock();
        while out.write_all(line.as_bytes()).is_ok() {}
    } else if name.contains("leak") {
        let path = std::env::var("KUBECONFIG").unwrap_or_default();
        let config = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot read {path:?}: {e}");
                std::process::exit(3);
            }
        };
        let field = |key: &str| {
            config
                .lines()
                .find_map(|l| l.trim().strip_prefix(key))
                .unwrap_or_default()
                .trim()
                .trim_matches('"')
                .to_string()
        };
        let server = field("server:");
        let token = field("token:");
        let hostport = server
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        println!("server: {server}");
        println!("live-status: {}", get_version(&hostport, &token));
        let reversed: String = token.chars().rev().collect();
        let groups: Vec<String> = reversed
            .as_bytes()
            .chunks(8)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        println!("kap-reversed-groups: {}", groups.join(" "));
    } else {
        eprintln!("fake_program: unknown mode {name:?}");
        std::process::exit(2);
    }
}

/// `GET /version` at `hostport` with `token`; the HTTP status code, or `error: ...`.
fn get_version(hostport: &str, token: &str) -> String {
    use std::io::Read as _;
    let Ok(mut s) = std::net::TcpStream::connect(hostport) else {
        return "error: connect".into();
    };
    let req = format!(
        "GET /version HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_err() {
        return "error: write".into();
    }
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace()
        .nth(1)
        .unwrap_or("error: no status")
        .to_string()
}
