//! "Export PNG": the standalone SVG that "Export diagram" saves, drawn onto a canvas at the
//! screen's pixel density over the page's background colour, and encoded as a PNG.
//!
//! ```text
//!  standalone SVG ──data: URL──▶ <img> (decoded) ──drawImage ×dpr──▶ <canvas> ──toBlob──▶ PNG
//! ```
//!
//! A `data:` URL keeps within the page's Content-Security-Policy (`img-src 'self' data:`), and
//! an image from one leaves the canvas readable, so `toBlob` may encode it.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::files;

/// Longest side of the PNG, in pixels (browsers refuse canvases much larger than this).
const MAX_SIDE_PX: f64 = 8192.0;
/// Used when no element around the diagram has an opaque background.
const FALLBACK_BACKGROUND: &str = "#ffffff";

/// The diagram on the page as a PNG, or why it could not be made.
pub async fn diagram_png() -> Result<web_sys::Blob, &'static str> {
    let original = files::diagram_element().ok_or("no diagram is shown")?;
    let copy = files::standalone_diagram().ok_or("the diagram could not be copied")?;
    copy_png(&original, copy, None).await
}

/// Any SVG drawing on the page as a PNG (the editor's too), at `size` (CSS px; `None`: its
/// size on the page).
pub async fn svg_png(
    original: &web_sys::Element,
    size: Option<(f64, f64)>,
) -> Result<web_sys::Blob, &'static str> {
    let copy = files::standalone_copy(original).ok_or("the diagram could not be copied")?;
    copy_png(original, copy, size).await
}

/// A standalone `copy` of an SVG drawing on the page (`original`) as a PNG, at `size` (CSS px;
/// `None`: the original's size on the page).
async fn copy_png(
    original: &web_sys::Element,
    copy: web_sys::Element,
    size: Option<(f64, f64)>,
) -> Result<web_sys::Blob, &'static str> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let (width, height) = size
        .or_else(|| css_size(original))
        .ok_or("the diagram has no size")?;
    // Sized by its attributes alone (the editor's drawing is sized by an inline style).
    let _ = copy.remove_attribute("style");
    // The image's own size, so that it is decoded at the size it is drawn at.
    let _ = copy.set_attribute("width", &width.to_string());
    let _ = copy.set_attribute("height", &height.to_string());
    // At least twice the CSS size, so the image stays sharp on a slide or a high-density
    // screen whatever the ratio of the screen it was exported from.
    let scale = window
        .device_pixel_ratio()
        .max(2.0)
        .min(MAX_SIDE_PX / width.max(height));
    let svg = files::svg_document(&copy);

    let image = web_sys::HtmlImageElement::new().map_err(|_| "no image element")?;
    let url = String::from("data:image/svg+xml;charset=utf-8,")
        + &String::from(js_sys::encode_uri_component(&svg));
    image.set_src(&url);
    JsFuture::from(image.decode())
        .await
        .map_err(|_| "the diagram could not be decoded as an image")?;

    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .ok()
        .and_then(|c| c.dyn_into().ok())
        .ok_or("no canvas")?;
    canvas.set_width((width * scale).round() as u32);
    canvas.set_height((height * scale).round() as u32);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or("no 2d canvas")?;
    context.set_fill_style_str(&background(original));
    context.fill_rect(
        0.0,
        0.0,
        f64::from(canvas.width()),
        f64::from(canvas.height()),
    );
    context
        .draw_image_with_html_image_element_and_dw_and_dh(
            &image,
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        )
        .map_err(|_| "the diagram could not be drawn")?;
    encode(&canvas).await
}

/// The diagram's size on the page in CSS pixels, or its `viewBox` size when it is not laid out.
fn css_size(svg: &web_sys::Element) -> Option<(f64, f64)> {
    let rect = svg.get_bounding_client_rect();
    if rect.width() >= 1.0 && rect.height() >= 1.0 {
        return Some((rect.width().round(), rect.height().round()));
    }
    let view_box = svg.get_attribute("viewBox")?;
    let mut numbers = view_box.split_whitespace().skip(2).map(str::parse::<f64>);
    match (numbers.next(), numbers.next()) {
        (Some(Ok(w)), Some(Ok(h))) if w >= 1.0 && h >= 1.0 => Some((w.round(), h.round())),
        _ => None,
    }
}

/// The first opaque background colour at or above `element`'s parent: the card the diagram
/// sits on, in the page's current (light or dark) theme.
fn background(element: &web_sys::Element) -> String {
    let Some(window) = web_sys::window() else {
        return FALLBACK_BACKGROUND.to_string();
    };
    let mut at = element.parent_element();
    while let Some(element) = at {
        let colour = window
            .get_computed_style(&element)
            .ok()
            .flatten()
            .and_then(|style| style.get_property_value("background-color").ok())
            .unwrap_or_default();
        if !colour.is_empty() && colour != "transparent" && colour != "rgba(0, 0, 0, 0)" {
            return colour;
        }
        at = element.parent_element();
    }
    FALLBACK_BACKGROUND.to_string()
}

/// `canvas.toBlob` as a future: the canvas encoded as a PNG.
async fn encode(canvas: &web_sys::HtmlCanvasElement) -> Result<web_sys::Blob, &'static str> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        if canvas.to_blob(&resolve).is_err() {
            let _ = reject.call0(&JsValue::NULL);
        }
    });
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|blob| blob.dyn_into::<web_sys::Blob>().ok())
        .ok_or("the image could not be encoded as a PNG")
}
