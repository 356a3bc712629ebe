//! The CS page at `/admin`: check an address, search the lists, add an entry (with a live
//! preview of how its address parses), disable or enable one with a memo, see its history,
//! approve or reject another person's pending change (four eyes, [`pending`]).
//!
//! Server-rendered HTML ([`page`], maud: escaped as written) posted back with plain forms, so
//! it needs no build step and works without script; `admin.js` only adds the live preview,
//! through a cookie-authenticated fetch to `/admin/api/preview`. The CSS and the script are
//! compiled in and served from `/admin/static/`.
//!
//! Who may use it: a person logs in once with an `admin` token and gets a session cookie
//! ([`session`]); every form and fetch carries the session's CSRF token, checked in constant
//! time. `/v1` never reads the cookie: it takes bearer tokens only. Edits call the same
//! handlers as `/v1/lists/…` with the session's identity, so they follow the same rules,
//! locks and reloads, and the history records the token's name.
//!
//! Every `/admin` answer carries a Content-Security-Policy that allows only the page's own
//! script and style (no inline script, no inline event handler, no framing), plus
//! `Referrer-Policy: no-referrer` and `X-Frame-Options: DENY`.

pub mod page;
pub mod pending;
pub mod reviews;
pub mod session;

use crate::auth::{Identity, Scope};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::routes::lists::{self, AddEntry, SetStatus};
use crate::routes::normalize::{self, NormalizeRequest, NormalizeResponse};
use crate::routes::screen::{Action, AddressInput, ListOut};
use crate::routes::search::{self, SearchRequest};
use crate::state::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use banchi::watchlist::ReasonCode;
use banchi::Buyer;
use page::{Checked, Dashboard, Notice, Searched};
use serde::Deserialize;
use session::{same_token, Session};
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;

/// The page's own stylesheet.
const ADMIN_CSS: &str = include_str!("assets/admin.css");
/// The page's own script (the live preview).
const ADMIN_JS: &str = include_str!("assets/admin.js");

/// The policy sent with every `/admin` answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Entries per page of a search on the page.
const PAGE_SIZE: usize = 50;

/// The `/admin` routes with their security headers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/check", post(check))
        .route("/admin/search", post(search_entries))
        .route("/admin/add", post(add))
        .route("/admin/status", post(set_status))
        .route("/admin/entry", post(show_entry))
        .route("/admin/pending", post(show_pending))
        .route("/admin/review", post(review_pending))
        .route("/admin/api/preview", post(preview))
        .route("/admin/static/admin.css", get(css))
        .route("/admin/static/admin.js", get(js))
        .merge(reviews::routes())
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

/// A request from a logged-in browser: its session id and session.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    id: String,
    session: Session,
}

impl LoggedIn {
    fn identity(&self) -> Identity {
        self.session.identity.clone()
    }

    /// A 403 page unless `presented` is this session's CSRF token.
    fn check_csrf(&self, presented: &str) -> Result<(), ApiError> {
        if same_token(presented, &self.session.csrf) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("csrf"))
        }
    }
}

impl FromRequestParts<AppState> for LoggedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        logged_in(state, &parts.headers).ok_or_else(to_home)
    }
}

/// The live session named by the request's session cookie.
fn logged_in(state: &AppState, headers: &HeaderMap) -> Option<LoggedIn> {
    let id = session::cookie(headers, session::SESSION_COOKIE)?;
    state.sessions.get(id).map(|session| LoggedIn {
        id: id.to_owned(),
        session,
    })
}

/// 303 to `/admin` (the login page when the session is gone).
fn to_home() -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, HeaderValue::from_static("/admin"))],
    )
        .into_response()
}

fn html(status: StatusCode, markup: maud::Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// The lists the page offers: those served from a file.
fn offered_lists(state: &AppState) -> Vec<&'static str> {
    let mut out = Vec::with_capacity(2);
    if state.sources.fraud.is_some() {
        out.push("fraud");
    }
    if state.sources.forwarders.is_some() {
        out.push("forwarders");
    }
    out
}

fn dashboard_for(state: &AppState, user: &LoggedIn) -> Dashboard {
    Dashboard {
        who: user.session.identity.name.clone(),
        csrf: user.session.csrf.clone(),
        lists: offered_lists(state),
        pending: Some(pending::open_form(
            &user.session.csrf,
            &offered_lists(state),
        )),
        ..Dashboard::default()
    }
}

/// The page with a failure notice, answered with the error's status.
fn failed(state: &AppState, user: &LoggedIn, e: &ApiError) -> Response {
    let status = e.status();
    let message = match e {
        ApiError::Forbidden("csrf") => {
            "フォームの有効期限が切れました。再読み込みしてください。 The form expired (CSRF token); reload the page.".to_owned()
        }
        other => format!("失敗しました failed: {other}"),
    };
    let d = Dashboard {
        notice: Some(Notice::Failed(message)),
        ..dashboard_for(state, user)
    };
    html(status, page::dashboard(&d))
}

/// `answer`, or the page with its failure notice ([`failed`]): what every form handler
/// returns.
fn page_or_failed(
    state: &AppState,
    user: &LoggedIn,
    answer: Result<Response, ApiError>,
) -> Response {
    answer.unwrap_or_else(|e| failed(state, user, &e))
}

/// A form's fields, once the form is readable and carries this session's CSRF token.
fn accept<T: HasCsrf>(
    user: &LoggedIn,
    form: Result<Form<T>, FormRejection>,
) -> Result<T, ApiError> {
    let Form(fields) = form.map_err(|_| ApiError::BadRequest("the form is malformed".into()))?;
    user.check_csrf(fields.csrf())?;
    Ok(fields)
}

/// Forms that carry the session's CSRF token.
trait HasCsrf {
    fn csrf(&self) -> &str;
}

macro_rules! has_csrf {
    ($($t:ty),*) => { $(impl HasCsrf for $t { fn csrf(&self) -> &str { &self.csrf } })* };
}

/// `GET /admin`: the page, or the login form.
async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match logged_in(&state, &headers) {
        Some(user) => html(
            StatusCode::OK,
            page::dashboard(&dashboard_for(&state, &user)),
        ),
        None => login_page(&state, &headers, StatusCode::OK, None),
    }
}

/// The login form with a fresh double-submit token.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let Ok(token) = session::random_token() else {
        tracing::error!("no random bytes for the login form");
        return ApiError::Internal.into_response();
    };
    let secure = session::wants_secure(state.settings.secure_cookies, headers);
    let mut res = html(status, page::login(&token, message));
    res.headers_mut()
        .append(header::SET_COOKIE, session::login_cookie(&token, secure));
    res
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    csrf: String,
    token: String,
}

/// `POST /admin/login`: an `admin` token in, a session cookie out.
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_page(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            Some("フォームが読めません The form is malformed."),
        );
    };
    let expected = session::cookie(&headers, session::LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&form.csrf, expected) {
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            Some("フォームの有効期限が切れました。もう一度お試しください。 The login form expired; try again."),
        );
    }
    let identity = if state.tokens.is_insecure() {
        Some(Identity {
            scope: Scope::Admin,
            name: "anonymous".into(),
        })
    } else {
        state.tokens.identify(form.token.trim().as_bytes()).cloned()
    };
    let Some(identity) = identity else {
        tracing::warn!("admin page login refused: unknown token");
        return login_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some("トークンが違います。 Unknown token."),
        );
    };
    if identity.scope != Scope::Admin {
        tracing::warn!(name = %identity.name, "admin page login refused: not an admin token");
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            Some("admin トークンが必要です。 An admin token is needed."),
        );
    }
    let name = identity.name.clone();
    let Ok((id, _)) = state.sessions.create(identity) else {
        tracing::error!("no random bytes for a session");
        return ApiError::Internal.into_response();
    };
    tracing::info!(by = %name, "admin page login");
    let secure = session::wants_secure(state.settings.secure_cookies, &headers);
    let mut res = to_home();
    let h = res.headers_mut();
    h.append(header::SET_COOKIE, session::session_cookie(&id, secure));
    h.append(
        header::SET_COOKIE,
        session::set_cookie(session::LOGIN_COOKIE, "", Duration::ZERO, secure),
    );
    res
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    csrf: String,
}

/// `POST /admin/logout`.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: LoggedIn,
    form: Result<Form<CsrfOnly>, FormRejection>,
) -> Response {
    if let Err(e) = accept(&user, form) {
        return failed(&state, &user, &e);
    }
    state.sessions.remove(&user.id);
    let secure = session::wants_secure(state.settings.secure_cookies, &headers);
    let mut res = to_home();
    res.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(session::SESSION_COOKIE, "", Duration::ZERO, secure),
    );
    res
}

#[derive(Debug, Deserialize)]
struct CheckForm {
    csrf: String,
    address: String,
}

/// `POST /admin/check`: grade, score and parts of one address (not counted for velocity:
/// a CS check is not an order).
async fn check(
    State(state): State<AppState>,
    user: LoggedIn,
    form: Result<Form<CheckForm>, FormRejection>,
) -> Response {
    let answer = async {
        let form = accept(&user, form)?;
        let lists = state.lists()?;
        let screening = lists.screener.check(&form.address);
        let score = state.scorer.score(&screening, &Buyer::default());
        let checked = Checked {
            action: Action::of(
                score.score,
                state.settings.review_from,
                state.settings.block_from,
            ),
            fraud: ListOut::from(screening.fraud),
            forwarder: ListOut::from(screening.forwarder),
            address: screening.address,
            error: screening.error,
            score,
        };
        let d = Dashboard {
            checked: Some(checked),
            ..dashboard_for(&state, &user)
        };
        Ok(html(StatusCode::OK, page::dashboard(&d)))
    };
    page_or_failed(&state, &user, answer.await)
}

#[derive(Debug, Deserialize)]
struct SearchForm {
    csrf: String,
    list: String,
    q: String,
    after: Option<String>,
}

/// `POST /admin/search`: the `/v1` search, a page at a time.
async fn search_entries(
    State(state): State<AppState>,
    user: LoggedIn,
    form: Result<Form<SearchForm>, FormRejection>,
) -> Response {
    let answer = async {
        let form = accept(&user, form)?;
        let req = SearchRequest {
            q: form.q.clone(),
            status: None,
            limit: Some(PAGE_SIZE),
            after: form.after.filter(|a| !a.is_empty()),
        };
        let Json(found) = search::search(
            State(state.clone()),
            user.identity(),
            Path(form.list.clone()),
            JsonBody(req),
        )
        .await?;
        let d = Dashboard {
            searched: Some(Searched {
                list: form.list,
                q: form.q,
                level: found.level,
                hits: found.entries,
                next_after: found.next_after,
            }),
            ..dashboard_for(&state, &user)
        };
        Ok(html(StatusCode::OK, page::dashboard(&d)))
    };
    page_or_failed(&state, &user, answer.await)
}

#[derive(Debug, Deserialize)]
struct AddForm {
    csrf: String,
    list: String,
    address: String,
    reason: String,
    memo: Option<String>,
}

/// `POST /admin/add`: `POST /v1/lists/{list}/entries` as the logged-in token.
async fn add(
    State(state): State<AppState>,
    user: LoggedIn,
    form: Result<Form<AddForm>, FormRejection>,
) -> Response {
    let answer = async {
        let form = accept(&user, form)?;
        let reason: ReasonCode = form
            .reason
            .parse()
            .map_err(|_| ApiError::Unprocessable("unknown reason".into()))?;
        let req = AddEntry {
            address: form.address,
            reason,
            memo: form.memo.filter(|m| !m.trim().is_empty()),
            id: None,
        };
        let Json(edited) = lists::add(
            State(state.clone()),
            user.identity(),
            Path(form.list.clone()),
            JsonBody(req),
        )
        .await?;
        let notice = format!("登録しました ID {} Added.", edited.id);
        Ok(entry_page(&state, &user, form.list, edited.id, notice).await)
    };
    page_or_failed(&state, &user, answer.await)
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    csrf: String,
    list: String,
    id: String,
    disabled: bool,
    memo: Option<String>,
}

/// `POST /admin/status`: `PATCH /v1/lists/{list}/entries/{id}` as the logged-in token.
async fn set_status(
    State(state): State<AppState>,
    user: LoggedIn,
    form: Result<Form<StatusForm>, FormRejection>,
) -> Response {
    let answer = async {
        let form = accept(&user, form)?;
        let req = SetStatus {
            disabled: form.disabled,
            memo: form.memo.filter(|m| !m.trim().is_empty()),
        };
        let Json(edited) = lists::set_status(
            State(state.clone()),
            user.identity(),
            Path((form.list.clone(), form.id.clone())),
            JsonBody(req),
        )
        .await?;
        let notice = if form.disabled {
            format!("無効にしました ID {} Disabled.", edited.id)
        } else {
            format!("有効にしました ID {} Enabled.", edited.id)
        };
        Ok(entry_page(&state, &user, form.list, edited.id, notice).await)
    };
    page_or_failed(&state, &user, answer.await)
}

#[derive(Debug, Deserialize)]
struct EntryForm {
    csrf: String,
    list: String,
    id: String,
}

has_csrf!(
    CsrfOnly,
    CheckForm,
    SearchForm,
    AddForm,
    StatusForm,
    EntryForm,
    pending::ListForm,
    pending::ReviewForm
);

/// `POST /admin/pending`: the list's entries waiting for approval (four eyes, [`pending`]).
async fn show_pending(
    State(state): State<AppState>,
    user: LoggedIn,
    form: Result<Form<pending::ListForm>, FormRejection>,
) -> Response {
    let answer = async {
        let form = accept(&user, form)?;
        let section = pending::section(
            &state,
            user.identity(),
            &user.session.csrf,
            &form.list,
            None,
        )
        .await?;
        let d = Dashboard {
            pending: Some(section),
            ..dashboard_for(&state, &user)
        };
        Ok(html(StatusCode::OK, page::dashboard(&d)))
    };
    page_or_failed(&state, &user, answer.await)
}

/// `POST /admin/review`: `POST /v1/lists/{list}/entries/{id}/approve|reject` as the
/// logged-in token; then the list's pending entries again.
async fn review_pending(
    State(state): State<AppState>,
    user: LoggedIn,
    form: Result<Form<pending::ReviewForm>, FormRejection>,
) -> Response {
    let answer = async {
        let form = accept(&user, form)?;
        let memo = form.memo.filter(|m| !m.trim().is_empty());
        let edited = lists::review_entry(
            &state,
            &form.list,
            form.id,
            form.verdict,
            user.identity().name,
            memo,
        )
        .await?;
        let notice = match form.verdict {
            banchi::watchlist::manage::Verdict::Approve => {
                format!(
                    "承認しました ID {} Approved ({}).",
                    edited.id, edited.status
                )
            }
            banchi::watchlist::manage::Verdict::Reject => {
                format!(
                    "却下しました ID {} Rejected ({}).",
                    edited.id, edited.status
                )
            }
        };
        let section = pending::section(
            &state,
            user.identity(),
            &user.session.csrf,
            &form.list,
            Some(&notice),
        )
        .await?;
        let d = Dashboard {
            pending: Some(section),
            ..dashboard_for(&state, &user)
        };
        Ok(html(StatusCode::OK, page::dashboard(&d)))
    };
    page_or_failed(&state, &user, answer.await)
}

/// `POST /admin/entry`: one entry with its history.
async fn show_entry(
    State(state): State<AppState>,
    user: LoggedIn,
    form: Result<Form<EntryForm>, FormRejection>,
) -> Response {
    match accept(&user, form) {
        Ok(f) => entry_page(&state, &user, f.list, f.id, String::new()).await,
        Err(e) => failed(&state, &user, &e),
    }
}

/// The page showing one entry (after an edit, with `notice`).
async fn entry_page(
    state: &AppState,
    user: &LoggedIn,
    list: String,
    id: String,
    notice: String,
) -> Response {
    let shown = lists::entry(
        State(state.clone()),
        user.identity(),
        Path((list.clone(), id)),
    )
    .await;
    match shown {
        Ok(Json(entry)) => {
            let d = Dashboard {
                notice: (!notice.is_empty()).then_some(Notice::Done(notice)),
                entry: Some((list, entry)),
                ..dashboard_for(state, user)
            };
            html(StatusCode::OK, page::dashboard(&d))
        }
        Err(e) => failed(state, user, &e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewRequest {
    address: String,
}

/// `POST /admin/api/preview` `{address}` with `X-CSRF-Token`: how the address parses (the
/// `/v1/normalize` answer), for the live preview.
async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: LoggedIn,
    JsonBody(req): JsonBody<PreviewRequest>,
) -> Result<Json<NormalizeResponse>, ApiError> {
    let presented = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    user.check_csrf(presented)?;
    normalize::normalize(
        State(state),
        JsonBody(NormalizeRequest {
            address: AddressInput::Text(req.address),
        }),
    )
    .await
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        ADMIN_CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        ADMIN_JS,
    )
        .into_response()
}
