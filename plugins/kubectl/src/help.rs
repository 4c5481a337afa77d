//! Help text (`describe_kubectl`, `kubectl help`, `--help`): what each supported subcommand
//! does here, how it is called (its [`crate::registry`] entry's help) and the flags it takes
//! (from the grammar, [`crate::cli::KUBECTL`]).

use crate::catalog::{NOT_POSSIBLE, REFUSED};
use crate::cli::KUBECTL;
use crate::registry::{self, SUBCOMMANDS, SUPPORTED};

fn overview() -> String {
    let mut s = String::from(
        "kubectl (kube-ai-proxy): kubectl command lines translated to Kubernetes API requests. No kubectl binary and no shell are involved: redirections, `;`, `&&`, command substitution and the like are refused, after `|` only the output filters grep, head, tail, wc -l, sort, uniq and jq are allowed, and the server, credentials and identity (--server, --token, --kubeconfig, --context, --as, ...) are fixed by the operator.\n\nSupported commands:\n",
    );
    for t in SUBCOMMANDS {
        s.push_str(&format!("  {:<14} {}\n", t.name, t.help.summary));
    }
    s.push_str(&format!(
        "\nRefused by design: {}.\n{}Other commands (run, replace, ...) are not supported yet.\n\nGlobal flags:\n{}\nUse `kubectl <command> --help` or describe_kubectl with the command for details.\n",
        REFUSED.join(", "),
        if NOT_POSSIBLE.is_empty() {
            String::new()
        } else {
            format!(
                "Not possible through the kube capability: {}.\n",
                NOT_POSSIBLE
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        KUBECTL.flag_help("")
    ));
    s
}

/// Help for `topic` (`""` for the overview, `get`, `rollout status`, ...).
pub fn help_for(topic: &str) -> Result<String, String> {
    let topic = topic.trim();
    let topic = topic
        .strip_prefix("kubectl")
        .map(str::trim)
        .unwrap_or(topic);
    if topic.is_empty() || topic == "help" {
        return Ok(overview());
    }
    let first = topic.split_whitespace().next().unwrap_or(topic);
    if REFUSED.contains(&first) {
        return Ok(format!(
            "kubectl {first} is not available: interactive, streaming and file-copying commands are refused by design.\n"
        ));
    }
    if let Some((_, why)) = NOT_POSSIBLE.iter().find(|(n, _)| *n == first) {
        return Ok(format!("kubectl {first} is not available: {why}.\n"));
    }
    let Some(t) = registry::find(first) else {
        return Err(format!(
            "kubectl {first} is not supported yet; supported commands: {}",
            SUPPORTED.join(", ")
        ));
    };
    Ok(KUBECTL.help(&t.topic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_command_has_help() {
        for sub in SUPPORTED {
            let h = help_for(sub).unwrap();
            assert!(h.contains("Usage:"), "{sub}");
        }
        assert!(help_for("").unwrap().contains("Supported commands"));
        assert!(help_for("kubectl get").unwrap().contains("--selector"));
        assert!(help_for("logs").unwrap().contains("-c, --container=VALUE"));
        assert!(help_for("exec").unwrap().contains("refused by design"));
        assert!(help_for("frobnicate").is_err());
    }
}
