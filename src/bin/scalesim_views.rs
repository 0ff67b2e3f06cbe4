//! The rarely used views (the editor, the challenges, the capacity panel's body), a second
//! wasm module the app loads on first use ([`scalesim::ui::views`]). Built by scripts/build-views.sh (a trunk hook: Trunk.toml) with
//! ES-module glue (`wasm-bindgen --target web`), which static/boot.js imports; once started it
//! offers `window.scalesimViewsMount(kind, host, send, input)` to the app.

use scalesim::ui::views::mount;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

/// The app's wasm mounts one Yew root (ids are per module, from 1) and no portals. Yew tells
/// the roots an event belongs to by that id, written on their elements: roots of this
/// module's must not take the app's, so the first ones are used up here, unmounted at once.
const APP_ROOT_IDS: usize = 8;

#[yew::function_component(Nothing)]
fn nothing() -> yew::Html {
    yew::Html::default()
}

fn main() {
    scalesim::ui::install_panic_hook();
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        for _ in 0..APP_ROOT_IDS {
            if let Ok(spare) = document.create_element("div") {
                yew::Renderer::<Nothing>::with_root(spare)
                    .render()
                    .destroy();
            }
        }
    }
    let offer = Closure::<
        dyn FnMut(
            String,
            web_sys::Element,
            js_sys::Function,
            Vec<u8>,
        ) -> Result<js_sys::Function, JsValue>,
    >::new(|kind: String, host, send, input: Vec<u8>| {
        mount(&kind, host, send, &input).map_err(|e| JsValue::from(js_sys::Error::new(&e)))
    });
    let _ = js_sys::Reflect::set(
        &js_sys::global(),
        &"scalesimViewsMount".into(),
        offer.as_ref(),
    );
    // Offered for the page's life.
    offer.forget();
}
