// The templates are embedded with include_dir, which cargo does not know to watch: rebuild when
// any file under templates/ is added, removed or edited.
//
// Built from a source checkout, the runtime crates that generated projects depend on sit beside
// this one, and are embedded too (see src/vendor.rs): `vendored_runtime` says so. A published
// cargo-operator has no copy, since its generated projects take them from crates.io.
use std::path::Path;

const RUNTIME_CRATES: [&str; 2] = ["kube-operator-runtime", "kube-envtest"];

fn main() {
    println!("cargo::rerun-if-changed=templates");
    println!("cargo::rustc-check-cfg=cfg(vendored_runtime)");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if RUNTIME_CRATES
        .iter()
        .all(|name| root.join(name).join("Cargo.toml").is_file())
    {
        println!("cargo::rustc-cfg=vendored_runtime");
        for name in RUNTIME_CRATES {
            println!("cargo::rerun-if-changed={name}/Cargo.toml");
            println!("cargo::rerun-if-changed={name}/README.md");
            println!("cargo::rerun-if-changed={name}/src");
        }
    }
}
