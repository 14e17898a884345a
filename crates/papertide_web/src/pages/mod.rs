//! One module per page. Each exposes its axum handlers; views are maud templates next to them.

pub mod auth;
pub mod feed;
pub mod paper;
pub mod search;
pub mod submit;
pub mod user;
