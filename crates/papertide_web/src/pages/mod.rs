//! One module per page. Each exposes its axum handlers; views are maud templates next to them.

pub mod auth;
pub mod feed;
pub mod feeds;
pub mod feeds_for_you;
pub mod for_you;
pub mod library;
pub mod paper;
pub mod reset;
pub mod search;
pub mod submit;
pub mod subscribe;
pub mod syndication;
pub mod tokens;
pub mod user;
