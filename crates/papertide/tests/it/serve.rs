//! `papertide serve` as users run it: a real process on a loopback port, over imported papers,
//! with auto-featuring, answering HTTP, and stopping cleanly on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::{data_dir, papertide, run};

fn get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response)
}

#[test]
fn serve_answers_features_new_papers_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let head = std::fs::read_to_string(data_dir().join("arxiv/kaggle-oai-snapshot-head200.jsonl")).unwrap();
    let input = dir.path().join("head.jsonl");
    std::fs::write(&input, head.lines().take(24).collect::<Vec<_>>().join("\n")).unwrap();
    let mut import = papertide(&data);
    import.arg("import").arg(&input);
    assert!(run(import).status.success());

    let mut cmd = papertide(&data);
    cmd.env("PAPERTIDE_MODEL_DIR", dir.path().join("no-model"))
        .args(["serve", "--addr", "127.0.0.1:0", "--auto-feature", "hep-ph"])
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = Some(rest.split('/').next().unwrap().to_string());
            break;
        }
        line.clear();
    }
    let addr = addr.expect("serve printed its address");
    let (status, body) = get(&addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("papers 24"));
    // The background worker features the hep-ph papers on their publication days.
    let started = Instant::now();
    loop {
        let (status, body) = get(&addr, "/");
        assert_eq!(status, 200);
        if body.contains("Calculation of prompt diphoton production cross sections") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "not auto-featured: {body}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, _) = get(&addr, "/papers/0704.0001");
    assert_eq!(status, 200);
    let (status, _) = get(&addr, "/search?q=diphoton");
    assert_eq!(status, 200);

    // Ctrl-C: a clean stop.
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("stopped"), "{rest}");
}
