// Talc instead of the standard library's dlmalloc: about 1 KB smaller gzipped in the shipped wasm, and
// faster (README, "Shipped size"). The page is single-threaded (no atomics in this build).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

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
