//! Integration tests of the web application: every route through the real router over a real
//! SQLite store (each test its own temp directory) and a keyword search engine, with a cookie
//! jar, CSRF tokens taken from the rendered forms, and a local arXiv API server for
//! submissions.

mod api;
mod api_v1;
mod app;
mod arxiv;
mod feeds;
mod library;
mod pages;
mod reset;
mod security;
mod subscribe;
