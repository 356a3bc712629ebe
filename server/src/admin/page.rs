//! The CS page's HTML, from maud templates: every value is escaped where it is written, so
//! text a stranger typed into an address or a memo is shown as text, never run.
//!
//! Japanese labels first, English beside them. No inline script, style or event handler: the
//! only script is `/admin/static/admin.js` (the live preview of how an address parses) and the
//! page works without it. Forms post to `/admin/…` with the session's CSRF token in a hidden
//! field; the script reads the same token from `<meta name="csrf-token">`.

use crate::list_search::{Hit, MatchedBy};
use crate::routes::screen::{Action, ListOut};
use banchi::score::Score;
use banchi::watchlist::manage::EntryView;
use banchi::watchlist::ReasonCode;
use banchi::Address;
use maud::{html, Markup, DOCTYPE};

/// A message at the top of the page.
#[derive(Debug, Clone)]
pub enum Notice {
    /// Something was done.
    Done(String),
    /// Something failed (the message never quotes the request).
    Failed(String),
}

/// The result of checking one address.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Score and reasons.
    pub score: Score,
    /// What to do.
    pub action: Action,
    /// Fraud list grade.
    pub fraud: ListOut,
    /// Forwarder list grade.
    pub forwarder: ListOut,
    /// The parsed parts, when it parsed.
    pub address: Option<Address>,
    /// Why it did not parse.
    pub error: Option<String>,
}

/// One page of search results.
#[derive(Debug, Clone)]
pub struct Searched {
    /// The list searched.
    pub list: String,
    /// The query, to refill the form and ask for the next page.
    pub q: String,
    /// The level the query parsed to.
    pub level: Option<&'static str>,
    /// Entries found.
    pub hits: Vec<Hit>,
    /// `after` of the next page.
    pub next_after: Option<String>,
}

/// What the logged-in page shows besides its forms.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    /// The logged-in token's name.
    pub who: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// Lists that can be edited here (`fraud`, `forwarders`).
    pub lists: Vec<&'static str>,
    /// A message at the top.
    pub notice: Option<Notice>,
    /// A checked address.
    pub checked: Option<Checked>,
    /// Search results.
    pub searched: Option<Searched>,
    /// One entry with its history.
    pub entry: Option<(String, EntryView)>,
    /// The "承認待ち / pending" section, made by [`super::pending`].
    pub pending: Option<Markup>,
}

const TITLE: &str = "banchi 不正配送先チェック / CS console";

/// The `<head>` every page of the console shares (with the session's CSRF token).
pub fn head_for(csrf: Option<&str>) -> Markup {
    head(csrf)
}

fn head(csrf: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="no-referrer";
            @if let Some(token) = csrf {
                meta name="csrf-token" content=(token);
            }
            title { (TITLE) }
            link rel="stylesheet" href="/admin/static/admin.css";
            script src="/admin/static/admin.js" defer {}
        }
    }
}

/// The login page: one field for an `admin` token.
pub fn login(login_csrf: &str, failed: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            (head(None))
            body {
                main.login {
                    h1 { (TITLE) }
                    @if let Some(message) = failed {
                        p.notice.failed role="alert" { (message) }
                    }
                    form method="post" action="/admin/login" {
                        input type="hidden" name="csrf" value=(login_csrf);
                        label for="token" { "管理トークン " span.en { "admin token" } }
                        input #token type="password" name="token" autocomplete="off" required;
                        button #login type="submit" { "ログイン " span.en { "Log in" } }
                    }
                    p.hint {
                        "banchi serve の --tokens ファイルまたは BANCHI_ADMIN_TOKEN の admin トークンを入力してください。 "
                        span.en { "Enter an admin token from the server's token file or BANCHI_ADMIN_TOKEN." }
                    }
                }
            }
        }
    }
}

fn list_select(name: &str, id: &str, lists: &[&'static str], chosen: Option<&str>) -> Markup {
    html! {
        select id=(id) name=(name) {
            @for l in lists {
                option value=(l) selected[chosen == Some(*l)] {
                    @if *l == "fraud" { "不正配送先 fraud" } @else { "転送業者 forwarders" }
                }
            }
        }
    }
}

fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

fn action_label(a: Action) -> &'static str {
    match a {
        Action::Allow => "通過 allow",
        Action::Review => "要確認 review",
        Action::Block => "保留 block",
    }
}

fn grade_cell(g: &ListOut) -> Markup {
    html! {
        @match (g.label_ja, g.grade) {
            (Some(label), Some(grade)) => { span.grade data-grade=(grade) { (label) } " " span.en { (grade) } }
            _ => { span.grade { "該当なし" } " " span.en { "no match" } }
        }
    }
}

fn parts_table(a: &Address) -> Markup {
    let chome = a.chome.map(|c| c.to_string());
    let rows: [(&str, &str, Option<&str>); 12] = [
        ("都道府県", "prefecture", a.prefecture.as_deref()),
        ("市区町村", "city", a.city.as_deref()),
        ("町域", "town", a.town.as_deref()),
        ("丁目", "chome", chome.as_deref()),
        ("番地", "banchi", a.banchi.as_deref()),
        ("号", "go", a.go.as_deref()),
        ("建物", "building", a.building.as_deref()),
        ("階", "floor", a.floor.as_deref()),
        ("部屋", "room", a.room.as_deref()),
        ("顧客番号", "customer id", a.customer_id.as_deref()),
        ("判定レベル", "level", Some(a.level.as_str())),
        ("キー", "key", Some(a.key.as_str())),
    ];
    html! {
        table.parts {
            @for (ja, en, value) in rows {
                tr { th { (ja) " " span.en { (en) } } td { (value.unwrap_or("—")) } }
            }
            @if !a.anomalies.is_empty() {
                tr {
                    th { "注意点 " span.en { "anomalies" } }
                    td { @for an in &a.anomalies { code { (an.code()) } " " } }
                }
            }
        }
    }
}

fn checked_section(c: &Checked) -> Markup {
    html! {
        section #check-result {
            h2 { "チェック結果 " span.en { "Result" } }
            table.summary {
                tr { th { "不正配送先 " span.en { "fraud list" } } td #check-fraud { (grade_cell(&c.fraud)) } }
                tr { th { "転送業者 " span.en { "forwarders" } } td #check-forwarder { (grade_cell(&c.forwarder)) } }
                tr { th { "スコア " span.en { "score" } } td #check-score { (c.score.score) " / 100 (" (c.score.level.as_str()) ")" } }
                tr { th { "対応 " span.en { "action" } } td #check-action { (action_label(c.action)) } }
            }
            @if !c.fraud.matches.is_empty() || !c.forwarder.matches.is_empty() {
                h3 { "一致した登録 " span.en { "matched entries" } }
                ul.matches {
                    @for m in c.fraud.matches.iter().chain(&c.forwarder.matches) {
                        li { "ID " code { (m.id) } " — " (m.grade) " (" (m.matched) ", " (m.basis) ")"
                             @if let Some(r) = &m.reason { " — " (r) } }
                    }
                }
            }
            @if !c.score.reasons.is_empty() {
                h3 { "理由 " span.en { "reasons" } }
                ul.reasons {
                    @for r in &c.score.reasons {
                        li { code { (r.code.as_str()) } " +" (r.points) " " (r.ja.as_ref()) " " span.en { (r.en.as_ref()) } }
                    }
                }
            }
            h3 { "解析結果 " span.en { "parsed parts" } }
            @if let Some(a) = &c.address { (parts_table(a)) }
            @if let Some(e) = &c.error { p.failed { "解析できませんでした " span.en { "did not parse: " (e) } } }
        }
    }
}

/// The disable/enable form of one entry (none while a change waits for approval).
fn status_form(csrf: &str, list: &str, e: &EntryView) -> Markup {
    let disable = e.status != "disabled";
    html! {
        @if e.pending.is_some() {
            span.pending { "承認待ち " span.en { "pending approval" } }
        } @else {
        form.status method="post" action="/admin/status" {
            (csrf_field(csrf))
            input type="hidden" name="list" value=(list);
            input type="hidden" name="id" value=(e.id);
            input type="hidden" name="disabled" value=(if disable { "true" } else { "false" });
            input type="text" name="memo" placeholder="メモ memo" aria-label="メモ memo";
            @if disable {
                button.disable type="submit" { "無効にする " span.en { "Disable" } }
            } @else {
                button.enable type="submit" { "有効にする " span.en { "Enable" } }
            }
        }
        }
    }
}

fn history_form(csrf: &str, list: &str, id: &str) -> Markup {
    html! {
        form.history method="post" action="/admin/entry" {
            (csrf_field(csrf))
            input type="hidden" name="list" value=(list);
            input type="hidden" name="id" value=(id);
            button type="submit" { "履歴 " span.en { "History" } }
        }
    }
}

fn searched_section(csrf: &str, s: &Searched) -> Markup {
    html! {
        section #search-result {
            h2 { "検索結果 " span.en { "Entries found" } }
            p.hint {
                (s.hits.len()) " 件 " span.en { "found" }
                @if let Some(level) = s.level { " — 住所として " span.en { "as an address at level " } code { (level) } }
            }
            @if !s.hits.is_empty() {
                table.entries {
                    thead { tr {
                        th { "ID" } th { "住所 " span.en { "address" } } th { "理由 " span.en { "reason" } }
                        th { "状態 " span.en { "status" } } th { "登録 " span.en { "registered" } }
                        th { "メモ " span.en { "memo" } } th {}
                    } }
                    tbody {
                        @for h in &s.hits {
                            tr.entry data-id=(h.entry.id) data-status=(h.entry.status) {
                                td { code { (h.entry.id) } @if h.matched_by == MatchedBy::Id { " (ID)" } }
                                td.address { (h.entry.address) }
                                td { (h.entry.reason) }
                                td.status { (status_label(&h.entry.status)) }
                                td { (h.entry.registered_by) " " (h.entry.registered_at) }
                                td.memo { (h.entry.memo) }
                                td.actions { (history_form(csrf, &s.list, &h.entry.id)) (status_form(csrf, &s.list, &h.entry)) }
                            }
                        }
                    }
                }
            }
            @if let Some(after) = &s.next_after {
                form method="post" action="/admin/search" {
                    (csrf_field(csrf))
                    input type="hidden" name="list" value=(s.list);
                    input type="hidden" name="q" value=(s.q);
                    input type="hidden" name="after" value=(after);
                    button type="submit" { "次のページ " span.en { "Next page" } }
                }
            }
        }
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "disabled" => "無効 disabled",
        "pending" => "承認待ち pending",
        _ => "有効 active",
    }
}

fn entry_section(csrf: &str, list: &str, e: &EntryView) -> Markup {
    html! {
        section #entry {
            h2 { "登録 " code { (e.id) } " の履歴 " span.en { "History of entry" } }
            table.parts {
                tr { th { "住所 " span.en { "address" } } td.address { (e.address) } }
                tr { th { "理由 " span.en { "reason" } } td { (e.reason) } }
                tr { th { "状態 " span.en { "status" } } td #entry-status { (status_label(&e.status)) } }
                tr { th { "登録者 " span.en { "registered by" } } td { (e.registered_by) " " (e.registered_at) } }
                tr { th { "メモ " span.en { "memo" } } td.memo { (e.memo) } }
            }
            table.history {
                thead { tr { th { "日時 " span.en { "at" } } th { "操作 " span.en { "action" } } th { "担当 " span.en { "by" } } th { "メモ " span.en { "memo" } } } }
                tbody {
                    @for ev in &e.history {
                        tr { td { (ev.at) } td { (ev.action.as_str()) } td { (ev.by) } td.memo { (ev.memo.as_deref().unwrap_or("")) } }
                    }
                }
            }
            (status_form(csrf, list, e))
        }
    }
}

/// The logged-in page.
pub fn dashboard(d: &Dashboard) -> Markup {
    let csrf = d.csrf.as_str();
    let last_list = d.searched.as_ref().map(|s| s.list.as_str());
    let last_q = d.searched.as_ref().map_or("", |s| s.q.as_str());
    html! {
        (DOCTYPE)
        html lang="ja" {
            (head(Some(csrf)))
            body {
                header {
                    h1 { (TITLE) }
                    nav { a #reviews-link href="/admin/reviews" { "レビュー待ち " span.en { "Review queue" } } }
                    form.logout method="post" action="/admin/logout" {
                        (csrf_field(csrf))
                        span.who { (d.who) }
                        button type="submit" { "ログアウト " span.en { "Log out" } }
                    }
                }
                @match &d.notice {
                    Some(Notice::Done(m)) => { p.notice.done #notice role="status" { (m) } }
                    Some(Notice::Failed(m)) => { p.notice.failed #notice role="alert" { (m) } }
                    None => {}
                }
                section #check {
                    h2 { "住所チェック " span.en { "Check an address" } }
                    form method="post" action="/admin/check" {
                        (csrf_field(csrf))
                        input #check-address type="text" name="address" required placeholder="東京都中央区銀座4-6-16 …" aria-label="住所 address";
                        button #check-submit type="submit" { "チェック " span.en { "Check" } }
                    }
                }
                @if let Some(c) = &d.checked { (checked_section(c)) }
                section #search {
                    h2 { "リスト検索 " span.en { "Search the lists" } }
                    form method="post" action="/admin/search" {
                        (csrf_field(csrf))
                        (list_select("list", "search-list", &d.lists, last_list))
                        input #search-q type="text" name="q" required value=(last_q) placeholder="住所またはID address or id" aria-label="住所またはID address or id";
                        button #search-submit type="submit" { "検索 " span.en { "Search" } }
                    }
                }
                @if let Some(s) = &d.searched { (searched_section(csrf, s)) }
                @if let Some((list, e)) = &d.entry { (entry_section(csrf, list, e)) }
                @if let Some(p) = &d.pending { (p) }
                section #add {
                    h2 { "登録 " span.en { "Add an entry" } }
                    form method="post" action="/admin/add" {
                        (csrf_field(csrf))
                        (list_select("list", "add-list", &d.lists, None))
                        input #add-address type="text" name="address" required placeholder="住所 address" aria-label="住所 address";
                        select #add-reason name="reason" aria-label="理由 reason" {
                            @for r in ReasonCode::ALL { option value=(r.as_str()) { (reason_ja(r)) " " (r.as_str()) } }
                        }
                        input #add-memo type="text" name="memo" placeholder="メモ memo" aria-label="メモ memo";
                        button #add-submit type="submit" { "登録する " span.en { "Add" } }
                    }
                    div #preview aria-live="polite" {
                        p.hint { "入力中の住所の解析結果がここに表示されます。 " span.en { "How the address parses appears here as you type." } }
                    }
                }
            }
        }
    }
}

fn reason_ja(r: ReasonCode) -> &'static str {
    match r {
        ReasonCode::Chargeback => "チャージバック",
        ReasonCode::CreditMaster => "クレジットマスター",
        ReasonCode::Resale => "転売",
        ReasonCode::Unpaid => "未払い",
        ReasonCode::Forwarding => "海外転送",
        ReasonCode::Other => "その他",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

    fn entry() -> EntryView {
        EntryView {
            id: "7\"><b>".into(),
            address: format!("東京都中央区銀座4-6-16 {PAYLOAD}"),
            reason: "chargeback".into(),
            status: "active".into(),
            registered_by: "alice".into(),
            registered_at: "2026-12-03T00:00:00Z".into(),
            memo: PAYLOAD.into(),
            history: Vec::new(),
            pending: None,
        }
    }

    #[test]
    fn stranger_text_is_escaped_everywhere_it_is_written() {
        let d = Dashboard {
            who: "alice".into(),
            csrf: "c0ffee".into(),
            lists: vec!["fraud"],
            searched: Some(Searched {
                list: "fraud".into(),
                q: PAYLOAD.into(),
                level: None,
                hits: vec![Hit {
                    entry: entry(),
                    key: None,
                    matched_by: MatchedBy::Address,
                }],
                next_after: Some(PAYLOAD.into()),
            }),
            entry: Some(("fraud".into(), entry())),
            notice: Some(Notice::Failed(PAYLOAD.into())),
            ..Dashboard::default()
        };
        let html = dashboard(&d).into_string();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("\"><b>"), "attribute values are escaped too");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The only scripts are the page's own file, and nothing inline.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(html.contains("<script src=\"/admin/static/admin.js\" defer></script>"));
        assert!(!html.contains(" onerror=\"") && !html.contains(" onclick="));
        assert!(html.contains("<meta name=\"csrf-token\" content=\"c0ffee\">"));
        assert_eq!(
            html.matches("name=\"csrf\" value=\"c0ffee\"").count(),
            html.matches("<form").count(),
            "every form carries the CSRF token"
        );
    }

    #[test]
    fn login_page_has_the_form_and_no_session_token() {
        let html = login("l0gin", Some("トークンが違います wrong token")).into_string();
        assert!(html.contains("action=\"/admin/login\""));
        assert!(html.contains("name=\"csrf\" value=\"l0gin\""));
        assert!(html.contains("type=\"password\""));
        assert!(!html.contains("csrf-token"));
        assert!(html.contains("wrong token"));
    }
}
