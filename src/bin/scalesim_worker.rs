//! The web worker for work off the page's main thread: capacity searches, challenge grading
//! and the simulation the page shows (built by trunk with the `web` feature, loaded by the app
//! from `scalesim-worker_loader.js`; each use starts a worker of its own).
//!
//! ```text
//!   page ──JobRequest (JSON text)──▶ onmessage ──capacity::job::run──▶ postMessage(JobUpdate)
//!   page ──GradeRequest────────────▶ onmessage ──challenge::job::run─▶ postMessage(GradeUpdate)
//!   page ──session::Command────────▶ onmessage ──Session::handle; after each Frame:
//!            postMessage([Output, Float32Array of dots], transfer: [the dots' buffer])
//! ```
//!
//! It says `ready` once, then runs each request to its end (one at a time, in the order
//! received). A search is cancelled by terminating the worker.

use scalesim::capacity::job::{self, JobRequest, JobUpdate};
use scalesim::challenge::job::{self as grading, GradeRequest};
use scalesim::ui::session::{Command, Output, Session};
use scalesim::ui::{command_of, output_message, WORKER_WORK_MS};
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
    let sim_reply = scope.clone();
    // The simulation, built on its first command.
    let mut session: Option<Session> = None;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        // A simulation command (an object, or a name such as "Report"); the search and
        // grading requests are JSON text that is none.
        if let Some(command) = command_of(data.clone()) {
            let frame = matches!(command, Command::Frame { .. });
            let session = session.get_or_insert_with(|| Session::new(WORKER_WORK_MS));
            session.handle(command);
            if frame {
                // Every frame is answered (the page waits for the answer before the next):
                // should the output not convert, its time alone goes.
                let output = session.take_output();
                let now_s = output.now_s;
                let message = output_message(output).or_else(|| {
                    output_message(Output {
                        now_s,
                        ..Output::default()
                    })
                });
                if let Some((message, transfer)) = message {
                    let _ = sim_reply.post_message_with_transfer(&message, &transfer);
                }
            }
            return;
        }
        let text = data.as_string().unwrap_or_default();
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
