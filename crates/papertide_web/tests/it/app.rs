//! A test client: the router, a cookie jar, form posts with the page's CSRF token.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use papertide_core::{Paper, Source};
use papertide_search::engine::SearchEngine;
use papertide_search::fusion::Fusion;
use papertide_store::{SqliteStore, Store};
use papertide_web::fetch::{ArxivFetcher, PaperFetcher};
use papertide_web::{router, AppState, WebConfig};
use tower::ServiceExt;

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

pub struct App {
    pub router: Router,
    /// The state behind `router` (to give it a mailer, say).
    #[allow(dead_code)]
    pub state: AppState,
    pub store: Arc<SqliteStore>,
    #[allow(dead_code)] // kept alive with the router; tests may search directly
    pub engine: Arc<SearchEngine>,
    pub cookies: BTreeMap<String, String>,
    pub peer: SocketAddr,
    /// An `X-Forwarded-For` header sent with every request (as a proxy in front would).
    pub forwarded_for: Option<String>,
    _dir: Arc<tempfile::TempDir>,
}

/// `shared/data` beside the repository.
pub fn shared() -> std::path::PathBuf {
    match std::env::var_os("PAPERTIDE_SHARED_DATA") {
        Some(d) => d.into(),
        None => concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into(),
    }
}

/// The first `n` papers of the Kaggle snapshot head.
pub fn kaggle(n: usize) -> Vec<Paper> {
    let text = std::fs::read_to_string(shared().join("arxiv/kaggle-oai-snapshot-head200.jsonl")).unwrap();
    let head: String = text.lines().take(n).map(|l| format!("{l}\n")).collect();
    let mut papers = Vec::new();
    papertide_ingest::kaggle::parse(&mut head.as_bytes(), "head", &mut |item| {
        if let papertide_ingest::Item::Paper(p) = item {
            papers.push(*p);
        }
        Ok(())
    })
    .unwrap();
    papers
}

/// A paper whose title and abstract carry an XSS payload and SQL meta-characters.
pub fn hostile_paper() -> Paper {
    let mut p = Paper::new(
        "2401.99999".parse().unwrap(),
        "<script>alert('t')</script> Robust'; DROP TABLE papers;-- sorting",
        Source::Local,
    );
    p.abstract_text =
        "We sort <img src=x onerror=alert(1)> lists with $O(n\\log n)$ comparisons \" onmouseover=\"x".into();
    p.authors = vec!["Mallory <b>Bold</b>".into()];
    p.categories = vec!["cs.DS".into()];
    p.published = "2024-01-10T00:00:00Z".parse().ok();
    p.version = 1;
    p
}

impl App {
    pub fn new() -> App {
        Self::with_fetcher(None)
    }

    pub fn with_fetcher(fetcher: Option<Arc<dyn PaperFetcher>>) -> App {
        Self::with(fetcher, WebConfig::default())
    }

    pub fn with_config(config: WebConfig) -> App {
        Self::with(None, config)
    }

    fn with(fetcher: Option<Arc<dyn PaperFetcher>>, config: WebConfig) -> App {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
        let mut papers = kaggle(30);
        papers.push(hostile_paper());
        store.upsert_papers(&papers).unwrap();
        let engine = Arc::new(SearchEngine::in_memory(store.clone(), None, Fusion::default()).unwrap());
        engine.sync(&mut |_| {}).unwrap();
        let fetcher = fetcher.unwrap_or_else(|| {
            // Nothing listens on port 9 of loopback: any fetch fails fast.
            let config = papertide_ingest::harvest::HarvestConfig {
                api_base_url: "http://127.0.0.1:9/api/query".into(),
                max_retries: 0,
                ..Default::default()
            };
            Arc::new(ArxivFetcher::new(&config).unwrap())
        });
        let state = AppState::new(store.clone(), engine.clone(), fetcher, config);
        App {
            router: router(state.clone()),
            state,
            store,
            engine,
            cookies: BTreeMap::new(),
            peer: "127.0.0.1:40000".parse().unwrap(),
            forwarded_for: None,
            _dir: Arc::new(dir),
        }
    }

    /// A second web replica over the same store and index (its own state, caches and rate
    /// limiter), as `papertide serve` on another machine would be; no cookies yet.
    pub fn replica(&self, config: WebConfig) -> App {
        let fetcher: Arc<dyn PaperFetcher> = Arc::new(
            ArxivFetcher::new(&papertide_ingest::harvest::HarvestConfig {
                api_base_url: "http://127.0.0.1:9/api/query".into(),
                max_retries: 0,
                ..Default::default()
            })
            .unwrap(),
        );
        let state = AppState::new(self.store.clone(), self.engine.clone(), fetcher, config);
        App {
            router: router(state.clone()),
            state,
            store: self.store.clone(),
            engine: self.engine.clone(),
            cookies: BTreeMap::new(),
            peer: self.peer,
            forwarded_for: self.forwarded_for.clone(),
            _dir: self._dir.clone(),
        }
    }

    async fn send(&mut self, mut request: Request<Body>) -> Reply {
        let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !jar.is_empty() {
            request.headers_mut().insert(header::COOKIE, jar.join("; ").parse().unwrap());
        }
        request.extensions_mut().insert(ConnectInfo(self.peer));
        if let Some(forwarded) = &self.forwarded_for {
            request.headers_mut().insert("x-forwarded-for", forwarded.parse().unwrap());
        }
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// A request with extra headers.
    pub async fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        self.send(builder.body(Body::empty()).unwrap()).await
    }

    /// A JSON API call: `token` as `Authorization: Bearer`, `body` as JSON.
    pub async fn api(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).unwrap()).await
    }

    /// Posts a form as is (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(form).unwrap();
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// The CSRF token in the forms of `page`.
    pub async fn csrf(&mut self, page: &str) -> String {
        let reply = self.get(page).await;
        let marker = "name=\"csrf\" value=\"";
        let start = reply.body.find(marker).unwrap_or_else(|| panic!("no csrf field on {page}")) + marker.len();
        reply.body[start..].split('"').next().unwrap().to_string()
    }

    /// Posts a form with the CSRF token of `from`'s forms.
    pub async fn post(&mut self, from: &str, path: &str, form: &[(&str, &str)]) -> Reply {
        let token = self.csrf(from).await;
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields).await
    }

    pub async fn sign_up(&mut self, name: &str) -> Reply {
        let reply = self.post("/signup", "/signup", &[("name", name), ("password", "correct horse battery")]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        reply
    }

    /// A fresh browser (no cookies) on the same app.
    pub fn forget_cookies(&mut self) {
        self.cookies.clear();
    }
}
