//! The web worker for long work off the page's main thread: capacity searches and challenge
//! grading (built by trunk with the `web` feature, loaded by the app from
//! `scalesim-worker_loader.js`).
//!
//! ```text
//!   page ──JobRequest (JSON text)──▶ onmessage ──capacity::job::run──▶ postMessage(JobUpdate)
//!   page ──GradeRequest────────────▶ onmessage ──challenge::job::run─▶ postMessage(GradeUpdate)
//! ```
//!
//! It says `ready` once, then runs each request to its end (one at a time, in the order
//! received). A search is cancelled by terminating the worker.

use scalesim::capacity::job::{self, JobRequest, JobUpdate};
use scalesim::challenge::job::{self as grading, GradeRequest};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let grade_reply = scope.clone();
    let post = move |update: JobUpdate| {
        let _ = reply.post_message(&JsValue::from_str(&update.to_json()));
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        if let Some(request) = GradeRequest::from_json(&text) {
            grading::run(&request, &mut |update| {
                let _ = grade_reply.post_message(&JsValue::from_str(&update.to_json()));
            });
            return;
        }
        match JobRequest::from_json(&text) {
            Ok(request) => job::run(&request, &mut |update| post(update)),
            Err(message) => post(JobUpdate::Failed { job: 0, message }),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as its scope.
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str(&JobUpdate::Ready.to_json()));
}
