//! The manager's command line. Flags carry Kubebuilder's names, so that habits and manifests
//! written for Go managers carry over.

use std::{fmt, path::PathBuf};

use clap::{Args, ValueEnum};

/// The manager's flags, with Kubebuilder's names and defaults. Flatten it into a project's own
/// clap parser to add flags of its own:
///
/// ```
/// use clap::Parser;
/// use kube_operator_runtime::ManagerArgs;
///
/// #[derive(Parser)]
/// struct Args {
///     #[command(flatten)]
///     manager: ManagerArgs,
///     /// A flag of the project's own.
///     #[arg(long, default_value_t = 3)]
///     replicas: u32,
/// }
///
/// let args = Args::parse_from(["manager", "--leader-elect", "--replicas=5"]);
/// assert!(args.manager.leader_elect);
/// assert_eq!(args.replicas, 5);
/// ```
#[derive(Debug, Clone, Args)]
#[non_exhaustive]
pub struct ManagerArgs {
    /// Where `/metrics` is served: `:PORT` (every interface), `HOST:PORT`, or `0` for nowhere.
    /// Off by default, so that a manager run on a laptop exposes nothing; the generated
    /// Deployment serves it on `:8443`.
    #[arg(long, value_name = "ADDRESS", default_value = "0")]
    pub metrics_bind_address: BindAddress,

    /// Serve `/metrics` over HTTPS to callers the API server authenticates (TokenReview) and
    /// authorizes to `get /metrics` (SubjectAccessReview). `false` serves plain HTTP to anyone
    /// who can connect, for loopback only.
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true"
    )]
    pub metrics_secure: bool,

    /// Folder holding the metrics server's certificate and key, reloaded when they change
    /// [default: a self-signed certificate made at start].
    #[arg(long, value_name = "DIR")]
    pub metrics_cert_path: Option<PathBuf>,

    /// File name of the metrics server's certificate in `--metrics-cert-path`.
    #[arg(long, value_name = "FILE", default_value = "tls.crt")]
    pub metrics_cert_name: String,

    /// File name of the metrics server's private key in `--metrics-cert-path`.
    #[arg(long, value_name = "FILE", default_value = "tls.key")]
    pub metrics_cert_key: String,

    /// Serve the webhooks the manager is given (`Manager::webhooks`). `false` (or
    /// `ENABLE_WEBHOOKS=false`) runs without them, such as with `make run` on a laptop that has
    /// no certificate for them.
    #[arg(
        long,
        value_name = "BOOL",
        env = "ENABLE_WEBHOOKS",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true"
    )]
    pub enable_webhooks: bool,

    /// Port of the webhook server.
    #[arg(long, value_name = "PORT", default_value_t = 9443)]
    pub webhook_port: u16,

    /// Host of the webhook server [default: every interface, IPv6 and IPv4].
    #[arg(long, value_name = "HOST", default_value = "")]
    pub webhook_host: String,

    /// Folder holding the webhook server's certificate and key, reloaded when they change.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/tmp/k8s-webhook-server/serving-certs"
    )]
    pub webhook_cert_path: PathBuf,

    /// File name of the webhook server's certificate in `--webhook-cert-path`.
    #[arg(long, value_name = "FILE", default_value = "tls.crt")]
    pub webhook_cert_name: String,

    /// File name of the webhook server's private key in `--webhook-cert-path`.
    #[arg(long, value_name = "FILE", default_value = "tls.key")]
    pub webhook_key_name: String,

    /// Let the HTTPS servers speak HTTP/2. Off by default, as in Kubebuilder, since HTTP/2's
    /// stream handling has been the way in for denial-of-service attacks.
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = false,
        default_missing_value = "true"
    )]
    pub enable_http2: bool,

    /// How long a controller may wait for its caches to fill before the manager gives up and
    /// exits, such as `30s`, `2m` or `1m30s`.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = super::duration::parse_go_duration)]
    pub cache_sync_timeout: std::time::Duration,

    /// Where `/healthz` and `/readyz` are served: `:PORT`, `HOST:PORT`, or `0` for nowhere.
    #[arg(long, value_name = "ADDRESS", default_value = ":8081")]
    pub health_probe_bind_address: BindAddress,

    /// Run the controllers only while holding the leader Lease, so that replicas stand by.
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = false,
        default_missing_value = "true"
    )]
    pub leader_elect: bool,

    /// Namespace of the leader Lease [default: the manager's own namespace in a cluster,
    /// otherwise the kubeconfig's].
    #[arg(long, value_name = "NAMESPACE")]
    pub leader_election_namespace: Option<String>,

    /// Which logs to write, as a `RUST_LOG` filter such as `info,my_operator=debug`.
    #[arg(long, value_name = "FILTER", env = "RUST_LOG", default_value = "info", value_parser = parse_log_filter)]
    pub log_level: String,

    /// How to write logs: `text` for people, `json` for log collectors.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl ManagerArgs {
    /// Where the webhook server listens, from `--webhook-host` and `--webhook-port`.
    pub fn webhook_bind_address(&self) -> BindAddress {
        let host = &self.webhook_host;
        let port = self.webhook_port;
        // An IPv6 address needs brackets before the port.
        BindAddress::At(if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        })
    }

    /// Sends logs to stderr, filtered by `--log-level` and written as `--log-format` says. Does
    /// nothing if the program set a global tracing subscriber already.
    pub fn init_tracing(&self) {
        use std::io::IsTerminal;
        use tracing_subscriber::EnvFilter;

        // The filter was checked when the flags were parsed.
        let filter = EnvFilter::try_new(&self.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
        let logs = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        let _already_set = match self.log_format {
            // Colors help in a terminal but are noise in `kubectl logs`.
            LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).try_init(),
            LogFormat::Json => logs.json().try_init(),
        };
    }
}

fn parse_log_filter(filter: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(filter)
        .map(|_| filter.to_string())
        .map_err(|err| format!("not a log filter such as `info,my_operator=debug`: {err}"))
}

/// How the manager writes logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// JSON lines for log collectors.
    Json,
}

/// Where a server listens, or that it is turned off.
///
/// ```
/// use kube_operator_runtime::manager::BindAddress;
///
/// assert_eq!(":8080".parse(), Ok(BindAddress::At(":8080".into())));
/// assert_eq!("0".parse(), Ok(BindAddress::Disabled));
/// assert!("8080".parse::<BindAddress>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindAddress {
    /// `0`: the server is not started.
    Disabled,
    /// `HOST:PORT` binds exactly that host; `:PORT` every interface, IPv6 and IPv4 on one
    /// socket, or IPv4 alone where the host has no IPv6.
    At(String),
}

impl std::str::FromStr for BindAddress {
    type Err = String;

    fn from_str(address: &str) -> Result<Self, Self::Err> {
        if address == "0" {
            return Ok(Self::Disabled);
        }
        let invalid = || format!("expected :PORT, HOST:PORT or 0, got {address:?}");
        let (_host, port) = address.rsplit_once(':').ok_or_else(invalid)?;
        port.parse::<u16>().map_err(|_| invalid())?;
        Ok(Self::At(address.to_owned()))
    }
}

impl fmt::Display for BindAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Disabled => f.write_str("0"),
            Self::At(address) => f.write_str(address),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Options {
        #[command(flatten)]
        manager: ManagerArgs,
    }

    fn parse(args: &[&str]) -> Result<ManagerArgs, clap::Error> {
        Options::try_parse_from(std::iter::once("manager").chain(args.iter().copied()))
            .map(|options| options.manager)
    }

    #[test]
    fn defaults_match_kubebuilder() {
        let options = parse(&[]).unwrap();
        assert_eq!(options.metrics_bind_address, BindAddress::Disabled);
        assert_eq!(
            options.cache_sync_timeout,
            std::time::Duration::from_secs(120)
        );
        assert!(options.metrics_secure);
        assert_eq!(options.metrics_cert_path, None);
        assert_eq!(
            (&*options.metrics_cert_name, &*options.metrics_cert_key),
            ("tls.crt", "tls.key")
        );
        assert!(!options.enable_http2);
        assert_eq!(
            options.health_probe_bind_address,
            BindAddress::At(":8081".into())
        );
        assert!(!options.leader_elect);
        assert_eq!(options.leader_election_namespace, None);
        assert_eq!(options.log_format, LogFormat::Text);
        assert_eq!(
            options.webhook_bind_address(),
            BindAddress::At(":9443".into())
        );
        assert_eq!(
            options.webhook_cert_path,
            PathBuf::from("/tmp/k8s-webhook-server/serving-certs")
        );
        assert_eq!(
            (&*options.webhook_cert_name, &*options.webhook_key_name),
            ("tls.crt", "tls.key")
        );
    }

    #[test]
    fn webhook_flags_are_parsed() {
        let options = parse(&[
            "--webhook-host=127.0.0.1",
            "--webhook-port=10443",
            "--webhook-cert-path=/certs",
            "--webhook-cert-name=cert.pem",
            "--webhook-key-name=key.pem",
            "--enable-webhooks=false",
        ])
        .unwrap();
        assert_eq!(
            options.webhook_bind_address(),
            BindAddress::At("127.0.0.1:10443".into())
        );
        assert_eq!(options.webhook_cert_path, PathBuf::from("/certs"));
        assert_eq!(
            (&*options.webhook_cert_name, &*options.webhook_key_name),
            ("cert.pem", "key.pem")
        );
        assert!(!options.enable_webhooks);
        let ipv6 = parse(&["--webhook-host=::1"]).unwrap();
        assert_eq!(
            ipv6.webhook_bind_address(),
            BindAddress::At("[::1]:9443".into())
        );
        assert!(parse(&["--enable-webhooks"]).unwrap().enable_webhooks);
    }

    #[test]
    fn flags_are_parsed() {
        let options = parse(&[
            "--metrics-bind-address=:8443",
            "--metrics-secure=false",
            "--metrics-cert-path=/tmp/k8s-metrics-server/metrics-certs",
            "--health-probe-bind-address",
            "127.0.0.1:9440",
            "--leader-elect",
            "--leader-election-namespace=operators",
            "--log-format=json",
        ])
        .unwrap();
        assert_eq!(
            options.metrics_bind_address,
            BindAddress::At(":8443".into())
        );
        assert!(!options.metrics_secure);
        assert_eq!(
            options.metrics_cert_path,
            Some(PathBuf::from("/tmp/k8s-metrics-server/metrics-certs"))
        );
        assert_eq!(
            options.health_probe_bind_address,
            BindAddress::At("127.0.0.1:9440".into())
        );
        assert!(options.leader_elect);
        assert_eq!(
            options.leader_election_namespace.as_deref(),
            Some("operators")
        );
        assert_eq!(options.log_format, LogFormat::Json);

        // Go's boolean flag syntax works too.
        assert!(!parse(&["--leader-elect=false"]).unwrap().leader_elect);
        assert!(parse(&["--leader-elect=true"]).unwrap().leader_elect);
    }

    #[test]
    fn bad_log_filters_are_refused() {
        let error = parse(&["--log-level", "info,=[bad"]).unwrap_err();
        assert!(error.to_string().contains("not a log filter"), "{error}");
        assert_eq!(
            parse(&["--log-level", "debug,kube=info"])
                .unwrap()
                .log_level,
            "debug,kube=info"
        );
    }

    #[test]
    fn bad_addresses_are_refused() {
        for address in ["8080", ":http", "localhost:", ":70000"] {
            let error = parse(&["--metrics-bind-address", address]).unwrap_err();
            assert!(
                error.to_string().contains("expected :PORT, HOST:PORT or 0"),
                "{address}: {error}"
            );
        }
    }
}
