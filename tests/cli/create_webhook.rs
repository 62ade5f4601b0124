//! `create webhook`: defaulting, validation and conversion webhooks, and what they refuse.

use std::fs;
use std::path::Path;

use predicates::prelude::*;

use crate::common::{cargo_operator, issuer_crd, tree};
use crate::{create_foo, edit_helm, fails_cleanly, init, project_dir, words};

#[test]
fn create_webhook_brings_the_chart_along_and_keeps_the_users_edits() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    cargo_operator(&dir)
        .args(words("create api --group tutorial --version v1 --kind Bar"))
        .assert()
        .success();
    edit_helm(&dir);
    let values = dir.join("dist/chart/values.yaml");
    let my_values = "manager:\n  image:\n    repository: registry.example/tutorial\n";
    fs::write(&values, my_values).unwrap();
    let deployment = dir.join("dist/chart/templates/manager/manager.yaml");
    let pristine = fs::read_to_string(&deployment).unwrap();
    fs::write(&deployment, format!("{pristine}# my edits\n")).unwrap();
    let foo = "create webhook --group tutorial --version v1 --kind Foo --defaulting";

    // The first webhook changes the Deployment, which holds the user's edits.
    fails_cleanly(
        &dir,
        &words(foo),
        "`dist/chart/templates/manager/manager.yaml` was edited since cargo-operator wrote it, and this change needs a new version of it; pass `--force` to replace it (your edits to it are lost), or move it away and bring your edits back into the new one",
    );
    fs::write(&deployment, &pristine).unwrap();
    let note = "note: `dist/chart/values.yaml` is yours, so it was kept as it is: add `webhook: {enable: true}` and `certManager: {enable: true}` to it for the chart's webhook templates, which read them\n";
    cargo_operator(&dir)
        .args(words(foo))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created dist/chart/templates/webhook/service.yaml",
        ))
        .stdout(predicate::str::contains(
            "updated dist/chart/templates/manager/manager.yaml",
        ))
        .stdout(predicate::str::contains("kept dist/chart/values.yaml"))
        .stderr(note);
    assert_eq!(fs::read_to_string(&values).unwrap(), my_values);
    let served = fs::read_to_string(&deployment).unwrap();
    assert!(served.contains("--webhook-cert-path="), "{served}");

    // Later webhooks leave the Deployment alone, edited or not.
    fs::write(&deployment, format!("{served}# my edits\n")).unwrap();
    cargo_operator(&dir)
        .args(words(
            "create webhook --group tutorial --version v1 --kind Bar --programmatic-validation",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains("dist/chart/templates/manager").not())
        .stderr(note);
    assert!(
        fs::read_to_string(&deployment)
            .unwrap()
            .ends_with("# my edits\n")
    );

    // Once the two values are there, nothing more is asked.
    fs::write(
        &values,
        format!("{my_values}webhook:\n  enable: true\ncertManager:\n  enable: false\n"),
    )
    .unwrap();
    cargo_operator(&dir)
        .args(["edit", "--helm", "--force"])
        .assert()
        .success()
        .stderr("");
}

/// `create webhook` on the article's project, as a user types it.
pub(crate) fn create_webhook(dir: &Path, flags: &str) {
    let line = format!("create webhook --group tutorial --version v1 --kind Foo {flags}");
    cargo_operator(dir).args(words(&line)).assert().success();
}

#[test]
fn create_webhook_refuses_what_it_cannot_make_and_leaves_the_tree_alone() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let webhook = "create webhook --group tutorial --version v1";
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Bar --defaulting")),
        "no API `tutorial/v1, Kind=Bar` in this project; create it first with `cargo operator create api --group tutorial --version v1 --kind Bar` (it has tutorial/v1, Kind=Foo)",
    );
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo")),
        "say which webhook to create: `--defaulting`, `--programmatic-validation` or `--conversion --spoke <version>`",
    );
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --conversion --spoke v2")),
        "kind `Foo` has only version `v1`, so there is nothing to convert; add another with `cargo operator create api --group tutorial --version <version> --kind Foo --controller=false`",
    );
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --spoke v2 --defaulting")),
        "`--spoke` names the versions of a conversion; add `--conversion`",
    );
    fails_cleanly(
        &dir,
        &words(&format!(
            "{webhook} --kind Foo --defaulting --defaulting-path mutate"
        )),
        "webhook path `mutate` must start with `/`, such as `/mutate-team-label`",
    );

    let long = "A".repeat(60);
    cargo_operator(&dir)
        .args(words(&format!(
            "create api --group tutorial --version v1 --kind {long} --skeleton"
        )))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind {long} --defaulting")),
        &format!(
            "the defaulting webhook of `tutorial/v1, Kind={long}` would be named `m{}-v1.kb.io`, longer than the API server allows (63 characters before the first `.`, 253 in all); pick a shorter kind",
            long.to_ascii_lowercase()
        ),
    );

    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v2 --kind Foo --controller=false",
        ))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --conversion --spoke v3")),
        "kind `Foo` has no version `v3`; pass `v2` to `--spoke`, or create it with `cargo operator create api`",
    );

    create_webhook(&dir, "--defaulting");
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --defaulting")),
        "`tutorial/v1, Kind=Foo` already has a defaulting webhook; pass `--force` to regenerate its files (your edits to them are lost)",
    );
    // Adding validation rewrites the file holding the defaulter, unless it was edited.
    let defaulter = dir.join("src/webhooks/v1/foo.rs");
    let generated = fs::read_to_string(&defaulter).unwrap();
    fs::write(&defaulter, format!("{generated}// mine\n")).unwrap();
    fails_cleanly(
        &dir,
        &words(&format!("{webhook} --kind Foo --programmatic-validation")),
        "`src/webhooks/v1/foo.rs` already exists; move it away, or pass `--force` to regenerate it (your edits to it are lost)",
    );
    fs::write(&defaulter, generated).unwrap();
    create_webhook(&dir, "--programmatic-validation");
    assert!(
        fs::read_to_string(&defaulter)
            .unwrap()
            .contains("impl Validator for Foo")
    );
}

#[test]
fn create_webhook_records_the_webhooks_and_delete_api_takes_a_spoke_out_of_the_conversion() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v2 --kind Foo --controller=false",
        ))
        .assert()
        .success();
    create_webhook(&dir, "--defaulting --programmatic-validation");
    create_webhook(&dir, "--conversion --spoke v2");
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(
        project.contains(
            "[resources.webhooks]\ndefaulting = true\nvalidation = true\nconversion = true\nspoke = [\"v2\"]\n"
        ),
        "{project}"
    );
    let registry = fs::read_to_string(dir.join("src/webhooks/mod.rs")).unwrap();
    assert!(
        registry.contains(
            ".conversion(Conversion::hub::<crate::api::v1::Foo>().spoke::<crate::api::v2::Foo>())"
        ),
        "{registry}"
    );
    for file in [
        "src/webhooks/v1/foo.rs",
        "src/webhooks/v2/foo_conversion.rs",
        "tests/integration/foo_v1_webhook.rs",
        "tests/integration/foo_conversion.rs",
        "config/webhook/service.yaml",
        "config/certmanager/certificate.yaml",
        "config/default/manager_webhook_patch.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    let kustomization = fs::read_to_string(dir.join("config/default/kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains("- ../webhook\n- ../certmanager\n"),
        "{kustomization}"
    );
    assert!(
        kustomization.contains("name: foos.tutorial.my.domain}"),
        "{kustomization}"
    );

    // Running it again with --force regenerates the same files.
    let before = tree(&dir);
    create_webhook(&dir, "--defaulting --programmatic-validation --force");
    assert_eq!(tree(&dir), before);

    cargo_operator(&dir)
        .args(words("delete api --group tutorial --version v2 --kind Foo"))
        .assert()
        .success();
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(!project.contains("conversion"), "{project}");
    assert!(!project.contains("foo_conversion"), "{project}");
    assert!(!dir.join("src/webhooks/v2").exists());
    assert!(!dir.join("tests/integration/foo_conversion.rs").exists());
    assert!(dir.join("src/webhooks/v1/foo.rs").is_file());
}

#[test]
fn webhooks_for_kinds_the_project_does_not_own_are_refused_with_a_reason() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let issuer = issuer_crd();
    let cases: Vec<(String, String)> = vec![
        (
            "--group core --version v1 --kind Pod --conversion".into(),
            "`core/v1, Kind=Pod` is built into Kubernetes, which converts between its versions itself; `--conversion` is only for kinds this project owns".into(),
        ),
        (
            format!("--group cert-manager --version v1 --kind Issuer --conversion --external-api-crd {issuer} --external-api-domain=io"),
            "`cert-manager.io/v1, Kind=Issuer` is owned by another project, whose CRD names the webhook that converts its versions; `--conversion` is only for kinds this project owns".into(),
        ),
        (
            "--group core --version v1 --kind Node --defaulting".into(),
            "`core/v1, Kind=Node` is not a built-in kind cargo-operator knows; it knows ConfigMap (v1), Namespace (v1), PersistentVolumeClaim (v1), Pod (v1), Secret (v1), Service (v1), ServiceAccount (v1) in `core`. For a custom resource of another project, pass `--external-api-crd <its CRD file>`".into(),
        ),
        (
            "--group core --version v1 --kind Pod --plural=podz --defaulting".into(),
            "`core/v1, Kind=Pod` has plural `pods` as Kubernetes serves it, not `podz`; pass `--plural=pods` or leave it out".into(),
        ),
        (
            format!("--group cert-manager --version v1 --kind Issuer --defaulting --plural=issuer --external-api-crd {issuer} --external-api-domain=io"),
            "`cert-manager.io/v1, Kind=Issuer` has plural `issuers` as its CRD names it, not `issuer`; pass `--plural=issuers` or leave it out".into(),
        ),
        (
            "--group tutorial --version v1 --kind Foo --plural=fooz --defaulting".into(),
            "`tutorial/v1, Kind=Foo` has plural `foos` in `PROJECT.toml`, not `fooz`; pass `--plural=foos` or leave it out".into(),
        ),
        (
            "--group cert-manager --version v1 --kind Issuer --defaulting --external-api-domain=io".into(),
            "no kind `cert-manager.io/v1, Kind=Issuer` in this project; for a kind another project owns, pass its CRD with `--external-api-crd <file>`".into(),
        ),
        (
            format!("--group cert-manager --version v1 --kind Issuer --defaulting --external-api-crd {issuer} --external-api-domain=example.com"),
            format!("`{issuer}` is in group `cert-manager.io`, not `cert-manager.example.com`; pass `--group cert-manager.io` (or its first part with `--external-api-domain`), or leave it out"),
        ),
        (
            format!("--group cert-manager.io --version v2 --kind Issuer --defaulting --external-api-crd {issuer}"),
            format!("`{issuer}` serves versions v1, not `v2`; pass one of them to `--version`"),
        ),
        (
            "--group cert-manager --version v1 --kind Issuer --defaulting --external-api-path=github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1 --external-api-domain=io".into(),
            "`--external-api-path github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1` names a Go package; cargo-operator generates Rust types from the CRD itself, so pass `--external-api-crd <the CRD's YAML file>`".into(),
        ),
    ];
    for (flags, message) in cases {
        fails_cleanly(&dir, &words(&format!("create webhook {flags}")), &message);
    }
    fails_cleanly(
        &dir,
        &words(
            "create api --group cert-manager --version v1 --kind Issuer --external-api-domain=io",
        ),
        "`--external-api-domain=io` completes the group of a kind another project owns; pass that kind's CRD with `--external-api-crd <file>`",
    );

    // In the one-group layout every group's v1 webhooks share `src/webhooks/v1/`.
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Deployment --skeleton",
        ))
        .assert()
        .success();
    create_webhook(&dir, "--defaulting");
    cargo_operator(&dir)
        .args(words(
            "create webhook --group tutorial --version v1 --kind Deployment --defaulting",
        ))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words("create webhook --group apps --version v1 --kind Deployment --defaulting"),
        "the webhooks of `apps/v1, Kind=Deployment` would be written to `src/webhooks/v1/deployment.rs`, which holds those of `tutorial/v1, Kind=Deployment`; run `cargo operator edit --multigroup` first, so each group has a folder",
    );
}

#[test]
fn webhooks_for_built_in_and_external_kinds_add_the_kind_and_go_with_it() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let before = tree(&dir);
    cargo_operator(&dir)
        .args(words(
            "create webhook --group core --version v1 --kind Pod --defaulting",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains("created src/webhooks/v1/pod.rs"))
        .stdout(predicate::str::contains(
            "created tests/integration/pod_v1_webhook.rs",
        ));
    // Kubebuilder's second command on the same kind adds the validator to the same file.
    cargo_operator(&dir)
        .args(words(
            "create webhook --group core --version v1 --kind Pod --programmatic-validation --plural=pods --make=false",
        ))
        .assert()
        .success();
    let issuer = issuer_crd();
    cargo_operator(&dir)
        .args(words(&format!(
            "create webhook --group cert-manager --version v1 --kind Issuer --defaulting --external-api-crd {issuer} --external-api-domain=io"
        )))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created config/crd/external/issuers.cert-manager.io.yaml",
        ))
        .stdout(predicate::str::contains(
            "created src/api/external/cert_manager_io/v1/issuer.rs",
        ));
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    for entry in [
        "kind = \"Pod\"\nplural = \"pods\"\nnamespaced = true\ncontroller = false\nexample = \"skeleton\"\nsource = \"core\"\n",
        "kind = \"Issuer\"\nplural = \"issuers\"\nnamespaced = true\ncontroller = false\nexample = \"skeleton\"\nsource = \"external\"\n",
        "[resources.webhooks]\ndefaulting = true\nvalidation = true\n",
    ] {
        assert!(project.contains(entry), "{entry} not in {project}");
    }
    let registry = fs::read_to_string(dir.join("src/webhooks/mod.rs")).unwrap();
    for line in [
        ".custom_defaulting::<k8s_openapi::api::core::v1::Pod>(v1::pod::PodCustomDefaulter)",
        ".custom_validating::<k8s_openapi::api::core::v1::Pod>(v1::pod::PodCustomValidator)",
        "v1::issuer::IssuerCustomDefaulter",
    ] {
        assert!(registry.contains(line), "{line} not in {registry}");
    }
    let pod = fs::read_to_string(dir.join("src/webhooks/v1/pod.rs")).unwrap();
    assert!(
        pod.contains("impl CustomDefaulter<Pod> for PodCustomDefaulter")
            && pod.contains("impl CustomValidator<Pod> for PodCustomValidator"),
        "{pod}"
    );

    // A controller for the external kind joins its webhooks; the CRD is the one already there.
    cargo_operator(&dir)
        .args(words(&format!(
            "create api --group cert-manager --version v1 --kind Issuer --controller=true --resource=false --external-api-crd {issuer} --external-api-domain=io"
        )))
        .assert()
        .success()
        .stdout(predicate::str::contains("created src/controllers/issuer.rs"));

    for delete in [
        "delete api --group core --version v1 --kind Pod",
        "delete api --group cert-manager.io --version v1 --kind Issuer",
    ] {
        cargo_operator(&dir).args(words(delete)).assert().success();
    }
    // The last webhook takes the deploy config with it: the tree is the one from before.
    assert_eq!(tree(&dir), before);
}

#[test]
fn conversion_without_spoke_converts_every_other_version() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    for version in ["v2", "v3"] {
        cargo_operator(&dir)
            .args(words(&format!(
                "create api --group tutorial --version {version} --kind Foo --controller=false"
            )))
            .assert()
            .success();
    }
    cargo_operator(&dir)
        .args(words(
            "create webhook --group tutorial --version v1 --kind Foo --conversion --make=false",
        ))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: `--conversion` without `--spoke`: `v2` and `v3` convert through hub `v1`, as every other version of `Foo`; pass `--spoke` to choose",
        ))
        .stdout(predicate::str::contains("created src/webhooks/v2/foo_conversion.rs"))
        .stdout(predicate::str::contains("created src/webhooks/v3/foo_conversion.rs"));
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(
        project.contains("conversion = true\nspoke = [\"v2\", \"v3\"]\n"),
        "{project}"
    );
}
