//! Capabilities the host lends to plugins, one module each: its grant check and its host
//! import implementation (in the style of Spin's factors).

pub mod kube;
pub mod log;
