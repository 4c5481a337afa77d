//! The kubectl subcommands this plugin does not run: the ones it refuses by design, and the
//! ones that cannot be translated. (The ones it runs are the entries of
//! [`crate::registry`].) A leaf module: the dispatcher ([`crate::commands`]), the planner
//! ([`crate::plan`]) and the help ([`crate::help`]) all read it.

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

/// Subcommands that cannot be translated to the `kube` capability, with the reason.
pub const NOT_POSSIBLE: &[(&str, &str)] = &[];
