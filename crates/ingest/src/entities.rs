//! Entities for inputs that carry only text (delimited files): found with tawasul's own
//! tokeniser, which follows X's rules for hashtags, mentions and URLs.

use tawasul_core::{Mention, Post};
use tawasul_text::{tokenize, TokenKind};

/// Fills hashtags, mentions and URLs of a post from its text.
pub(crate) fn fill_from_text(post: &mut Post) {
    for token in tokenize(&post.text) {
        let text = token.text(&post.text);
        match token.kind {
            TokenKind::Hashtag => post.hashtags.push(text.to_string()),
            TokenKind::Mention => post.mentions.push(Mention {
                handle: text.to_string(),
                user_id: None,
            }),
            TokenKind::Url => post.urls.push(text.to_string()),
            _ => {}
        }
    }
}
