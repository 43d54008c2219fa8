//! What the JSON API and the web pages both show in the same words (rendered Markdown included),
//! so neither imports the other.

use commune_store::Comment;

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CommentView {
    pub id: String,
    pub author: String,
    pub author_name: String,
    pub body: String,
    pub body_html: String,
    pub created_at: i64,
}

impl From<Comment> for CommentView {
    fn from(c: Comment) -> CommentView {
        CommentView {
            body_html: crate::markdown::to_html(&c.body),
            id: c.id,
            author: c.author_handle,
            author_name: c.author_name,
            body: c.body,
            created_at: c.created_at,
        }
    }
}
