//! A one-thread HTTP/1.1 server on 127.0.0.1:0 for the harvest tests: it logs every request
//! (path, decoded query, arrival time, User-Agent) before answering it with what the test's
//! handler says, and stops when dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub at: Instant,
    pub path: String,
    pub query: String,
    pub params: HashMap<String, String>,
    pub user_agent: Option<String>,
}

impl Request {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }
}

/// What the server does with a request.
pub enum Reply {
    Http {
        status: u16,
        retry_after: Option<&'static str>,
        body: Vec<u8>,
    },
    /// Close the connection without answering.
    Hangup,
    /// Hold the connection open, silent, for this long (on its own thread: the server keeps
    /// answering other connections), then close it.
    Stall(std::time::Duration),
}

pub fn ok(body: Vec<u8>) -> Reply {
    Reply::Http { status: 200, retry_after: None, body }
}

pub fn status(status: u16, retry_after: Option<&'static str>) -> Reply {
    Reply::Http { status, retry_after, body: b"<html><body>Please slow down</body></html>".to_vec() }
}

/// A one-thread HTTP/1.1 server on 127.0.0.1:0; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(mut handler: impl FnMut(&Request) -> Reply + Send + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_log, thread_stop) = (log.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&stream) else {
                    continue;
                };
                // Logged before answering, so the client never sees an answer not yet logged.
                thread_log.lock().unwrap().push(request.clone());
                let reply = handler(&request);
                if let Reply::Stall(for_how_long) = reply {
                    std::thread::spawn(move || {
                        std::thread::sleep(for_how_long);
                        drop(stream);
                    });
                    continue;
                }
                if let Reply::Http { status, retry_after, body } = reply {
                    let mut head =
                        format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
                    if let Some(after) = retry_after {
                        head.push_str(&format!("Retry-After: {after}\r\n"));
                    }
                    head.push_str("Content-Type: application/xml\r\n\r\n");
                    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
                }
            }
        });
        Server { addr, log, stop, thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    pub fn queries(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.query).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let at = Instant::now();
    let target = line.split_whitespace().nth(1)?.to_string();
    let mut user_agent = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("user-agent") {
                user_agent = Some(value.trim().to_string());
            }
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let params = query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect();
    Some(Request { at, path: path.to_string(), query: decode(query), params, user_agent })
}

pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}
