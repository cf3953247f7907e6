#[cfg(target_arch = "wasm32")]
fn main() {
    tincan::run();
}

/// The app runs in a browser: build it with trunk (see README). On the host only the pure core
/// exists, tested with `cargo test`.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("Tin Can runs in the browser: see README.md for `trunk serve`.");
}
