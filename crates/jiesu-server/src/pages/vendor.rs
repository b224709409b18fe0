//! Third-party assets (Apache ECharts, the Beijing districts' GeoJSON) with their licences,
//! compiled into the binary and served at `/assets/vendor/{path}`. Where each comes from and
//! how it was made: `assets/vendor/README.md`, also served here.

use axum::extract::Path;
use axum::response::Response;

/// (path under `assets/vendor/`, content type, content).
pub const VENDOR: &[(&str, &str, &str)] = &[
    (
        "echarts/echarts.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/vendor/echarts/echarts.min.js"),
    ),
    (
        "echarts/LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../../assets/vendor/echarts/LICENSE"),
    ),
    (
        "echarts/NOTICE",
        "text/plain; charset=utf-8",
        include_str!("../../assets/vendor/echarts/NOTICE"),
    ),
    (
        "echarts/LICENSE-d3",
        "text/plain; charset=utf-8",
        include_str!("../../assets/vendor/echarts/LICENSE-d3"),
    ),
    (
        "beijing/beijing-districts.geojson",
        "application/geo+json",
        include_str!("../../assets/vendor/beijing/beijing-districts.geojson"),
    ),
    (
        "beijing/LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../../assets/vendor/beijing/LICENSE"),
    ),
    (
        "README.md",
        "text/markdown; charset=utf-8",
        include_str!("../../assets/vendor/README.md"),
    ),
];

/// `GET /assets/vendor/{*path}`: pages link these with `?v=` like the other assets, so a day's
/// caching is safe.
pub async fn serve(Path(path): Path<String>) -> Response {
    super::assets::answer(VENDOR, &path)
}
