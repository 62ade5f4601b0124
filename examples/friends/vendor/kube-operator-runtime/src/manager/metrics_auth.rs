//! Who may read `/metrics`: the API server decides. A request's bearer token is checked with a
//! TokenReview, and its user's right to `get` the path with a SubjectAccessReview, as
//! controller-runtime's secure metrics server does. Prometheus scrapes with its ServiceAccount
//! token once that account is bound to the `metrics-reader` ClusterRole.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use k8s_openapi::api::{
    authentication::v1::{TokenReview, TokenReviewSpec, UserInfo},
    authorization::v1::{NonResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec},
};
use kube::{Api, Client, api::PostParams};
use tracing::{debug, warn};

/// How long an answer of the API server about one token is reused: a scraper polling every few
/// seconds costs two reviews per interval, and a revoked right stops working within it.
const DECISION_TTL: Duration = Duration::from_secs(10);
/// At most this many answers are kept, so that callers with ever new tokens cannot grow memory.
const MAX_DECISIONS: usize = 256;

/// A request as reviewed: bearer token, path and verb.
type Asked = (String, String, String);

/// Asks the API server about each caller, and remembers its answers for [`DECISION_TTL`].
pub(super) struct Reviewer {
    client: Client,
    decisions: Mutex<HashMap<Asked, (Instant, Decision)>>,
}

#[derive(Clone, Debug, PartialEq)]
enum Decision {
    Allowed,
    Forbidden { user: String },
}

impl Reviewer {
    pub(super) fn new(client: Client) -> Arc<Self> {
        Arc::new(Self {
            client,
            decisions: Mutex::default(),
        })
    }

    fn remembered(&self, key: &Asked) -> Option<Decision> {
        let decisions = self
            .decisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (at, decision) = decisions.get(key)?;
        (at.elapsed() < DECISION_TTL).then(|| decision.clone())
    }

    fn remember(&self, key: Asked, decision: Decision) {
        let mut decisions = self
            .decisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if decisions.len() >= MAX_DECISIONS {
            decisions.retain(|_, (at, _)| at.elapsed() < DECISION_TTL);
        }
        if decisions.len() < MAX_DECISIONS {
            decisions.insert(key, (Instant::now(), decision));
        }
    }

    /// Whether the token's user may `verb` `path`; `None` for a token the API server rejects,
    /// which is never remembered.
    async fn decide(
        &self,
        token: &str,
        path: &str,
        verb: &str,
    ) -> Result<Option<Decision>, Response> {
        let key = (token.to_string(), path.to_string(), verb.to_string());
        if let Some(decision) = self.remembered(&key) {
            return Ok(Some(decision));
        }
        let user = match authenticate(&self.client, token).await {
            Ok(Some(user)) => user,
            Ok(None) => return Ok(None),
            Err(err) => return Err(review_failed("TokenReview", &err)),
        };
        let name = user.username.clone().unwrap_or_default();
        let decision = match authorize(&self.client, user, path, verb).await {
            Ok(true) => Decision::Allowed,
            Ok(false) => Decision::Forbidden { user: name },
            Err(err) => return Err(review_failed("SubjectAccessReview", &err)),
        };
        self.remember(key, decision.clone());
        Ok(Some(decision))
    }
}

/// What the manager asks the API server for each new caller: it needs `create` on
/// `tokenreviews` and `subjectaccessreviews`, which the generated `metrics-auth-role` grants.
pub(super) async fn require_authorized(
    State(reviewer): State<Arc<Reviewer>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer_token(&request) else {
        return refuse(StatusCode::UNAUTHORIZED, "a bearer token is required");
    };
    let path = request.uri().path();
    let verb = request.method().as_str().to_ascii_lowercase();
    match reviewer.decide(token, path, &verb).await {
        Ok(Some(Decision::Allowed)) => next.run(request).await,
        Ok(Some(Decision::Forbidden { user })) => {
            debug!(%user, path, "metrics request forbidden");
            refuse(
                StatusCode::FORBIDDEN,
                &format!("user {user:?} may not {verb} {path}"),
            )
        }
        Ok(None) => refuse(StatusCode::UNAUTHORIZED, "the token is not valid"),
        Err(response) => response,
    }
}

fn bearer_token(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The token's user, or `None` if the API server does not accept the token.
async fn authenticate(client: &Client, token: &str) -> Result<Option<UserInfo>, kube::Error> {
    let review = TokenReview {
        spec: TokenReviewSpec {
            token: token.to_string(),
            ..Default::default()
        },
        ..Default::default()
    };
    let reviewed = Api::<TokenReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(reviewed
        .status
        .filter(|status| status.authenticated == Some(true))
        .and_then(|status| status.user))
}

/// Whether `user` may `verb` the non-resource URL `path`.
async fn authorize(
    client: &Client,
    user: UserInfo,
    path: &str,
    verb: &str,
) -> Result<bool, kube::Error> {
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: user.username,
            groups: user.groups,
            uid: user.uid,
            extra: user.extra,
            non_resource_attributes: Some(NonResourceAttributes {
                path: Some(path.to_string()),
                verb: Some(verb.to_string()),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let reviewed = Api::<SubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(reviewed.status.is_some_and(|status| status.allowed))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

/// The API server could not answer; most often the manager lacks the metrics-auth role.
fn review_failed(review: &str, err: &kube::Error) -> Response {
    warn!(error = %err, "cannot check a metrics request with a {review}; does the manager hold the metrics-auth role?");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the request could not be checked",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(authorization: Option<&str>) -> Request {
        let mut request = Request::new(axum::body::Body::empty());
        if let Some(value) = authorization {
            request
                .headers_mut()
                .insert(header::AUTHORIZATION, value.parse().unwrap());
        }
        request
    }

    /// Answers one review request the way the API server would.
    async fn answer(
        handle: &mut tower_test::mock::Handle<
            http::Request<kube::client::Body>,
            http::Response<kube::client::Body>,
        >,
        expected_path: &str,
        status: serde_json::Value,
    ) -> serde_json::Value {
        let (request, respond) = handle.next_request().await.expect("a review request");
        assert_eq!(request.uri().path(), expected_path);
        let body = axum::body::to_bytes(axum::body::Body::new(request.into_body()), usize::MAX)
            .await
            .unwrap();
        let mut review: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let asked = review["spec"].clone();
        review["status"] = status;
        respond.send_response(http::Response::new(kube::client::Body::from(
            serde_json::to_vec(&review).unwrap(),
        )));
        asked
    }

    #[tokio::test]
    async fn answers_are_reused_for_a_while_and_rejected_tokens_never() {
        let (service, mut handle) = tower_test::mock::pair();
        let reviewer = Reviewer::new(Client::new(service, "default"));
        let asking = {
            let reviewer = reviewer.clone();
            tokio::spawn(async move {
                let first = reviewer.decide("scraper", "/metrics", "get").await.unwrap();
                let second = reviewer.decide("scraper", "/metrics", "get").await.unwrap();
                let bad = reviewer.decide("bad", "/metrics", "get").await.unwrap();
                (first, second, bad)
            })
        };
        let user = serde_json::json!({"authenticated": true, "user": {"username": "prometheus"}});
        answer(
            &mut handle,
            "/apis/authentication.k8s.io/v1/tokenreviews",
            user,
        )
        .await;
        answer(
            &mut handle,
            "/apis/authorization.k8s.io/v1/subjectaccessreviews",
            serde_json::json!({"allowed": false}),
        )
        .await;
        // The second question about "scraper" reaches no API server; "bad" does.
        let asked = answer(
            &mut handle,
            "/apis/authentication.k8s.io/v1/tokenreviews",
            serde_json::json!({"authenticated": false}),
        )
        .await;
        assert_eq!(
            asked["token"], "bad",
            "the answer about scraper was not reused"
        );
        let (first, second, bad) = asking.await.unwrap();
        let forbidden = Decision::Forbidden {
            user: "prometheus".into(),
        };
        assert_eq!(first, Some(forbidden.clone()));
        assert_eq!(second, Some(forbidden));
        assert_eq!(bad, None);
        assert!(
            reviewer
                .remembered(&("bad".into(), "/metrics".into(), "get".into()))
                .is_none()
        );
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        assert_eq!(bearer_token(&request_with(Some("Bearer abc"))), Some("abc"));
        assert_eq!(
            bearer_token(&request_with(Some("bearer  abc "))),
            Some("abc")
        );
        for refused in [None, Some("Basic abc"), Some("Bearer "), Some("Bearer")] {
            assert_eq!(bearer_token(&request_with(refused)), None, "{refused:?}");
        }
    }
}
