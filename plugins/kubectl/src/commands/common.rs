//! What the command modules share: the namespace a command acts in, resource resolution in
//! kubectl's words, flag and `-f` refusals, `--dry-run`, the [`Report`] of a command that acts
//! on several objects, and the printers. It uses nothing of the other command modules (nor of
//! the dispatcher), so every command module can use it.

use serde_json::Value;

use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, KubeError, Outcome, ResourceInfo, kube_error_text, usage,
};
use kap_sdk::cli::Parsed;

pub use kap_sdk::printing::{pretty_json, strip_managed_fields, to_yaml};

/// The namespace a command acts in: `-n`, else the call's default namespace.
pub fn namespace<'a>(p: &'a Parsed, ctx: &'a Ctx) -> &'a str {
    p.namespace().unwrap_or(&ctx.default_namespace)
}

/// Resolves a resource type as typed, mapping failures to kubectl's wording.
pub fn resolve(api: &mut dyn Api, type_name: &str) -> Result<ResourceInfo, Failure> {
    api.resolve(type_name).map_err(|e| match e {
        KubeError::UnknownResource(_) => {
            Failure::Kube(KubeError::UnknownResource(type_name.to_string()))
        }
        other => Failure::Kube(other),
    })
}

/// Refuses flags that are accepted by the grammar but not (yet) by this plugin.
pub fn refuse_flags(p: &Parsed, flags: &[(&str, &str)]) -> Result<(), Failure> {
    for (flag, why) in flags {
        if p.given(flag) && (p.value(flag) != Some("false")) {
            return usage(format!("--{flag} is not supported: {why}"));
        }
    }
    Ok(())
}

/// The `-f` refusal shared by commands that read manifests or object lists from files.
pub fn refuse_files(p: &Parsed, sub: &str) -> Result<(), Failure> {
    if p.given("filename") {
        return usage(format!(
            "kubectl {sub} -f is not supported: files cannot be read; name the objects as TYPE NAME or TYPE/NAME"
        ));
    }
    Ok(())
}

/// The dry-run mode of `--dry-run` (kubectl's `GetDryRunStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// No `--dry-run` (or `--dry-run=none`): the change is made.
    None,
    /// `--dry-run=client` (or `--dry-run` alone): nothing is sent.
    Client,
    /// `--dry-run=server`: the server checks the change without persisting it.
    Server,
}

impl DryRun {
    /// Reads `--dry-run`.
    pub fn from(p: &Parsed) -> Result<DryRun, Failure> {
        match p.value("dry-run") {
            None | Some("none") => Ok(DryRun::None),
            Some("client") | Some("unchanged") => Ok(DryRun::Client),
            Some("server") => Ok(DryRun::Server),
            Some(other) => usage(format!(
                "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
            )),
        }
    }

    /// The suffix kubectl adds to its messages.
    pub fn suffix(self) -> &'static str {
        match self {
            DryRun::None => "",
            DryRun::Client => " (dry run)",
            DryRun::Server => " (server dry run)",
        }
    }

    /// The query parameter for the server.
    pub fn query(self) -> Option<(String, String)> {
        (self == DryRun::Server).then(|| ("dryRun".to_string(), "All".to_string()))
    }
}

/// Collects the output of a command that acts on several objects and reports errors at the
/// end, as kubectl does (it prints what succeeded and the errors on stderr).
#[derive(Debug, Default)]
pub struct Report {
    /// What succeeded, line by line.
    pub out: String,
    /// The errors of the objects that failed, printed after the output.
    pub errors: Vec<KubeError>,
    /// Other error messages, printed after the errors.
    pub messages: Vec<String>,
    /// The structured result, if the command has one.
    pub structured: Option<Value>,
}

impl Report {
    /// Adds a line of output.
    pub fn line(&mut self, s: impl AsRef<str>) {
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    /// The outcome: the output, then the errors; a lone error with no output is a tool error.
    pub fn finish(mut self) -> CmdResult {
        if self.out.is_empty()
            && self.messages.is_empty()
            && self.errors.len() == 1
            && let Some(e) = self.errors.pop()
        {
            return Err(Failure::Kube(e));
        }
        let is_error = !self.errors.is_empty() || !self.messages.is_empty();
        let mut text = self.out;
        for e in &self.errors {
            text.push_str(&kube_error_text(e));
            text.push('\n');
        }
        for m in &self.messages {
            text.push_str(m);
            text.push('\n');
        }
        Ok(Outcome {
            text,
            structured: self.structured,
            is_error,
        })
    }
}
