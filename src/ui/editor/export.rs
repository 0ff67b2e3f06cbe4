//! The editor's files: "Save drawing" downloads the graph as the JSON file `scalesim run`
//! reads (positions included, so it reopens as drawn); "SVG" and "PNG" export the drawing
//! as an image, styled as on screen, at 100 % whatever the zoom.

use super::super::files;
use super::super::png;
use crate::scenario::TopologyFile;

/// The drawing's SVG element on the page.
fn drawing() -> Option<web_sys::Element> {
    web_sys::window()?
        .document()?
        .query_selector("[data-editor-drawing]")
        .ok()?
}

/// A file name from the drawing's name: lower case letters, digits and dashes.
pub fn file_stem(file: &TopologyFile) -> String {
    let mut stem = String::new();
    for c in file.name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            stem.push(c);
        } else if !stem.ends_with('-') && !stem.is_empty() {
            stem.push('-');
        }
        if stem.len() >= 60 {
            break;
        }
    }
    let stem = stem.trim_end_matches('-').to_string();
    if stem.is_empty() {
        "architecture".to_string()
    } else {
        stem
    }
}

/// The graph file's text: pretty JSON, as `scalesim preset N` prints a scenario.
pub fn file_text(file: &TopologyFile) -> String {
    // By way of a Value: the Value's printer is in the build already.
    let value = serde_json::to_value(file).expect("a graph file always serialises");
    serde_json::to_string_pretty(&value).expect("a JSON value always prints") + "\n"
}

/// Downloads the graph file.
pub fn save(file: &TopologyFile) -> Option<()> {
    files::download(
        &file_text(file),
        "application/json",
        &format!("{}.json", file_stem(file)),
    )
}

/// The drawing's own size (its `viewBox`), in drawing units.
fn own_size(svg: &web_sys::Element) -> Option<(f64, f64)> {
    let view_box = svg.get_attribute("viewBox")?;
    let mut n = view_box.split_whitespace().skip(2).map(str::parse::<f64>);
    match (n.next(), n.next()) {
        (Some(Ok(w)), Some(Ok(h))) if w >= 1.0 && h >= 1.0 => Some((w.round(), h.round())),
        _ => None,
    }
}

/// The drawing as a standalone SVG document, at 100 %.
pub fn svg_text() -> Option<String> {
    let original = drawing()?;
    let (w, h) = own_size(&original)?;
    let copy = files::standalone_copy(&original)?;
    copy.set_attribute("style", "").ok()?;
    copy.set_attribute("width", &w.to_string()).ok()?;
    copy.set_attribute("height", &h.to_string()).ok()?;
    Some(files::svg_document(&copy))
}

/// Downloads the drawing as SVG.
pub fn export_svg(file: &TopologyFile) -> Option<()> {
    let svg = svg_text()?;
    files::download(
        &svg,
        "image/svg+xml",
        &format!("{}-drawing.svg", file_stem(file)),
    )
}

/// Downloads the drawing as PNG (at 100 %, at least twice the pixel density), or says why not.
pub async fn export_png(file: &TopologyFile) -> Result<(), &'static str> {
    let original = drawing().ok_or("no drawing is shown")?;
    let size = own_size(&original).ok_or("the drawing has no size")?;
    let blob = png::svg_png(&original, Some(size)).await?;
    files::download_blob(blob.into(), &format!("{}-drawing.png", file_stem(file)))
        .ok_or("the download could not start")
}
