//! Analysis messages: Istio's codes, names, levels and templates (istio/istio
//! `pkg/config/analysis/msg/messages.yaml`, the "Configuration Analysis Messages" reference),
//! and the three output formats of `istioctl analyze` (`-o log|json|yaml`,
//! `istioctl/pkg/util/formatting`).

use kap_sdk::serde_json::{Map, Value, json};

/// A message level, ordered as Istio orders them (`Info` < `Warning` < `Error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Informational.
    Info,
    /// Likely a problem.
    Warning,
    /// Certainly a problem.
    Error,
}

impl Level {
    /// Istio's spelling: `Info`, `Warning`, `Error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "Info",
            Level::Warning => "Warning",
            Level::Error => "Error",
        }
    }

    /// Parses a threshold as `istioctl analyze --output-threshold` does (case-insensitive).
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Level::Info),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// One message type: code, name, level (Istio's messages.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgType {
    /// `IST0101`.
    pub code: &'static str,
    /// `ReferencedResourceNotFound`.
    pub name: &'static str,
    /// The level Istio gives it.
    pub level: Level,
}

macro_rules! types {
    ($($id:ident = $code:literal $name:literal $level:ident;)*) => {
        $(
            #[doc = concat!("`", $code, "` ", $name, ".")]
            pub const $id: MsgType = MsgType { code: $code, name: $name, level: Level::$level };
        )*
        /// Every message type this plugin emits.
        pub const ALL: &[MsgType] = &[$($id),*];
    };
}

types! {
    REFERENCED_RESOURCE_NOT_FOUND = "IST0101" "ReferencedResourceNotFound" Error;
    NAMESPACE_NOT_INJECTED = "IST0102" "NamespaceNotInjected" Info;
    POD_MISSING_PROXY = "IST0103" "PodMissingProxy" Warning;
    SCHEMA_VALIDATION_ERROR = "IST0106" "SchemaValidationError" Error;
    MISPLACED_ANNOTATION = "IST0107" "MisplacedAnnotation" Warning;
    UNKNOWN_ANNOTATION = "IST0108" "UnknownAnnotation" Warning;
    CONFLICTING_MESH_GATEWAY_VS_HOSTS = "IST0109" "ConflictingMeshGatewayVirtualServiceHosts" Error;
    CONFLICTING_SIDECAR_WORKLOAD_SELECTORS = "IST0110" "ConflictingSidecarWorkloadSelectors" Error;
    MULTIPLE_SIDECARS_WITHOUT_SELECTORS = "IST0111" "MultipleSidecarsWithoutWorkloadSelectors" Error;
    VS_DESTINATION_PORT_SELECTOR_REQUIRED = "IST0112" "VirtualServiceDestinationPortSelectorRequired" Error;
    DEPLOYMENT_MULTIPLE_SERVICES = "IST0116" "DeploymentAssociatedToMultipleServices" Warning;
    PORT_NAME_NOT_UNDER_CONVENTION = "IST0118" "PortNameIsNotUnderNamingConvention" Info;
    NAMESPACE_MULTIPLE_INJECTION_LABELS = "IST0123" "NamespaceMultipleInjectionLabels" Warning;
    NO_SERVER_CERT_VERIFICATION_DR = "IST0128" "NoServerCertificateVerificationDestinationLevel" Warning;
    NO_MATCHING_WORKLOADS = "IST0127" "NoMatchingWorkloadsFound" Warning;
    VS_UNREACHABLE_RULE = "IST0130" "VirtualServiceUnreachableRule" Warning;
    VS_INEFFECTIVE_MATCH = "IST0131" "VirtualServiceIneffectiveMatch" Info;
    VS_HOST_NOT_FOUND_IN_GATEWAY = "IST0132" "VirtualServiceHostNotFoundInGateway" Warning;
    SERVICE_ENTRY_ADDRESSES_REQUIRED = "IST0134" "ServiceEntryAddressesRequired" Warning;
    CONFLICTING_GATEWAYS = "IST0145" "ConflictingGateways" Error;
    GATEWAY_PORT_NOT_DEFINED_ON_SERVICE = "IST0162" "GatewayPortNotDefinedOnService" Warning;
    DR_SUBSET_NOT_SELECT_PODS = "IST0173" "DestinationRuleSubsetNotSelectPods" Error;
    UNKNOWN_DR_HOST = "IST0174" "UnknownDestinationRuleHost" Warning;
}

/// The resource a message is about, as istioctl names it (`Origin.FriendlyName`):
/// `Kind namespace/name`, or `Kind name` for cluster-scoped kinds (Namespace).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceRef {
    /// Kind, e.g. `VirtualService`.
    pub kind: String,
    /// Namespace; empty for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ResourceRef {
    /// `Kind ns/name` (or `Kind name`).
    pub fn friendly(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }

    /// The namespace messages are filtered by (`Origin.Namespace`): a Namespace's own name.
    pub fn scope_namespace(&self) -> &str {
        if self.kind == "Namespace" {
            &self.name
        } else {
            &self.namespace
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its type.
    pub ty: MsgType,
    /// The resource it is reported on.
    pub resource: ResourceRef,
    /// The rendered template.
    pub text: String,
}

/// The documentation page of a code, as istioctl links it (`url.ConfigAnalysis`), with
/// `?ref=istioctl-analyze`. `latest` stands for the docs version (istioctl uses its own
/// minor version; this plugin is not an istioctl release).
pub fn documentation_url(code: &str) -> String {
    format!(
        "https://istio.io/latest/docs/reference/config/analysis/{}/?ref=istioctl-analyze",
        code.to_ascii_lowercase()
    )
}

impl Message {
    /// istioctl's log line: `Error [IST0101] (VirtualService ns/name) Referenced ...`.
    pub fn log_line(&self) -> String {
        format!(
            "{} [{}] ({}) {}",
            self.ty.level.as_str(),
            self.ty.code,
            self.resource.friendly(),
            self.text
        )
    }

    /// istioctl's `-o json|yaml` object (`diag.Message.Unstructured`): `code`,
    /// `documentationUrl`, `level`, `message`, `origin` (keys sorted, as Go marshals maps).
    pub fn istioctl_object(&self) -> Value {
        json!({
            "code": self.ty.code,
            "documentationUrl": documentation_url(self.ty.code),
            "level": self.ty.level.as_str(),
            "message": self.text,
            "origin": self.resource.friendly(),
        })
    }

    /// The structured form this tool returns: `{code, level, name, resource, message,
    /// documentation_url}` plus the resource's parts.
    pub fn structured(&self) -> Value {
        json!({
            "code": self.ty.code,
            "level": self.ty.level.as_str(),
            "name": self.ty.name,
            "resource": self.resource.friendly(),
            "kind": self.resource.kind,
            "namespace": self.resource.namespace,
            "object": self.resource.name,
            "message": self.text,
            "documentation_url": documentation_url(self.ty.code),
        })
    }
}

/// Go's `%q` for a string: double quotes, with `"` and `\` escaped and control characters
/// as escapes (the analyzers quote names and hosts, which are printable).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%v` of a `[]string` or `[]int`: `[a b c]`.
pub fn go_list<T: std::fmt::Display>(items: &[T]) -> String {
    let parts: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    format!("[{}]", parts.join(" "))
}

/// Renders messages as `istioctl analyze -o json` does (`json.MarshalIndent(ms, "", "\t")`).
pub fn to_json(ms: &[Message]) -> String {
    let list: Vec<Value> = ms.iter().map(Message::istioctl_object).collect();
    kap_sdk::printing::json_indented(&Value::Array(list), b"\t")
}

/// Renders messages as `istioctl analyze -o yaml` does.
pub fn to_yaml(ms: &[Message]) -> String {
    let list: Vec<Value> = ms.iter().map(Message::istioctl_object).collect();
    if list.is_empty() {
        return "[]\n".into();
    }
    kap_sdk::printing::to_yaml(&Value::Array(list))
}

/// `{code: count}` for a summary.
pub fn counts(ms: &[Message]) -> Map<String, Value> {
    let mut m = Map::new();
    for msg in ms {
        let n = m.get(msg.ty.code).and_then(Value::as_u64).unwrap_or(0);
        m.insert(msg.ty.code.to_string(), json!(n + 1));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> Message {
        Message {
            ty: REFERENCED_RESOURCE_NOT_FOUND,
            resource: ResourceRef {
                kind: "VirtualService".into(),
                namespace: "ns".into(),
                name: "vs".into(),
            },
            text: format!("Referenced {} not found: {}", "gateway", go_quote("gw")),
        }
    }

    #[test]
    fn log_line_is_istioctl_s() {
        assert_eq!(
            msg().log_line(),
            "Error [IST0101] (VirtualService ns/vs) Referenced gateway not found: \"gw\""
        );
    }

    #[test]
    fn json_is_tab_indented_with_sorted_keys() {
        let j = to_json(&[msg()]);
        assert!(j.starts_with("[\n\t{\n\t\t\"code\": \"IST0101\",\n\t\t\"documentationUrl\""));
        assert!(j.contains("\"origin\": \"VirtualService ns/vs\""));
    }

    #[test]
    fn go_formatting() {
        assert_eq!(go_list(&[80, 443]), "[80 443]");
        assert_eq!(go_list(&["a", "b"]), "[a b]");
        assert_eq!(go_quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(Level::parse("WARNING"), Some(Level::Warning));
        assert!(Level::Error > Level::Warning && Level::Warning > Level::Info);
    }
}
