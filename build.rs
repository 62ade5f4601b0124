// The templates are embedded with include_dir, which cargo does not know to watch: rebuild when
// any file under templates/ is added, removed or edited.
fn main() {
    println!("cargo:rerun-if-changed=templates");
}
