-- Scorecards read only the posts the labelling pass found relevant (government posts and
-- citizens' messages to them), from a covering index that leaves out texts, mentions and
-- sources: a fraction of the bytes of the table, read in id (time) order.
-- `mentioned_government` holds the lower-case handles of the government accounts a post
-- mentions, comma-separated, resolved once by the labelling pass.
ALTER TABLE posts ADD COLUMN mentioned_government TEXT;
CREATE INDEX posts_scorecard ON posts (
    id, author_id, created_at, kind, reply_to_post, reply_to_user,
    thread_root, conversation_id, retweet_of, mentioned_government, intent, post_type,
    reply_settings, likes, replies, retweets, quotes, hashtags, media
) WHERE post_type IS NOT NULL OR intent IS NOT NULL;
