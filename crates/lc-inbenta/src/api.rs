//! The REST routes both clients use besides creating users: availability, settings,
//! media download and the raw escape hatch (`ICF.Api.request`).

use crate::{InbentaClient, UserClient};
use bytes::Bytes;
use http::Method;
use lc_protocol::Error;
use lc_protocol::percent::encode as query_escape;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The REST methods of a client type with a `rest()`.
macro_rules! rest_methods {
    ($client:ident) => {
        impl $client {
            /// Sends any REST request to `path` under `/v1/` (e.g. `chats/c1/history`,
            /// `users?externalId=x`) with an optional JSON body and returns the JSON answer
            /// (`ICF.Api.request`). An empty answer is `null`.
            ///
            /// # Errors
            /// [`Error::Api`] with Inbenta's code and message and the HTTP status.
            pub async fn api_request(
                &self,
                method: Method,
                path: &str,
                body: Option<Value>,
            ) -> Result<Value, Error> {
                let bytes = self
                    .rest()
                    .send(method.clone(), path, body.as_ref())
                    .await?;
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    return Ok(Value::Null);
                }
                serde_json::from_slice(&bytes).map_err(|source| Error::Decode {
                    action: format!("{method} /v1/{path}"),
                    source: lc_protocol::FrameError::Payload {
                        name: path.to_owned(),
                        source: source.into(),
                    },
                })
            }

            /// How many agents can take a chat in `room` (and language `lang`):
            /// `GET /v1/agents/available`. One or more means a chat would be attended.
            ///
            /// # Errors
            /// As [`api_request`](Self::api_request).
            pub async fn agents_available(
                &self,
                room: &str,
                lang: Option<&str>,
            ) -> Result<u64, Error> {
                #[derive(Deserialize)]
                struct Available {
                    #[serde(default)]
                    agents: BTreeMap<String, Value>,
                }
                let mut path = format!("agents/available?roomIds={}", query_escape(room));
                if let Some(lang) = lang {
                    path.push_str("&langs=");
                    path.push_str(&query_escape(lang));
                }
                let answer: Available = self.rest().json(Method::GET, &path, None).await?;
                Ok(answer
                    .agents
                    .get(room)
                    .and_then(|count| count.as_u64().or_else(|| count.as_str()?.parse().ok()))
                    .unwrap_or(0))
            }

            /// Whether any agent of `room` is online: `GET /v1/agents/online`.
            ///
            /// # Errors
            /// As [`api_request`](Self::api_request).
            pub async fn agents_online(&self, room: &str) -> Result<bool, Error> {
                #[derive(Deserialize)]
                struct Online {
                    #[serde(rename = "agentsOnline", default)]
                    agents_online: bool,
                }
                let path = format!("agents/online?roomId={}", query_escape(room));
                let answer: Online = self.rest().json(Method::GET, &path, None).await?;
                Ok(answer.agents_online)
            }

            /// The app's settings (`GET /v1/settings`), e.g. `queue.active` for queue mode.
            ///
            /// # Errors
            /// As [`api_request`](Self::api_request).
            pub async fn settings(&self) -> Result<Value, Error> {
                #[derive(Deserialize)]
                struct Settings {
                    #[serde(default)]
                    settings: Value,
                }
                let answer: Settings = self.rest().json(Method::GET, "settings", None).await?;
                Ok(answer.settings)
            }

            /// Whether the app runs in queue mode (`settings.queue.active`).
            ///
            /// # Errors
            /// As [`api_request`](Self::api_request).
            pub async fn queue_mode(&self) -> Result<bool, Error> {
                let settings = self.settings().await?;
                Ok(settings
                    .pointer("/queue/active")
                    .and_then(Value::as_bool)
                    .unwrap_or(false))
            }

            /// Downloads a media file by the `url` of a media message (`/media/<id>`) or its
            /// id: `GET /v1/media/{id}`, signed with the client's credentials in headers.
            ///
            /// # Errors
            /// As [`api_request`](Self::api_request).
            pub async fn download_media(&self, url_or_id: &str) -> Result<Bytes, Error> {
                let id = url_or_id
                    .trim_start_matches('/')
                    .trim_start_matches("v1/")
                    .trim_start_matches("media/");
                let path = format!("media/{}", query_escape(id));
                self.rest().send(Method::GET, &path, None).await
            }
        }
    };
}

rest_methods!(InbentaClient);
rest_methods!(UserClient);
