//! Leader election on a Lease, so that one replica reconciles while the others stand by.

use std::hash::{BuildHasher, RandomState};

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder, LeaseManagerError};
use tokio::{sync::watch, task::JoinHandle};
use tracing::warn;

use super::LEASE_RELEASE_TIMEOUT;

/// How long a leader that stopped renewing keeps the Lease: a standby takes over at most this
/// long after the leader dies. The values are controller-runtime's defaults.
const LEASE_DURATION_SECONDS: u64 = 15;
/// The leader renews this long before its Lease would expire.
const RENEW_BEFORE_EXPIRY_SECONDS: u64 = 5;

/// A running candidacy for the Lease.
pub(super) struct Candidate {
    leading: watch::Receiver<bool>,
    election: JoinHandle<Result<LeaseManager, LeaseManagerError>>,
}

impl Candidate {
    /// Starts competing for the Lease `name` in `namespace`, creating it if needed.
    pub async fn start(
        client: Client,
        name: &str,
        namespace: &str,
    ) -> Result<Self, LeaseManagerError> {
        let manager = LeaseManagerBuilder::new(client, name)
            .with_namespace(namespace)
            .with_identity(identity())
            .with_duration(LEASE_DURATION_SECONDS)
            .with_grace(RENEW_BEFORE_EXPIRY_SECONDS)
            .build()
            .await?;
        let (leading, election) = manager.watch().await;
        Ok(Self { leading, election })
    }

    /// Waits until this manager leads; `false` if the election stopped first.
    pub async fn acquired(&mut self) -> bool {
        self.leading.wait_for(|leading| *leading).await.is_ok()
    }

    /// Waits until this manager no longer leads (or the election stopped).
    pub async fn lost(&mut self) {
        let _ = self.leading.wait_for(|leading| !*leading).await;
    }

    /// Stops competing and gives the Lease up if held, so that the next manager to look takes
    /// it without waiting for it to expire.
    pub async fn release(self) {
        // The election task releases the Lease once nobody watches it.
        drop(self.leading);
        match tokio::time::timeout(LEASE_RELEASE_TIMEOUT, self.election).await {
            Ok(Ok(Ok(_))) => {}
            Ok(Ok(Err(err))) => warn!(error = %err, "could not release the leader lease"),
            Ok(Err(err)) => warn!(error = %err, "leader election task failed"),
            Err(_) => {
                warn!(timeout = ?LEASE_RELEASE_TIMEOUT, "releasing the leader lease timed out")
            }
        }
    }
}

/// Names this process in the Lease: the Pod name (`HOSTNAME`) when there is one, and a random
/// suffix, since a restarted container keeps its Pod's name.
fn identity() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "manager".into());
    let suffix = RandomState::new().hash_one(std::process::id());
    format!("{host}_{suffix:016x}")
}
