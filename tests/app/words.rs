//! Issue 61, item 5: no page the demo shows carries a setting's key or a stored value's code.
//! The pages are walked as each role would, following the links from the home page; the keys
//! and codes come from the code itself (the settings' type, the stored values' types).

use crate::common::TestApp;
use crate::support::{DNP_COORDINATOR, demo_account, sign_in_client};
use domain::entities::values::Role;
use rocket::http::Status;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The settings' keys: the fields of `AppConfig`, as its source declares them.
pub(crate) fn settings_keys() -> BTreeSet<String> {
    let source = include_str!("../../kernel/src/config.rs");
    let body = source
        .split("pub struct AppConfig {")
        .nth(1)
        .and_then(|rest| rest.split("\n}\n").next())
        .expect("AppConfig in kernel/src/config.rs");
    let keys: BTreeSet<String> = body
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub "))
        .filter_map(|line| line.split(':').next())
        .map(|key| key.trim().to_string())
        .collect();
    assert!(keys.contains("priority_assistance_weight") && keys.len() > 10);
    keys
}

/// The stored values whose label is other words (`in_progress` is «En curso», `open`
/// «Abierta»): on a page such a code is a code, not a word. A value its label says as a word
/// («virtual», «Presencial») is not one.
pub(crate) fn raw_values() -> BTreeSet<&'static str> {
    domain::words::labelled_values()
        .into_iter()
        .filter(|l| {
            let label = domain::text::fold(l.label);
            let value = domain::text::fold(l.value);
            l.value.contains('_')
                || !label
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|word| word == value)
        })
        .map(|l| l.value)
        .collect()
}

/// The words a person reads on `html`: the text between tags, without scripts, styles and
/// `<code>` (literal text to type, such as a spreadsheet's column names), addresses and paths.
fn visible_words(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut rest = html;
    // Leave out whole elements whose content is not read as prose.
    'outer: while !rest.is_empty() {
        for (open, close) in [
            ("<script", "</script>"),
            ("<style", "</style>"),
            ("<code", "</code>"),
        ] {
            if rest.starts_with(open) {
                match rest.find(close) {
                    Some(end) => {
                        rest = &rest[end + close.len()..];
                        text.push(' ');
                        continue 'outer;
                    }
                    None => break 'outer,
                }
            }
        }
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => {
                    rest = &rest[end + 1..];
                    text.push(' ');
                    continue;
                }
                None => break,
            }
        }
        let next = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '<')
            .map_or(rest.len(), |(i, _)| i);
        text.push_str(&rest[..next]);
        rest = &rest[next..];
    }
    text.split_whitespace()
        .filter(|w| !w.contains('@') && !w.contains("://") && !w.starts_with('/'))
        .flat_map(|w| {
            w.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The codes and keys among the words of `html`.
pub(crate) fn codes_shown(html: &str) -> BTreeSet<String> {
    let keys = settings_keys();
    let values = raw_values();
    visible_words(html)
        .into_iter()
        .filter(|w| keys.contains(w) || values.contains(w.as_str()))
        .collect()
}

/// The links of a page to other pages of the product (no files, no API, no signing out).
fn page_links(html: &str) -> Vec<String> {
    const FILES: &[&str] = &[
        ".xlsx", ".pdf", ".csv", ".json", ".ics", ".zip", ".png", ".svg", ".css", ".txt", ".xml",
        ".docx",
    ];
    let mut links = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("href=\"/") {
        rest = &rest[at + 6..];
        let Some(end) = rest.find('"') else { break };
        let link = rest[..end].replace("&amp;", "&");
        let link = link.split('#').next().unwrap_or_default().to_string();
        let path = link.split('?').next().unwrap_or_default();
        if link.is_empty()
            || path == "/salir"
            || path.starts_with("/api/")
            || path.starts_with("/static/")
            || FILES.iter().any(|f| path.ends_with(f))
        {
            continue;
        }
        links.push(link);
    }
    links
}

/// A page's shape (its path with numbers as `N`, without the query): a few of each shape are
/// enough to read every template.
fn shape(link: &str) -> String {
    let path = link.split('?').next().unwrap_or_default();
    path.split('/')
        .map(|part| {
            if part.chars().any(|c| c.is_ascii_digit()) {
                "N"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[rocket::async_test]
async fn no_page_shows_a_settings_key_or_a_stored_code() {
    let app = TestApp::with_demo().await;
    let values = raw_values();
    // The list is the code's: the codes the issue found are in it.
    for code in [
        "in_progress",
        "pending",
        "dropped",
        "open",
        "por_participante",
    ] {
        assert!(values.contains(code), "{code} among the codes");
    }
    assert!(!values.contains("virtual") && !values.contains("presencial"));

    let mut who: Vec<(String, Option<(&str, &str)>)> = vec![("visitante".into(), None)];
    for role in [
        Role::Participant,
        Role::Reviewer,
        Role::Liaison,
        Role::Coordinator,
        Role::Admin,
    ] {
        who.push((role.as_str().into(), Some(demo_account(role))));
    }
    who.push(("coordinación del DNP".into(), Some(DNP_COORDINATOR)));

    const PAGES_PER_ROLE: usize = 70;
    const PER_SHAPE: usize = 2;
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut walked = 0;
    for (name, account) in &who {
        let browser = app.another_instance(&[]).await;
        if let Some((email, password)) = account {
            sign_in_client(&browser, email, password).await;
        }
        let mut seen = BTreeSet::new();
        let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
        let mut queue: VecDeque<String> = VecDeque::from(["/".to_string()]);
        let mut pages = 0;
        while let Some(link) = queue.pop_front() {
            if pages >= PAGES_PER_ROLE {
                break;
            }
            if !seen.insert(link.clone()) {
                continue;
            }
            let count = shapes.entry(shape(&link)).or_default();
            if *count >= PER_SHAPE {
                continue;
            }
            *count += 1;
            let response = browser.get(link.clone()).dispatch().await;
            let html_page = response.status() == Status::Ok
                && response.content_type().is_some_and(|t| t.is_html());
            if !html_page {
                continue;
            }
            let html = response.into_string().await.unwrap_or_default();
            pages += 1;
            queue.extend(page_links(&html));
            // The open data's dictionary documents the files' columns, and the coded values
            // a column holds are what the files hold (quoted, for machines).
            if link.starts_with("/datos-abiertos") {
                continue;
            }
            for code in codes_shown(&html) {
                let words = visible_words(&html);
                let at = words.iter().position(|w| *w == code).unwrap_or_default();
                let context = words[at.saturating_sub(6)..(at + 6).min(words.len())].join(" ");
                found
                    .entry(code.clone())
                    .or_default()
                    .push(format!("{link} ({name}: «…{context}…»)"));
            }
        }
        walked += pages;
    }
    assert!(walked > 150, "the walk read {walked} pages");
    let report: Vec<String> = found
        .iter()
        .map(|(code, pages)| {
            format!(
                "«{code}» on {} pages, e.g. {}",
                pages.len(),
                pages.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(
        report.is_empty(),
        "pages show codes instead of words:\n{}",
        report.join("\n")
    );
}
