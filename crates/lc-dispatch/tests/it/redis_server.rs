//! A real `redis-server` on a free port of 127.0.0.1, stopped when dropped. Missing
//! `redis-server` fails the test (`.ci/run` installs it).

use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

pub(crate) struct RedisServer {
    _child: Child,
    pub(crate) url: String,
}

impl RedisServer {
    pub(crate) async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is not installed (apt-get install -y redis-server)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    _child: child,
                    url: format!("redis://127.0.0.1:{port}/"),
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not listen on {port}");
    }
}
