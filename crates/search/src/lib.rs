//! Search over what a body has already said — its official posts (decisions, services,
//! guidance, rumour rebuttals) and its services knowledge base — so that an agent answering a
//! citizen has the official answer at hand. A tantivy index whose analyser is tawasul's own:
//! the social-media tokeniser, the `search` normal form and the light stemmer, so that
//! `بالبطاقة`, `البطاقه` and `بطاقة` meet.
#![deny(missing_docs)]

use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument, Term};
use tawasul_text::{
    normalize_into, shipped_stemmer, tokenize_normalized, Profile, Stemmer, TokenKind,
};

/// Name under which the analyser is registered in the index.
pub const ANALYZER: &str = "tawasul_ar";
/// Body value of documents every body may use (general services).
pub const ANY_BODY: &str = "_any";
/// Longest query considered, in analysed terms: citizen text is bounded before it is searched.
pub const MAX_QUERY_TERMS: usize = 48;

/// Errors of the search index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy refused an operation.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error("search index {path}: {message}")]
    Open {
        /// Directory.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// An official post of a government account.
    Post,
    /// A service of the knowledge base.
    Service,
}

impl DocKind {
    /// `post` or `service`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Post => "post",
            DocKind::Service => "service",
        }
    }
}

/// A passage source to index.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Stable id (`post:<id>`, `service:<url>`): indexing it again replaces it.
    pub id: String,
    /// Post or service.
    pub kind: DocKind,
    /// Body key, or None for every body.
    pub body: Option<String>,
    /// Title (service name; empty for posts).
    pub title: String,
    /// The text.
    pub text: String,
    /// Where it comes from (URL or post id), shown with every suggestion.
    pub source: String,
    /// `post_type` of a post, category of a service.
    pub label: String,
}

/// A suggestion.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    /// Document id.
    pub id: String,
    /// `post` or `service`.
    pub kind: String,
    /// Body key, or `_any`.
    pub body: String,
    /// Title.
    pub title: String,
    /// The best passage of the text for the query.
    pub passage: String,
    /// Byte ranges of `passage` that matched.
    pub highlights: Vec<(usize, usize)>,
    /// Source.
    pub source: String,
    /// Label.
    pub label: String,
    /// Relevance (BM25).
    pub score: f32,
}

/// tawasul's Arabic analyser as a tantivy tokenizer.
#[derive(Clone, Default)]
pub struct ArabicTokenizer {
    normal: String,
}

/// Tokens of one text, analysed up front.
pub struct ArabicTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for ArabicTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

impl Tokenizer for ArabicTokenizer {
    type TokenStream<'a> = ArabicTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        let mut tokens = Vec::new();
        analyse(text, &mut self.normal, |from, to, term| {
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position: tokens.len(),
                text: term.to_string(),
                position_length: 1,
            });
        });
        ArabicTokenStream { tokens, index: 0 }
    }
}

/// Calls `emit(start, end, term)` for every searchable term of `text`: words and hashtag parts
/// in the `search` normal form, stemmed; numbers as ASCII digits. Tokenising and normalising
/// are one pass, and words already in normal form are stemmed in place, without a copy.
pub fn analyse(text: &str, normal: &mut String, mut emit: impl FnMut(usize, usize, &str)) {
    let stemmer = shipped_stemmer();
    let mut scratch = String::new();
    for t in tokenize_normalized(text, Profile::Search) {
        let token = t.token;
        match token.kind {
            TokenKind::Word => {
                let term = term_of(stemmer, t.normal(text, normal), &mut scratch);
                if !term.is_empty() {
                    emit(token.start, token.end, term);
                }
            }
            TokenKind::Hashtag => {
                for part in token.text(text).split('_').filter(|p| !p.is_empty()) {
                    normalize_into(part, Profile::Search, normal);
                    let term = term_of(stemmer, normal, &mut scratch);
                    if !term.is_empty() {
                        emit(token.start, token.end, term);
                    }
                }
            }
            TokenKind::Number => {
                let digits: String = t
                    .normal(text, normal)
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                if !digits.is_empty() {
                    emit(token.start, token.end, &digits);
                }
            }
            _ => {}
        }
    }
}

/// The index term of a word in `search` normal form: lower-cased where a script other than
/// ASCII and Arabic keeps capitals the profile leaves alone, then stemmed.
fn term_of<'s>(stemmer: &Stemmer, normal: &'s str, scratch: &'s mut String) -> &'s str {
    // a lead byte outside the Arabic block's (0xD8..=0xDB) marks another script
    let other_script = normal
        .bytes()
        .any(|b| b >= 0xC0 && !(0xD8..=0xDB).contains(&b));
    if other_script {
        let lower = normal.to_lowercase();
        stemmer.stem_into(&lower, scratch);
        return scratch;
    }
    stemmer.stem_normal(normal, scratch)
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    body: Field,
    title: Field,
    text: Field,
    source: Field,
    label: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analysed = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        kind: builder.add_text_field("kind", STRING | STORED),
        body: builder.add_text_field("body", STRING | STORED),
        title: builder.add_text_field("title", analysed.clone()),
        text: builder.add_text_field("text", analysed),
        source: builder.add_text_field("source", STORED),
        label: builder.add_text_field("label", STRING | STORED),
    };
    (builder.build(), fields)
}

/// The index of passages.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    recent: std::sync::Mutex<RecentSearches>,
}

/// Answers to recent searches, valid for one generation of the index: an agent's conversation
/// page asks for the same message's suggestions each time it is opened, and a search with
/// snippets costs more than the rest of the page.
#[derive(Default)]
struct RecentSearches {
    generation: u64,
    answers: std::collections::HashMap<(String, Option<String>, usize), Vec<Hit>>,
}

/// Searches remembered at most; the memory is dropped whole when full.
const RECENT_SEARCHES: usize = 2_048;
/// Longer queries are not remembered (a pasted document is not asked twice).
const RECENT_QUERY_BYTES: usize = 1_024;

/// The indexing memory of a writer: above tantivy's 15 MB floor for one thread, and small,
/// since it counts towards an import's peak memory (a larger budget only means fewer,
/// larger segments before merging).
const WRITER_BUDGET: usize = 20_000_000;

/// Upserts into a [`SearchIndex`] that stay invisible until [`commit`](Self::commit).
pub struct PassageWriter<'a> {
    index: &'a SearchIndex,
    writer: tantivy::IndexWriter<TantivyDocument>,
}

impl PassageWriter<'_> {
    /// Adds or replaces documents (by id).
    pub fn add(&mut self, documents: &[Document]) -> Result<(), SearchError> {
        let f = self.index.fields;
        for d in documents {
            self.writer.delete_term(Term::from_field_text(f.id, &d.id));
            self.writer.add_document(doc!(
                f.id => d.id.as_str(),
                f.kind => d.kind.as_str(),
                f.body => d.body.as_deref().unwrap_or(ANY_BODY),
                f.title => d.title.as_str(),
                f.text => d.text.as_str(),
                f.source => d.source.as_str(),
                f.label => d.label.as_str(),
            ))?;
        }
        Ok(())
    }

    /// Makes everything added so far durable and searchable.
    pub fn commit(&mut self) -> Result<(), SearchError> {
        self.writer.commit()?;
        self.index.reader.reload()?;
        Ok(())
    }

    /// Waits for the segment merges the commits started, so the index is left compact.
    /// Anything added since the last commit is dropped.
    pub fn finish(self) -> Result<(), SearchError> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when absent.
    pub fn open_or_create(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Open {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        let (schema, fields) = schema();
        let directory =
            tantivy::directory::MmapDirectory::open(dir).map_err(|e| SearchError::Open {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
        let index = Index::open_or_create(directory, schema)?;
        Self::with_index(index, fields)
    }

    /// An index in memory (tests, one-off searches).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<Self, SearchError> {
        index
            .tokenizers()
            .register(ANALYZER, TextAnalyzer::from(ArabicTokenizer::default()));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            fields,
            recent: std::sync::Mutex::new(RecentSearches::default()),
        })
    }

    /// Adds or replaces documents (by id) and makes them searchable.
    pub fn upsert(&self, documents: &[Document]) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        writer.add(documents)?;
        writer.commit()
    }

    /// A writer for a long run of upserts: documents go to disk as its memory budget fills,
    /// so a caller indexing millions of passages never holds them all, and each commit makes
    /// what was added so far durable and searchable.
    pub fn writer(&self) -> Result<PassageWriter<'_>, SearchError> {
        // One indexing thread with the whole budget: tantivy needs at least 15 MB per thread,
        // which a per-core split would break on machines with many cores.
        let writer = self
            .index
            .writer_with_num_threads::<TantivyDocument>(1, WRITER_BUDGET)?;
        Ok(PassageWriter {
            index: self,
            writer,
        })
    }

    /// Documents indexed.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The best passages for a citizen's message, from `body`'s documents and general ones
    /// (all bodies when None). Any text is a valid query: it is analysed, never parsed.
    pub fn search(
        &self,
        text: &str,
        body: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let remember = text.len() <= RECENT_QUERY_BYTES;
        let key = (text.to_string(), body.map(String::from), limit);
        if remember {
            if let Ok(recent) = self.recent.lock() {
                if recent.generation == generation {
                    if let Some(hits) = recent.answers.get(&key) {
                        return Ok(hits.clone());
                    }
                }
            }
        }
        let hits = self.search_in(&searcher, text, body, limit)?;
        if remember {
            if let Ok(mut recent) = self.recent.lock() {
                if recent.generation != generation || recent.answers.len() >= RECENT_SEARCHES {
                    recent.answers.clear();
                    recent.generation = generation;
                }
                recent.answers.insert(key, hits.clone());
            }
        }
        Ok(hits)
    }

    fn search_in(
        &self,
        searcher: &tantivy::Searcher,
        text: &str,
        body: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let f = self.fields;
        let mut terms: Vec<String> = Vec::new();
        let mut normal = String::new();
        analyse(text, &mut normal, |_, _, term| {
            if terms.len() < MAX_QUERY_TERMS && !terms.iter().any(|t| t == term) {
                terms.push(term.to_string());
            }
        });
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &terms {
            for field in [f.title, f.text] {
                should.push((
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, term),
                        IndexRecordOption::WithFreqs,
                    )),
                ));
            }
        }
        let matching: Box<dyn Query> = Box::new(BooleanQuery::new(should));
        let query: Box<dyn Query> = match body {
            Some(body) => {
                let scope = BooleanQuery::new(vec![
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(f.body, body),
                            IndexRecordOption::Basic,
                        )) as Box<dyn Query>,
                    ),
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(f.body, ANY_BODY),
                            IndexRecordOption::Basic,
                        )),
                    ),
                ]);
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, matching),
                    (Occur::Must, Box::new(scope)),
                ]))
            }
            None => matching,
        };
        let top = searcher.search(&query, &TopDocs::with_limit(limit))?;
        let mut snippets = SnippetGenerator::create(searcher, &*query, f.text)?;
        snippets.set_max_num_chars(240);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let stored: TantivyDocument = searcher.doc(address)?;
            let get = |field: Field| {
                stored
                    .get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let snippet = snippets.snippet_from_doc(&stored);
            let (passage, highlights) = if snippet.fragment().is_empty() {
                let text = get(f.text);
                (text.chars().take(240).collect(), Vec::new())
            } else {
                (
                    snippet.fragment().to_string(),
                    snippet
                        .highlighted()
                        .iter()
                        .map(|r| (r.start, r.end))
                        .collect(),
                )
            };
            hits.push(Hit {
                id: get(f.id),
                kind: get(f.kind),
                body: get(f.body),
                title: get(f.title),
                passage,
                highlights,
                source: get(f.source),
                label: get(f.label),
                score,
            });
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analyser's terms spelled out step by step: tokenise, normalise each token, lower-case,
    /// stem; what the one-pass analyser must give.
    fn terms_step_by_step(text: &str) -> Vec<(usize, usize, String)> {
        let stemmer = shipped_stemmer();
        let mut out = Vec::new();
        for token in tawasul_text::tokenize(text) {
            let parts: Vec<&str> = match token.kind {
                TokenKind::Word => vec![token.text(text)],
                TokenKind::Hashtag => token
                    .text(text)
                    .split('_')
                    .filter(|p| !p.is_empty())
                    .collect(),
                TokenKind::Number => {
                    let n = tawasul_text::normalize(token.text(text), Profile::Search);
                    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
                    if !digits.is_empty() {
                        out.push((token.start, token.end, digits));
                    }
                    continue;
                }
                _ => continue,
            };
            for part in parts {
                let lower = tawasul_text::normalize(part, Profile::Search).to_lowercase();
                let stem = stemmer.stem(&lower);
                if !stem.is_empty() {
                    out.push((token.start, token.end, stem));
                }
            }
        }
        out
    }

    #[test]
    fn one_pass_analyser_gives_the_step_by_step_terms() {
        let text = "وزارة الصحة: #اعرف_حقك بالمستشفيات والمدارس ١٢٣ صحته حكومتنا @MOHP 😡 \
                    https://t.co/AbC ليه مبيردوش؟؟ الْمُعَلِّمُونَ جميـــل ﻻ ٱلله EGYPT 3ayez ΑΘΗΝΑ \
                    Ǆemal İstanbul مستشفى أسيوط ٢٠٢٤٫٥ وووو";
        let mut got = Vec::new();
        let mut normal = String::new();
        analyse(text, &mut normal, |a, b, t| got.push((a, b, t.to_string())));
        assert_eq!(got, terms_step_by_step(text));
        assert!(
            got.iter().any(|(_, _, t)| t == "صحه"),
            "ة written back: {got:?}"
        );
        assert!(
            got.iter().any(|(_, _, t)| t == "αθηνα"),
            "Greek lower-cased: {got:?}"
        );
    }

    fn service(id: &str, body: Option<&str>, title: &str, text: &str) -> Document {
        Document {
            id: id.into(),
            kind: DocKind::Service,
            body: body.map(String::from),
            title: title.into(),
            text: text.into(),
            source: format!("https://example.gov.eg/{id}"),
            label: "test".into(),
        }
    }

    #[test]
    fn a_remembered_search_is_forgotten_when_the_index_changes() {
        let index = SearchIndex::in_memory().expect("index");
        index
            .upsert(&[service(
                "a",
                Some("health"),
                "حجز موعد",
                "حجز موعد في العيادة",
            )])
            .expect("upsert");
        let question = "امتى يبدأ حجز التطعيم؟";
        let first = index.search(question, Some("health"), 5).expect("search");
        assert_eq!(first.len(), 1);
        assert_eq!(
            index.search(question, Some("health"), 5).expect("again"),
            first
        );
        index
            .upsert(&[service(
                "b",
                Some("health"),
                "التطعيم",
                "حجز التطعيم يبدأ الأحد",
            )])
            .expect("upsert");
        let after = index.search(question, Some("health"), 5).expect("after");
        assert_eq!(after.len(), 2, "{after:?}");
        assert_eq!(after[0].id, "b");
    }

    #[test]
    fn spellings_of_one_word_meet() {
        let index = SearchIndex::in_memory().expect("index");
        index
            .upsert(&[
                service(
                    "a",
                    Some("interior"),
                    "استخراج بطاقة الرقم القومي",
                    "تتيح الخدمة استخراج بدل فاقد للبطاقة",
                ),
                service("b", Some("health"), "حجز الكشف", "حجز موعد في المستشفى"),
            ])
            .expect("indexed");
        let hits = index.search("ازاي اطلع البطاقه؟", None, 5).expect("search");
        assert_eq!(hits.first().map(|h| h.id.as_str()), Some("a"));
        assert!(hits.iter().all(|h| h.id != "b"));
    }

    #[test]
    fn a_body_sees_its_own_and_general_documents_only() {
        let index = SearchIndex::in_memory().expect("index");
        index
            .upsert(&[
                service(
                    "own",
                    Some("health"),
                    "مواعيد المستشفى",
                    "مواعيد العمل في المستشفى",
                ),
                service(
                    "other",
                    Some("interior"),
                    "مواعيد السجل المدني",
                    "مواعيد العمل في السجل المدني",
                ),
                service(
                    "general",
                    None,
                    "مواعيد العمل الرسمية",
                    "مواعيد العمل الحكومية",
                ),
            ])
            .expect("indexed");
        let hits = index
            .search("مواعيد العمل", Some("health"), 10)
            .expect("search");
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert!(ids.contains(&"own") && ids.contains(&"general"));
        assert!(!ids.contains(&"other"));
    }

    #[test]
    fn hostile_queries_are_text_not_syntax() {
        let index = SearchIndex::in_memory().expect("index");
        index
            .upsert(&[service("a", None, "خدمة", "نص الخدمة")])
            .expect("indexed");
        for query in [
            "title:\"(((",
            "AND OR NOT",
            "*?~^",
            "",
            "😡😡😡",
            &"خدمة ".repeat(10_000),
        ] {
            assert!(index.search(query, None, 5).is_ok(), "{query:.20}");
        }
        // Upserting the same id replaces the document.
        index
            .upsert(&[service("a", None, "خدمة", "نص جديد")])
            .expect("indexed");
        assert_eq!(index.len(), 1);
    }
}
