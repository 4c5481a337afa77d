//! Host bindings generated from `wit/plugin.wit` (world `plugin`). Imports and exports are
//! async so capability calls can await the Kubernetes API without blocking the runtime.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    imports: { default: async },
    exports: { default: async },
});

pub use exports::kube_ai_proxy::plugin::tools;
pub use kube_ai_proxy::plugin::{kube, log, types};
