//! The scorecard scan cache: a scan after any write to posts sees that write, a damaged cache
//! is reported and removed rather than read, and the cached rows equal SQLite's.

use tawasul_core::scorecard::ScanPost;
use tawasul_core::{Post, PostKind, Record};
use tawasul_store::{scan_cache_path, LabelWrite, SqliteStore, Store, StoreError};

fn post(id: u64, author: u64, kind: PostKind) -> Post {
    Post {
        id,
        author_id: Some(author),
        kind,
        text: format!("post {id}"),
        complete: true,
        created_at_ms: Some(1_700_000_000_000 + id as i64),
        hashtags: if id.is_multiple_of(2) {
            vec!["مصر".into()]
        } else {
            Vec::new()
        },
        ..Post::default()
    }
}

fn label(post_id: u64, task: &'static str, value: &str) -> LabelWrite {
    LabelWrite {
        post_id,
        task,
        value: value.into(),
        confidence: 0.9,
        source: "test".into(),
    }
}

async fn rows(store: &SqliteStore, cached: bool) -> Vec<String> {
    let mut out = Vec::new();
    let visit = |post: &ScanPost<'_>| out.push(format!("{post:?}"));
    if cached {
        store.scan_posts(visit).await.expect("scan");
    } else {
        store.scan_posts_uncached(visit).await.expect("scan");
    }
    out
}

async fn labelled_store(dir: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::open_dir(dir).await.expect("open");
    let mut batch: Vec<Record> = (1..=40)
        .map(|id| Record::Post(post(id, 100 + id % 3, PostKind::Original)))
        .collect();
    batch.push(Record::Post(Post {
        reply_to_post: Some(3),
        reply_to_user: Some(103),
        ..post(41, 7, PostKind::Reply)
    }));
    store.write_batch(&batch).await.expect("write");
    let labels: Vec<LabelWrite> = (1..=41)
        .map(|id| {
            label(
                id,
                "intent",
                ["complaint", "question", "other"][id as usize % 3],
            )
        })
        .collect();
    store.write_labels(&labels, 1, 41, 1).await.expect("labels");
    store
}

#[tokio::test]
async fn the_cache_is_written_by_one_scan_and_gives_the_next_the_same_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    let cache = scan_cache_path(store.path());
    assert!(!cache.exists());
    let from_sqlite = rows(&store, true).await;
    assert_eq!(from_sqlite.len(), 41);
    assert!(cache.exists(), "the first scan writes the cache");
    let written = std::fs::metadata(&cache)
        .expect("cache")
        .modified()
        .expect("time");
    assert_eq!(rows(&store, true).await, from_sqlite);
    assert_eq!(rows(&store, false).await, from_sqlite);
    let read = std::fs::metadata(&cache)
        .expect("cache")
        .modified()
        .expect("time");
    assert_eq!(written, read, "a valid cache is read, not rewritten");
}

#[tokio::test]
async fn every_kind_of_write_to_posts_makes_the_next_scan_see_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    let before = rows(&store, true).await;

    // New labels.
    store
        .write_labels(&[label(5, "post_type", "news")], 5, 5, 2)
        .await
        .expect("labels");
    let after_labels = rows(&store, true).await;
    assert_ne!(after_labels, before);
    assert_eq!(after_labels, rows(&store, false).await);

    // New and updated posts.
    let mut newer = post(5, 101, PostKind::Original);
    newer.text = "edited".into();
    newer.metrics = tawasul_core::Metrics {
        likes: Some(9),
        ..Default::default()
    };
    newer.observed_at_ms = Some(10);
    store
        .write_batch(&[Record::Post(newer)])
        .await
        .expect("write");
    let after_batch = rows(&store, true).await;
    assert_ne!(after_batch, after_labels, "the newer metrics are seen");
    assert_eq!(after_batch, rows(&store, false).await);

    // Reply trees threaded after the fact: 42 answers 41, which answers 3.
    store
        .write_batch(&[Record::Post(Post {
            reply_to_post: Some(41),
            reply_to_user: Some(7),
            ..post(42, 8, PostKind::Reply)
        })])
        .await
        .expect("write");
    store
        .write_labels(&[label(42, "intent", "question")], 42, 42, 3)
        .await
        .expect("labels");
    let unthreaded = rows(&store, true).await;
    store.thread_conversations().await.expect("thread");
    let threaded = rows(&store, true).await;
    assert_ne!(threaded, unthreaded, "the reply's thread root moved");
    assert_eq!(threaded, rows(&store, false).await);

    // Synthetic posts (benchmarks).
    store
        .insert_synthetic_posts(&[tawasul_store::SyntheticPost {
            id: 50,
            author_id: 9,
            created_at: 50,
            kind: "original",
            conversation_id: 50,
            reply_settings: "everyone",
            intent: Some("request"),
            ..Default::default()
        }])
        .await
        .expect("synthetic");
    let synthetic = rows(&store, true).await;
    assert_eq!(synthetic.len(), threaded.len() + 1);
    assert_eq!(synthetic, rows(&store, false).await);

    // Labels forgotten after a model change.
    store.reset_model_labels().await.expect("reset");
    assert!(rows(&store, true).await.is_empty());
    assert!(rows(&store, false).await.is_empty());
}

#[tokio::test]
async fn a_damaged_cache_is_reported_removed_and_then_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    let expected = rows(&store, true).await;
    let cache = scan_cache_path(store.path());
    let mut bytes = std::fs::read(&cache).expect("cache");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&cache, &bytes).expect("damage");
    let mut seen = 0;
    match store.scan_posts(|_| seen += 1).await {
        Err(StoreError::CorruptCache(reason)) => {
            assert!(reason.contains("scorecard-cache"), "{reason}")
        }
        other => panic!("expected a corrupt cache error, got {other:?}"),
    }
    assert!(!cache.exists(), "the damaged file is gone");
    assert_eq!(rows(&store, true).await, expected, "read from SQLite again");
    assert!(cache.exists(), "and the cache written anew");
}

#[tokio::test]
async fn a_cache_left_from_another_store_is_never_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    let expected = rows(&store, true).await;
    let cache = scan_cache_path(store.path());
    let kept = std::fs::read(&cache).expect("cache");
    store.close().await;
    // The database is deleted and made again with other posts; the old cache stays behind.
    for suffix in ["", "-wal", "-shm"] {
        let mut path = dir
            .path()
            .join(tawasul_store::DATABASE_FILE)
            .into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    let store = SqliteStore::open_dir(dir.path()).await.expect("open");
    store
        .write_batch(&[Record::Post(post(900, 1, PostKind::Original))])
        .await
        .expect("write");
    store
        .write_labels(&[label(900, "intent", "question")], 900, 900, 1)
        .await
        .expect("labels");
    std::fs::write(&cache, kept).expect("old cache back");
    let now = rows(&store, true).await;
    assert_eq!(now.len(), 1);
    assert_ne!(now, expected);
}

#[tokio::test]
async fn preparing_writes_the_cache_once_and_a_later_write_makes_it_stale() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    let cache = scan_cache_path(store.path());
    assert_eq!(store.prepare_scan_cache().await.expect("prepare"), Some(41));
    let written = std::fs::metadata(&cache)
        .expect("cache")
        .modified()
        .expect("mtime");
    // Current already: nothing is read or written again.
    assert_eq!(store.prepare_scan_cache().await.expect("prepare"), None);
    assert_eq!(
        std::fs::metadata(&cache)
            .expect("cache")
            .modified()
            .expect("mtime"),
        written
    );
    // The prepared file is what a scan reads, and it holds SQLite's rows.
    std::fs::remove_file(&cache).expect("remove");
    let from_sqlite = rows(&store, false).await;
    assert_eq!(store.prepare_scan_cache().await.expect("prepare"), Some(41));
    assert_eq!(rows(&store, true).await, from_sqlite);
    // A new post makes the prepared file stale: preparing again writes it with the new row.
    store
        .write_batch(&[Record::Post(post(42, 100, PostKind::Original))])
        .await
        .expect("write");
    store
        .write_labels(&[label(42, "intent", "question")], 42, 42, 1)
        .await
        .expect("labels");
    assert_eq!(store.prepare_scan_cache().await.expect("prepare"), Some(42));
    assert_eq!(rows(&store, true).await, rows(&store, false).await);
}

#[tokio::test]
async fn an_empty_store_prepares_an_empty_cache_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open_dir(dir.path()).await.expect("open");
    // A new store has a posts version already, so an empty cache is written for it.
    assert_eq!(store.prepare_scan_cache().await.expect("prepare"), Some(0));
    assert!(scan_cache_path(store.path()).exists());
    assert_eq!(store.prepare_scan_cache().await.expect("prepare"), None);
    assert!(rows(&store, true).await.is_empty());
}

/// The secondary indexes on posts, by name and definition.
async fn post_indexes(store: &SqliteStore) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT name, sql FROM sqlite_master \
         WHERE type = 'index' AND tbl_name = 'posts' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .expect("schema")
}

#[tokio::test]
async fn a_bulk_load_without_indexes_ends_with_the_same_schema_and_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    // Threaded once, so nothing is left for the pass after the bulk load but what it loaded.
    store.thread_conversations().await.expect("thread");
    let schema = post_indexes(&store).await;
    assert!(schema.iter().any(|(name, _)| name == "posts_scorecard"));
    let before = rows(&store, false).await;

    let deferred = store.defer_post_indexes(None).await.expect("defer");
    assert_eq!(deferred, schema.len());
    assert!(post_indexes(&store).await.is_empty());
    assert!(
        store.scan_posts_uncached(|_| {}).await.is_err(),
        "the scan needs its covering index"
    );
    store
        .insert_synthetic_posts(&[tawasul_store::SyntheticPost {
            id: 60,
            author_id: 9,
            author_handle: "citizen9".into(),
            created_at: 60,
            kind: "original",
            conversation_id: 60,
            reply_settings: "everyone",
            intent: Some("question"),
            ..Default::default()
        }])
        .await
        .expect("synthetic");
    assert_eq!(
        store.restore_deferred_indexes().await.expect("restore"),
        schema.len()
    );

    assert_eq!(post_indexes(&store).await, schema);
    assert!(store
        .deferred_index_names()
        .await
        .expect("names")
        .is_empty());
    let after = rows(&store, false).await;
    assert_eq!(
        after.len(),
        before.len() + 1,
        "the row loaded meanwhile is indexed"
    );
    assert_eq!(after, rows(&store, true).await);
    // Bulk rows are not queued one by one, so the next threading pass covers everything.
    store.thread_conversations().await.expect("thread");
    let threaded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE root_post_id = 60")
            .fetch_one(store.pool())
            .await
            .expect("conversations");
    assert_eq!(threaded, 1);
}

/// Regression: a pooled connection that last read the schema before the indexes were dropped
/// parsed the restoring `CREATE INDEX` against its stale copy ("index … already exists"),
/// which failed the test above now and then under load.
#[tokio::test]
async fn indexes_are_restored_through_a_connection_that_saw_them_before_the_drop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    let schema = post_indexes(&store).await;
    // A second store on the same file, one connection, schema read while the indexes exist.
    let other = SqliteStore::open_file_with(store.path(), 1)
        .await
        .expect("open");
    assert_eq!(post_indexes(&other).await, schema);
    store.defer_post_indexes(None).await.expect("defer");
    other.restore_deferred_indexes().await.expect("restore");
    assert_eq!(post_indexes(&store).await, schema);
}

/// An index build sorts every post: it spills to temporary files rather than memory (which
/// grew with the store), and the connection goes back to the pool with its in-memory temp
/// store whether the build succeeded or failed.
#[tokio::test]
async fn index_builds_hand_their_connection_back_with_the_pools_temp_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    let schema = post_indexes(&store).await;
    let single = SqliteStore::open_file_with(store.path(), 1)
        .await
        .expect("open");
    let temp_store = |s: &SqliteStore| {
        let pool = s.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("PRAGMA temp_store")
                .fetch_one(&pool)
                .await
                .expect("pragma")
        }
    };
    const MEMORY: i64 = 2;
    assert_eq!(temp_store(&single).await, MEMORY);

    store.defer_post_indexes(None).await.expect("defer");
    assert_eq!(
        single.restore_deferred_indexes().await.expect("restore"),
        schema.len()
    );
    assert_eq!(post_indexes(&store).await, schema);
    assert_eq!(temp_store(&single).await, MEMORY);

    // A build that fails midway: nothing of it stays, the records stay for the next try.
    store.defer_post_indexes(None).await.expect("defer");
    sqlx::query("INSERT INTO deferred_indexes (name, sql) VALUES ('zz_broken', 'CREATE INDEX zz_broken ON no_such_table (x)')")
        .execute(store.pool())
        .await
        .expect("record");
    let failed = single.restore_deferred_indexes().await;
    assert!(failed.is_err(), "{failed:?}");
    assert!(post_indexes(&store).await.is_empty());
    assert_eq!(
        store.deferred_index_names().await.expect("names").len(),
        schema.len() + 1
    );
    assert_eq!(temp_store(&single).await, MEMORY);
}

/// A bulk load killed after it took the indexes off: the definitions stayed in the store, and
/// the next open builds them, so the process that deferred them need not live to finish.
#[tokio::test]
async fn indexes_deferred_by_a_load_that_never_finished_are_built_at_the_next_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    let schema = post_indexes(&store).await;
    store.defer_post_indexes(None).await.expect("defer");
    let mut names = store.deferred_index_names().await.expect("names");
    names.sort();
    let mut expected: Vec<String> = schema.iter().map(|(name, _)| name.clone()).collect();
    expected.sort();
    assert_eq!(names, expected);
    // The process dies here: nothing but what is committed remains.
    let path = store.path().to_path_buf();
    drop(store);
    let reopened = SqliteStore::open_file(&path).await.expect("reopen");
    assert_eq!(post_indexes(&reopened).await, schema);
    assert!(reopened
        .deferred_index_names()
        .await
        .expect("names")
        .is_empty());
    assert_eq!(
        reopened.restore_deferred_indexes().await.expect("restore"),
        0,
        "nothing is left to build"
    );
}

/// Threading looks posts up by their root: a pass run while a load's indexes are off builds
/// them first instead of scanning the table once per reply.
#[tokio::test]
async fn a_threading_pass_builds_deferred_indexes_before_it_climbs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = labelled_store(dir.path()).await;
    let schema = post_indexes(&store).await;
    // Exactly the scattered ones come off: a renamed index would silently stay up.
    let only = tawasul_store::SCATTERED_POST_INDEXES;
    assert_eq!(
        store.defer_post_indexes(Some(only)).await.expect("defer"),
        only.len()
    );
    assert_eq!(store.deferred_index_names().await.expect("names"), only);
    assert_eq!(post_indexes(&store).await.len(), schema.len() - only.len());
    store.thread_conversations().await.expect("thread");
    assert_eq!(post_indexes(&store).await, schema);
}

type LabelColumns = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

async fn label_columns(store: &SqliteStore, id: i64) -> LabelColumns {
    sqlx::query_as(
        "SELECT post_type, intent, body_key, mentioned_government, labelled_at \
         FROM posts WHERE id = ?",
    )
    .bind(id)
    .fetch_one(store.pool())
    .await
    .expect("label columns")
}

#[tokio::test]
async fn all_of_a_posts_labels_land_on_its_row_and_an_earlier_labelling_time_stays() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open_dir(dir.path()).await.expect("open");
    let batch: Vec<Record> = (1..=4)
        .map(|id| Record::Post(post(id, 100, PostKind::Original)))
        .collect();
    store.write_batch(&batch).await.expect("write");
    store
        .write_labels(&[label(4, "post_type", "news")], 4, 4, 10)
        .await
        .expect("first pass");
    let labels = [
        label(1, "post_type", "decision"),
        label(2, "intent", "question"),
        label(2, tawasul_store::MENTIONED_GOVERNMENT, "mohpegypt"),
        label(2, "body", "health"),
        label(4, "intent", "complaint"),
        label(4, "intent", "question"),
    ];
    store
        .write_labels(&labels, 1, 4, 20)
        .await
        .expect("second pass");
    let text = |s: &str| Some(s.to_string());
    assert_eq!(
        label_columns(&store, 1).await,
        (text("decision"), None, None, None, Some(20))
    );
    assert_eq!(
        label_columns(&store, 2).await,
        (
            None,
            text("question"),
            text("health"),
            text("mohpegypt"),
            Some(20)
        )
    );
    // Unlabelled but looked at: marked, nothing else.
    assert_eq!(
        label_columns(&store, 3).await,
        (None, None, None, None, Some(20))
    );
    // Labelled before: its post_type and labelling time stay; the last intent wins.
    assert_eq!(
        label_columns(&store, 4).await,
        (text("news"), text("question"), None, None, Some(10))
    );
    let history: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM labels WHERE task != ?")
        .bind(tawasul_store::MENTIONED_GOVERNMENT)
        .fetch_one(store.pool())
        .await
        .expect("history");
    // post 4's two intents from one source are one history row, updated.
    assert_eq!(history, 5);
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox_queue")
        .fetch_one(store.pool())
        .await
        .expect("queue");
    assert_eq!(queued, 3);
}
