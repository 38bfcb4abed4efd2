//! Broker users and the RabbitMQ management-API client (`hubctl rabbitmq setup`, ops
//! views, tests).
//!
//! Invariant (sender authentication, issue 3): a department user `D` may *write* only to
//! `hub.ingress` and there only under routing keys starting with `D.` (topic permission),
//! may *read* only `deliver.D`, and may *configure* nothing. The hub's own user has full
//! permissions on its vhost. Since RabbitMQ validates the `user_id` property against the
//! connection's user, a message on `ingress.D` with `user_id = D`'s user was published by D.
//!
//! The client only talks to the URL it was given (plain HTTP on loopback in this project)
//! and percent-encodes every path segment (vhost `/` is `%2F`, connection names contain
//! spaces and `->`).

use std::fmt;

use contracts::model::Actor;
use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AmqpError;
use super::topology::{INGRESS_EXCHANGE, department_dead_exchange, department_retry_exchange};

/// One broker user: a department's, or the hub's own (`department = HUB`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerUser {
    /// The department this user publishes as (`HUB` for the hub itself).
    pub department: Actor,
    /// RabbitMQ user name.
    pub username: String,
    /// Password (only `hubctl rabbitmq setup` sends it, to the management API).
    #[serde(default)]
    pub password: String,
}

impl fmt::Debug for BrokerUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrokerUser")
            .field("department", &self.department)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Vhost permissions: regular expressions over resource names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permissions {
    /// Declare/delete resources.
    pub configure: String,
    /// Publish to exchanges (and bind queues).
    pub write: String,
    /// Consume from queues (and bind exchanges).
    pub read: String,
}

/// Topic permissions on one topic exchange: regular expressions over routing keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicPermissions {
    /// The topic exchange.
    pub exchange: String,
    /// Routing keys the user may publish with.
    pub write: String,
    /// Routing keys the user may bind (consume) with.
    pub read: String,
}

impl BrokerUser {
    /// The conventional user name: `dept-<code in lower case>` (`dept-grid`, as in
    /// `hub.example.toml`), `hub` for the hub.
    pub fn default_username(department: Actor) -> String {
        match department {
            Actor::Hub => "hub".to_owned(),
            other => format!("dept-{}", other.as_str().to_ascii_lowercase()),
        }
    }

    /// The vhost permissions of this user.
    pub fn permissions(&self) -> Permissions {
        if self.department == Actor::Hub {
            return Permissions {
                configure: ".*".into(),
                write: ".*".into(),
                read: ".*".into(),
            };
        }
        // Its adapter publishes to the ingress, and settles its deliveries with retry
        // copies and dead letters through its own two exchanges (see `topology`).
        Permissions {
            configure: "^$".into(),
            write: format!(
                "^({}|{}|{})$",
                regex_escape(INGRESS_EXCHANGE),
                regex_escape(&department_retry_exchange(self.department)),
                regex_escape(&department_dead_exchange(self.department))
            ),
            read: format!("^deliver\\.{}$", self.department.as_str()),
        }
    }

    /// The topic permissions of this user (none for the hub: unrestricted).
    pub fn topic_permissions(&self) -> Option<TopicPermissions> {
        (self.department != Actor::Hub).then(|| TopicPermissions {
            exchange: INGRESS_EXCHANGE.to_owned(),
            write: format!("^{}\\.", self.department.as_str()),
            read: "^$".to_owned(),
        })
    }
}

fn regex_escape(name: &str) -> String {
    name.replace('.', "\\.")
}

/// Depth of one queue as the management API reports it (statistics lag by a few seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct QueueDepth {
    /// Ready plus unacknowledged messages.
    #[serde(default)]
    pub messages: u64,
    /// Messages waiting for a consumer.
    #[serde(default)]
    pub messages_ready: u64,
    /// Messages delivered and not yet settled.
    #[serde(default)]
    pub messages_unacknowledged: u64,
}

/// Client of the RabbitMQ management HTTP API (basic auth).
#[derive(Clone)]
pub struct ManagementClient {
    http: reqwest::Client,
    base: Url,
    username: String,
    password: String,
}

impl fmt::Debug for ManagementClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementClient")
            .field("base", &self.base.as_str())
            .field("username", &self.username)
            .finish()
    }
}

impl ManagementClient {
    /// A client for the API at `base_url` (e.g. `http://127.0.0.1:15672`) as an
    /// administrator.
    pub fn new(base_url: &str, username: &str, password: &str) -> Result<Self, AmqpError> {
        let base = Url::parse(base_url)
            .map_err(|e| AmqpError::Config(format!("management URL {base_url:?}: {e}")))?;
        if base.cannot_be_a_base() {
            return Err(AmqpError::Config(format!(
                "management URL {base_url:?} cannot have paths"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| AmqpError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("api").extend(segments);
        }
        url
    }

    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<Value>,
    ) -> Result<reqwest::Response, AmqpError> {
        let url = self.url(segments);
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .basic_auth(&self.username, Some(&self.password));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| management_error(&method, &url, e.to_string()))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Err(AmqpError::Management {
            method: method.to_string(),
            path: url.path().to_owned(),
            status: Some(status.as_u16()),
            detail: text,
        })
    }

    /// `GET /api/overview`: whether the API answers with these credentials.
    pub async fn overview(&self) -> Result<Value, AmqpError> {
        let response = self.call(Method::GET, &["overview"], None).await?;
        json_body(response).await
    }

    /// Creates the vhost (no-op if it exists).
    pub async fn create_vhost(&self, vhost: &str) -> Result<(), AmqpError> {
        self.call(Method::PUT, &["vhosts", vhost], Some(json!({})))
            .await
            .map(drop)
    }

    /// Deletes the vhost and everything in it; a missing vhost is not an error.
    pub async fn delete_vhost(&self, vhost: &str) -> Result<(), AmqpError> {
        ignore_not_found(self.call(Method::DELETE, &["vhosts", vhost], None).await)
    }

    /// Creates or updates a user with a password and no tags (no management access).
    pub async fn put_user(&self, username: &str, password: &str) -> Result<(), AmqpError> {
        let body = json!({"password": password, "tags": ""});
        self.call(Method::PUT, &["users", username], Some(body))
            .await
            .map(drop)
    }

    /// Whether the user exists.
    pub async fn user_exists(&self, username: &str) -> Result<bool, AmqpError> {
        match self.call(Method::GET, &["users", username], None).await {
            Ok(_) => Ok(true),
            Err(AmqpError::Management {
                status: Some(404), ..
            }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Deletes a user; a missing user is not an error.
    pub async fn delete_user(&self, username: &str) -> Result<(), AmqpError> {
        ignore_not_found(self.call(Method::DELETE, &["users", username], None).await)
    }

    /// Sets the user's permissions on the vhost.
    pub async fn set_permissions(
        &self,
        vhost: &str,
        username: &str,
        permissions: &Permissions,
    ) -> Result<(), AmqpError> {
        let body =
            serde_json::to_value(permissions).map_err(|e| AmqpError::Config(e.to_string()))?;
        self.call(Method::PUT, &["permissions", vhost, username], Some(body))
            .await
            .map(drop)
    }

    /// Sets the user's topic permissions on one exchange of the vhost.
    pub async fn set_topic_permissions(
        &self,
        vhost: &str,
        username: &str,
        topic: &TopicPermissions,
    ) -> Result<(), AmqpError> {
        let body = serde_json::to_value(topic).map_err(|e| AmqpError::Config(e.to_string()))?;
        self.call(
            Method::PUT,
            &["topic-permissions", vhost, username],
            Some(body),
        )
        .await
        .map(drop)
    }

    /// Creates or updates `user` with its password, permissions and topic permissions.
    pub async fn apply_user(&self, vhost: &str, user: &BrokerUser) -> Result<(), AmqpError> {
        self.put_user(&user.username, &user.password).await?;
        self.set_permissions(vhost, &user.username, &user.permissions())
            .await?;
        if let Some(topic) = user.topic_permissions() {
            self.set_topic_permissions(vhost, &user.username, &topic)
                .await?;
        }
        Ok(())
    }

    /// The names of the open connections to `vhost`.
    pub async fn connections_of_vhost(&self, vhost: &str) -> Result<Vec<String>, AmqpError> {
        let response = self
            .call(Method::GET, &["vhosts", vhost, "connections"], None)
            .await?;
        let list: Vec<Value> = json_body(response).await?;
        Ok(list
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect())
    }

    /// Force-closes every connection to `vhost` (and only those); returns how many.
    pub async fn close_connections_of_vhost(&self, vhost: &str) -> Result<usize, AmqpError> {
        let names = self.connections_of_vhost(vhost).await?;
        for name in &names {
            ignore_not_found(
                self.call(Method::DELETE, &["connections", name], None)
                    .await,
            )?;
        }
        Ok(names.len())
    }

    /// Message counts of a queue.
    pub async fn queue_depth(&self, vhost: &str, queue: &str) -> Result<QueueDepth, AmqpError> {
        let response = self
            .call(Method::GET, &["queues", vhost, queue], None)
            .await?;
        json_body(response).await
    }

    /// Imports definitions (`POST /api/definitions`).
    pub async fn import_definitions(&self, definitions: &Value) -> Result<(), AmqpError> {
        self.call(Method::POST, &["definitions"], Some(definitions.clone()))
            .await
            .map(drop)
    }
}

fn management_error(method: &Method, url: &Url, detail: String) -> AmqpError {
    AmqpError::Management {
        method: method.to_string(),
        path: url.path().to_owned(),
        status: None,
        detail,
    }
}

fn ignore_not_found(result: Result<reqwest::Response, AmqpError>) -> Result<(), AmqpError> {
    match result {
        Ok(_) => Ok(()),
        Err(AmqpError::Management {
            status: Some(code), ..
        }) if code == StatusCode::NOT_FOUND.as_u16() => Ok(()),
        Err(error) => Err(error),
    }
}

async fn json_body<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, AmqpError> {
    let path = response.url().path().to_owned();
    response.json().await.map_err(|e| AmqpError::Management {
        method: "GET".to_owned(),
        path,
        status: None,
        detail: format!("unexpected answer: {e}"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn user(department: Actor) -> BrokerUser {
        BrokerUser {
            department,
            username: BrokerUser::default_username(department),
            password: "pw".into(),
        }
    }

    #[test]
    fn department_users_write_only_their_own_ingress_keys_and_read_only_their_deliveries() {
        let grid = user(Actor::Grid);
        assert_eq!(
            grid.permissions(),
            Permissions {
                configure: "^$".into(),
                write: "^(hub\\.ingress|hub\\.retry\\.GRID|hub\\.dead\\.GRID)$".into(),
                read: "^deliver\\.GRID$".into()
            }
        );
        let topic = grid.topic_permissions().unwrap();
        assert_eq!(
            (
                topic.exchange.as_str(),
                topic.write.as_str(),
                topic.read.as_str()
            ),
            ("hub.ingress", "^GRID\\.", "^$")
        );
        let hub = user(Actor::Hub);
        assert_eq!(hub.permissions().write, ".*");
        assert!(hub.topic_permissions().is_none());
        assert_eq!(hub.username, "hub");
    }

    #[test]
    fn urls_encode_vhost_and_connection_names() {
        let client = ManagementClient::new("http://127.0.0.1:15672", "guest", "guest").unwrap();
        assert_eq!(
            client.url(&["queues", "/", "deliver.GRID"]).as_str(),
            "http://127.0.0.1:15672/api/queues/%2F/deliver.GRID"
        );
        let name = "127.0.0.1:5000 -> 127.0.0.1:5672";
        assert_eq!(
            client.url(&["connections", name]).as_str(),
            "http://127.0.0.1:15672/api/connections/127.0.0.1:5000%20-%3E%20127.0.0.1:5672"
        );
    }

    #[test]
    fn passwords_stay_out_of_debug_output() {
        assert!(!format!("{:?}", user(Actor::Grid)).contains("pw"));
    }
}
