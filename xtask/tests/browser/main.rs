//! The browser tests, in headless Chromium (Debian's `chromium`) over the DevTools protocol
//! (testkit::chromium): the demo gallery's contrast in light and dark, the README's embed
//! (picture and widget) across two origins with the stack's response headers, and each
//! SVG as Chromium draws it against the job's PNG. Without `chromium` they skip outside CI
//! (one line saying how to install it) and fail under `CI=true`.

mod charts;
mod gallery_contrast;
mod origin;
mod readme_embed;
mod response_headers;
mod svg_matches_png;
