//! Kinds the project does not define: built-in (core) kinds and external kinds from a CRD file.

use std::fs;

use predicates::prelude::*;

use crate::common::{cargo_operator, certificate_crd};
use crate::{create_foo, fails_cleanly, init, project_dir, words};

#[test]
fn a_core_kind_has_no_resource_to_create() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    fails_cleanly(
        &dir,
        &words("create api --group apps --version v1 --kind Deploymint --resource=false"),
        "`apps/v1, Kind=Deploymint` is not a built-in kind cargo-operator knows; it knows DaemonSet (v1), Deployment (v1), ReplicaSet (v1), StatefulSet (v1) in `apps`. For a custom resource of another project, pass `--external-api-crd <its CRD file>`",
    );
    cargo_operator(&dir)
        .args(words(
            "create api --group apps --version v1 --kind Deployment --resource=false --controller",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created src/controllers/deployment.rs",
        ))
        .stdout(predicate::str::contains(
            "created tests/integration/deployment_controller.rs",
        ));
    fails_cleanly(
        &dir,
        &words("create api --group apps --version v1 --kind Deployment --resource=false"),
        "a controller for `apps/v1, Kind=Deployment` already exists; pass `--force` to regenerate it, or name a second one with `--controller-name`",
    );
    // Without `--resource`, the built-in kind is meant, and the command says so.
    cargo_operator(&dir)
        .args(words("create api --group batch --version v1 --kind CronJob"))
        .assert()
        .success()
        .stderr("note: `batch/v1, Kind=CronJob` is built into Kubernetes, so this adds a controller for it and no new type; for a type of your own in `batch.my.domain`, pass `--resource`\n")
        .stdout(predicate::str::contains("created src/controllers/cron_job.rs"));
}

#[test]
fn a_built_in_kind_with_resource_is_a_type_of_the_project() {
    // Kubebuilder's book: its own CronJob in `batch.tutorial.kubebuilder.io`.
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args(words("init --domain tutorial.kubebuilder.io"))
        .assert()
        .success();
    cargo_operator(&dir)
        .args(words(
            "create api --group batch --version v1 --kind CronJob --resource --controller",
        ))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "plural `cronjobs` is also the built-in resource `cronjobs`",
        ))
        .stdout(predicate::str::contains("created src/api/v1/cron_job.rs"))
        .stdout(predicate::str::contains(
            "created src/controllers/cron_job.rs",
        ));
    let project = std::fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("kind = \"CronJob\""), "{project}");
    assert!(!project.contains("source = \"core\""), "{project}");
}

#[test]
fn a_namespaced_project_refuses_cluster_scoped_core_kinds() {
    let (_tmp, dir) = project_dir();
    cargo_operator(&dir)
        .args(words("init --domain my.domain --namespaced"))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &words("create api --group core --version v1 --kind Namespace --resource=false"),
        "this project's manager watches one namespace, so it cannot control the cluster-scoped kind `Namespace`",
    );
}

#[test]
fn external_kinds_come_from_a_crd_file() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    fs::write(
        dir.join("deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n",
    )
    .unwrap();
    let crd = certificate_crd();
    let cases: &[(&[&str], String)] = &[
        (
            &["--kind", "Certificate", "--external-api-crd", "deployment.yaml"],
            "`deployment.yaml` is an apps/v1 Deployment, not a CustomResourceDefinition; give the CRD's YAML file, e.g. from the project's release manifests".into(),
        ),
        (
            &["--kind", "Certificat", "--external-api-crd", &crd],
            format!("`{crd}` defines kind `Certificate`, not `Certificat`; pass `--kind Certificate`"),
        ),
        (
            &["--kind", "Certificate", "--version", "v9", "--external-api-crd", &crd],
            format!("`{crd}` serves versions v1, not `v9`; pass one of them to `--version`"),
        ),
        (
            &["--kind", "Certificate", "--resource=true", "--external-api-crd", &crd],
            "`--resource=true` creates a type this project owns, but `--external-api-crd` is for a kind another project owns; drop `--resource`".into(),
        ),
        (
            &["--kind", "Certificate", "--external-api-path", "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"],
            "`--external-api-path github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1` names a Go package; cargo-operator generates Rust types from the CRD itself, so pass `--external-api-crd <the CRD's YAML file>`".into(),
        ),
    ];
    for (extra, message) in cases {
        let args = [&["create", "api"][..], extra].concat();
        fails_cleanly(&dir, &args, message);
    }
    cargo_operator(&dir)
        .args([
            "create",
            "api",
            "--kind",
            "Certificate",
            "--external-api-crd",
            &crd,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created config/crd/external/certificates.cert-manager.io.yaml",
        ))
        .stdout(predicate::str::contains(
            "created src/api/external/cert_manager_io/v1/certificate.rs",
        ));
    // The registries it rendered read as unedited to the next command.
    create_foo(&dir);
    cargo_operator(&dir)
        .args(words("delete api --group tutorial --version v1 --kind Foo"))
        .assert()
        .success();
    let copied =
        fs::read_to_string(dir.join("config/crd/external/certificates.cert-manager.io.yaml"))
            .unwrap();
    assert_eq!(copied, fs::read_to_string(&crd).unwrap());
    cargo_operator(&dir)
        .args(words(
            "delete api --group cert-manager.io --version v1 --kind Certificate",
        ))
        .assert()
        .success();
    assert!(!dir.join("config/crd/external").exists());
    assert!(!dir.join("src/api/external").exists());
}
