//! Confab's development server: serves `dist/` and `www/`, emulates the vendors' backends
//! (Plura under `/plura`, Plati under `/plati`, PolyAI under `/poly`, Iraa under `/iraa`), and exposes control endpoints under `/control` for tests.
//!
//! Usage: `devserver [--port 8080] [--host 127.0.0.1] [--www www] [--dist dist]`

mod bench;
mod faults;
mod iraa;
mod plati;
mod plura;
mod poly;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::cors::CorsLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(Clone)]
pub struct App {
    pub plura: Arc<plura::Emulator>,
    pub plati: Arc<plati::Emulator>,
    pub poly: Arc<poly::Emulator>,
    pub iraa: Arc<iraa::Emulator>,
    pub faults: Arc<faults::Faults>,
}

struct Args {
    host: String,
    port: u16,
    www: String,
    dist: String,
    /// Serve `name-csp.html` as `name.html` under a strict CSP allowing this widget origin.
    csp_origin: Option<String>,
    /// Let browsers cache what is served (benchmarks of a returning visitor); `no-store`
    /// otherwise, so tests always see the latest build.
    cacheable: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        host: "127.0.0.1".into(),
        port: 8080,
        www: "www".into(),
        dist: "dist".into(),
        csp_origin: None,
        cacheable: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--host" => a.host = value()?,
            "--port" => a.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--www" => a.www = value()?,
            "--dist" => a.dist = value()?,
            "--csp-origin" => a.csp_origin = Some(value()?),
            "--cacheable" => a.cacheable = true,
            "-h" | "--help" => {
                return Err(
                    "usage: devserver [--port 8080] [--host 127.0.0.1] [--www www] [--dist dist] [--csp-origin URL] [--cacheable]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let app = App {
        plura: Arc::new(plura::Emulator::default()),
        plati: Arc::new(plati::Emulator::default()),
        poly: Arc::new(poly::Emulator::default()),
        iraa: Arc::new(iraa::Emulator::default()),
        faults: Arc::new(faults::Faults::default()),
    };
    let router = Router::new()
        .nest("/plura", plura::routes())
        .route("/control/refuse", post(refuse))
        .route("/control/drop", post(drop_all))
        .route("/control/health", get(|| async { "ok" }))
        .nest("/control/plura", plura::control_routes())
        .nest("/control/faults", faults::control_routes())
        .nest("/bench", bench::routes())
        .nest("/flowise", bench::flowise_routes())
        .nest("/plati", plati::routes(false))
        .nest("/plati-proxy", plati::routes(true))
        .nest("/plati-host", plati::host_routes())
        .nest("/control/plati", plati::control_routes())
        .nest("/poly", poly::routes())
        .nest("/poly-host", poly::host_routes())
        .nest("/control/poly", poly::control_routes())
        .nest("/iraa", iraa::routes())
        .nest("/iraa-host", iraa::host_routes())
        .nest("/control/iraa", iraa::control_routes())
        .nest_service("/dist", ServeDir::new(&args.dist))
        // The same files as a plain static server would send them, without CORS headers.
        .nest_service("/plain-dist", ServeDir::new(&args.dist))
        .fallback_service(ServeDir::new(&args.www))
        .layer(axum::middleware::from_fn_with_state(
            args.csp_origin.clone(),
            strict_csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if args.cacheable {
                "public, max-age=3600"
            } else {
                "no-store"
            }),
        ))
        // Embedding from any origin: module scripts and the wasm fetch are CORS requests.
        .layer(CorsLayer::very_permissive())
        .layer(axum::middleware::from_fn(without_cors))
        .with_state(app);
    let addr: SocketAddr = match format!("{}:{}", args.host, args.port).parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bad address: {e}");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("devserver listening on http://{addr}/");
    if let Err(e) = axum::serve(listener, router).await {
        eprintln!("server error: {e}");
        std::process::exit(1);
    }
}

/// `name-csp.html` is `name.html` served under the strict policy a careful site would use
/// (EMBED.md): scripts and connections only from itself and the widget's origin, no inline
/// script or style, wasm compilation allowed.
async fn strict_csp(
    State(origin): State<Option<String>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path().to_string();
    let (Some(origin), Some(stem)) = (origin, path.strip_suffix("-csp.html")) else {
        return next.run(request).await;
    };
    if let Ok(uri) = format!("{stem}.html").parse() {
        *request.uri_mut() = uri;
    }
    let ws = origin.replacen("http", "ws", 1);
    let policy = format!(
        "default-src 'self'; script-src 'self' {origin} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' {origin}; connect-src 'self' {origin} {ws}; frame-src 'self' {origin}"
    );
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// `/plain-dist/` answers as a static server that knows nothing of CORS: the layer inside
/// this one added the headers, and they go again here.
async fn without_cors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let plain = request.uri().path().starts_with("/plain-dist/");
    let mut response = next.run(request).await;
    if plain {
        let cors: Vec<_> = response
            .headers()
            .keys()
            .filter(|k| k.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for name in cors {
            response.headers_mut().remove(name);
        }
    }
    response
}

#[derive(Deserialize)]
struct RefuseQuery {
    seconds: Option<f64>,
}

/// Refuse every socket handshake for the given seconds (0 lifts it).
async fn refuse(State(app): State<App>, Query(q): Query<RefuseQuery>) -> impl IntoResponse {
    let secs = q.seconds.unwrap_or(10.0).clamp(0.0, 3600.0);
    app.plura
        .refuse_for(std::time::Duration::from_secs_f64(secs));
    Json(serde_json::json!({ "refusing_seconds": secs }))
}

/// Drop every socket abruptly (no close frame: the browser sees 1006).
async fn drop_all(State(app): State<App>) -> impl IntoResponse {
    let n = app.plura.drop_all();
    (StatusCode::OK, Json(serde_json::json!({ "dropped": n })))
}
