//! `/admin/history`: past lives, newest first; `?live=ID` (or a click on a row) opens one with
//! its viewer curve and its viewers. Times are shown in UTC, so the server's render and the
//! browser's hydration agree whatever the browser's time zone.

use crate::history::{LiveDetail, LiveSummary, ViewerVisit};
use crate::web::api::history::{get_live, list_lives};
use crate::web::components::viewer_chart::ViewerChart;
use crate::web::format::{format_duration_words, format_utc_date_time, format_utc_time_of_day, whole_seconds};
use crate::web::page_url::PageUrl;
use crate::web::routes::Page;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let selected = PageUrl::current().query("live").and_then(|v| v.trim().parse::<i64>().ok());
    let lives = Resource::new(|| (), |_| list_lives());
    let detail = Resource::new(
        move || selected,
        |id| async move {
            match id {
                Some(id) => get_live(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Title text="History · OnAir"/>
        <section class="history">
            <div class="history-head">
                <h1>"Stream history"</h1>
                <a class="button ghost" href=Page::Admin.path() rel="external">"Back to the studio"</a>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading the history…"</p> }>
                {move || Suspend::new(async move {
                    match lives.await {
                        Ok(lives) if lives.is_empty() => EitherOf3::A(view! {
                            <p class="empty" data-testid="history-empty">
                                "No lives yet. Each time you go live, it is listed here with its viewers."
                            </p>
                        }),
                        Ok(lives) => EitherOf3::B(view! { <LivesTable lives selected/> }),
                        Err(e) => EitherOf3::C(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p class="muted">"Loading the live…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(Some(d)) => EitherOf3::A(view! { <LiveReport detail=d/> }),
                        Ok(None) => EitherOf3::B(view! {
                            <p class="muted history-hint">"Pick a live to see its viewers over time."</p>
                        }),
                        Err(e) => EitherOf3::C(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn LivesTable(lives: Vec<LiveSummary>, selected: Option<i64>) -> impl IntoView {
    let rows = lives
        .into_iter()
        .map(|l| {
            let id = l.id;
            view! {
                <tr data-testid="live-row" data-live-id=id.to_string() class:selected=selected == Some(id)>
                    <td><a href=format!("{}?live={id}", Page::History.path())>{format_utc_date_time(l.started_at)}</a></td>
                    <td>{duration_words(&l)}</td>
                    <td class="num">{l.peak_viewers}</td>
                    <td class="num">{format!("{:.1}", l.viewer_minutes())}</td>
                    <td class="num">{l.viewers}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card history-list">
            <table class="viewers lives">
                <thead>
                    <tr>
                        <th scope="col">"Started (UTC)"</th>
                        <th scope="col">"Duration"</th>
                        <th scope="col" class="num">"Peak viewers"</th>
                        <th scope="col" class="num">"Viewer-minutes"</th>
                        <th scope="col" class="num">"Viewers"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn LiveReport(detail: LiveDetail) -> impl IntoView {
    let LiveDetail { live, curve, visits } = detail;
    let started = live.started_at;
    let nobody = live.viewers == 0;
    let end_label = match live.ended_at {
        Some(end) => format_utc_date_time(end),
        None => "now".to_owned(),
    };
    let summary = format!(
        "{} · at most {} at once · {:.1} viewer-minutes · {} {}",
        duration_words(&live),
        live.peak_viewers,
        live.viewer_minutes(),
        live.viewers,
        if live.viewers == 1 { "viewer" } else { "viewers" },
    );
    let rows = visits
        .into_iter()
        .map(|v| {
            let ViewerVisit { name, joined_at, left_at } = v;
            let named = name.is_some();
            view! {
                <tr data-testid="visit-row">
                    <td class:muted=!named>{name.unwrap_or_else(|| "anonymous".to_owned())}</td>
                    <td>{format_utc_time_of_day(joined_at, started)}</td>
                    <td>{left_at.map_or_else(|| "still watching".to_owned(), |t| format_utc_time_of_day(t, started))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <article class="card history-detail" data-testid="live-detail" data-live-id=live.id.to_string()>
            <h2>{format!("Live of {}", format_utc_date_time(started))}</h2>
            <p class="muted">{summary}</p>
            <ViewerChart points=curve from_label=format_utc_date_time(started) to_label=end_label/>
            <table class="viewers">
                <thead>
                    <tr>
                        <th scope="col">"Viewer"</th>
                        <th scope="col">"Joined"</th>
                        <th scope="col">"Left"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {nobody.then(|| view! { <p class="empty">"Nobody watched this live."</p> })}
        </article>
    }
}

fn duration_words(live: &LiveSummary) -> String {
    let d = format_duration_words(whole_seconds(live.duration_ms));
    if live.ended_at.is_none() {
        format!("live now · {d}")
    } else {
        d
    }
}
