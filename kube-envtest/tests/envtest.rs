//! Integration tests against real etcd and kube-apiserver binaries (found like envtest does,
//! e.g. in the setup-envtest store or `$KUBEBUILDER_ASSETS`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use kube::api::{
    ApiResource, DynamicObject, ListParams, ObjectMeta, PostParams, WatchEvent, WatchParams,
};
use kube::core::GroupVersionKind;
use kube::{Api, CustomResource, CustomResourceExt, ResourceExt};
use kube_envtest::{Error, TestEnv};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A CRD built from Rust types with kube's derive.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "envtest.example.com",
    version = "v1",
    kind = "Widget",
    namespaced
)]
struct WidgetSpec {
    size: u32,
}

const GADGET_CRD_YAML: &str = r#"
# A non-CRD document is skipped.
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-a-crd
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.yaml.example.com
  creationTimestamp: null
spec:
  group: yaml.example.com
  names:
    kind: Gadget
    listKind: GadgetList
    plural: gadgets
    singular: gadget
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: false
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                color:
                  type: string
---
"#;

fn proc_alive(pid: u32) -> bool {
    // Children are reaped on stop, so /proc/<pid> disappears (no zombie left behind).
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Pids of live processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .collect()
}

async fn started() -> (TestEnv, Duration) {
    let t = Instant::now();
    let env = TestEnv::start().await.expect("start test environment");
    let elapsed = t.elapsed();
    eprintln!("start-to-ready: {elapsed:?} ({})", env.server_url());
    (env, elapsed)
}

#[tokio::test]
async fn start_list_namespaces_and_kubectl() {
    let (env, _) = started().await;
    assert!(env.server_url().starts_with("https://127.0.0.1:"));
    assert!(env.etcd_url().starts_with("http://127.0.0.1:"));

    let namespaces: Api<Namespace> = Api::all(env.client());
    let names: Vec<String> = namespaces
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(ResourceExt::name_any)
        .collect();
    assert!(names.contains(&"default".to_string()), "{names:?}");
    assert!(names.contains(&"kube-system".to_string()), "{names:?}");

    // The kubeconfig written to a file works for kubectl.
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("config");
    env.write_kubeconfig(&path).unwrap();
    let kubectl = env.kubectl().unwrap();
    let out = std::process::Command::new(kubectl.get_program())
        .arg(format!("--kubeconfig={}", path.display()))
        .args(["get", "namespace", "default", "-o", "name"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "namespace/default"
    );

    // So does the one in the temp dir, through env.kubectl().
    let out = env
        .kubectl()
        .unwrap()
        .args([
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username}",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "admin");

    let t = Instant::now();
    env.stop().await.unwrap();
    eprintln!("stop: {:?}", t.elapsed());
}

#[tokio::test]
async fn parallel_environments_are_isolated() {
    let (a, b) = tokio::join!(TestEnv::start(), TestEnv::start());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.server_url(), b.server_url());
    assert_ne!(a.etcd_url(), b.etcd_url());
    assert_ne!(a.temp_dir(), b.temp_dir());

    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some("only-in-a".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(a.client())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    assert!(
        Api::<Namespace>::all(a.client())
            .get_opt("only-in-a")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        Api::<Namespace>::all(b.client())
            .get_opt("only-in-a")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn user_without_permissions_gets_403_until_bound() {
    let (env, _) = started().await;
    let user = "system:serviceaccount:default:manager";
    // Two groups: the binding below targets the second one, so every O attribute must arrive.
    let client = env
        .client_for_user(user, &["team-a", "system:serviceaccounts"])
        .await
        .unwrap();

    // The API server sees exactly this identity.
    let review = Api::<SelfSubjectReview>::all(client.clone())
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .unwrap();
    let info = review.status.unwrap().user_info.unwrap();
    assert_eq!(info.username.as_deref(), Some(user));
    let groups = info.groups.unwrap_or_default();
    for g in ["team-a", "system:serviceaccounts", "system:authenticated"] {
        assert!(groups.iter().any(|x| x == g), "{g} missing from {groups:?}");
    }

    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    match pods.list(&ListParams::default()).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 403, "{status:?}"),
        other => panic!("expected 403, got {other:?}"),
    }

    let admin = env.client();
    let role = ClusterRole {
        metadata: ObjectMeta {
            name: Some("pod-reader".into()),
            ..Default::default()
        },
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["pods".into()]),
            verbs: vec!["get".into(), "list".into(), "watch".into()],
            ..Default::default()
        }]),
        ..Default::default()
    };
    Api::<ClusterRole>::all(admin.clone())
        .create(&PostParams::default(), &role)
        .await
        .unwrap();
    let binding = ClusterRoleBinding {
        metadata: ObjectMeta {
            name: Some("service-accounts-read-pods".into()),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: "pod-reader".into(),
        },
        subjects: Some(vec![Subject {
            kind: "Group".into(),
            name: "system:serviceaccounts".into(),
            api_group: Some("rbac.authorization.k8s.io".into()),
            ..Default::default()
        }]),
    };
    Api::<ClusterRoleBinding>::all(admin)
        .create(&PostParams::default(), &binding)
        .await
        .unwrap();

    // The RBAC authorizer reads from an informer cache, so the grant is eventually consistent.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match pods.list(&ListParams::default()).await {
            Ok(list) => {
                assert!(list.items.is_empty());
                break;
            }
            Err(kube::Error::Api(status)) if status.code == 403 && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("still failing after binding: {e}"),
        }
    }
    // Writes are still forbidden.
    let cm: Api<ConfigMap> = Api::namespaced(client, "default");
    let err = cm
        .create(&PostParams::default(), &ConfigMap::default())
        .await
        .unwrap_err();
    assert!(matches!(err, kube::Error::Api(s) if s.code == 403));
}

#[tokio::test]
async fn crds_from_rust_and_yaml_are_served() {
    // Installed during start by the builder.
    let t = Instant::now();
    let env = TestEnv::builder().crd(Widget::crd()).start().await.unwrap();
    eprintln!("start incl. Rust CRD: {:?}", t.elapsed());

    let widgets: Api<Widget> = Api::namespaced(env.client(), "default");
    let created = widgets
        .create(
            &PostParams::default(),
            &Widget::new("w1", WidgetSpec { size: 3 }),
        )
        .await
        .unwrap();
    assert_eq!(created.spec.size, 3);
    assert_eq!(widgets.get("w1").await.unwrap().spec.size, 3);

    // From a YAML file (multi-document, with a non-CRD document).
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("gadgets.yaml");
    std::fs::write(&file, GADGET_CRD_YAML).unwrap();
    let t = Instant::now();
    env.install_crds_from_path(&file).await.unwrap();
    eprintln!("YAML CRD install-to-served: {:?}", t.elapsed());

    for version in ["v1", "v1alpha1"] {
        let gvk = GroupVersionKind::gvk("yaml.example.com", version, "Gadget");
        let resource = ApiResource::from_gvk_with_plural(&gvk, "gadgets");
        let gadgets: Api<DynamicObject> = Api::namespaced_with(env.client(), "default", &resource);
        let name = format!("g-{version}");
        let mut obj = DynamicObject::new(&name, &resource);
        obj.data = serde_json::json!({ "spec": { "color": "red" } });
        gadgets.create(&PostParams::default(), &obj).await.unwrap();
        let got = gadgets.get(&name).await.unwrap();
        assert_eq!(got.data["spec"]["color"], "red");
    }

    // Installing a folder again is an idempotent update (server-side apply).
    let t = Instant::now();
    env.install_crds_from_path(scratch.path()).await.unwrap();
    env.install_crds([Widget::crd()]).await.unwrap();
    eprintln!("re-install of already served CRDs: {:?}", t.elapsed());
}

#[test]
fn crd_files_are_parsed_from_dirs() {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(scratch.path().join("b.yaml"), GADGET_CRD_YAML).unwrap();
    std::fs::write(
        scratch.path().join("a.json"),
        serde_json::to_string(&Widget::crd()).unwrap(),
    )
    .unwrap();
    std::fs::write(scratch.path().join("ignored.txt"), "not yaml: [").unwrap();
    let crds = kube_envtest::read_crds(scratch.path()).unwrap();
    let names: Vec<_> = crds.iter().map(|c| c.name_any()).collect();
    assert_eq!(
        names,
        ["widgets.envtest.example.com", "gadgets.yaml.example.com"]
    );

    let missing = kube_envtest::read_crds(scratch.path().join("nope")).unwrap_err();
    assert!(matches!(missing, Error::CrdFile { .. }), "{missing}");
    std::fs::write(scratch.path().join("bad.yml"), "kind: [unclosed").unwrap();
    let bad = kube_envtest::read_crds(scratch.path()).unwrap_err();
    assert!(bad.to_string().contains("bad.yml"), "{bad}");
}

#[tokio::test]
async fn drop_leaves_no_process_and_no_temp_dir() {
    let (env, _) = started().await;
    let pids = [env.apiserver_pid().unwrap(), env.etcd_pid().unwrap()];
    let dir = env.temp_dir().to_path_buf();
    assert!(pids.iter().all(|p| proc_alive(*p)));
    assert!(dir.join("certs/apiserver.crt").exists());
    assert!(dir.join("kubeconfig").exists());

    let t = Instant::now();
    drop(env);
    eprintln!("drop: {:?}", t.elapsed());
    for pid in pids {
        assert!(!proc_alive(pid), "pid {pid} still alive");
    }
    assert!(!dir.exists(), "{} still exists", dir.display());
}

#[test]
fn panicking_test_leaves_no_process() {
    let (tx, rx) = std::sync::mpsc::channel::<([u32; 2], PathBuf)>();
    let handle = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let env = TestEnv::start().await.unwrap();
            let pids = [env.apiserver_pid().unwrap(), env.etcd_pid().unwrap()];
            tx.send((pids, env.temp_dir().to_path_buf())).unwrap();
            panic!("simulated test failure with a running environment");
        });
    });
    assert!(handle.join().is_err(), "the thread should have panicked");
    let (pids, dir) = rx.recv().unwrap();
    for pid in pids {
        assert!(!proc_alive(pid), "pid {pid} survived the panic");
    }
    assert!(!dir.exists(), "{} survived the panic", dir.display());
}

#[tokio::test]
async fn bogus_apiserver_flag_fails_with_log_tail() {
    let t = Instant::now();
    let err = TestEnv::builder()
        .apiserver_arg("--no-such-flag=1")
        .start()
        .await
        .unwrap_err();
    eprintln!("failed start took {:?}", t.elapsed());
    let text = err.to_string();
    eprintln!("{text}");
    assert!(
        text.contains("kube-apiserver exited before it was ready"),
        "{text}"
    );
    assert!(text.contains("unknown flag: --no-such-flag"), "{text}");
    let Error::ProcessExited { log, log_tail, .. } = err else {
        panic!("unexpected error: {text}");
    };
    assert!(log_tail.lines().count() <= 30);
    // etcd was stopped and the temp dir removed on the way out.
    let dir = log.parent().unwrap();
    assert!(!dir.exists(), "{} still exists", dir.display());
    let leftovers = processes_mentioning(&dir.to_string_lossy());
    assert!(leftovers.is_empty(), "processes left: {leftovers:?}");
}

#[tokio::test]
async fn explicit_binary_path_is_not_replaced() {
    let err = TestEnv::builder()
        .etcd_binary("/nonexistent/etcd")
        .missing_binaries_hint("build them with scripts/envtest-assets.sh")
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("etcd binary not found"), "{text}");
    assert!(
        text.contains("explicit path: /nonexistent/etcd (does not exist)"),
        "{text}"
    );
    assert!(
        text.ends_with("fix: build them with scripts/envtest-assets.sh"),
        "{text}"
    );
}

#[tokio::test]
async fn restart_apiserver_keeps_data_and_watches_recover() {
    let (mut env, _) = started().await;
    let url = env.server_url().to_string();
    let old_pid = env.apiserver_pid().unwrap();
    let etcd_pid = env.etcd_pid().unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let mut cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some("before".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let created = cms.create(&PostParams::default(), &cm).await.unwrap();
    let version = created.resource_version().unwrap();
    let mut watch = cms
        .watch(&WatchParams::default().timeout(60), &version)
        .await
        .unwrap()
        .boxed();

    let t = Instant::now();
    env.restart_apiserver().await.unwrap();
    eprintln!("restart_apiserver: {:?}", t.elapsed());
    assert_eq!(env.server_url(), url);
    assert_ne!(env.apiserver_pid().unwrap(), old_pid);
    assert_eq!(env.etcd_pid().unwrap(), etcd_pid);
    assert!(!proc_alive(old_pid));

    // The old watch ended with the old process.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(item) = watch.next().await {
            if item.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "watch did not end after restart");

    // Data survived (same etcd). The new watch cache starts at the current revision, so a
    // client recovers like a reflector: re-list, then watch from the list's version.
    let list = cms.list(&ListParams::default()).await.unwrap();
    assert!(list.items.iter().any(|cm| cm.name_any() == "before"));
    let version = list.metadata.resource_version.unwrap();
    let mut watch = cms
        .watch(&WatchParams::default().timeout(30), &version)
        .await
        .unwrap()
        .boxed();
    cm.metadata.name = Some("after".into());
    cms.create(&PostParams::default(), &cm).await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = watch.next().await {
            if let Ok(WatchEvent::Added(obj)) = event
                && obj.name_any() == "after"
            {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true));
}

#[tokio::test]
async fn stopped_apiserver_refuses_requests_until_started_again() {
    let (mut env, _) = started().await;
    let etcd_pid = env.etcd_pid().unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some("kept".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    cms.create(&PostParams::default(), &cm).await.unwrap();

    let old_pid = env.apiserver_pid().unwrap();
    env.stop_apiserver().await;
    assert_eq!(env.apiserver_pid(), None);
    assert!(!proc_alive(old_pid));
    assert!(proc_alive(etcd_pid));
    // Stopping twice is harmless.
    env.stop_apiserver().await;
    let refused = cms.get("kept").await;
    assert!(refused.is_err(), "API server answered while stopped");

    let t = Instant::now();
    env.start_apiserver().await.unwrap();
    eprintln!("start_apiserver: {:?}", t.elapsed());
    let pid = env.apiserver_pid().unwrap();
    assert_ne!(pid, old_pid);
    assert_eq!(env.etcd_pid(), Some(etcd_pid));
    // Starting a running server changes nothing.
    env.start_apiserver().await.unwrap();
    assert_eq!(env.apiserver_pid(), Some(pid));
    assert_eq!(cms.get("kept").await.unwrap().name_any(), "kept");
}

const CHILD_ENV: &str = "KUBE_ENVTEST_TEST_CHILD";

/// Helper for `killed_test_process_takes_children_along`: a no-op unless run as its child.
#[tokio::test]
async fn child_that_gets_killed() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let env = TestEnv::start().await.unwrap();
    println!(
        "PIDS {} {} {}",
        env.apiserver_pid().unwrap(),
        env.etcd_pid().unwrap(),
        env.temp_dir().display()
    );
    std::future::pending::<()>().await;
}

#[test]
fn killed_test_process_takes_children_along() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_that_gets_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    // Read on another thread so a child that never prints cannot hang this test.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // libtest prints "test child_that_gets_killed ... " on the same line first.
        let line = stdout
            .lines()
            .map_while(Result::ok)
            .find_map(|l| Some(l.split_once("PIDS ")?.1.to_string()));
        let _ = tx.send(line);
    });
    let line = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Some(line)) => line,
        other => {
            let _ = child.kill();
            panic!("child printed no pids: {other:?}");
        }
    };
    let fields: Vec<&str> = line.split_whitespace().collect();
    let pids: Vec<u32> = fields[..2].iter().map(|p| p.parse().unwrap()).collect();
    let dir = PathBuf::from(fields[2]);

    // SIGKILL: no destructor runs, only PR_SET_PDEATHSIG can stop the servers.
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|p| proc_alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // The temp dir cannot be removed by a killed process; clean up after it here.
    let _ = std::fs::remove_dir_all(&dir);
    for pid in pids {
        assert!(
            !proc_alive(pid),
            "pid {pid} outlived the killed test process"
        );
    }
}
