//! The catalogue of kubectl subcommands this plugin knows: the ones it runs, the ones it
//! refuses by design, and the ones that cannot be translated. A leaf module: the dispatcher
//! ([`crate::commands`]), the planner ([`crate::plan`]) and the help ([`crate::help`]) all
//! read it.

/// Subcommands that are refused by design: they open interactive or streaming sessions,
/// copy files or edit in an editor, none of which a tool call can do safely.
pub const REFUSED: &[&str] = &[
    "exec",
    "port-forward",
    "cp",
    "attach",
    "proxy",
    "debug",
    "edit",
];

/// Subcommands this plugin runs.
pub const SUPPORTED: &[&str] = &[
    "get",
    "describe",
    "logs",
    "events",
    "scale",
    "delete",
    "apply",
    "rollout",
    "api-resources",
    "api-versions",
    "version",
    "auth",
    "config",
    "create",
    "patch",
    "label",
    "annotate",
    "set",
    "expose",
    "autoscale",
    "cordon",
    "uncordon",
    "drain",
    "cluster-info",
    "wait",
    "top",
    "explain",
];

/// Subcommands that cannot be translated to the `kube` capability, with the reason.
pub const NOT_POSSIBLE: &[(&str, &str)] = &[];
