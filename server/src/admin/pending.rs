//! The CS page's "承認待ち / pending" section: the entries of a list with a change waiting
//! for a second person's approval (four eyes, `[four_eyes]` in the configuration), each with
//! **承認 / Approve** and **却下 / Reject** buttons and a memo.
//!
//! The section is read through `GET /v1/lists/{list}/entries?status=pending` and the buttons
//! post to `/admin/review`, which calls the same code as `POST /v1/lists/{list}/entries/{id}/
//! approve|reject` under the logged-in token's name ([`lists::review_entry`]): a person's own
//! change shows no buttons (and the server refuses it anyway, 403). Every value is escaped by
//! the templates (entries hold text typed by strangers); every form carries the session's
//! CSRF token, checked by the page's handlers before anything is done.
//!
//! Kept apart from [`super::page`] (which only renders the markup made here) so that the
//! page's other sections can grow without touching this one.

use crate::auth::Identity;
use crate::error::ApiError;
use crate::routes::lists::{self, Page, MAX_PAGE};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use banchi::watchlist::manage::{requested_by, same_person, Action, EntryView, Verdict};
use maud::{html, Markup};
use serde::Deserialize;

/// `POST /admin/pending`: which list's pending entries to show.
#[derive(Debug, Deserialize)]
pub struct ListForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// `fraud` or `forwarders`.
    pub list: String,
}

/// `POST /admin/review`: approve or reject one entry's pending change.
#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// `fraud` or `forwarders`.
    pub list: String,
    /// The entry.
    pub id: String,
    /// `approve` or `reject`.
    pub verdict: Verdict,
    /// Why (kept in the history; empty: none).
    pub memo: Option<String>,
}

fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// The section's heading with one "show" button per list: what every page shows.
pub fn open_form(csrf: &str, lists: &[&'static str]) -> Markup {
    html! {
        section #pending {
            h2 { "承認待ち " span.en { "Pending approval" } }
            p.hint {
                "別の担当者の承認を待っている登録・無効化・有効化です。 "
                span.en { "Adds, disables and enables waiting for another person's approval (four eyes)." }
            }
            @for l in lists {
                form.pending-open method="post" action="/admin/pending" {
                    (csrf_field(csrf))
                    input type="hidden" name="list" value=(l);
                    button type="submit" data-list=(l) {
                        "承認待ちを表示 " span.en { "Show pending: " (l) }
                    }
                }
            }
        }
    }
}

fn action_label(a: Option<Action>) -> &'static str {
    match a {
        Some(Action::Add) => "登録 add",
        Some(Action::Disable) => "無効化 disable",
        Some(Action::Enable) => "有効化 enable",
        _ => "—",
    }
}

/// The approve and reject buttons of entry `e` of `list`.
fn review_forms(csrf: &str, list: &str, e: &EntryView) -> Markup {
    html! {
        @for (verdict, label, en) in [("approve", "承認", "Approve"), ("reject", "却下", "Reject")] {
            form.review method="post" action="/admin/review" {
                (csrf_field(csrf))
                input type="hidden" name="list" value=(list);
                input type="hidden" name="id" value=(e.id);
                input type="hidden" name="verdict" value=(verdict);
                input type="text" name="memo" placeholder="メモ memo" aria-label="メモ memo";
                button class=(verdict) type="submit" { (label) " " span.en { (en) } }
            }
        }
    }
}

/// The pending entries of `list` as `who` sees them: others' changes with the buttons, their
/// own without.
pub fn listing(
    csrf: &str,
    who: &str,
    list: &str,
    entries: &[EntryView],
    more: bool,
    notice: Option<&str>,
) -> Markup {
    html! {
        section #pending {
            h2 { "承認待ち " span.en { "Pending approval" } " — " code { (list) } }
            @if let Some(n) = notice { p.notice.done role="status" { (n) } }
            @if entries.is_empty() {
                p.hint #pending-none { "承認待ちはありません。 " span.en { "Nothing is waiting for approval." } }
            } @else {
                table.entries #pending-entries {
                    thead { tr {
                        th { "ID" } th { "住所 " span.en { "address" } } th { "理由 " span.en { "reason" } }
                        th { "変更 " span.en { "change" } } th { "依頼者 " span.en { "requested by" } }
                        th { "メモ " span.en { "memo" } } th {}
                    } }
                    tbody {
                        @for e in entries {
                            @let by = e.pending.and_then(|p| requested_by(e, p)).unwrap_or("");
                            @let last = e.history.last();
                            tr.entry data-id=(e.id) data-pending=(e.pending.map_or("", Action::as_str)) {
                                td { code { (e.id) } }
                                td.address { (e.address) }
                                td { (e.reason) }
                                td { (action_label(e.pending)) }
                                td { (by) " " (last.map_or("", |h| h.at.as_str())) }
                                td.memo { (last.and_then(|h| h.memo.as_deref()).unwrap_or("")) }
                                td.actions {
                                    @if same_person(by, who) {
                                        span.own { "自分の変更です（別の担当者が承認します） " span.en { "Your change: another person approves it" } }
                                    } @else {
                                        (review_forms(csrf, list, e))
                                    }
                                }
                            }
                        }
                    }
                }
                @if more {
                    p.hint { "ほかにもあります（API で続きを表示できます）。 " span.en { "More are waiting: page on with GET /v1/lists/{list}/entries?status=pending&after=…" } }
                }
            }
        }
    }
}

/// The section listing `list`'s pending entries for `identity` (at most [`MAX_PAGE`]), read
/// through the entries endpoint (`?status=pending`).
pub async fn section(
    state: &AppState,
    identity: Identity,
    csrf: &str,
    list: &str,
    notice: Option<&str>,
) -> Result<Markup, ApiError> {
    let who = identity.name.clone();
    let page = Page {
        status: Some("pending".into()),
        limit: Some(MAX_PAGE),
        after: None,
    };
    let Json(found) = lists::entries(
        State(state.clone()),
        identity,
        Path(list.to_owned()),
        Ok(Query(page)),
    )
    .await?;
    Ok(listing(
        csrf,
        &who,
        list,
        &found.entries,
        found.next_after.is_some(),
        notice,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use banchi::watchlist::manage::Event;

    const PAYLOAD: &str = "<script>alert(1)</script>";

    fn pending_add(by: &str) -> EntryView {
        EntryView {
            id: "9\"><b>".into(),
            address: format!("東京都中央区銀座4-6-16 {PAYLOAD}"),
            reason: "chargeback".into(),
            status: "pending".into(),
            registered_by: by.into(),
            registered_at: "2026-12-03T00:00:00Z".into(),
            memo: PAYLOAD.into(),
            history: vec![Event {
                at: "2026-12-03T00:00:00Z".into(),
                action: Action::Add,
                by: by.into(),
                memo: Some(PAYLOAD.into()),
            }],
            pending: Some(Action::Add),
        }
    }

    #[test]
    fn others_changes_get_buttons_own_changes_do_not_and_text_is_escaped() {
        let entries = [pending_add("alice")];
        let for_bob = listing("c0ffee", "bob", "fraud", &entries, false, None).into_string();
        assert!(for_bob.contains("action=\"/admin/review\""), "{for_bob}");
        assert!(for_bob.contains("name=\"verdict\" value=\"approve\""));
        assert!(for_bob.contains("name=\"verdict\" value=\"reject\""));
        assert!(for_bob.contains("name=\"csrf\" value=\"c0ffee\""));
        assert!(!for_bob.contains("<script>"), "{for_bob}");
        assert!(!for_bob.contains("9\"><b>"));
        let for_alice = listing("c0ffee", "Alice", "fraud", &entries, false, None).into_string();
        assert!(!for_alice.contains("/admin/review"), "{for_alice}");
        assert!(for_alice.contains("Your change"));
        let none = listing("c0ffee", "bob", "fraud", &[], false, None).into_string();
        assert!(none.contains("pending-none"));
    }
}
