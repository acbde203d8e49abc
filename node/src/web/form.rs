//! Posted forms as name/value pairs: repeated names (checkboxes) are kept, and every value is text the workflow's
//! own checks then judge, so a form cannot say more than the API accepts.

use axum::extract::{FromRequest, Request};

/// The fields of a posted `application/x-www-form-urlencoded` form.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = super::error::WebError;

    async fn from_request(request: Request, state: &S) -> Result<Fields, Self::Rejection> {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|_| super::error::WebError::BadForm)?;
        Ok(Fields(pairs))
    }
}
