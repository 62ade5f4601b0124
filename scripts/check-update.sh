#!/usr/bin/env bash
# `cargo operator update` for real: a project made by the cargo-operator of an older commit
# (built here), edited as a user would, brought to this checkout's version.
#
# Usage: scripts/check-update.sh <the workspace's target folder>
# The old CLI is built in a git worktree with that target folder, so only the workspace's own
# crates compile again; it is copied to <target>/old-cli/, and the current CLI is built after it.
# The project builds and tests in $CARGO_TARGET_DIR (default: the tutorial example's target).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cli_target=${1:?usage: scripts/check-update.sh <the workspace target folder>}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/examples/tutorial/target}"
# The last released state; its README and Makefile differ from this checkout's.
old_commit=6d3abf0

work=$(mktemp -d)
cleanup() {
  git -C "$root" worktree remove --force "$work/old-source" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "error: $*" >&2; exit 1; }

git worktree add --quiet --detach "$work/old-source" "$old_commit"
(cd "$work/old-source" && CARGO_TARGET_DIR="$cli_target" cargo build --locked --quiet --bin cargo-operator)
mkdir -p "$cli_target/old-cli"
cp "$cli_target/debug/cargo-operator" "$cli_target/old-cli/cargo-operator"
old="$cli_target/old-cli/cargo-operator"
CARGO_TARGET_DIR="$cli_target" cargo build --locked --quiet --bin cargo-operator
new="$cli_target/debug/cargo-operator"
[ "$("$old" operator version | cut -d' ' -f2)" != "$("$new" operator version | cut -d' ' -f2)" ] ||
  fail "the old commit's cargo-operator has this checkout's version; bump the version"

# Each command in folder $1/demo, with the binary $2.
make_project() {
  mkdir -p "$1/demo"
  (
    cd "$1/demo"
    "$2" operator init --domain my.domain >/dev/null
    "$2" operator create api --group tutorial --version v1 --kind Foo --resource --controller >/dev/null
    "$2" operator create webhook --group tutorial --version v1 --kind Foo --defaulting --programmatic-validation >/dev/null
  )
}
make_project "$work/project" "$old"
make_project "$work/fresh" "$new"
project="$work/project/demo"
fresh="$work/fresh/demo"
diff -q "$project/README.md" "$fresh/README.md" >/dev/null && fail "README.md is the same in both versions: pick another file to merge"
diff -q "$project/Makefile" "$fresh/Makefile" >/dev/null && fail "the Makefile is the same in both versions: pick another file to conflict"

# The user's edits: one file the new version does not change (kept), one it changes in other
# lines (merged), one it changes in the same lines (a conflict), and a test in a file the new
# version moved (kept where it is, with a warning).
echo '# Built by our own CI too.' >>"$project/Dockerfile"
own_test() {
  printf '\n#[test]\nfn the_tests_work_in_the_default_namespace() {\n    assert_eq!(%s::NAMESPACE, "default");\n}\n' "$1"
}
[ -f "$project/tests/foo_controller.rs" ] || fail "the old version has no tests/foo_controller.rs: pick another moved file"
own_test support >>"$project/tests/foo_controller.rs"
sed -i '1s/.*/# demo: the operator of our demo/' "$project/README.md"
sed -i '1s/.*/# Our own targets for the demo operator./' "$project/Makefile"
cp -r "$project" "$work/edited"
unchanged() { diff -r "$work/edited" "$project" >/dev/null || fail "$1 changed the project"; }

status=0
(cd "$project" && "$new" operator update --from-binary "$old" --dry-run >"$work/dry-run.diff" 2>"$work/dry-run.err") || status=$?
unchanged "update --dry-run"
[ "$status" -ne 0 ] || fail "update --dry-run with a conflict exited 0"
grep -q '^+++ b/README.md$' "$work/dry-run.diff" || fail "update --dry-run shows no diff of README.md"
grep -q '^conflict: `Makefile`' "$work/dry-run.err" || fail "update --dry-run did not report the Makefile's conflict"

status=0
(cd "$project" && "$new" operator update --from-binary "$old" >"$work/update.out" 2>"$work/update.err") || status=$?
unchanged "update with a conflict"
[ "$status" -ne 0 ] || fail "update with a conflict exited 0"
grep -q '^conflict: `Makefile`' "$work/update.err" || fail "update did not report the Makefile's conflict"
grep -q 'nothing was written' "$work/update.err" || fail "update with a conflict did not say that nothing was written"

# Resolved as the message says: the new version's lines, and the user's own beside them.
header=$(awk 'NF == 0 { print NR - 1; exit }' "$fresh/Makefile")
{ sed -n "1,${header}p" "$fresh/Makefile"; echo '# Our own targets for the demo operator.'; sed -n '2,$p' "$work/edited/Makefile"; } >"$project/Makefile"
(cd "$project" && "$new" operator update --from-binary "$old" 2>"$work/update.err") | tee "$work/update.out"
grep -q '^warning: kept `tests/foo_controller.rs`: you edited them, and cargo-operator .* no longer writes them' "$work/update.err" ||
  fail "update did not warn about the edited test file it moved: $(cat "$work/update.err")"
# Moved as the warning says.
[ -f "$project/tests/integration/foo_controller.rs" ] || fail "the moved test file was not created"
own_test crate::support >>"$project/tests/integration/foo_controller.rs"
rm "$project/tests/foo_controller.rs"
grep -q '^ *kept Dockerfile$' "$work/update.out" || fail "the edited Dockerfile was not kept"
grep -q '^ *merged README.md$' "$work/update.out" || fail "README.md was not merged"
# The resolved header stays; the new version's changes below it are merged in.
grep -q '^ *merged Makefile$' "$work/update.out" || fail "the resolved Makefile was not merged"
grep -q '^ *updated vendor/kube-operator-runtime/' "$work/update.out" || fail "the vendored runtime was not replaced"

# Untouched files are the new version's; edited ones hold both.
diff -r --exclude=PROJECT.toml --exclude=Dockerfile --exclude=README.md --exclude=Makefile --exclude=foo_controller.rs "$fresh" "$project" ||
  fail "after update, the files nobody edited are not the new version's"
{ sed -n "1,${header}p" "$fresh/Makefile"; echo '# Our own targets for the demo operator.'; sed -n "$((header + 1)),\$p" "$fresh/Makefile"; } >"$work/expected-Makefile"
cmp -s "$project/Makefile" "$work/expected-Makefile" ||
  fail "the Makefile is not the new version's with the user's line: $(diff "$work/expected-Makefile" "$project/Makefile")"
[ "$(tail -n 1 "$project/Dockerfile")" = '# Built by our own CI too.' ] || fail "the Dockerfile lost its edit"
[ "$(head -n 1 "$project/README.md")" = '# demo: the operator of our demo' ] || fail "README.md lost its edit"
grep -q '^## Upgrading$' "$project/README.md" || fail "README.md lacks the new version's section"
if grep -rl '<<<<<<<' "$project"; then fail "conflict markers in the project"; fi
grep -q "^cli-version = \"$("$new" operator version | cut -d' ' -f2)\"$" "$project/PROJECT.toml" ||
  fail "PROJECT.toml does not name the new version"
(cd "$project" && "$new" operator update) | grep -q '^nothing to update' || fail "a second update found something to do"

# The updated project builds, is lint-free and passes its tests on a real API server.
cp examples/tutorial/Cargo.lock "$project/"
(
  cd "$project"
  cargo fmt --check
  cargo clippy --quiet --all-targets -- -D warnings
  cargo test --quiet
)
