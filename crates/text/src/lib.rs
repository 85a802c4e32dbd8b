//! Arabic social-media text for tawasul: tokenise with offsets, normalise per profile,
//! light-stem with usage guards, and count X's weighted length.
//!
//! Pure logic, no I/O: every other tawasul crate (classifiers, search, ingest, server) sees
//! Arabic through this one, so a word is the same word everywhere.
#![deny(missing_docs)]

pub mod chars;
pub mod length;
pub mod lexicon;
pub mod normalize;
pub mod stem;
pub mod tokenize;

pub use length::{fits_one_post, weighted_length};
pub use lexicon::{Lexicon, LexiconBuilder};
pub use normalize::{normalize, normalize_into, Profile};
pub use stem::{shipped_stemmer, stem, StemMemo, Stemmer};
pub use tokenize::{
    tokenize, tokenize_normalized, NormalToken, NormalTokens, Token, TokenKind, Tokens,
};
