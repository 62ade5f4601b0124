//! Values checked as the API server and the runtime will check them, and `PROJECT.toml` checked
//! as a whole: each refusal is one line, naming `PROJECT.toml`'s line when a hand edit is at
//! fault, and leaves the tree as it was.

use std::fs;

use super::*;

fn webhook(dir: &Path, flags: &str) -> assert_cmd::assert::Assert {
    cargo_operator(dir)
        .args(words(&format!(
            "create webhook --group tutorial --version v1 {flags}"
        )))
        .assert()
}

fn create_bar(dir: &Path) {
    cargo_operator(dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Bar --skeleton",
        ))
        .assert()
        .success();
}

#[test]
fn webhook_paths_are_checked_as_the_api_server_and_the_runtime_check_them() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    create_bar(&dir);
    let hook = "create webhook --group tutorial --version v1";
    for (flags, message) in [
        (
            "--kind Foo --defaulting --defaulting-path /convert",
            "webhook path `/convert` is where the manager serves conversions; pick another, such as `/mutate-team-label`",
        ),
        (
            "--kind Foo --defaulting --defaulting-path /mutate_foo",
            "webhook path `/mutate_foo`: its part `mutate_foo` may hold only lower-case letters, digits, `-` and `.`, as the API server requires of a webhook's path; such as `/mutate-team-label`",
        ),
        (
            "--kind Foo --programmatic-validation --validation-path /hooks//foo",
            "webhook path `/hooks//foo`: its part 2 is empty (`//` or a trailing `/`), as the API server requires of a webhook's path; such as `/mutate-team-label`",
        ),
        (
            "--kind Foo --defaulting --programmatic-validation --defaulting-path /x --validation-path /x",
            "the defaulting webhook of `tutorial/v1, Kind=Foo` and the validating webhook of `tutorial/v1, Kind=Foo` are both at path `/x`, and the webhook server serves one webhook per path; give one of them another path",
        ),
    ] {
        fails_cleanly(&dir, &words(&format!("{hook} {flags}")), message);
    }
    // Another kind's default path is taken.
    webhook(&dir, "--kind Foo --defaulting").success();
    fails_cleanly(
        &dir,
        &words(&format!(
            "{hook} --kind Bar --programmatic-validation --validation-path /mutate-tutorial-my-domain-v1-foo"
        )),
        "the defaulting webhook of `tutorial/v1, Kind=Foo` and the validating webhook of `tutorial/v1, Kind=Bar` are both at path `/mutate-tutorial-my-domain-v1-foo`, and the webhook server serves one webhook per path; give one of them another path",
    );
}

#[test]
fn webhook_names_the_api_server_would_refuse_are_refused_here() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    let kind = format!("K{}", "a".repeat(59));
    cargo_operator(&dir)
        .args(words(&format!(
            "create api --group tutorial --version v1 --kind {kind} --skeleton"
        )))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words(&format!(
            "create webhook --group tutorial --version v1 --kind {kind} --programmatic-validation"
        )),
        &format!(
            "the validating webhook of `tutorial/v1, Kind={kind}` would be named `v{}-v1.kb.io`, longer than the API server allows (63 characters before the first `.`, 253 in all); pick a shorter kind",
            kind.to_lowercase()
        ),
    );
}

/// `PROJECT.toml` with `edit` applied, then a command that must refuse it with `message` and
/// leave every file as it was. Line numbers in `message` count from a file where Foo's entry
/// starts at line 11 and Bar's at line 33; the project-wide hashes before them shift them all.
fn hand_edit_is_refused(edit: impl Fn(&str) -> String, message: &str) {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    create_bar(&dir);
    webhook(&dir, "--kind Foo --defaulting").success();
    let path = dir.join("PROJECT.toml");
    let text = fs::read_to_string(&path).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit changed nothing");
    fs::write(&path, edited).unwrap();
    let foo_line = text
        .lines()
        .position(|line| line == "[[resources]]")
        .unwrap()
        + 1;
    let message = match message.strip_prefix("line ") {
        Some(rest) => {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap();
            let line: usize = rest[..digits].parse().unwrap();
            format!("line {}{}", line + foo_line - 11, &rest[digits..])
        }
        None => message.to_string(),
    };
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v1 --kind Baz --skeleton"),
        &format!("`PROJECT.toml` {message}; fix it there, or undo your edit"),
    );
}

/// The text of the `n`-th (0-based) `[[resources]]` entry, up to the next one.
fn entry(text: &str, n: usize) -> String {
    let starts: Vec<usize> = text
        .match_indices("[[resources]]")
        .map(|(at, _)| at)
        .collect();
    let end = starts.get(n + 1).copied().unwrap_or(text.len());
    text[starts[n]..end].to_string()
}

#[test]
fn a_project_file_edited_by_hand_is_checked_as_a_whole() {
    // An API listed twice, the copy at the end.
    hand_edit_is_refused(
        |text| format!("{text}\n{}", entry(text, 0)),
        "line 50: API `tutorial/v1, Kind=Foo` is listed twice (entry 1 and entry 3); keep one of the two",
    );
    // A webhook path the API server would refuse.
    hand_edit_is_refused(
        |text| {
            text.replacen(
                "defaulting = true",
                "defaulting = true\ndefaulting-path = \"/Mutate\"",
                1,
            )
        },
        "line 32, column 19: webhook path `/Mutate`: its part `Mutate` may hold only lower-case letters, digits, `-` and `.`, as the API server requires of a webhook's path; such as `/mutate-team-label`",
    );
    // Two webhooks at one path, one of them Bar's by a hand-written path.
    hand_edit_is_refused(
        |text| {
            format!(
                "{text}\n[resources.webhooks]\nvalidation = true\nvalidation-path = \"/mutate-tutorial-my-domain-v1-foo\"\n"
            )
        },
        "line 33: the defaulting webhook of `tutorial/v1, Kind=Foo` and the validating webhook of `tutorial/v1, Kind=Bar` are both at path `/mutate-tutorial-my-domain-v1-foo`, and the webhook server serves one webhook per path; give one of them another path",
    );
    // A conversion through a version the project does not have.
    hand_edit_is_refused(
        |text| {
            text.replacen(
                "defaulting = true",
                "defaulting = true\nconversion = true\nspoke = [\"v2\"]",
                1,
            )
        },
        "line 11: `tutorial/v1, Kind=Foo` converts to version `v2`, which the project does not have; add that version with `create api` or remove it from `spoke`",
    );
    // Two kinds of one plural, and a controller name taken twice.
    hand_edit_is_refused(
        |text| text.replace("plural = \"bars\"", "plural = \"foos\""),
        "line 33: kinds `Foo` and `Bar` of group `tutorial` both have plural `foos`, and a group's plurals name its resources; give one another plural",
    );
    hand_edit_is_refused(
        |text| {
            text.replace(
                "kind = \"Bar\"",
                "kind = \"Bar\"\nown-controller-name = \"foo\"",
            )
        },
        "line 33: two controllers are named `foo` (of `tutorial/v1, Kind=Foo` and of `tutorial/v1, Kind=Bar`), and the manager runs one per name; rename one",
    );
}
