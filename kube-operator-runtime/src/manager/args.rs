//! The manager's command line. Flags carry Kubebuilder's names, so that habits and manifests
//! written for Go managers carry over: a Deployment's `args:` copied from a Kubebuilder project
//! (its `cmd/main.go` flags and zap's `--zap-*`) means the same here, or is refused with what to
//! pass instead.

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
    /// [default: a self-signed certificate made at start]. Empty, as Go's default, is the
    /// default (see [`metrics_cert_dir`](Self::metrics_cert_dir)).
    #[arg(long, value_name = "DIR", value_parser = parse_metrics_cert_dir)]
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
    /// Empty, as Kubebuilder's default, is controller-runtime's folder, this one.
    #[arg(
        long,
        value_name = "DIR",
        default_value = WEBHOOK_CERT_DIR,
        value_parser = parse_webhook_cert_dir
    )]
    pub webhook_cert_path: PathBuf,

    /// File name of the webhook server's certificate in `--webhook-cert-path`.
    #[arg(long, value_name = "FILE", default_value = "tls.crt")]
    pub webhook_cert_name: String,

    /// File name of the webhook server's private key in `--webhook-cert-path` (Kubebuilder's
    /// `--webhook-cert-key` too).
    #[arg(
        long,
        alias = "webhook-cert-key",
        value_name = "FILE",
        default_value = "tls.key"
    )]
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

    /// How long a leader's Lease lasts without renewal, in whole seconds: a standby takes over
    /// this long after the leader died. The name and default of Kubernetes' own controllers.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_lease_duration)]
    pub leader_elect_lease_duration: std::time::Duration,

    /// How long a leader keeps trying to renew its Lease before it stops leading; shorter than
    /// `--leader-elect-lease-duration`.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_positive_duration)]
    pub leader_elect_renew_deadline: std::time::Duration,

    /// How often a leader renews its Lease and a standby tries to take it.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_positive_duration)]
    pub leader_elect_retry_period: std::time::Duration,

    /// Which logs to write, as a `RUST_LOG` filter such as `info,my_operator=debug`
    /// [default: `RUST_LOG`, else `info`].
    // `RUST_LOG` is read as the default rather than with clap's `env`, which would count it as
    // given, so that `--zap-log-level` (which refuses `--log-level`) still wins over it.
    #[arg(long, value_name = "FILTER", default_value_t = log_filter_from_env(), hide_default_value = true, value_parser = parse_log_filter)]
    pub log_level: String,

    /// How to write logs: `text` for people, `json` for log collectors.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// zap's level, as Kubebuilder's `main.go` takes it: `debug`, `info`, `error`, `panic` (no
    /// logs), or a verbosity N > 0 (1 is `debug`, more is `trace`). Takes the place of
    /// `--log-level`, as the filter it maps to.
    #[arg(
        long,
        value_name = "LEVEL",
        value_parser = parse_zap_log_level,
        conflicts_with = "log_level"
    )]
    pub zap_log_level: Option<String>,

    /// zap's development mode: `debug` and `text` logs, or with `=false` `info` and `json`, unless
    /// `--zap-log-level` or `--zap-encoder` says otherwise.
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        conflicts_with_all = ["log_level", "log_format"]
    )]
    pub zap_devel: Option<bool>,

    /// zap's encoder: `console` (`text`) or `json`. Takes the place of `--log-format`.
    #[arg(
        long,
        value_name = "ENCODER",
        value_parser = parse_zap_encoder,
        conflicts_with = "log_format"
    )]
    pub zap_encoder: Option<LogFormat>,

    /// Refused: the logs carry no stack traces.
    #[arg(long, value_name = "LEVEL", hide = true, value_parser = refuse_zap_stacktrace_level)]
    zap_stacktrace_level: Option<String>,

    /// Refused: the logs' times are RFC 3339.
    #[arg(long, value_name = "ENCODING", hide = true, value_parser = refuse_zap_time_encoding)]
    zap_time_encoding: Option<String>,
}

/// Where controller-runtime's webhook server looks for its certificate by default.
const WEBHOOK_CERT_DIR: &str = "/tmp/k8s-webhook-server/serving-certs";

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

    /// The `RUST_LOG` filter the logs go through: `--zap-log-level`'s, else `--zap-devel`'s
    /// (`debug`, or `info` with `=false`), else `--log-level`.
    pub fn log_filter(&self) -> &str {
        match (&self.zap_log_level, self.zap_devel) {
            (Some(filter), _) => filter,
            (None, Some(true)) => "debug",
            (None, Some(false)) => "info",
            (None, None) => &self.log_level,
        }
    }

    /// How logs are written: `--zap-encoder`'s format, else `--zap-devel`'s (`text`, or `json`
    /// with `=false`), else `--log-format`.
    pub fn log_output(&self) -> LogFormat {
        match (self.zap_encoder, self.zap_devel) {
            (Some(format), _) => format,
            (None, Some(true)) => LogFormat::Text,
            (None, Some(false)) => LogFormat::Json,
            (None, None) => self.log_format,
        }
    }

    /// The folder of the metrics server's certificate, if one was given: an empty
    /// `--metrics-cert-path` is none, as in Go.
    pub fn metrics_cert_dir(&self) -> Option<&std::path::Path> {
        self.metrics_cert_path
            .as_deref()
            .filter(|dir| !dir.as_os_str().is_empty())
    }

    /// The leader election's timings from the `--leader-elect-*` flags, or why they cannot work
    /// together.
    pub(super) fn leader_election_timings(&self) -> Result<super::leader::Timings, String> {
        super::leader::Timings {
            lease_duration: self.leader_elect_lease_duration,
            renew_deadline: self.leader_elect_renew_deadline,
            retry_period: self.leader_elect_retry_period,
        }
        .check()
    }

    /// Sends logs to stderr, filtered by [`log_filter`](Self::log_filter) and written as
    /// [`log_output`](Self::log_output) says. Does nothing if the program set a global tracing
    /// subscriber already.
    pub fn init_tracing(&self) {
        use std::io::IsTerminal;
        use tracing_subscriber::EnvFilter;

        // The filter was checked when the flags were parsed.
        let filter =
            EnvFilter::try_new(self.log_filter()).unwrap_or_else(|_| EnvFilter::new("info"));
        let logs = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        let _already_set = match self.log_output() {
            // Colors help in a terminal but are noise in `kubectl logs`.
            LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).try_init(),
            LogFormat::Json => logs.json().try_init(),
        };
    }
}

/// A duration above zero.
fn parse_positive_duration(text: &str) -> Result<std::time::Duration, String> {
    match super::duration::parse_go_duration(text)? {
        std::time::Duration::ZERO => Err("expected a duration above zero, such as 2s".into()),
        duration => Ok(duration),
    }
}

/// A Lease's duration: whole seconds, since the Lease records seconds and standbys go by it.
fn parse_lease_duration(text: &str) -> Result<std::time::Duration, String> {
    let duration = parse_positive_duration(text)?;
    if duration.subsec_nanos() != 0 {
        return Err(format!(
            "expected whole seconds, such as 15s: the Lease records seconds, got {text:?}"
        ));
    }
    Ok(duration)
}

/// zap's `--zap-log-level` as the `RUST_LOG` filter that logs the same: zap's verbosity N is
/// logr's `V(N)`, and `V(1)` is debug.
fn parse_zap_log_level(level: &str) -> Result<String, String> {
    let filter = match level.to_ascii_lowercase().as_str() {
        "debug" => "debug",
        "info" => "info",
        "error" => "error",
        // Only panics log at zap's panic level, and the manager logs none.
        "panic" => "off",
        other => match other.parse::<u8>() {
            Ok(1) => "debug",
            Ok(2..) => "trace",
            _ => {
                return Err(
                    "expected debug, info, error, panic or a verbosity above 0 (zap's levels); \
                     or pass --log-level with a RUST_LOG filter"
                        .into(),
                );
            }
        },
    };
    Ok(filter.into())
}

/// zap's `--zap-encoder`: `console` is the text format.
fn parse_zap_encoder(encoder: &str) -> Result<LogFormat, String> {
    match encoder.to_ascii_lowercase().as_str() {
        "console" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err("expected console or json (zap's encoders)".into()),
    }
}

fn refuse_zap_stacktrace_level(_: &str) -> Result<String, String> {
    Err("the manager's logs carry no stack traces; remove --zap-stacktrace-level".into())
}

fn refuse_zap_time_encoding(_: &str) -> Result<String, String> {
    Err("the manager writes RFC 3339 times only; remove --zap-time-encoding".into())
}

/// `--metrics-cert-path`, which Go's flag takes empty.
fn parse_metrics_cert_dir(dir: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(dir))
}

/// `--webhook-cert-path`: empty is controller-runtime's folder, as with Kubebuilder's flag.
fn parse_webhook_cert_dir(dir: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(if dir.is_empty() {
        WEBHOOK_CERT_DIR
    } else {
        dir
    }))
}

/// `RUST_LOG`, or `info` when it is unset or empty.
fn log_filter_from_env() -> String {
    std::env::var("RUST_LOG")
        .ok()
        .filter(|filter| !filter.is_empty())
        .unwrap_or_else(|| "info".into())
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
        // client-go's, as Kubernetes' own controllers take them.
        assert_eq!(
            options.leader_election_timings(),
            Ok(super::super::leader::Timings {
                lease_duration: std::time::Duration::from_secs(15),
                renew_deadline: std::time::Duration::from_secs(10),
                retry_period: std::time::Duration::from_secs(2),
            })
        );
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
    fn leader_election_timings_are_kubernetes_flags() {
        let seconds = std::time::Duration::from_secs;
        let options = parse(&[
            "--leader-elect-lease-duration=4s",
            "--leader-elect-renew-deadline=3s",
            "--leader-elect-retry-period=500ms",
        ])
        .unwrap();
        let timings = options.leader_election_timings().unwrap();
        assert_eq!(
            (timings.lease_duration, timings.renew_deadline),
            (seconds(4), seconds(3))
        );
        assert_eq!(timings.retry_period, std::time::Duration::from_millis(500));

        assert!(refusal(&["--leader-elect-lease-duration=1500ms"]).contains("whole seconds"));
        assert!(refusal(&["--leader-elect-retry-period=0"]).contains("above zero"));
        let clash = parse(&["--leader-elect-lease-duration=5s"]).unwrap();
        assert!(
            clash
                .leader_election_timings()
                .unwrap_err()
                .contains("--leader-elect-renew-deadline (10s) must be shorter")
        );
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

    /// The error of `args`, which must be refused, as its first line (what clap prints first).
    fn refusal(args: &[&str]) -> String {
        let error = parse(args).expect_err("refused").to_string();
        error.lines().next().unwrap_or_default().to_string()
    }

    #[test]
    fn kubebuilder_webhook_cert_key_names_the_key_file() {
        let options = parse(&[
            "--webhook-cert-path=/certs",
            "--webhook-cert-name=cert.pem",
            "--webhook-cert-key=key.pem",
        ])
        .unwrap();
        assert_eq!(options.webhook_cert_path, PathBuf::from("/certs"));
        assert_eq!(
            (&*options.webhook_cert_name, &*options.webhook_key_name),
            ("cert.pem", "key.pem")
        );
        // Go's separate value works too, and the two spellings are one flag.
        let options = parse(&["--webhook-cert-key", "k.pem"]).unwrap();
        assert_eq!(options.webhook_key_name, "k.pem");
        assert!(
            refusal(&["--webhook-cert-key=a.pem", "--webhook-key-name=b.pem"])
                .contains("cannot be used multiple times")
        );
    }

    #[test]
    fn empty_cert_paths_mean_the_defaults_as_in_go() {
        let options = parse(&["--webhook-cert-path=", "--metrics-cert-path="]).unwrap();
        assert_eq!(
            options.webhook_cert_path,
            PathBuf::from("/tmp/k8s-webhook-server/serving-certs")
        );
        assert_eq!(options.metrics_cert_dir(), None);
        let options = parse(&["--metrics-cert-path=/m"]).unwrap();
        assert_eq!(options.metrics_cert_dir(), Some(std::path::Path::new("/m")));
    }

    #[test]
    fn zap_log_levels_map_onto_log_filters() {
        for (level, filter) in [
            ("debug", "debug"),
            ("info", "info"),
            ("error", "error"),
            ("INFO", "info"),
            ("panic", "off"),
            ("1", "debug"),
            ("2", "trace"),
            ("10", "trace"),
        ] {
            let options = parse(&[&format!("--zap-log-level={level}")]).unwrap();
            assert_eq!(options.log_filter(), filter, "{level}");
        }
        // Without a zap flag, `--log-level`'s default: `RUST_LOG`, else `info`. (Run these tests
        // with `RUST_LOG` set to see the zap flags win over it.)
        assert_eq!(parse(&[]).unwrap().log_filter(), log_filter_from_env());
        for bad in ["0", "-1", "warn", "verbose"] {
            assert!(
                refusal(&[&format!("--zap-log-level={bad}")])
                    .contains("expected debug, info, error, panic or a verbosity above 0"),
                "{bad}"
            );
        }
        assert!(
            refusal(&["--zap-log-level=debug", "--log-level=info"]).contains("cannot be used with")
        );
    }

    #[test]
    fn zap_encoders_map_onto_log_formats() {
        let console = parse(&["--zap-encoder=console"]).unwrap();
        assert_eq!(console.log_output(), LogFormat::Text);
        let json = parse(&["--zap-encoder", "json"]).unwrap();
        assert_eq!(json.log_output(), LogFormat::Json);
        assert!(refusal(&["--zap-encoder=yaml"]).contains("expected console or json"));
        assert!(
            refusal(&["--zap-encoder=json", "--log-format=text"]).contains("cannot be used with")
        );
    }

    #[test]
    fn zap_devel_sets_level_and_format_unless_told_otherwise() {
        let devel = parse(&["--zap-devel"]).unwrap();
        assert_eq!(
            (devel.log_filter(), devel.log_output()),
            ("debug", LogFormat::Text)
        );
        let production = parse(&["--zap-devel=false"]).unwrap();
        assert_eq!(
            (production.log_filter(), production.log_output()),
            ("info", LogFormat::Json)
        );
        let mixed = parse(&[
            "--zap-devel=false",
            "--zap-log-level=error",
            "--zap-encoder=console",
        ])
        .unwrap();
        assert_eq!(
            (mixed.log_filter(), mixed.log_output()),
            ("error", LogFormat::Text)
        );
        assert!(refusal(&["--zap-devel", "--log-level=info"]).contains("cannot be used with"));
        assert!(refusal(&["--zap-devel", "--log-format=json"]).contains("cannot be used with"));
    }

    #[test]
    fn zap_flags_without_an_equivalent_are_refused() {
        assert_eq!(
            refusal(&["--zap-stacktrace-level=error"]),
            "error: invalid value 'error' for '--zap-stacktrace-level <LEVEL>': the manager's logs \
             carry no stack traces; remove --zap-stacktrace-level"
        );
        assert_eq!(
            refusal(&["--zap-time-encoding", "rfc3339"]),
            "error: invalid value 'rfc3339' for '--zap-time-encoding <ENCODING>': the manager \
             writes RFC 3339 times only; remove --zap-time-encoding"
        );
    }

    /// The `args:` of a Kubebuilder project's manager: `config/manager/manager.yaml`, then
    /// `config/default/manager_metrics_patch.yaml` (inserted first), then
    /// `manager_webhook_patch.yaml` and `cert_metrics_manager_patch.yaml` (appended), and the
    /// zap flags its `main.go` binds.
    #[test]
    fn a_kubebuilder_deployments_args_parse() {
        let options = parse(&[
            "--metrics-bind-address=:8443",
            "--leader-elect",
            "--health-probe-bind-address=:8081",
            "--webhook-cert-path=/tmp/k8s-webhook-server/serving-certs",
            "--metrics-cert-path=/tmp/k8s-metrics-server/metrics-certs",
            "--zap-log-level=info",
            "--zap-encoder=json",
        ])
        .unwrap();
        assert_eq!(
            options.metrics_bind_address,
            BindAddress::At(":8443".into())
        );
        assert!(options.metrics_secure);
        assert!(options.leader_elect);
        assert_eq!(
            options.health_probe_bind_address,
            BindAddress::At(":8081".into())
        );
        assert_eq!(
            options.webhook_cert_path,
            PathBuf::from("/tmp/k8s-webhook-server/serving-certs")
        );
        assert_eq!(
            (&*options.webhook_cert_name, &*options.webhook_key_name),
            ("tls.crt", "tls.key")
        );
        assert_eq!(
            options.metrics_cert_dir(),
            Some(std::path::Path::new(
                "/tmp/k8s-metrics-server/metrics-certs"
            ))
        );
        assert_eq!(
            (options.log_filter(), options.log_output()),
            ("info", LogFormat::Json)
        );
        // And the flags its main.go defines with their other values.
        let options = parse(&[
            "--metrics-secure=false",
            "--enable-http2=true",
            "--metrics-cert-name=metrics.crt",
            "--metrics-cert-key=metrics.key",
            "--leader-elect=false",
        ])
        .unwrap();
        assert!(!options.metrics_secure && options.enable_http2 && !options.leader_elect);
        assert_eq!(
            (&*options.metrics_cert_name, &*options.metrics_cert_key),
            ("metrics.crt", "metrics.key")
        );
    }
}
