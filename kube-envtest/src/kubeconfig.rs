//! Kubeconfigs: the admin's or any user's, authenticated by a client certificate of the control
//! plane's client CA, and written to files for kubectl and other binaries.

use std::path::Path;

use kube::config::Kubeconfig;

use crate::certs::{Pki, base64};
use crate::error::{Error, Result};

/// A kubeconfig for `user` in `groups` at `server_url`, with the certificates as data.
pub(crate) fn make_kubeconfig(
    server_url: &str,
    pki: &Pki,
    user: &str,
    groups: &[&str],
) -> Result<Kubeconfig> {
    let identity = pki.client_identity(user, groups)?;
    let value = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": "kube-envtest",
            "cluster": {
                "server": server_url,
                "certificate-authority-data": base64(pki.serving_ca_pem().as_bytes()),
            },
        }],
        "users": [{
            "name": user,
            "user": {
                "client-certificate-data": base64(identity.cert_pem.as_bytes()),
                "client-key-data": base64(identity.key_pem.as_bytes()),
            },
        }],
        "contexts": [{
            "name": "kube-envtest",
            "context": { "cluster": "kube-envtest", "user": user, "namespace": "default" },
        }],
        "current-context": "kube-envtest",
    });
    // JSON is YAML, so the kubeconfig parser reads this text as is.
    Ok(Kubeconfig::from_yaml(&value.to_string())?)
}

pub(crate) fn write_kubeconfig_file(kubeconfig: &Kubeconfig, path: &Path) -> Result<()> {
    let context = || format!("writing kubeconfig {}", path.display());
    let text =
        serde_json::to_string_pretty(kubeconfig).map_err(|e| Error::io(context(), e.into()))?;
    std::fs::write(path, text).map_err(|e| Error::io(context(), e))
}
