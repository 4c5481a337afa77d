//! Why a tool call could not run ([`CallError`]), shared by the tools ([`crate::tool`]) and
//! the planner ([`crate::plan`]). A leaf module.

/// Why a call could not run (mapped to the WIT `tool-error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The arguments or the command line are not valid; the message says why.
    InvalidArguments(String),
    /// No tool of this plugin has that name.
    UnknownTool(String),
}

impl From<kap_sdk::ToolError> for CallError {
    fn from(e: kap_sdk::ToolError) -> Self {
        match e {
            kap_sdk::ToolError::UnknownTool(m) => CallError::UnknownTool(m),
            kap_sdk::ToolError::InvalidArguments(m) | kap_sdk::ToolError::Failed(m) => {
                CallError::InvalidArguments(m)
            }
        }
    }
}

impl From<CallError> for kap_sdk::ToolError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::InvalidArguments(m) => kap_sdk::ToolError::InvalidArguments(m),
            CallError::UnknownTool(m) => kap_sdk::ToolError::UnknownTool(m),
        }
    }
}
