//! kubectl's side of the output filters ([`kap_sdk::filters`]): when jq reads the output, the
//! command must print JSON.

use kap_sdk::filters::Pipeline;

use crate::cli;

/// The command's words, with `-o json` added when jq comes first and the command (`get`,
/// `events`, `version`) prints JSON with `-o json` and has no `-o` of its own. Another
/// `-o` than `json` is refused: jq could not read it.
pub fn command_words(pipeline: &Pipeline, words: &[String]) -> Result<Vec<String>, String> {
    if !pipeline.wants_json() {
        return Ok(words.to_vec());
    }
    let rest = cli::strip_kubectl(words);
    let sub = cli::find_subcommand(rest).unwrap_or_default();
    if !matches!(sub.as_str(), "get" | "events" | "version") {
        return Ok(words.to_vec());
    }
    let Ok(parsed) = cli::parse_with(rest, &sub) else {
        // The command reports its own usage error.
        return Ok(words.to_vec());
    };
    if parsed.bool("help") {
        return Ok(words.to_vec());
    }
    match parsed.value("output") {
        None => {
            let mut out = vec!["-o".to_string(), "json".to_string()];
            out.extend(rest.iter().cloned());
            Ok(out)
        }
        Some("json") => Ok(words.to_vec()),
        Some(other) => Err(format!(
            "jq reads JSON, but the command prints `-o {other}`: use `-o json`, or leave -o out (it is then added for jq)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kap_sdk::filters::split_command;

    #[test]
    fn command_words_add_json_for_jq() {
        let words = |c: &str| {
            let (w, p) = split_command(c).unwrap();
            command_words(&p, &w)
        };
        assert_eq!(
            words("kubectl get pods -n x | jq .").unwrap(),
            ["-o", "json", "get", "pods", "-n", "x"]
        );
        assert_eq!(
            words("get pods -o json | jq .").unwrap(),
            ["get", "pods", "-o", "json"]
        );
        assert!(
            words("get pods -o yaml | jq .")
                .unwrap_err()
                .contains("-o json")
        );
        assert_eq!(words("get pods | grep x | jq .").unwrap(), ["get", "pods"]);
        assert_eq!(words("logs web | jq .").unwrap(), ["logs", "web"]);
        assert_eq!(words("version | jq .").unwrap(), ["-o", "json", "version"]);
        assert_eq!(
            words("get pods --bogus | jq .").unwrap(),
            ["get", "pods", "--bogus"]
        );
    }
}
