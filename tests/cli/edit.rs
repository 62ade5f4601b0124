//! `edit` and the plugins: helm, grafana, multigroup, namespaced.

use std::fs;
use std::path::Path;

use predicates::prelude::*;

use crate::common::{cargo_operator, tree};
use crate::{create_foo, edit_helm, fails_cleanly, init, project_dir, succeeds_unchanged, words};

#[test]
fn edit_needs_a_project_and_something_to_change() {
    let tmp = tempfile::tempdir().unwrap();
    fails_cleanly(
        tmp.path(),
        &["edit", "--helm"],
        &format!(
            "no `PROJECT.toml` in `{}`; run this inside a project made by `cargo operator init`",
            tmp.path().display()
        ),
    );
    let (_tmp, dir) = project_dir();
    init(&dir);
    fails_cleanly(
        &dir,
        &["edit"],
        "nothing to change; pass `--helm` to add a Helm chart in `dist/chart`, `--multigroup` to lay the APIs out by group, `--namespaced[=false]` to change the manager's scope, `--plugins=grafana.kubebuilder.io/v1-alpha` to add Grafana dashboards, or `--plugins=autoupdate.kubebuilder.io/v1-alpha` to add a workflow that proposes `cargo operator update` every week",
    );
    // Kubebuilder's layout plugin alone changes nothing either.
    cargo_operator(&dir)
        .args(["edit", "--plugins=go/v4"])
        .assert()
        .code(1)
        .stderr(predicate::str::ends_with(
            "error: nothing to change; pass `--helm` to add a Helm chart in `dist/chart`, `--multigroup` to lay the APIs out by group, `--namespaced[=false]` to change the manager's scope, `--plugins=grafana.kubebuilder.io/v1-alpha` to add Grafana dashboards, or `--plugins=autoupdate.kubebuilder.io/v1-alpha` to add a workflow that proposes `cargo operator update` every week\n",
        ));
}

#[test]
fn plugins_are_refused_where_kubebuilder_has_nothing_for_them() {
    let (_tmp, dir) = project_dir();
    fails_cleanly(
        &dir,
        &words("init --domain my.domain --plugins=go/v4,helm/v1-alpha"),
        "`--plugins`: Kubebuilder's `helm/v1-alpha` does nothing on `init`; it accepts `go/v4` (`go.kubebuilder.io/v4`), `base/v4` (`base.go.kubebuilder.io/v4`), `kustomize/v2` (`kustomize.common.kubebuilder.io/v2`), `grafana/v1-alpha` (`grafana.kubebuilder.io/v1-alpha`)",
    );
    init(&dir);
    create_foo(&dir);
    fails_cleanly(
        &dir,
        &words("edit --plugins=go/v3"),
        "`--plugins`: `go/v3` is not a Kubebuilder plugin cargo-operator knows; `edit` accepts `go/v4` (`go.kubebuilder.io/v4`), `base/v4` (`base.go.kubebuilder.io/v4`), `kustomize/v2` (`kustomize.common.kubebuilder.io/v2`), `grafana/v1-alpha` (`grafana.kubebuilder.io/v1-alpha`), `helm/v1-alpha` (`helm.kubebuilder.io/v1-alpha`), `helm/v2-alpha` (`helm.kubebuilder.io/v2-alpha`), `autoupdate/v1-alpha` (`autoupdate.kubebuilder.io/v1-alpha`)",
    );
    fails_cleanly(
        &dir,
        &words("create api --group tutorial --version v1 --kind Bar --plugins=grafana/v1-alpha"),
        "`--plugins`: Kubebuilder's `grafana/v1-alpha` does nothing on `create api`; it accepts `go/v4` (`go.kubebuilder.io/v4`), `base/v4` (`base.go.kubebuilder.io/v4`), `kustomize/v2` (`kustomize.common.kubebuilder.io/v2`), `deploy-image/v1-alpha` (`deploy-image.go.kubebuilder.io/v1-alpha`)",
    );
    fails_cleanly(
        &dir,
        &words(
            "create webhook --group tutorial --version v1 --kind Foo --defaulting --plugins=deploy-image/v1-alpha",
        ),
        "`--plugins`: Kubebuilder's `deploy-image/v1-alpha` does nothing on `create webhook`; it accepts `go/v4` (`go.kubebuilder.io/v4`), `base/v4` (`base.go.kubebuilder.io/v4`), `kustomize/v2` (`kustomize.common.kubebuilder.io/v2`)",
    );
    fails_cleanly(
        &dir,
        &words("edit --plugins=grafana/v1-alpha --helm"),
        "`--helm`, `--multigroup`, `--namespaced`, the grafana plugin and the autoupdate plugin change different things; run `cargo operator edit` once for each",
    );
}

#[test]
fn the_helm_plugin_is_edit_helm() {
    let (_tmp, with_flag) = project_dir();
    init(&with_flag);
    edit_helm(&with_flag);
    // Both versions Kubebuilder has, as its own scripts spell them.
    for plugin in [
        "helm.kubebuilder.io/v1-alpha",
        "helm.kubebuilder.io/v2-alpha",
    ] {
        let (_tmp2, with_plugin) = project_dir();
        init(&with_plugin);
        cargo_operator(&with_plugin)
            .args(["edit", &format!("--plugins={plugin}")])
            .assert()
            .success()
            .stdout(predicate::str::contains("created dist/chart/Chart.yaml"));
        assert_eq!(tree(&with_plugin), tree(&with_flag), "{plugin}");
    }
}

const AUTO_UPDATE: &str = ".github/workflows/auto_update.yml";

#[test]
fn the_autoupdate_plugin_adds_a_scheduled_update_workflow_once() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let before = tree(&dir);
    let next = "\nNext:\n  allow GitHub Actions to create pull requests: Settings > Actions > General > Workflow permissions\n  run it once by hand: Actions > Auto Update > Run workflow\n";
    // The vendored crates are listed a line per crate, with their file count.
    let vendored = |krate: &str| {
        let prefix = format!("vendor/{krate}/");
        let count = cargo_operator::vendor::files()
            .iter()
            .filter(|(path, _)| path.starts_with(&prefix))
            .count();
        format!(" unchanged {prefix} ({count} files)\n")
    };
    let registries = format!(
        " unchanged src/api/mod.rs\n unchanged src/api/v1/mod.rs\n unchanged src/controllers/mod.rs\n unchanged src/webhooks/mod.rs\n unchanged tests/integration/main.rs\n{}{}",
        vendored("kube-envtest"),
        vendored("kube-operator-runtime")
    );
    cargo_operator(&dir)
        .args(["edit", "--plugins=autoupdate.kubebuilder.io/v1-alpha"])
        .assert()
        .success()
        .stderr("")
        .stdout(format!(
            "   created {AUTO_UPDATE}\n   updated PROJECT.toml\n{registries}{next}"
        ));
    // What changed: the workflow, and `autoupdate = true` in the project file.
    let after = tree(&dir);
    let changed: Vec<_> = after
        .keys()
        .filter(|path| before.get(*path) != after.get(*path))
        .map(|path| path.display().to_string())
        .collect();
    assert_eq!(
        changed,
        [".github/workflows/auto_update.yml", "PROJECT.toml"]
    );
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("\nautoupdate = true\n"), "{project}");
    let workflow = fs::read_to_string(dir.join(AUTO_UPDATE)).unwrap();
    for line in [
        "    - cron: \"0 0 * * 2\" # Every Tuesday at 00:00 UTC",
        "          if ! cargo operator update; then",
        "          gh pr create --base \"$GITHUB_REF_NAME\" --head \"$branch\" \\",
        "      GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
    ] {
        assert!(workflow.lines().any(|l| l == line), "{line}\n{workflow}");
    }

    // Again, by the short key: nothing changes.
    cargo_operator(&dir)
        .args(["edit", "--plugins=autoupdate/v1-alpha"])
        .assert()
        .success()
        .stdout(format!(
            " unchanged {AUTO_UPDATE}\n unchanged PROJECT.toml\n{registries}{next}"
        ));
    assert_eq!(tree(&dir), after);

    // An edited workflow is the user's: kept, unless `--force`.
    fs::write(dir.join(AUTO_UPDATE), format!("{workflow}# mine\n")).unwrap();
    fails_cleanly(
        &dir,
        &words("edit --plugins=autoupdate/v1-alpha"),
        "`.github/workflows/auto_update.yml` already exists; move it away, or pass `--force` to overwrite it",
    );
    cargo_operator(&dir)
        .args(["edit", "--plugins=autoupdate/v1-alpha", "--force"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "   updated {AUTO_UPDATE}\n unchanged PROJECT.toml\n"
        )));
    assert_eq!(tree(&dir), after);
}

/// The queries of a Grafana dashboard's panels.
fn dashboard_queries(dir: &Path, path: &str) -> Vec<String> {
    let text = fs::read_to_string(dir.join(path)).unwrap();
    let dashboard: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path} is not JSON: {err}"));
    dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .map(|target| target["expr"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_grafana_plugin_writes_dashboards_once_and_the_custom_one_from_its_config() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let before = tree(&dir);
    let grafana = ["edit", "--plugins=grafana.kubebuilder.io/v1-alpha"];
    cargo_operator(&dir)
        .args(grafana)
        .assert()
        .success()
        .stdout(predicate::str::contains("updated PROJECT.toml"))
        .stdout(predicate::str::contains(
            "created grafana/controller-runtime-metrics.json",
        ))
        .stdout(predicate::str::contains(
            "created grafana/controller-resources-metrics.json",
        ))
        .stdout(predicate::str::contains(
            "created grafana/custom-metrics/config.yaml",
        ));
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("\ngrafana = true\n"), "{project}");
    for dashboard in [
        "grafana/controller-runtime-metrics.json",
        "grafana/controller-resources-metrics.json",
    ] {
        assert!(dashboard_queries(&dir, dashboard).len() >= 5, "{dashboard}");
    }
    assert!(
        !dir.join("grafana/custom-metrics/custom-metrics-dashboard.json")
            .exists()
    );
    // Again: nothing changes, and the short key is the same plugin.
    let written = tree(&dir);
    cargo_operator(&dir)
        .args(["edit", "--plugins=go/v4,grafana/v1-alpha"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "unchanged grafana/controller-runtime-metrics.json",
        ))
        .stdout(predicate::str::contains("updated").not())
        .stdout(predicate::str::contains("created").not());
    assert_eq!(tree(&dir), written);
    // The config is the user's; the custom dashboard follows it.
    let config = "customMetrics:\n  - metric: widgets_ready\n    type: gauge\n  - metric: widget_syncs_total\n    type: counter\n    unit: ops\n";
    fs::write(dir.join("grafana/custom-metrics/config.yaml"), config).unwrap();
    cargo_operator(&dir)
        .args(grafana)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "kept grafana/custom-metrics/config.yaml",
        ))
        .stdout(predicate::str::contains(
            "created grafana/custom-metrics/custom-metrics-dashboard.json",
        ));
    assert_eq!(
        fs::read_to_string(dir.join("grafana/custom-metrics/config.yaml")).unwrap(),
        config
    );
    assert_eq!(
        dashboard_queries(&dir, "grafana/custom-metrics/custom-metrics-dashboard.json"),
        [
            r#"sum by (pod) (widgets_ready{namespace="$namespace", job="$job", pod=~"$pod"})"#,
            r#"sum by (pod) (rate(widget_syncs_total{namespace="$namespace", job="$job", pod=~"$pod"}[5m]))"#,
        ]
    );
    // A malformed config and an edited dashboard are refused, leaving the tree alone.
    fs::write(
        dir.join("grafana/custom-metrics/config.yaml"),
        "customMetrics:\n  - metric: widgets_ready\n    type: summary\n",
    )
    .unwrap();
    fails_cleanly(
        &dir,
        &grafana,
        "`grafana/custom-metrics/config.yaml`: item 1 (`widgets_ready`) has type `summary`; use counter, gauge or histogram, or give a query in `expr`",
    );
    fs::write(dir.join("grafana/custom-metrics/config.yaml"), config).unwrap();
    let runtime = dir.join("grafana/controller-runtime-metrics.json");
    let edited = fs::read_to_string(&runtime)
        .unwrap()
        .replace("\"30s\"", "\"1m\"");
    fs::write(&runtime, &edited).unwrap();
    fails_cleanly(
        &dir,
        &grafana,
        "`grafana/controller-runtime-metrics.json` already exists; move it away, or pass `--force` to overwrite it",
    );
    cargo_operator(&dir)
        .args(["edit", "--plugins=grafana/v1-alpha", "--force"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "updated grafana/controller-runtime-metrics.json",
        ));
    // Everything it wrote is under grafana/ but the project file's line.
    let added: Vec<_> = tree(&dir)
        .into_keys()
        .filter(|path| !before.contains_key(path))
        .collect();
    assert!(
        added.iter().all(|path| path.starts_with("grafana")),
        "{added:?}"
    );
}

#[test]
fn edit_helm_writes_a_chart_and_records_it() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    cargo_operator(&dir)
        .args(["edit", "--helm"])
        .assert()
        .success()
        .stdout(predicate::str::contains("updated PROJECT.toml"))
        .stdout(predicate::str::contains("created dist/chart/Chart.yaml"))
        .stdout(predicate::str::contains("created dist/chart/values.yaml"))
        .stdout(predicate::str::contains(
            "created dist/chart/templates/manager/manager.yaml",
        ))
        .stdout(predicate::str::contains("helm lint dist/chart"));
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("\nhelm = true\n"), "{project}");
    // `create api` keeps the record.
    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Bar --skeleton",
        ))
        .assert()
        .success();
    let project = fs::read_to_string(dir.join("PROJECT.toml")).unwrap();
    assert!(project.contains("\nhelm = true\n"), "{project}");
    // The chart is source: git ignores what build-installer and deploy write, not the chart.
    let gitignore = fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(
        gitignore.contains("/dist/install.yaml\n") && gitignore.contains("/dist/deploy/\n"),
        "{gitignore}"
    );
    assert!(!gitignore.contains("/dist/\n"), "{gitignore}");
}

#[test]
fn edit_helm_again_keeps_values_and_needs_force_for_edited_templates() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    edit_helm(&dir);
    let pristine = tree(&dir);

    // Re-running on an untouched chart changes nothing.
    cargo_operator(&dir)
        .args(["edit", "--helm"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "unchanged dist/chart/templates/manager/manager.yaml",
        ));
    assert_eq!(tree(&dir), pristine);

    // The user's settings survive any re-run, `--force` included.
    let values = dir.join("dist/chart/values.yaml");
    let chart = dir.join("dist/chart/Chart.yaml");
    let my_values = "manager:\n  image:\n    repository: registry.example/tutorial\n";
    fs::write(&values, my_values).unwrap();
    fs::write(&chart, "apiVersion: v2\nname: tutorial\nversion: 1.2.3\n").unwrap();
    let deployment = dir.join("dist/chart/templates/manager/manager.yaml");
    fs::write(&deployment, "# my edits\n").unwrap();
    fails_cleanly(
        &dir,
        &["edit", "--helm"],
        "`dist/chart/templates/manager/manager.yaml` already exists; move it away, or pass `--force` to overwrite it",
    );
    cargo_operator(&dir)
        .args(["edit", "--helm", "--force"])
        .assert()
        .success()
        .stdout(predicate::str::contains("kept dist/chart/values.yaml"))
        .stdout(predicate::str::contains("kept dist/chart/Chart.yaml"))
        .stdout(predicate::str::contains(
            "updated dist/chart/templates/manager/manager.yaml",
        ));
    assert_eq!(fs::read_to_string(&values).unwrap(), my_values);
    assert!(
        fs::read_to_string(&chart)
            .unwrap()
            .contains("version: 1.2.3")
    );
    assert_eq!(
        fs::read(&deployment).unwrap(),
        pristine[Path::new("dist/chart/templates/manager/manager.yaml")]
            .clone()
            .unwrap()
    );
}

#[test]
fn multigroup_is_chosen_once() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    succeeds_unchanged(
        &dir,
        &["edit", "--multigroup=false"],
        "the project already has the one-group layout; nothing changed",
    );
    cargo_operator(&dir)
        .args(["edit", "--multigroup"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created src/api/tutorial/v1/foo.rs",
        ))
        .stdout(predicate::str::contains("deleted src/api/v1/foo.rs"));
    // Asked again, it succeeds and changes nothing, as Kubebuilder's does.
    succeeds_unchanged(
        &dir,
        &["edit", "--multigroup"],
        "this project is already laid out by group (`multigroup = true` in `PROJECT.toml`); nothing changed",
    );
    fails_cleanly(
        &dir,
        &["edit", "--multigroup=false"],
        "cargo-operator does not move a project back to one group; its APIs stay under `src/api/<group>/`",
    );
    cargo_operator(&dir)
        .args(words(
            "create api --group ship --version v1 --kind Frigate --skeleton",
        ))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created src/api/ship/v1/frigate.rs",
        ));
}

#[test]
fn edit_multigroup_keeps_edits_and_refuses_clashes() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    fs::create_dir_all(dir.join("src/controllers/tutorial")).unwrap();
    fs::write(dir.join("src/controllers/tutorial/foo.rs"), "// mine\n").unwrap();
    fails_cleanly(
        &dir,
        &["edit", "--multigroup"],
        "`edit --multigroup` would move `src/controllers/foo.rs` to `src/controllers/tutorial/foo.rs`, which exists; move that file away, then run it again",
    );
    fs::remove_dir_all(dir.join("src/controllers/tutorial")).unwrap();
    let controller = dir.join("src/controllers/foo.rs");
    let edited = format!("{}// my edit\n", fs::read_to_string(&controller).unwrap());
    fs::write(&controller, &edited).unwrap();
    cargo_operator(&dir)
        .args(["edit", "--multigroup"])
        .assert()
        .success();
    let moved = fs::read_to_string(dir.join("src/controllers/tutorial/foo.rs")).unwrap();
    assert!(moved.ends_with("// my edit\n"), "{moved}");
    assert!(moved.contains("api::tutorial::v1::Foo,"), "{moved}");
    // The edit still counts as one: deleting the API needs --force.
    fails_cleanly(
        &dir,
        &words("delete api --group tutorial --version v1 --kind Foo"),
        "`src/controllers/tutorial/foo.rs` changed since cargo-operator generated it, or predates the hashes `PROJECT.toml` keeps; move your changes elsewhere, or pass `--force` to delete it anyway",
    );
}

#[test]
fn edit_namespaced_switches_both_ways() {
    let (_tmp, dir) = project_dir();
    init(&dir);
    create_foo(&dir);
    let cluster_wide = tree(&dir);
    succeeds_unchanged(
        &dir,
        &["edit", "--namespaced=false", "--force"],
        "the manager already watches every namespace; nothing changed",
    );
    cargo_operator(&dir)
        .args(["edit", "--namespaced"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "updated config/rbac/role_binding.yaml",
        ))
        .stdout(predicate::str::contains("updated src/controllers/mod.rs"));
    let registry = fs::read_to_string(dir.join("src/controllers/mod.rs")).unwrap();
    assert!(
        registry.contains("pub const NAMESPACED: bool = true;"),
        "{registry}"
    );
    let binding = fs::read_to_string(dir.join("config/rbac/role_binding.yaml")).unwrap();
    assert!(binding.contains("kind: RoleBinding"), "{binding}");
    for again in [
        &["edit", "--namespaced"][..],
        &["edit", "--namespaced", "--force"],
    ] {
        succeeds_unchanged(
            &dir,
            again,
            "the manager already watches only its own namespace; nothing changed",
        );
    }
    cargo_operator(&dir)
        .args(["edit", "--namespaced=false"])
        .assert()
        .success();
    assert_eq!(tree(&dir), cluster_wide);

    cargo_operator(&dir)
        .args(words(
            "create api --group tutorial --version v1 --kind Bar --namespaced=false --skeleton",
        ))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &["edit", "--namespaced"],
        "`tutorial/v1, Kind=Bar` is cluster-scoped, which a manager watching one namespace cannot control; delete it with `cargo operator delete api` first, or keep the project cluster-wide",
    );
    fs::write(dir.join("config/rbac/role_binding.yaml"), "# mine\n").unwrap();
    cargo_operator(&dir)
        .args(words("delete api --group tutorial --version v1 --kind Bar"))
        .assert()
        .success();
    fails_cleanly(
        &dir,
        &["edit", "--namespaced"],
        "`config/rbac/role_binding.yaml` was edited since cargo-operator wrote it; change its scope by hand, or pass `--force` to replace it",
    );
}
