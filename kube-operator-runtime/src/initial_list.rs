//! How every watch of the runtime gets its first list: streamed, where the API server can.
//!
//! A paged LIST of 10,000 objects is 20 requests whose pages the client holds while it decodes
//! them, and the API server builds each page in memory. A streaming list (a watch with
//! `sendInitialEvents=true`, Kubernetes' WatchList) sends the same objects as watch events on the
//! one connection the watch keeps anyway, and ends the list with a bookmark. client-go does the
//! same since Kubernetes 1.34.
//!
//! Servers whose WatchList feature gate is off (1.33 by default, before 1.32, or turned off by
//! hand) refuse such a watch with 422 Unprocessable Entity; the watch then lists and watches as
//! before, for as long as it runs.

use std::fmt::Debug;

use futures::{Stream, StreamExt, stream::BoxStream};
use kube::{Api, Resource, runtime::watcher};
use serde::de::DeserializeOwned;
use tracing::info;

use crate::watch_backoff::{api_status, backoff_unless_expired};

/// The events of a watch of the objects of `api` that `config` selects: streamed first list
/// where served, listed otherwise; paused after errors as [`backoff_unless_expired`] says.
pub(crate) fn watch_objects<K>(
    api: Api<K>,
    config: watcher::Config,
) -> impl Stream<Item = watcher::Result<watcher::Event<K>>> + Send + 'static
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static,
{
    backoff_unless_expired(streamed_unless_refused(api, config))
}

type Events<K> = BoxStream<'static, watcher::Result<watcher::Event<K>>>;

fn streamed_unless_refused<K>(
    api: Api<K>,
    config: watcher::Config,
) -> impl Stream<Item = watcher::Result<watcher::Event<K>>> + Send + 'static
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let streamed: Events<K> = watcher(api.clone(), config.clone().streaming_lists()).boxed();
    // Whether the server answered the streaming watch: after that, it is known to serve it.
    let decided = false;
    futures::stream::unfold(
        (streamed, decided, api, config),
        |(mut events, mut decided, api, config)| async move {
            loop {
                let event = events.next().await?;
                if !decided {
                    match &event {
                        Ok(_) => decided = true,
                        Err(err) if refuses_streaming(err) => {
                            info!(
                                kind = %K::kind(&()),
                                "the API server does not stream lists (WatchList is off); listing instead"
                            );
                            events = watcher(api.clone(), config.clone().any_semantic()).boxed();
                            decided = true;
                            continue;
                        }
                        // Unreachable, forbidden, …: the same error would meet a list.
                        Err(_) => {}
                    }
                }
                return Some((event, (events, decided, api, config)));
            }
        },
    )
}

/// Whether the API server refused the watch for its `sendInitialEvents`: 422 when the WatchList
/// feature gate is off, 400 from servers that validate the parameter otherwise.
fn refuses_streaming(err: &watcher::Error) -> bool {
    api_status(err).is_some_and(|status| status.code == 422 || status.code == 400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    fn respond(
        respond: tower_test::mock::SendResponse<http::Response<kube::client::Body>>,
        code: u16,
        body: serde_json::Value,
    ) {
        let mut response =
            http::Response::new(kube::client::Body::from(body.to_string().into_bytes()));
        *response.status_mut() = http::StatusCode::from_u16(code).unwrap();
        respond.send_response(response);
    }

    #[tokio::test]
    async fn a_server_without_watch_list_is_listed_instead() {
        let (client, mut handle) = crate::test_support::mock_client();
        let events =
            streamed_unless_refused(Api::<ConfigMap>::all(client), watcher::Config::default());
        let first_two = tokio::spawn(events.take(2).collect::<Vec<_>>());

        // What a server with the WatchList feature gate off answers.
        let (request, responder) = handle.next_request().await.unwrap();
        let query = request.uri().query().unwrap_or_default().to_string();
        assert!(query.contains("watch=true"), "{query}");
        assert!(query.contains("sendInitialEvents=true"), "{query}");
        respond(
            responder,
            422,
            serde_json::json!({
                "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 422,
                "reason": "Invalid",
                "message": "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
            }),
        );

        // The watch lists instead, and the refusal never reaches the caller.
        let (request, responder) = handle.next_request().await.unwrap();
        let query = request.uri().query().unwrap_or_default().to_string();
        assert!(!query.contains("watch=true"), "{query}");
        assert!(!query.contains("sendInitialEvents"), "{query}");
        respond(
            responder,
            200,
            serde_json::json!({
                "kind": "ConfigMapList", "apiVersion": "v1",
                "metadata": { "resourceVersion": "7" }, "items": [],
            }),
        );
        let events = first_two.await.unwrap();
        assert!(
            matches!(
                events[..],
                [Ok(watcher::Event::Init), Ok(watcher::Event::InitDone)]
            ),
            "{events:?}"
        );
    }
}
