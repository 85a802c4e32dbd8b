//! Every reader on fixtures written by the project in the real formats, including the traps
//! of `shared/reference/x-formats.md`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use tawasul_core::{DirectMessage, Post, PostKind, Record};
use tawasul_ingest::{read_path, Format, LineError, ReadOptions, Sink, Stop, MAX_LINE_BYTES};

#[derive(Default)]
struct Collect {
    records: Vec<Record>,
    errors: Vec<LineError>,
    stop_on_error: bool,
}

impl Sink for Collect {
    fn records(&mut self, _file: &str, _unit: u64, records: &mut Vec<Record>) -> Result<(), Stop> {
        self.records.append(records);
        Ok(())
    }
    fn line_error(&mut self, error: LineError) -> Result<(), Stop> {
        self.errors.push(error);
        if self.stop_on_error {
            Err(Stop)
        } else {
            Ok(())
        }
    }
}

impl Collect {
    fn posts(&self) -> Vec<&Post> {
        self.records.iter().filter_map(Record::as_post).collect()
    }
    fn post(&self, id: u64) -> &Post {
        self.posts()
            .into_iter()
            .rev()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("post {id} missing"))
    }
    fn dms(&self) -> Vec<&DirectMessage> {
        self.records
            .iter()
            .filter_map(Record::as_direct_message)
            .collect()
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_with(
    path: &Path,
    options: &ReadOptions,
) -> (Collect, Result<Format, tawasul_ingest::IngestError>) {
    let mut sink = Collect::default();
    let result = read_path(path, options, Arc::new(AtomicU64::new(0)), &mut sink);
    (sink, result)
}

fn read(path: &Path) -> (Collect, Format) {
    let (sink, result) = read_with(path, &ReadOptions::default());
    (
        sink,
        result.unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
}

#[test]
fn v2_pages_resolve_includes_retweets_and_replies() {
    let (sink, format) = read(&fixture("v2_pages.jsonl"));
    assert_eq!(format, Format::XV2);
    assert!(sink.errors.is_empty(), "{:?}", sink.errors);
    let question = sink.post(1_766_754_625_639_153_664);
    assert_eq!(question.kind, PostKind::Original);
    assert_eq!(question.hashtags, vec!["اعرف_حقك"]);
    assert_eq!(question.mentions[0].handle, "MCIT_News");
    assert_eq!(question.author_handle.as_deref(), Some("citizen_eg"));
    assert_eq!(
        question.created_at_ms,
        Some(1_710_062_102_123),
        "milliseconds from the snowflake"
    );
    assert_eq!(question.observed_at_ms, Some(1_710_144_000_000));
    assert!(question
        .raw
        .as_deref()
        .is_some_and(|r| r.contains("1766754625639153664")));

    let answer = sink.post(1_766_791_234_921_168_896);
    assert_eq!(answer.kind, PostKind::Reply);
    assert_eq!(answer.reply_to_post, Some(1_766_754_625_639_153_664));
    assert_eq!(answer.conversation_id, Some(1_766_754_625_639_153_664));
    assert!(
        answer.text.contains("لتواصلك & يرجى"),
        "HTML entities decoded: {}",
        answer.text
    );
    assert_eq!(answer.reply_settings.as_deref(), Some("mentionedUsers"));
    assert_eq!(answer.metrics.impressions, Some(40));
    assert_eq!(
        answer.created_at_ms.unwrap() - question.created_at_ms.unwrap(),
        8_728_333
    );

    // The retweet takes text, entities and metrics from the original in includes.
    let retweet = sink.post(1_766_800_000_000_000_000);
    assert_eq!(retweet.kind, PostKind::Retweet);
    assert_eq!(retweet.retweet_of, Some(1_766_700_000_000_000_000));
    assert!(retweet.text.starts_with("النص الكامل"), "{}", retweet.text);
    assert_eq!(retweet.hashtags, vec!["مصر"]);
    assert_eq!(retweet.metrics.likes, Some(8100));
    // The original is stored as a post of its own.
    let original = sink.post(1_766_700_000_000_000_000);
    assert_eq!(original.author_handle.as_deref(), Some("AlsisiOfficial"));

    // Reply and quote at once, parent missing (errors[]): still a reply, ids kept.
    let both = sink.post(1_766_800_100_000_000_000);
    assert_eq!(both.kind, PostKind::Reply);
    assert_eq!(both.quote_of, Some(1_766_700_000_000_000_000));
    assert_eq!(both.reply_to_post, Some(1_766_699_999_999_999_999));
    assert_eq!(both.media[0].kind, "photo");
    assert_eq!(both.urls, vec!["https://www.mcit.gov.eg/ar/services"]);
    assert_eq!(both.withheld_in, vec!["EG"]);
    let accounts = sink
        .records
        .iter()
        .filter(|r| matches!(r, Record::Account(_)))
        .count();
    assert_eq!(accounts, 3);
}

#[test]
fn stream_lines_skip_the_truncated_one_and_blank_lines() {
    let (sink, _) = read(&fixture("v2_stream.jsonl"));
    let ids: Vec<u64> = sink.posts().iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        vec![1_766_900_000_000_000_000, 1_766_900_000_000_000_001]
    );
    assert_eq!(sink.errors.len(), 1);
    assert_eq!(sink.errors[0].line, 4, "the blank line 2 still counts");
    assert!(sink.errors[0].file.ends_with("v2_stream.jsonl"));
    assert!(
        sink.errors[0].reason.contains("invalid JSON"),
        "{}",
        sink.errors[0].reason
    );
}

#[test]
fn strict_consumer_stops_at_the_first_bad_line() {
    let mut sink = Collect {
        stop_on_error: true,
        ..Collect::default()
    };
    let result = read_path(
        &fixture("v2_stream.jsonl"),
        &ReadOptions::default(),
        Arc::new(AtomicU64::new(0)),
        &mut sink,
    );
    assert!(matches!(result, Err(tawasul_ingest::IngestError::Stopped)));
    assert_eq!(
        sink.posts().len(),
        2,
        "what came before the bad line was delivered"
    );
}

#[test]
fn flattened_lines_store_the_inline_original() {
    let (sink, _) = read(&fixture("v2_flat.jsonl"));
    let retweet = sink.post(1_767_000_000_000_000_000);
    assert_eq!(retweet.kind, PostKind::Retweet);
    assert!(
        retweet.text.starts_with("أخبار تهمك: قرار"),
        "{}",
        retweet.text
    );
    assert_eq!(retweet.author_handle.as_deref(), Some("mohpegypt"));
    assert_eq!(retweet.metrics.likes, Some(510));
    let original = sink.post(1_766_999_000_000_000_000);
    assert_eq!(original.author_handle.as_deref(), Some("CabinetEgy"));
}

#[test]
fn v2_dm_events() {
    let (sink, _) = read(&fixture("v2_dm_events.jsonl"));
    let dms = sink.dms();
    assert_eq!(dms.len(), 3);
    assert!(dms[0].text.contains("الفاتورة & العداد"));
    assert_eq!(
        dms[0].conversation_key,
        "800000000000000001-900000000000000005"
    );
    assert_eq!(dms[0].created_at_ms, Some(1_710_126_000_000));
    assert_eq!(dms[2].event_type, "ParticipantsJoin");
}

#[test]
fn v1_compat_extended_retweet_of_quote_and_float_ids() {
    let (sink, format) = read(&fixture("v1_tweets.jsonl"));
    assert_eq!(format, Format::XV1);
    assert!(sink.errors.is_empty(), "{:?}", sink.errors);
    // The numeric id was rounded by a float parser upstream; id_str is the truth.
    let compat = sink.post(847_804_888_365_117_440);
    assert_eq!(compat.created_at_ms, Some(1_490_967_411_496));
    assert!(
        compat.text.ends_with("#الصحة"),
        "extended_tweet.full_text wins: {}",
        compat.text
    );
    assert_eq!(
        compat.hashtags,
        vec!["الصحة"],
        "entities from the same object as the text"
    );
    assert_eq!(compat.kind, PostKind::Reply);
    assert_eq!(compat.author_handle.as_deref(), Some("ahmed_tanta"));

    let retweet = sink.post(847_810_912_345_678_848);
    assert_eq!(retweet.kind, PostKind::Retweet);
    assert_eq!(retweet.retweet_of, Some(847_780_000_000_000_000));
    assert!(retweet
        .text
        .contains("حملة التطعيم القومية للأطفال في جميع المحافظات"));
    assert_eq!(retweet.urls, vec!["https://www.mohp.gov.eg/"]);
    let original = sink.post(847_780_000_000_000_000);
    assert_eq!(original.kind, PostKind::Quote);
    assert_eq!(original.quote_of, Some(847_700_000_000_000_000));
    let quoted = sink.post(847_700_000_000_000_000);
    assert_eq!(quoted.metrics.retweets, Some(12), "string counts accepted");

    // Reply to a user with no parent id: still a reply.
    let orphan = sink.post(847_827_000_000_000_000);
    assert_eq!(orphan.kind, PostKind::Reply);
    assert_eq!(orphan.reply_to_post, None);
    assert_eq!(orphan.reply_to_user, Some(700_000_000_000_000_001));

    let dm = &sink.dms()[0];
    assert_eq!(dm.created_at_ms, Some(1_563_133_949_197));
    assert_eq!(dm.conversation_key, "700000000000000001-900000000000000006");
    assert!(dm.text.contains("12345 & الاسم"));
}

#[test]
fn archive_files_use_account_js_for_the_author() {
    let (sink, format) = read(&fixture("archive/data/tweets.js"));
    assert_eq!(format, Format::XArchive);
    let edited = sink.post(1_626_922_779_105_759_235);
    assert_eq!(edited.author_id, Some(700_000_000_000_000_009));
    assert_eq!(edited.author_handle.as_deref(), Some("MOP_Egypt"));
    assert_eq!(
        edited.edit_history,
        vec![1_626_922_779_105_759_235, 1_626_923_000_000_000_000]
    );
    assert_eq!(
        edited.mentions[0].user_id, None,
        "archive writes -1 for unknown ids"
    );
    assert_eq!(edited.metrics.likes, Some(15));
    let low_fidelity = sink.post(1_627_000_000_000_000_000);
    assert_eq!(low_fidelity.kind, PostKind::Retweet);
    assert!(!low_fidelity.complete);
    assert_eq!(sink.errors.len(), 1);
    assert_eq!(sink.errors[0].line, 43, "the bad element's first line");

    let (dms, _) = read(&fixture("archive/data/direct-messages.js"));
    let dms = dms.dms();
    assert_eq!(dms.len(), 2);
    assert_eq!(dms[0].created_at_ms, Some(1_737_841_325_068));
    assert_eq!(dms[1].sender_id, Some(700_000_000_000_000_009));
}

#[test]
fn zip_of_a_whole_archive_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("twitter-2025-01-26-700000000000000009.zip");
    {
        let file = std::fs::File::create(&zip_path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default();
        // tweets.js before account.js in the zip: the reader must still read account.js first.
        for name in ["tweets.js", "direct-messages.js", "account.js"] {
            zip.start_file(format!("data/{name}"), options).unwrap();
            zip.write_all(&std::fs::read(fixture(&format!("archive/data/{name}"))).unwrap())
                .unwrap();
        }
        zip.start_file("data/tweets_media/photo.jpg", options)
            .unwrap();
        zip.write_all(b"\xff\xd8 not json").unwrap();
        zip.start_file("data/like.js", options).unwrap();
        zip.write_all(b"window.YTD.like.part0 = [ { \"like\" : { \"tweetId\" : \"1\" } } ]")
            .unwrap();
        zip.finish().unwrap();
    }
    let (sink, _) = read(&zip_path);
    assert_eq!(
        sink.post(1_626_922_779_105_759_235)
            .author_handle
            .as_deref(),
        Some("MOP_Egypt")
    );
    assert_eq!(sink.dms().len(), 2);
    assert_eq!(sink.errors.len(), 1);
    assert!(
        sink.errors[0].file.ends_with("!data/tweets.js"),
        "{}",
        sink.errors[0].file
    );

    let gz_path = dir.path().join("pages.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&std::fs::read(fixture("v2_pages.jsonl")).unwrap())
        .unwrap();
    gz.finish().unwrap();
    let (gz_sink, _) = read(&gz_path);
    let (plain, _) = read(&fixture("v2_pages.jsonl"));
    assert_eq!(gz_sink.records, plain.records);
}

#[test]
fn twarc_csv_undoes_its_conversions() {
    let (sink, format) = read(&fixture("twarc.csv"));
    assert_eq!(format, Format::TwarcCsv);
    let reply = sink.post(1_390_844_367_427_063_808);
    assert_eq!(reply.kind, PostKind::Reply);
    assert_eq!(reply.text, "@MofEgypt المعاش اتأخر ليه؟\nمحتاج رد");
    assert_eq!(reply.mentions[0].handle, "MofEgypt");
    assert_eq!(reply.edit_history, vec![1_390_844_367_427_063_808]);
    assert_eq!(
        reply.metrics.impressions, None,
        "empty means unknown, not zero"
    );
    let retweet = sink.post(1_390_850_000_000_000_000);
    assert_eq!(retweet.kind, PostKind::Retweet);
    assert_eq!(retweet.hashtags, vec!["مصر"]);
    assert_eq!(retweet.metrics.likes, Some(2000));
    let quote = sink.post(1_390_860_000_000_000_000);
    assert_eq!(quote.kind, PostKind::Quote);
    assert_eq!(quote.text, "ردكم \"الرسمي\" مش واضح");
    assert_eq!(sink.errors.len(), 1);
    assert_eq!(sink.errors[0].line, 5);
    assert!(
        sink.errors[0].reason.contains("column `id`"),
        "{}",
        sink.errors[0].reason
    );
}

#[test]
fn delimited_files_map_columns_and_name_bad_fields() {
    let (sink, format) = read(&fixture("delimited.tsv"));
    assert_eq!(format, Format::Delimited);
    let posts = sink.posts();
    assert_eq!(posts.len(), 3);
    assert_eq!(
        posts[0].text, "رئيس الوزراء يتابع \"موقف\" المشروعات #أخبار_تهمك https://t.co/abc",
        "TSV does not quote"
    );
    assert_eq!(posts[0].hashtags, vec!["أخبار_تهمك"]);
    assert_eq!(posts[0].urls, vec!["https://t.co/abc"]);
    assert_eq!(posts[1].kind, PostKind::Reply);
    assert_eq!(posts[2].kind, PostKind::Retweet);
    let reasons: Vec<(u64, &str)> = sink
        .errors
        .iter()
        .map(|e| (e.line, e.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0].0, 5);
    assert!(reasons[0].1.contains("created_at"), "{reasons:?}");
    assert!(reasons[1].1.contains("`kind`"), "{reasons:?}");

    // An explicit mapping; an unknown column is a clear error naming it.
    let options = ReadOptions {
        columns: "id=tweet_id,author=handle,text=text".into(),
        ..ReadOptions::default()
    };
    let (mapped, result) = read_with(&fixture("delimited.tsv"), &options);
    assert!(result.is_ok());
    assert_eq!(mapped.posts().len(), 3);
    let options = ReadOptions {
        columns: "id=tweet_no".into(),
        ..ReadOptions::default()
    };
    let (_, result) = read_with(&fixture("delimited.tsv"), &options);
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("tweet_no") && message.contains("delimited.tsv"),
        "{message}"
    );
}

#[test]
fn empty_files_and_format_mismatches() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, b"").unwrap();
    let (sink, _) = read(&empty);
    assert!(sink.records.is_empty() && sink.errors.is_empty());
    let blank = dir.path().join("blank.jsonl");
    std::fs::write(&blank, b"\n\n  \n").unwrap();
    let (sink, _) = read(&blank);
    assert!(sink.records.is_empty() && sink.errors.is_empty());

    let options = ReadOptions {
        format: Format::TwarcCsv,
        ..ReadOptions::default()
    };
    let (_, result) = read_with(&fixture("v2_pages.jsonl"), &options);
    assert!(result
        .unwrap_err()
        .to_string()
        .contains("asked for twarc-csv"));
    // A v1.1 line in a file forced to v2 is a line error, not a silent mix.
    let options = ReadOptions {
        format: Format::XV2,
        ..ReadOptions::default()
    };
    let (sink, _) = read_with(&fixture("v1_tweets.jsonl"), &options);
    assert_eq!(sink.errors.len(), 4);
}

#[test]
fn a_huge_line_is_reported_and_skipped_without_holding_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let good = std::fs::read_to_string(fixture("v2_flat.jsonl")).unwrap();
    file.write_all(good.as_bytes()).unwrap();
    file.write_all(b"{\"data\": \"").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..=(MAX_LINE_BYTES >> 20) {
        file.write_all(&chunk).unwrap();
    }
    file.write_all(b"\"}\n").unwrap();
    file.write_all(good.as_bytes()).unwrap();
    drop(file);
    let (sink, _) = read(&path);
    assert_eq!(sink.errors.len(), 1);
    assert_eq!(sink.errors[0].line, 2);
    assert!(
        sink.errors[0].reason.contains("longer than"),
        "{}",
        sink.errors[0].reason
    );
    assert_eq!(
        sink.posts().len(),
        4,
        "lines 1 and 3 each give a retweet and its original"
    );
}

#[test]
fn hostile_values_do_not_break_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.jsonl");
    let lines = [
        r#"{"id": "18446744073709551615", "text": "id above i64", "author_id": "1"}"#,
        r#"{"id": "1766754625639153664", "text": "\u0000<script>alert(1)</script>", "author_id": "1", "created_at": "2024-02-30T99:00:00Z", "public_metrics": {"like_count": -5, "retweet_count": "many"}}"#,
        r#"[1, 2, 3]"#,
        r#"{"data": [{"id": "1", "text": "x"}], "includes": {"tweets": "not a list"}}"#,
        "\u{feff}{\"unrelated\": true}",
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let (sink, _) = read(&path);
    let post = sink.post(1_766_754_625_639_153_664);
    assert_eq!(
        post.text, "\u{0}<script>alert(1)</script>",
        "kept as data; escaping is the display's job"
    );
    assert_eq!(post.metrics.likes, None);
    assert_eq!(post.metrics.retweets, None);
    assert_eq!(sink.posts().len(), 1);
    assert_eq!(sink.errors.len(), 4, "{:?}", sink.errors);
}
