//! The OpenAPI document, generated from the handlers' annotations, and its endpoint
//! `GET /openapi.json` ([`serve`], no token).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "banchi screening API",
        description = "Japanese shipping addresses: parse, grade against fraud and forwarding-service lists, score."
    ),
    paths(
        crate::routes::screen::screen,
        crate::routes::screen::batch,
        crate::routes::normalize::normalize,
        crate::routes::admin_api::reload,
        crate::routes::lists::entries,
        crate::routes::lists::entry,
        crate::routes::lists::add,
        crate::routes::lists::set_status,
        crate::routes::lists::approve,
        crate::routes::lists::reject,
        crate::routes::import::import,
        crate::routes::search::search,
        crate::routes::health::about,
        crate::routes::health::healthz,
        crate::routes::health::readyz,
        crate::routes::health::metrics,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ItemError)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON text (built once).
pub fn document() -> &'static str {
    static DOC: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|_| String::from("{}"))
    });
    DOC.as_str()
}

/// `GET /openapi.json`: the document.
pub async fn serve() -> Response {
    let mut res = document().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_lists_the_endpoints_and_the_bearer_scheme() {
        let doc: serde_json::Value = serde_json::from_str(super::document()).unwrap();
        for path in ["/v1/screen", "/v1/screen/batch", "/v1/normalize", "/readyz"] {
            assert!(doc["paths"][path].is_object(), "{path} missing");
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(doc["components"]["schemas"]["ScreenRequest"].is_object());
    }
}
