//! The SQLite store: idempotent upserts, metrics over time, reply trees as conversations.

use tawasul_core::{AccountInfo, DirectMessage, Metrics, Post, PostKind, Record};
use tawasul_store::{SqliteStore, Store};

fn post(id: u64, kind: PostKind) -> Post {
    Post {
        id,
        kind,
        text: format!("post {id}"),
        complete: true,
        created_at_ms: Some(id as i64),
        ..Post::default()
    }
}

fn reply(id: u64, parent: u64) -> Post {
    Post {
        reply_to_post: Some(parent),
        ..post(id, PostKind::Reply)
    }
}

async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(dir.path()).await.unwrap();
    (dir, store)
}

/// Everything a user could see, in a stable order, for whole-store comparisons.
async fn dump(store: &SqliteStore) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT id, kind, text, thread_root, likes, metrics_at, complete, hashtags FROM posts ORDER BY id",
        "SELECT post_id, observed_at, likes FROM metric_snapshots ORDER BY post_id, observed_at",
        "SELECT id, handle, followers, observed_at FROM accounts ORDER BY id",
        "SELECT channel, root_post_id, dm_key, messages FROM conversations ORDER BY channel, root_post_id, dm_key",
        "SELECT id, conversation_key, text FROM direct_messages ORDER BY id",
    ] {
        let rows: Vec<sqlx::sqlite::SqliteRow> = sqlx::query(sql).fetch_all(store.pool()).await.unwrap();
        use sqlx::{Row, ValueRef};
        for row in rows {
            let cells: Vec<String> = (0..row.len())
                .map(|i| {
                    let raw = row.try_get_raw(i).unwrap();
                    if raw.is_null() {
                        "NULL".to_string()
                    } else if let Ok(n) = row.try_get::<i64, _>(i) {
                        n.to_string()
                    } else {
                        row.try_get::<String, _>(i).unwrap_or_default()
                    }
                })
                .collect();
            out.push(cells.join("|"));
        }
    }
    out
}

#[tokio::test]
async fn writing_the_same_batch_twice_changes_nothing() {
    let (_dir, store) = open().await;
    let batch = vec![
        Record::Post(Post {
            hashtags: vec!["مصر".into()],
            ..post(10, PostKind::Original)
        }),
        Record::Post(reply(11, 10)),
        Record::Account(AccountInfo {
            id: 5,
            handle: Some("MofEgypt".into()),
            followers: Some(100),
            observed_at_ms: Some(1),
            ..AccountInfo::default()
        }),
        Record::DirectMessage(DirectMessage {
            id: 7,
            conversation_key: "1-5".into(),
            text: "سؤال".into(),
            event_type: "MessageCreate".into(),
            ..DirectMessage::default()
        }),
    ];
    store.write_batch(&batch).await.unwrap();
    store.thread_conversations().await.unwrap();
    let once = dump(&store).await;
    assert!(once.len() >= 6, "{once:?}");
    store.write_batch(&batch).await.unwrap();
    store.thread_conversations().await.unwrap();
    assert_eq!(dump(&store).await, once);
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (stats.posts, stats.direct_messages, stats.conversations),
        (2, 1, 2)
    );
    assert_eq!(stats.by_kind.reply, 1);
}

#[tokio::test]
async fn newer_metrics_win_and_older_ones_become_history() {
    let (_dir, store) = open().await;
    let at = |ms: i64, likes: u64| {
        Record::Post(Post {
            metrics: Metrics {
                likes: Some(likes),
                ..Metrics::default()
            },
            observed_at_ms: Some(ms),
            ..post(20, PostKind::Original)
        })
    };
    store.write_batch(&[at(2_000, 50)]).await.unwrap();
    store.write_batch(&[at(1_000, 10)]).await.unwrap(); // an older file imported later
    store.write_batch(&[at(3_000, 90)]).await.unwrap();
    let likes: i64 = sqlx::query_scalar("SELECT likes FROM posts WHERE id = 20")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(likes, 90);
    let history: Vec<(i64, i64)> =
        sqlx::query_as("SELECT observed_at, likes FROM metric_snapshots ORDER BY observed_at")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(
        history,
        vec![(2_000, 50)],
        "the older observation never replaced the stored one"
    );
}

#[tokio::test]
async fn a_complete_record_beats_a_low_fidelity_copy_in_either_order() {
    for stub_first in [true, false] {
        let (_dir, store) = open().await;
        let stub = Record::Post(Post {
            text: "RT @x: cut…".into(),
            complete: false,
            ..post(30, PostKind::Retweet)
        });
        let full = Record::Post(Post {
            text: "the whole text".into(),
            retweet_of: Some(29),
            lang: Some("ar".into()),
            ..post(30, PostKind::Retweet)
        });
        let order = if stub_first {
            [stub.clone(), full.clone()]
        } else {
            [full.clone(), stub.clone()]
        };
        for r in order {
            store.write_batch(&[r]).await.unwrap();
        }
        let (text, complete): (String, i64) =
            sqlx::query_as("SELECT text, complete FROM posts WHERE id = 30")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            (text.as_str(), complete),
            ("the whole text", 1),
            "stub first: {stub_first}"
        );
    }
}

#[tokio::test]
async fn reply_chains_without_conversation_ids_thread_to_one_root_in_any_order() {
    let (_dir, store) = open().await;
    // 40 <- 41 <- 42 <- 43, written leaf first, in two imports.
    store
        .write_batch(&[Record::Post(reply(43, 42)), Record::Post(reply(42, 41))])
        .await
        .unwrap();
    store.thread_conversations().await.unwrap();
    assert_eq!(
        store.stats().await.unwrap().conversations,
        1,
        "root 41 unknown yet: one tree under it"
    );
    store
        .write_batch(&[
            Record::Post(reply(41, 40)),
            Record::Post(post(40, PostKind::Original)),
        ])
        .await
        .unwrap();
    store.thread_conversations().await.unwrap();
    let roots: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT thread_root FROM posts")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(roots, vec![40]);
    let (conversations, messages): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), SUM(messages) FROM conversations")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(
        (conversations, messages),
        (1, 4),
        "the stale tree under 41 is gone"
    );

    // A hostile cycle ends instead of looping.
    store
        .write_batch(&[Record::Post(reply(50, 51)), Record::Post(reply(51, 50))])
        .await
        .unwrap();
    store.thread_conversations().await.unwrap();
}

#[tokio::test]
async fn v2_conversation_ids_are_authoritative_and_retweets_are_not_conversations() {
    let (_dir, store) = open().await;
    store
        .write_batch(&[
            Record::Post(Post {
                conversation_id: Some(60),
                ..reply(62, 61)
            }),
            Record::Post(Post {
                retweet_of: Some(60),
                ..post(63, PostKind::Retweet)
            }),
        ])
        .await
        .unwrap();
    store.thread_conversations().await.unwrap();
    let root: i64 = sqlx::query_scalar("SELECT thread_root FROM posts WHERE id = 62")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(root, 60);
    assert_eq!(store.stats().await.unwrap().conversations, 1);
}

#[tokio::test]
async fn registry_round_trips() {
    let (_dir, store) = open().await;
    assert!(store.registry_is_empty().await.unwrap());
    store
        .save_registry(&tawasul_core::Registry::shipped())
        .await
        .unwrap();
    let body: String =
        sqlx::query_scalar("SELECT body_key FROM registry_accounts WHERE handle = 'mcit_news'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(body, "communications");
}

#[tokio::test]
async fn source_objects_are_kept_compressed_and_decode_back() {
    let (_dir, store) = open().await;
    let raw = r#"{"id": "70", "text": "\u0645\u0635\u0631 &amp; more"}"#.repeat(20);
    store
        .write_batch(&[Record::Post(Post {
            raw: Some(raw.clone()),
            ..post(70, PostKind::Original)
        })])
        .await
        .unwrap();
    let (codec, bytes): (String, Vec<u8>) =
        sqlx::query_as("SELECT codec, raw FROM post_sources WHERE post_id = 70")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert!(
        bytes.len() < raw.len() / 4,
        "{} bytes for {}",
        bytes.len(),
        raw.len()
    );
    assert_eq!(tawasul_store::decode_source(&codec, &bytes).unwrap(), raw);
    assert!(tawasul_store::decode_source("zstd", &bytes).is_err());
    assert!(tawasul_store::decode_source(&codec, &bytes[..bytes.len() / 2]).is_err());
}
