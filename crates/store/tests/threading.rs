//! Threading after each import revisits only what the import touched; whatever the order and
//! split of the imports, it must end where one pass over everything ends.

use tawasul_core::{DirectMessage, Post, PostKind, Record};
use tawasul_store::{SqliteStore, Store};

/// A small seeded generator, so a failing case can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A forest of reply trees: some from a v2 source (conversation ids given), some from sources
/// without them; some parents never arrive; some posts are retweets; some arrive twice, first
/// as a low-fidelity copy. DMs fall into a few threads.
fn records(rng: &mut Rng, n: u64) -> Vec<Record> {
    let mut out = Vec::new();
    // The root of each post's tree when the whole tree is known, for v2 conversation ids.
    let mut tree_root: Vec<u64> = Vec::new();
    for id in 1..=n {
        let parent = if id > 1 && rng.below(3) != 0 {
            Some(1 + rng.below(id - 1))
        } else {
            None
        };
        let root = parent.map_or(id, |p| tree_root[(p - 1) as usize]);
        tree_root.push(root);
        let v2 = root % 3 == 0;
        let kind = match (parent, rng.below(8)) {
            (None, 0) => PostKind::Retweet,
            (None, _) => PostKind::Original,
            (Some(_), _) => PostKind::Reply,
        };
        let post = Post {
            id,
            kind,
            text: format!("post {id}"),
            complete: true,
            created_at_ms: Some(1_000 + id as i64),
            reply_to_post: parent,
            conversation_id: v2.then_some(root),
            retweet_of: (kind == PostKind::Retweet).then_some(n + 1),
            ..Post::default()
        };
        // A parent that is never stored: its subtree stays a tree of its own.
        if id % 11 == 0 {
            continue;
        }
        if rng.below(5) == 0 {
            out.push(Record::Post(Post {
                complete: false,
                conversation_id: None,
                text: String::new(),
                ..post.clone()
            }));
        }
        out.push(Record::Post(post));
    }
    for id in 0..n / 3 {
        out.push(Record::DirectMessage(DirectMessage {
            id: 10_000 + id,
            conversation_key: format!("{}-9", rng.below(4)),
            text: "سؤال".into(),
            event_type: "MessageCreate".into(),
            created_at_ms: Some(2_000 + id as i64),
            ..DirectMessage::default()
        }));
    }
    out
}

async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_dir(dir.path()).await.expect("open");
    (dir, store)
}

/// Every post's root and every conversation, in a stable order.
async fn threads(store: &SqliteStore) -> (Vec<(i64, Option<i64>)>, Vec<String>) {
    let roots = sqlx::query_as("SELECT id, thread_root FROM posts ORDER BY id")
        .fetch_all(store.pool())
        .await
        .expect("roots");
    let conversations = sqlx::query_scalar(
        "SELECT channel || '|' || IFNULL(root_post_id, '') || '|' || IFNULL(dm_key, '') || '|' \
         || started_at || '|' || last_activity_at || '|' || messages FROM conversations \
         ORDER BY channel, root_post_id, dm_key",
    )
    .fetch_all(store.pool())
    .await
    .expect("conversations");
    (roots, conversations)
}

async fn queued(store: &SqliteStore) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM threading_posts) + (SELECT COUNT(*) FROM threading_stale_roots) \
         + (SELECT COUNT(*) FROM threading_dm_keys)",
    )
    .fetch_one(store.pool())
    .await
    .expect("queue")
}

#[tokio::test]
async fn threading_import_by_import_ends_where_one_pass_over_everything_ends() {
    for seed in 1..=12u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut all = records(&mut rng, 120);
        // Shuffled, so children often arrive before their parents.
        for i in (1..all.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            all.swap(i, j);
        }

        let (_a, at_once) = open().await;
        at_once.write_batch(&all).await.expect("write");
        at_once.thread_conversations().await.expect("thread");
        let expected = threads(&at_once).await;
        assert!(expected.1.len() > 10, "seed {seed}: {:?}", expected.1);

        let (_b, by_import) = open().await;
        let mut rest = &all[..];
        while !rest.is_empty() {
            let take = (1 + rng.below(15) as usize).min(rest.len());
            by_import.write_batch(&rest[..take]).await.expect("write");
            by_import.thread_conversations().await.expect("thread");
            assert_eq!(
                queued(&by_import).await,
                0,
                "seed {seed}: the pass empties its queues"
            );
            rest = &rest[take..];
        }
        assert_eq!(threads(&by_import).await, expected, "seed {seed}");

        // The same data again changes nothing.
        by_import.write_batch(&all).await.expect("write");
        by_import.thread_conversations().await.expect("thread");
        assert_eq!(
            threads(&by_import).await,
            expected,
            "seed {seed}, imported twice"
        );
    }
}

#[tokio::test]
async fn posts_written_without_a_pass_are_threaded_by_the_next_one() {
    let (_dir, store) = open().await;
    let reply = |id: u64, parent: u64| {
        Record::Post(Post {
            id,
            kind: PostKind::Reply,
            text: format!("post {id}"),
            complete: true,
            created_at_ms: Some(id as i64),
            reply_to_post: Some(parent),
            ..Post::default()
        })
    };
    store.write_batch(&[reply(2, 1)]).await.expect("write");
    store.thread_conversations().await.expect("thread");
    // Two imports whose threading never ran (killed before it), then one that threads.
    store.write_batch(&[reply(3, 2)]).await.expect("write");
    store.write_batch(&[reply(1, 0)]).await.expect("write");
    assert!(queued(&store).await > 0);
    store.write_batch(&[]).await.expect("write");
    store.thread_conversations().await.expect("thread");
    let (roots, conversations) = threads(&store).await;
    assert_eq!(roots, vec![(1, Some(0)), (2, Some(0)), (3, Some(0))]);
    assert_eq!(conversations, vec!["public|0||1|3|3".to_string()]);
    // Nothing queued: the pass does nothing and says so by not changing the posts version.
    let version = |store: &SqliteStore| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT value FROM store_meta WHERE key = 'posts_version'",
            )
            .fetch_one(&pool)
            .await
            .expect("version")
        }
    };
    let before = version(&store).await;
    store.thread_conversations().await.expect("thread");
    assert_eq!(version(&store).await, before);
}
