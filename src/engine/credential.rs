//! Where a bearer token comes from, shared by both engines: nothing, a fixed value, or the
//! host's endpoint (kept in memory only, fetched again after a 401).

use crate::protocol::{HttpRequest, Read};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// No token: the host's proxy adds credentials, or the vendor needs none.
    None,
    /// A literal key or token (development only).
    Fixed(String),
    /// Fetched from the host's endpoint, which answers `{"access_token", "expires_in"}`.
    Endpoint { url: String, token: Option<String> },
}

/// What a token endpoint's answer means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenAnswer {
    Ready,
    /// The endpoint refused POST; ask again with GET.
    AskAgain,
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct TokenSource {
    credential: Credential,
    /// Decision: the endpoint is POSTed; one answering 405 is asked again with GET.
    by_get: bool,
}

impl TokenSource {
    pub fn new(credential: Credential) -> TokenSource {
        TokenSource {
            credential,
            by_get: false,
        }
    }

    /// The token to send now, if there is one.
    pub fn bearer(&self) -> Option<String> {
        match &self.credential {
            Credential::None => None,
            Credential::Fixed(t) => Some(t.clone()),
            Credential::Endpoint { token, .. } => token.clone(),
        }
    }

    /// The request that fetches a token, when one is needed and missing.
    pub fn fetch(&self) -> Option<HttpRequest> {
        match &self.credential {
            Credential::Endpoint { url, token: None } => Some(HttpRequest {
                method: if self.by_get { "GET" } else { "POST" },
                url: url.clone(),
                body: None,
                read: Read::Whole,
            }),
            _ => None,
        }
    }

    /// Whether a 401 can be cured by fetching a new token.
    pub fn refreshable(&self) -> bool {
        matches!(self.credential, Credential::Endpoint { .. })
    }

    /// Forget the token (after a 401); the next [`TokenSource::fetch`] asks for a new one.
    pub fn invalidate(&mut self) {
        if let Credential::Endpoint { token, .. } = &mut self.credential {
            *token = None;
        }
    }

    pub fn on_answer(&mut self, status: u16, body: &str) -> TokenAnswer {
        if status == 405 && !self.by_get {
            self.by_get = true;
            return TokenAnswer::AskAgain;
        }
        let fetched = (200..300)
            .contains(&status)
            .then(|| crate::protocol::scan::parse(body).ok())
            .flatten()
            .and_then(|v| {
                ["access_token", "token"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(|t| t.as_str()).map(str::to_string))
            })
            .filter(|t| !t.is_empty());
        match (fetched, &mut self.credential) {
            (Some(t), Credential::Endpoint { token, .. }) => {
                *token = Some(t);
                TokenAnswer::Ready
            }
            _ => TokenAnswer::Failed(format!(
                "the token endpoint answered HTTP {status} without a usable access_token"
            )),
        }
    }
}
