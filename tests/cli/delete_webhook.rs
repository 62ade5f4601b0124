//! `delete api` undoes `create webhook`: once the last webhook goes, the tree is the one of a
//! project that never had one, byte for byte.

use super::*;
use crate::create_webhook::create_webhook;

/// Runs one command line in `dir` and expects it to succeed.
fn runs(dir: &Path, line: &str) {
    cargo_operator(dir).args(words(line)).assert().success();
}

/// Asserts that `dir` is exactly the tree `expected` (contents and folders), naming every path
/// that differs, so a failure says what `delete api` left behind or took too much.
fn is_the_tree(dir: &Path, expected: &std::collections::BTreeMap<PathBuf, Option<Vec<u8>>>) {
    let actual = tree(dir);
    let differing: std::collections::BTreeSet<String> = expected
        .keys()
        .chain(actual.keys())
        .filter(|path| expected.get(*path) != actual.get(*path))
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        differing.is_empty(),
        "differs from the tree that never had it: {differing:?}"
    );
}

/// What `make manifests` writes from admission webhooks, here so `delete api` finds it too.
fn write_webhook_manifests(dir: &Path, chart: bool) {
    let mut files = vec!["config/webhook/manifests.yaml"];
    if chart {
        files.push("dist/chart/templates/webhook/webhooks.yaml");
    }
    for file in files {
        fs::create_dir_all(dir.join(file).parent().unwrap()).unwrap();
        fs::write(dir.join(file), "kind: MutatingWebhookConfiguration\n").unwrap();
    }
}

#[test]
fn deleting_the_last_kind_with_admission_webhooks_takes_their_deploy_config_too() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    // A kind without webhooks stays, so the project is not back to `init`'s.
    runs(&dir, "create api --group tutorial --version v1 --kind Bar");
    let never_had_foo = tree(&dir);
    create_foo(&dir);
    create_webhook(&dir, "--defaulting --programmatic-validation");
    write_webhook_manifests(&dir, false);
    for file in [
        "config/webhook/service.yaml",
        "config/certmanager/certificate.yaml",
        "config/default/manager_webhook_patch.yaml",
        "config/network-policy/allow-webhook-traffic.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    runs(&dir, "delete api --group tutorial --version v1 --kind Foo");
    is_the_tree(&dir, &never_had_foo);
}

#[test]
fn deleting_a_converted_kind_takes_its_conversion_and_the_config_no_webhook_needs() {
    // Through either hub, alone or beside another kind's admission webhook, which keeps the
    // deploy config (and loses nothing of it).
    for (hub, spoke) in [("v1", "v2"), ("v2", "v1")] {
        for admission_elsewhere in [false, true] {
            let (_tmp, dir) = project_dir();
            init(&dir);
            if admission_elsewhere {
                runs(&dir, "create api --group tutorial --version v1 --kind Bar");
                runs(
                    &dir,
                    "create webhook --group tutorial --version v1 --kind Bar --defaulting",
                );
                write_webhook_manifests(&dir, false);
            }
            let never_had_foo = tree(&dir);
            create_foo(&dir);
            let one_version = tree(&dir);
            runs(
                &dir,
                "create api --group tutorial --version v2 --kind Foo --controller=false",
            );
            runs(
                &dir,
                &format!(
                    "create webhook --group tutorial --version {hub} --kind Foo --conversion --spoke {spoke}"
                ),
            );
            let kustomization =
                fs::read_to_string(dir.join("config/default/kustomization.yaml")).unwrap();
            assert!(
                kustomization.contains("name: foos.tutorial.my.domain}"),
                "{kustomization}"
            );
            // The spoke (or, through `v2`, the hub) goes, and with it the conversion.
            runs(&dir, "delete api --group tutorial --version v2 --kind Foo");
            is_the_tree(&dir, &one_version);
            runs(&dir, "delete api --group tutorial --version v1 --kind Foo");
            is_the_tree(&dir, &never_had_foo);
        }
    }
}

#[test]
fn the_last_admission_webhook_takes_its_lines_and_manifests_while_a_conversion_keeps_the_rest() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    runs(
        &dir,
        "create api --group tutorial --version v2 --kind Foo --controller=false",
    );
    create_webhook(&dir, "--conversion --spoke v2");
    let never_had_bar = tree(&dir);
    runs(&dir, "create api --group tutorial --version v1 --kind Bar");
    runs(
        &dir,
        "create webhook --group tutorial --version v1 --kind Bar --programmatic-validation",
    );
    write_webhook_manifests(&dir, false);
    let webhook_kustomization =
        fs::read_to_string(dir.join("config/webhook/kustomization.yaml")).unwrap();
    assert!(
        webhook_kustomization.contains("- manifests.yaml\n"),
        "{webhook_kustomization}"
    );
    runs(&dir, "delete api --group tutorial --version v1 --kind Bar");
    is_the_tree(&dir, &never_had_bar);
}

#[test]
fn deleting_a_built_in_kind_with_webhooks_takes_their_deploy_config_too() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let never_had_pod = tree(&dir);
    runs(
        &dir,
        "create webhook --group core --version v1 --kind Pod --defaulting --programmatic-validation",
    );
    write_webhook_manifests(&dir, false);
    runs(&dir, "delete api --group core --version v1 --kind Pod");
    is_the_tree(&dir, &never_had_pod);
}

#[test]
fn deleting_the_last_kind_with_webhooks_takes_the_charts_webhook_templates_too() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    edit_helm(&dir);
    let never_had_foo = tree(&dir);
    create_foo(&dir);
    runs(
        &dir,
        "create api --group tutorial --version v2 --kind Foo --controller=false",
    );
    create_webhook(&dir, "--defaulting --programmatic-validation");
    create_webhook(&dir, "--conversion --spoke v2");
    write_webhook_manifests(&dir, true);
    let chart_templates = [
        "dist/chart/templates/webhook/service.yaml",
        "dist/chart/templates/certmanager/certificate.yaml",
        "dist/chart/templates/certmanager/issuer.yaml",
        "dist/chart/templates/network-policy/allow-webhook-traffic.yaml",
    ];
    runs(&dir, "delete api --group tutorial --version v2 --kind Foo");
    // `v1` keeps its admission webhooks, and the chart its templates for them.
    for file in chart_templates.iter().chain(&[
        "dist/chart/templates/webhook/webhooks.yaml",
        "config/webhook/manifests.yaml",
    ]) {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    runs(&dir, "delete api --group tutorial --version v1 --kind Foo");
    is_the_tree(&dir, &never_had_foo);
}

#[test]
fn an_edited_webhook_deploy_file_is_deleted_only_with_force() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    edit_helm(&dir);
    let never_had_foo = tree(&dir);
    create_foo(&dir);
    create_webhook(&dir, "--defaulting");
    let certificate = dir.join("config/certmanager/certificate.yaml");
    let mut edited = fs::read_to_string(&certificate).unwrap();
    edited.push_str("  duration: 2160h\n");
    fs::write(&certificate, edited).unwrap();
    let delete = "delete api --group tutorial --version v1 --kind Foo";
    fails_cleanly(
        &dir,
        &words(delete),
        "`config/certmanager/certificate.yaml` changed since cargo-operator generated it; move your changes elsewhere, or pass `--force` to delete it anyway",
    );
    // The chart's copy counts the same way.
    fs::write(
        dir.join("dist/chart/templates/certmanager/issuer.yaml"),
        "# mine\n",
    )
    .unwrap();
    fails_cleanly(
        &dir,
        &words(delete),
        "`config/certmanager/certificate.yaml` (and 1 more) changed since cargo-operator generated it; move your changes elsewhere, or pass `--force` to delete it anyway",
    );
    runs(&dir, &format!("{delete} --force"));
    is_the_tree(&dir, &never_had_foo);
}
