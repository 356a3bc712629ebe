//! The delivery log on the CS page: what became of the newest webhook events.
//!
//! A maud fragment (a `section`) for the admin page to place; every stored text (event type,
//! URL, error) is escaped where it is written, and URLs show without their query string
//! ([`super::display_url`]).

use super::display_url;
use super::event::rfc3339;
use banchi_decisions::record::DeliveryLog;
use maud::{html, Markup};

/// Where an event stands.
fn state(r: &DeliveryLog) -> (&'static str, &'static str) {
    if r.delivered_at_ms.is_some() {
        ("delivered", "配信済 delivered")
    } else if r.failed_at_ms.is_some() {
        ("failed", "断念 gave up")
    } else if r.attempts == 0 {
        ("queued", "待機 queued")
    } else {
        ("retrying", "再送待ち retrying")
    }
}

/// The delivery log, newest first (`rows` as [`banchi_decisions::Decisions::deliveries`]
/// reads them).
pub fn delivery_log(rows: &[DeliveryLog]) -> Markup {
    html! {
        section #webhook-deliveries {
            h2 { "Webhook 配信ログ " span.en { "Webhook deliveries" } }
            @if rows.is_empty() {
                p.hint { "配信するイベントはまだありません。 " span.en { "No events yet." } }
            } @else {
                table.deliveries {
                    thead { tr {
                        th { "作成 " span.en { "queued" } }
                        th { "イベント " span.en { "event" } }
                        th { "送信先 " span.en { "receiver" } }
                        th { "状態 " span.en { "state" } }
                        th { "試行 " span.en { "attempts" } }
                        th { "HTTP" }
                        th { "最後のエラー " span.en { "last error" } }
                    } }
                    tbody {
                        @for r in rows {
                            @let (class, label) = state(r);
                            tr.delivery data-event-id=(r.event_id) data-state=(class) {
                                td { (rfc3339(r.created_at_ms)) }
                                td { code { (r.event) } br; code.id { (r.event_id) } }
                                td.url { (display_url(&r.url)) }
                                td.state {
                                    (label)
                                    @if let Some(at) = r.delivered_at_ms.or(r.failed_at_ms) { br; (rfc3339(at)) }
                                    @if let Some(next) = r.next_at_ms { br; "次回 " span.en { "next" } " " (rfc3339(next)) }
                                }
                                td { (r.attempts) }
                                td { @if let Some(s) = r.last_status { (s) } @else { "—" } }
                                td.error { (r.last_error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> DeliveryLog {
        DeliveryLog {
            event_id: "0123abcd".into(),
            url: "https://hooks.example/in?token=SECRET".into(),
            event: "block".into(),
            created_at_ms: 1_767_225_600_000,
            attempts: 3,
            delivered_at_ms: None,
            failed_at_ms: Some(1_767_225_660_000),
            next_at_ms: None,
            last_status: Some(500),
            last_error: Some("<script>alert(1)</script>".into()),
        }
    }

    #[test]
    fn rows_are_escaped_and_urls_shown_without_query() {
        let html = delivery_log(&[row()]).into_string();
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("https://hooks.example/in") && !html.contains("SECRET"));
        assert!(html.contains("data-state=\"failed\"") && html.contains("500"));
        assert!(html.contains("2026-01-01T00:00:00Z"));
        let queued = DeliveryLog {
            attempts: 0,
            failed_at_ms: None,
            next_at_ms: Some(1),
            last_status: None,
            last_error: None,
            ..row()
        };
        assert!(delivery_log(&[queued])
            .into_string()
            .contains("data-state=\"queued\""));
        assert!(delivery_log(&[]).into_string().contains("No events yet"));
    }
}
