//! One parameter of a request's query string, percent-decoded (axum's `Query` does the parsing).

use axum::extract::Query;
use axum::http::Uri;
use std::collections::HashMap;

/// The value of `key` in `query` (the part after `?`); the last one when it repeats.
pub fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    let uri: Uri = format!("/?{}", query?).parse().ok()?;
    let Query(mut pairs) = Query::<HashMap<String, String>>::try_from_uri(&uri).ok()?;
    pairs.remove(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_decodes_one_parameter() {
        assert_eq!(query_param(Some("a=1&join=viewer"), "join").as_deref(), Some("viewer"));
        assert_eq!(query_param(Some("code=open+sesame"), "code").as_deref(), Some("open sesame"));
        assert_eq!(query_param(Some("a=1"), "join"), None);
        assert_eq!(query_param(None, "join"), None);
    }
}
