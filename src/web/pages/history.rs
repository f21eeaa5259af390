//! `/admin/history`: past lives, newest first; `?live=ID` (or a click on a row) opens one with
//! its viewer curve and its viewers. Times are shown in UTC, so the server's render and the
//! browser's hydration agree whatever the browser's time zone.

use crate::history::{LiveDetail, LiveSummary, ViewerVisit};
use crate::web::api::history::{get_live, list_lives};
use crate::web::components::viewer_chart::ViewerChart;
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
                    <td><a href=format!("{}?live={id}", Page::History.path())>{format_time(l.started_at)}</a></td>
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
        Some(end) => format_time(end),
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
                    <td>{format_clock(joined_at, started)}</td>
                    <td>{left_at.map_or_else(|| "still watching".to_owned(), |t| format_clock(t, started))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <article class="card history-detail" data-testid="live-detail" data-live-id=live.id.to_string()>
            <h2>{format!("Live of {}", format_time(started))}</h2>
            <p class="muted">{summary}</p>
            <ViewerChart points=curve from_label=format_time(started) to_label=end_label/>
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
    let d = format_duration(live.duration_ms);
    if live.ended_at.is_none() {
        format!("live now · {d}")
    } else {
        d
    }
}

/// Unix milliseconds → (year, month, day, hour, minute, second) in UTC.
fn civil(ms: i64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400) as u32;
    // Days to a proleptic Gregorian date (H. Hinnant's civil_from_days).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, of_day / 3_600, of_day % 3_600 / 60, of_day % 60)
}

/// `2026-11-25 14:02 UTC`.
pub fn format_time(ms: i64) -> String {
    let (y, mo, d, h, mi, _) = civil(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC")
}

/// A time during a live: `14:02:31`, with the date in front when it is not the live's first day.
pub fn format_clock(ms: i64, live_start: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms);
    let (sy, smo, sd, ..) = civil(live_start);
    if (y, mo, d) == (sy, smo, sd) {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

/// `45 s`, `12 min 5 s`, `2 h 05 min`.
pub fn format_duration(ms: i64) -> String {
    let secs = ms.max(0) / 1_000;
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3_599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {:02} min", secs / 3_600, secs % 3_600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_dates_across_leap_days_and_before_1970() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_700_000_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_time(4_102_444_799_000), "2099-12-31 23:59 UTC");
        assert_eq!(format_time(-1_000), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn clock_times_name_the_day_only_when_it_changed() {
        let start = 1_700_000_000_000; // 2023-11-14 22:13:20
        assert_eq!(format_clock(start + 1_000, start), "22:13:21");
        assert_eq!(format_clock(start + 2 * 3_600_000, start), "2023-11-15 00:13:20");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(0), "0 s");
        assert_eq!(format_duration(59_999), "59 s");
        assert_eq!(format_duration(60_000), "1 min 0 s");
        assert_eq!(format_duration(725_000), "12 min 5 s");
        assert_eq!(format_duration(7_500_000), "2 h 05 min");
        assert_eq!(format_duration(-5), "0 s");
    }
}
