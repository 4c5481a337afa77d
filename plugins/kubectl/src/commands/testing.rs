//! Test helpers: the SDK's fake host ([`kap_sdk::testing::FakeApi`], named `Fake` here) and a
//! runner for one command line.

pub use kap_sdk::testing::{FakeApi as Fake, NOW, denied, forbidden, not_found, ok_json, ok_text};

use kap_sdk::api::CmdResult;

/// Splits and runs one command line against the fake.
pub fn run_line(f: &mut Fake, line: &str) -> CmdResult {
    let words = kap_sdk::shell::tokenize(line).expect("tokenize");
    let ctx = f.ctx.clone();
    super::run(&words, &ctx, f)
}
