//! Browser tests of the web app, run in headless Chromium:
//! `cargo test --target wasm32-unknown-unknown --features web --no-default-features --test web`.
//!
//! Each test mounts the app into its own element, drives it through the DOM as a user would
//! (clicks, slider and select events) and reads the `data-metric` figures.
#![cfg(target_arch = "wasm32")]

use gloo::timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, Event, EventInit, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh element attached to the page, with the app mounted in it.
struct Mounted {
    root: Element,
    app: Option<yew::AppHandle<scalesim::ui::App>>,
}

impl Mounted {
    async fn new() -> Mounted {
        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        // Give the diagram a realistic width so the canvas has a size.
        root.set_attribute("style", "width: 1000px").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        let app = scalesim::ui::mount_into(root.clone());
        let mounted = Mounted {
            root,
            app: Some(app),
        };
        mounted.settle(100).await;
        mounted
    }

    /// Waits `ms` of real time, then lets Yew finish rendering.
    async fn settle(&self, ms: u32) {
        TimeoutFuture::new(ms).await;
        yew::scheduler::flush().await;
    }

    fn find(&self, selector: &str) -> Element {
        self.root
            .query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("no element matches {selector}"))
    }

    /// The number shown by `[data-metric=name]`.
    fn metric(&self, name: &str) -> f64 {
        let text = self
            .find(&format!("[data-metric=\"{name}\"]"))
            .text_content()
            .unwrap_or_default();
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("metric {name} is not a number: {text:?}"))
    }

    /// Clicks an element (SVG elements have no `click()`, so dispatch the event).
    fn click(&self, selector: &str) {
        dispatch(&self.find(selector), "click");
    }

    fn is_playing(&self) -> bool {
        self.find("[data-action=\"play\"]")
            .get_attribute("aria-pressed")
            == Some("true".into())
    }

    fn set_speed_index(&self, index: usize) {
        let select: HtmlSelectElement =
            self.find("select[data-control=\"speed\"]").unchecked_into();
        select.set_value(&index.to_string());
        dispatch(&select, "change");
    }

    fn set_users_slider(&self, position: u32) {
        let input: HtmlInputElement = self
            .find("input[type=range][data-control=\"users\"]")
            .unchecked_into();
        input.set_value(&position.to_string());
        dispatch(&input, "input");
    }

    /// Polls `metric` until `done` holds or `timeout_ms` passes; returns the last value.
    async fn wait_for(&self, metric: &str, timeout_ms: u32, done: impl Fn(f64) -> bool) -> f64 {
        let mut waited = 0;
        loop {
            let value = self.metric(metric);
            if done(value) || waited >= timeout_ms {
                return value;
            }
            self.settle(100).await;
            waited += 100;
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
        self.root.remove();
    }
}

fn dispatch(target: &web_sys::EventTarget, kind: &str) {
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = Event::new_with_event_init_dict(kind, &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn diagram_shows_users_dns_and_server() {
    let app = Mounted::new().await;
    for name in ["users", "dns", "web-0"] {
        let node = app.find(&format!("svg [data-component=\"{name}\"]"));
        assert_eq!(
            node.get_attribute("data-alive").as_deref(),
            Some("true"),
            "{name}"
        );
    }
    app.find(".diagram canvas");
    assert_eq!(
        app.root.query_selector_all("svg .edge").unwrap().length(),
        2,
        "edges users→dns and users→server"
    );
    // Built stages are buttons; the others are marked as coming and are not buttons.
    for stage in scalesim::scenario::STAGES {
        let button = format!("button[data-stage=\"{}\"]", stage.number);
        let coming = format!(".stage.coming[data-stage=\"{}\"]", stage.number);
        let is_button = app.root.query_selector(&button).unwrap().is_some();
        let is_coming = app.root.query_selector(&coming).unwrap().is_some();
        assert_eq!(is_button, stage.built, "stage {}", stage.number);
        assert_eq!(is_coming, !stage.built, "stage {}", stage.number);
    }
}

#[wasm_bindgen_test]
async fn play_advances_the_simulation_and_pause_stops_it() {
    let app = Mounted::new().await;
    if app.is_playing() {
        app.click("[data-action=\"play\"]");
        app.settle(400).await;
    }
    assert!(!app.is_playing());
    let paused_total = app.metric("requests_total");
    let paused_time = app.metric("sim_time_s");
    app.settle(600).await;
    assert_eq!(
        app.metric("requests_total"),
        paused_total,
        "paused: no new requests"
    );
    assert_eq!(
        app.metric("sim_time_s"),
        paused_time,
        "paused: time stands still"
    );

    app.click("[data-action=\"play\"]");
    app.settle(50).await;
    assert!(app.is_playing());
    let total = app
        .wait_for("requests_total", 2_500, |v| v > paused_total)
        .await;
    assert!(
        total > 0.0 && total > paused_total,
        "requests_total stayed at {total}"
    );
    assert!(app.metric("sim_time_s") > paused_time);
    assert!(app.metric("fps") > 0.0);
    assert!(app.metric("sim_speed") > 0.0);
}

#[wasm_bindgen_test]
async fn more_users_load_the_server_until_it_saturates() {
    let app = Mounted::new().await;
    if !app.is_playing() {
        app.click("[data-action=\"play\"]");
    }
    app.set_speed_index(6); // 20×
    app.settle(100).await;
    let calm = app.wait_for("utilization", 4_000, |u| u > 0.0).await;
    assert!(
        calm > 0.0 && calm < 70.0,
        "preset load should be moderate, got {calm} %"
    );
    let calm_throughput = app.metric("throughput_rps");

    // Slider position 300 of 400 is 10,000 users: about five times what one server handles.
    app.set_users_slider(300);
    app.settle(50).await;
    let shown = app
        .find("[data-value=\"users\"]")
        .text_content()
        .unwrap_or_default();
    assert_eq!(shown.trim(), "10,000");
    let busy = app.wait_for("utilization", 6_000, |u| u >= 95.0).await;
    assert!(
        busy >= 95.0,
        "server utilization rose only from {calm} % to {busy} %"
    );
    let throughput = app.metric("throughput_rps");
    assert!(
        throughput > calm_throughput,
        "throughput {calm_throughput} → {throughput}"
    );
    let failed = app.wait_for("requests_failed", 6_000, |f| f > 0.0).await;
    assert!(failed > 0.0, "an overloaded server must reject requests");
}

#[wasm_bindgen_test]
async fn clicking_the_server_kills_and_repairs_it() {
    let app = Mounted::new().await;
    app.set_speed_index(4); // 1×
    app.click("svg [data-component=\"web-0\"]");
    app.settle(50).await;
    let server = app.find("svg [data-component=\"web-0\"]");
    assert_eq!(server.get_attribute("data-alive").as_deref(), Some("false"));
    let failed = app.wait_for("requests_failed", 4_000, |f| f > 0.0).await;
    assert!(failed > 0.0, "requests to a dead server fail");

    app.click("svg [data-component=\"web-0\"]");
    app.settle(400).await;
    let server = app.find("svg [data-component=\"web-0\"]");
    assert_eq!(server.get_attribute("data-alive").as_deref(), Some("true"));
}
