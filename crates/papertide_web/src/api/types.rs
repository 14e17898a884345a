//! The wire types of papertide's own API (`/api/v1`), separate from the store's rows: what a
//! client sees is decided here, field by field (no e-mail addresses, no token secrets, no
//! internal keys).

use chrono::{DateTime, Utc};
use papertide_core::{ApiToken, Comment, Community, Paper, User};
use serde::Serialize;

/// A paper with its community counts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaperOut {
    /// The arXiv id (`2401.01234`, `hep-th/9901001`) or papertide's id for other papers.
    pub id: String,
    /// The newest known version.
    pub version: u32,
    /// Title (may hold LaTeX).
    pub title: String,
    /// Abstract.
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// Authors in order.
    pub authors: Vec<String>,
    /// Categories, primary first.
    pub categories: Vec<String>,
    /// When version 1 appeared.
    pub published: Option<DateTime<Utc>>,
    /// When the newest version appeared.
    pub updated: Option<DateTime<Utc>>,
    /// The authors' comment (pages, venue).
    pub comment: Option<String>,
    /// Journal reference.
    pub journal_ref: Option<String>,
    /// DOI.
    pub doi: Option<String>,
    /// License URL.
    pub license: Option<String>,
    /// Links to the paper and its artefacts.
    pub links: LinksOut,
    /// The paper's page on this site.
    pub url: String,
    /// Upvotes on this site.
    pub upvotes: i64,
    /// Visible comments on this site.
    pub comments: i64,
    /// When it was first put on the daily feed.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Who put it there (absent when an admin featured it).
    pub submitted_by: Option<String>,
}

/// Links of a paper.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LinksOut {
    /// The abstract page.
    pub abs: Option<String>,
    /// The PDF.
    pub pdf: Option<String>,
    /// A code repository.
    pub code: Option<String>,
    /// A project page.
    pub project: Option<String>,
}

impl PaperOut {
    /// The wire form of `paper`; `base_url` makes its page link absolute.
    pub fn new(paper: &Paper, community: &Community, base_url: &str) -> PaperOut {
        PaperOut {
            id: paper.id.to_string(),
            version: paper.version,
            title: paper.title.clone(),
            abstract_text: paper.abstract_text.clone(),
            authors: paper.authors.clone(),
            categories: paper.categories.clone(),
            published: paper.published,
            updated: paper.updated,
            comment: paper.comment.clone(),
            journal_ref: paper.journal_ref.clone(),
            doi: paper.doi.clone(),
            license: paper.license.clone(),
            links: LinksOut {
                abs: paper.links.abs.clone(),
                pdf: paper.links.pdf.clone(),
                code: paper.links.code.clone(),
                project: paper.links.project.clone(),
            },
            url: format!("{}/papers/{}", base_url.trim_end_matches('/'), paper.id),
            upvotes: community.upvotes,
            comments: community.comment_count,
            submitted_at: community.submitted_at,
            submitted_by: community.submitted_by.clone(),
        }
    }
}

/// A search or similar-papers hit: the shape of `papertide search --json`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HitOut {
    /// The paper id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Abstract.
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// Authors in order.
    pub authors: Vec<String>,
    /// Categories, primary first.
    pub categories: Vec<String>,
    /// When version 1 appeared.
    pub published: Option<DateTime<Utc>>,
    /// Ranking score: higher is better, comparable within one answer.
    pub score: f32,
}

impl HitOut {
    /// The wire form of a search hit.
    pub fn new(hit: &papertide_search::engine::Hit) -> HitOut {
        HitOut::scored(&hit.paper, hit.score)
    }

    /// A paper with a score of another kind (a trending paper's upvotes).
    pub fn scored(p: &papertide_core::Paper, score: f32) -> HitOut {
        HitOut {
            id: p.id.to_string(),
            title: p.title.clone(),
            abstract_text: p.abstract_text.clone(),
            authors: p.authors.clone(),
            categories: p.categories.clone(),
            published: p.published,
            score: if score.is_finite() { score } else { 0.0 },
        }
    }
}

/// A comment. Hidden and deleted comments keep their place in the thread, without a body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommentOut {
    /// The comment's id.
    pub id: i64,
    /// The paper it is about.
    pub paper: String,
    /// Who wrote it.
    pub author: String,
    /// The Markdown source; absent when hidden or deleted.
    pub body: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Hidden by an admin.
    pub hidden: bool,
    /// Deleted by its author.
    pub deleted: bool,
}

impl CommentOut {
    /// The wire form of a comment.
    pub fn new(c: &Comment) -> CommentOut {
        CommentOut {
            id: c.id.0,
            paper: c.paper.to_string(),
            author: c.author.to_string(),
            body: c.is_visible().then(|| c.body_markdown.clone()),
            created_at: c.created_at,
            edited_at: c.edited_at,
            hidden: c.hidden,
            deleted: c.deleted,
        }
    }
}

/// A user as others see them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserOut {
    /// The user name.
    pub name: String,
    /// `user` or `admin`.
    pub role: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

impl UserOut {
    /// The public facts of a user.
    pub fn new(u: &User) -> UserOut {
        UserOut { name: u.name.to_string(), role: u.role.as_str().to_string(), created_at: u.created_at }
    }
}

/// A token's record as its owner sees it (never the secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    /// The token's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The first characters of the secret.
    pub hint: String,
    /// `read` or `write`.
    pub scope: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenOut {
    /// The wire form of a token's record.
    pub fn new(t: &ApiToken) -> TokenOut {
        TokenOut {
            id: t.id.0,
            name: t.name.clone(),
            hint: t.hint.clone(),
            scope: t.scope.as_str().to_string(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
        }
    }
}
