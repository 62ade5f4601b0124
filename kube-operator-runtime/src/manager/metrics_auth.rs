//! Who may read `/metrics`: the API server decides. A request's bearer token is checked with a
//! TokenReview, and its user's right to `get` the path with a SubjectAccessReview, as
//! controller-runtime's secure metrics server does. Prometheus scrapes with its ServiceAccount
//! token once that account is bound to the `metrics-reader` ClusterRole.

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

/// What the manager asks the API server for each scrape: it needs `create` on `tokenreviews`
/// and `subjectaccessreviews`, which the generated `metrics-auth-role` grants.
pub(super) async fn require_authorized(
    State(client): State<Client>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer_token(&request) else {
        return refuse(StatusCode::UNAUTHORIZED, "a bearer token is required");
    };
    let user = match authenticate(&client, token).await {
        Ok(Some(user)) => user,
        Ok(None) => return refuse(StatusCode::UNAUTHORIZED, "the token is not valid"),
        Err(err) => return review_failed("TokenReview", &err),
    };
    let verb = request.method().as_str().to_ascii_lowercase();
    match authorize(&client, user.clone(), request.uri().path(), &verb).await {
        Ok(true) => next.run(request).await,
        Ok(false) => {
            let name = user.username.unwrap_or_default();
            debug!(user = %name, path = request.uri().path(), "metrics request forbidden");
            refuse(
                StatusCode::FORBIDDEN,
                &format!("user {name:?} may not {verb} {}", request.uri().path()),
            )
        }
        Err(err) => review_failed("SubjectAccessReview", &err),
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
