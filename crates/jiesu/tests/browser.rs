//! End-to-end tests of the pages in headless Chromium: each test starts the real `jiesu serve`
//! (demo data, temporary folder, free port) and runs one script of `tests/browser/` with Node
//! and `playwright-core` driving Debian's `/usr/bin/chromium`. `.ci/run` installs both.

#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// What is missing to run the browser tests, said plainly.
fn missing() -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let dir = scripts();
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "Chromium is not installed at {chromium}: run `apt-get install -y chromium` (or .ci/run)"
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("Node.js is not installed: the browser tests need node 20 or later".into());
    }
    if !dir.join("node_modules/playwright-core").exists() {
        return Some(format!(
            "playwright-core is not installed: run `npm ci` in {} (or .ci/run)",
            dir.display()
        ));
    }
    None
}

/// Runs `script` against a fresh demo server; fails with the script's output.
fn browse(script: &str) {
    if let Some(what) = missing() {
        panic!("{what}");
    }
    let j = harness::Jiesu::new();
    let server = j.serve(&[]);
    let out = Command::new("node")
        .arg(scripts().join(script))
        .arg(&server.url)
        .current_dir(scripts())
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{text}");
}

/// Sign-in, the navigation by role, a 403 page for another role's page, the language switch
/// kept across pages, sign-out.
#[test]
fn staff_sign_in_with_roles_and_language() {
    browse("signin.mjs");
}

/// A citizen on a 390x844 phone sends the form with a street found by name and again with
/// "I don't know" and a typed address, gets two order numbers, and follows the first by number
/// and phone (a wrong phone finds nothing).
#[test]
fn citizen_on_a_phone_sends_the_form_and_follows_the_order() {
    browse("citizen.mjs");
}

/// An agent takes a known caller's call (their past orders show), searches the knowledge base
/// as they type, picks the first answer with Alt+1 and records "answered" citing it with
/// Alt+A; an editor's new entry arrives meanwhile as a live notice.
#[test]
fn agent_answers_a_call_from_the_knowledge_base() {
    browse("agent.mjs");
}

/// An agent records an order with the assistant's place and reasons, a dispatcher sends it to
/// the street office, the unit (its own browser context) finds it with the phone masked,
/// acknowledges it, asks for an extension and replies, and returns an order not its own with a
/// reason; another unit never sees it; the citizen's page shows the reply.
#[test]
fn an_order_recorded_by_an_agent_reaches_the_unit_inbox() {
    browse("order-to-unit.mjs");
}

/// The dashboard renders its charts and map: every chart has a drawn canvas, the map shows
/// Beijing's 16 districts, and no script error (D2).
#[test]
fn the_dashboard_renders_its_charts_and_map() {
    browse("dashboard.mjs");
}

/// A dispatcher dispatches a waiting ticket to the proposed unit in one click, then upholds a
/// returned ticket and re-dispatches it to a unit typed by name (D2).
#[test]
fn a_dispatcher_dispatches_from_the_queue_in_one_click() {
    browse("dispatcher.mjs");
}

/// A knowledge-base editor edits an entry and sees the new version in its history, with the
/// added words in the difference (D2).
#[test]
fn an_editor_edits_an_entry_and_sees_the_new_version() {
    browse("knowledge-editor.mjs");
}

/// A supervisor presses an overdue order with a note in one click; its supervision level rises
/// and the note is in its history (D2).
#[test]
fn a_supervisor_supervises_an_overdue_order() {
    browse("supervisor.mjs");
}
