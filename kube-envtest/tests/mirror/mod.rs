//! A local mirror of the envtest release index for the download tests: an HTTP server on
//! 127.0.0.1 serving an index in controller-tools' format and a `.tar.gz` made from the real
//! binaries this machine already has.

// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use kube_envtest::{Binary, find_binary};
use sha2::{Digest, Sha512};

pub const VERSION: &str = "1.37.2";
pub const ARCHIVE: &str = "envtest-v1.37.2-linux-amd64.tar.gz";

/// How the server answers a path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with this body.
    Body(Arc<Vec<u8>>),
    /// 200 announcing the whole body, then half of it and a closed connection.
    Truncated(Arc<Vec<u8>>),
    /// Reads the request and never answers.
    Hang,
}

pub struct Mirror {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    requests: Arc<AtomicUsize>,
}

impl Mirror {
    pub fn start() -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let requests: Arc<AtomicUsize> = Arc::default();
        let (routes_, requests_) = (routes.clone(), requests.clone());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = routes_.clone();
                requests_.fetch_add(1, Ordering::SeqCst);
                thread::spawn(move || serve(stream, &routes));
            }
        });
        Mirror {
            base,
            routes,
            requests,
        }
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Serves the archive at `/<ARCHIVE>` and an index at `/index.yaml` listing it with `hash`
    /// (its real SHA-512 when `None`); returns the index URL.
    pub fn serve_release(&self, hash: Option<&str>) -> String {
        let archive = archive();
        let real = hex(&Sha512::digest(archive.as_slice()));
        self.route(&format!("/{ARCHIVE}"), Reply::Body(archive));
        self.route(
            "/index.yaml",
            Reply::Body(Arc::new(
                index(hash.unwrap_or(&real), &self.url(&format!("/{ARCHIVE}"))).into_bytes(),
            )),
        );
        self.url("/index.yaml")
    }
}

/// An index in controller-tools' `envtest-releases.yaml` format with one linux-amd64 archive
/// (and a darwin one, so a missing platform is told apart from a missing version).
pub fn index(hash: &str, link: &str) -> String {
    format!(
        "releases:
  v{VERSION}:
    envtest-v{VERSION}-darwin-arm64.tar.gz:
      hash: {hash}
      selfLink: {link}-darwin
    {ARCHIVE}:
      hash: {hash}
      selfLink: {link}
"
    )
}

fn serve(stream: TcpStream, routes: &Mutex<HashMap<String, Reply>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let reply = routes.lock().unwrap().get(&path).cloned();
    let mut stream = stream;
    let head = |status: &str, len: usize| {
        format!("HTTP/1.1 {status}\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n")
    };
    let _ = match reply {
        None => stream.write_all(head("404 Not Found", 0).as_bytes()),
        Some(Reply::Body(body)) => stream
            .write_all(head("200 OK", body.len()).as_bytes())
            .and_then(|()| stream.write_all(&body)),
        Some(Reply::Truncated(body)) => stream
            .write_all(head("200 OK", body.len()).as_bytes())
            .and_then(|()| stream.write_all(&body[..body.len() / 2])),
        Some(Reply::Hang) => {
            thread::sleep(Duration::from_secs(600));
            Ok(())
        }
    };
}

/// The folder of this machine's etcd, kube-apiserver and kubectl (KUBEBUILDER_ASSETS or the
/// store), read before any test changes the environment.
pub fn local_binaries() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        find_binary(Binary::KubeApiserver, None)
            .expect("these tests package the envtest binaries this machine has")
            .parent()
            .unwrap()
            .to_path_buf()
    })
}

/// A `.tar.gz` laid out like controller-tools' releases (`controller-tools/envtest/<binary>`),
/// made once per test binary with the system's tar and gzip (a debug build of flate2 is slow).
pub fn archive() -> Arc<Vec<u8>> {
    static ARCHIVE_BYTES: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    ARCHIVE_BYTES
        .get_or_init(|| {
            let work = tempfile::tempdir().unwrap();
            let inner = work.path().join("controller-tools/envtest");
            std::fs::create_dir_all(&inner).unwrap();
            for name in ["etcd", "kube-apiserver", "kubectl"] {
                std::fs::copy(local_binaries().join(name), inner.join(name)).unwrap();
            }
            let tarball = work.path().join(ARCHIVE);
            let status = Command::new("sh")
                .arg("-c")
                .arg(r#"tar -C "$1" -cf - controller-tools | gzip -1 >"$2""#)
                .arg("sh")
                .arg(work.path())
                .arg(&tarball)
                .status()
                .unwrap();
            assert!(status.success());
            Arc::new(std::fs::read(&tarball).unwrap())
        })
        .clone()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
