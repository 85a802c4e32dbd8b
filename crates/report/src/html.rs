//! The HTML report: one page, Arabic RTL or English, inline CSS and inline SVG only.

use std::fmt::Write;

use tawasul_core::scorecard::{Quantile, Scorecard};

use crate::{ReportMeta, POST_TYPES};

/// Language of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Arabic, right to left (the default).
    Ar,
    /// English.
    En,
}

impl Lang {
    /// `ar` or `en`.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn t<'a>(self, ar: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ar => ar,
            Lang::En => en,
        }
    }
}

/// Escapes text for HTML text and quoted attributes. Every string from data goes through here.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Bidi overrides in a hashtag must not flip the page around them.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {}
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Colours of the post types: distinguishable, dark enough for white text on print.
const PALETTE: [&str; 14] = [
    "#1b5e20", "#0d47a1", "#b71c1c", "#6a1b9a", "#e65100", "#00695c", "#2e7d32", "#c62828",
    "#4e342e", "#283593", "#00838f", "#ad1457", "#f9a825", "#757575",
];

const CSS: &str = "
:root{--ink:#1a1a1a;--muted:#555;--line:#d0d7de;--bar:#1f5f99;--bg:#fff;--soft:#f3f6f9}
*{box-sizing:border-box}
body{margin:0;font-family:'Noto Naskh Arabic','Segoe UI',Tahoma,Arial,sans-serif;color:var(--ink);background:var(--bg);line-height:1.6}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 16px}
header{padding-top:24px;border-bottom:3px solid var(--bar)}
h1{font-size:1.7rem;margin:0 0 4px}
h2{font-size:1.3rem;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:1.05rem;margin:16px 0 4px}
.meta{color:var(--muted);margin:0 0 12px}
.demo{background:#fff4ce;border:1px solid #c9a400;padding:8px 12px;margin:12px 0;font-weight:bold}
.story li{margin:4px 0}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:start;vertical-align:middle}
th{background:var(--soft)}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{display:block;width:100%;min-width:90px;height:14px}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:8px 0;padding:0;list-style:none;font-size:.9rem}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px;vertical-align:middle}
.heatmaps{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:16px}
figure{margin:0}
figcaption{font-weight:bold}
.note{color:var(--muted);font-size:.9rem}
@media (max-width:640px){.wide{display:none}th,td{padding:5px 4px}}
footer{color:var(--muted);font-size:.85rem;padding-top:24px;padding-bottom:24px}
@media print{header{border-color:#000}.table-wrap{overflow:visible}section{break-inside:avoid-page}}
";

fn duration(lang: Lang, q: Quantile) -> String {
    match q {
        Quantile::NoData => "—".into(),
        Quantile::NotReached => lang.t("أكثر من ٧ أيام", "> 7 d").into(),
        Quantile::Seconds(s) => {
            let s = s.round() as i64;
            let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
            match lang {
                Lang::Ar if d > 0 => format!("{d} ي {h} س"),
                Lang::Ar if h > 0 => format!("{h} س {m} د"),
                Lang::Ar => format!("{m} د {} ث", s % 60),
                Lang::En if d > 0 => format!("{d} d {h} h"),
                Lang::En if h > 0 => format!("{h} h {m} min"),
                Lang::En => format!("{m} min {} s", s % 60),
            }
        }
    }
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |x| format!("{:.0}%", x * 100.0))
}

/// A horizontal bar of `share` (0–1) inside a table cell, growing from the start side.
fn bar(lang: Lang, share: f64, colour: &str, label: &str) -> String {
    let w = (share.clamp(0.0, 1.0) * 100.0 * 10.0).round() / 10.0;
    let x = if lang == Lang::Ar { 100.0 - w } else { 0.0 };
    format!(
        "<svg class=\"bar\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\"><rect x=\"0\" y=\"0\" width=\"100\" height=\"10\" fill=\"#e8edf2\"/><rect x=\"{x}\" y=\"0\" width=\"{w}\" height=\"10\" fill=\"{colour}\"/></svg>",
        esc(label)
    )
}

/// A stacked bar of the content mix.
fn stacked(lang: Lang, card: &Scorecard) -> String {
    let total: u64 = card.publishing.post_types.values().sum();
    let mut svg = String::from(
        "<svg class=\"bar\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"",
    );
    let mut parts = Vec::new();
    for (label, ar, en) in POST_TYPES {
        if let Some(&n) = card.publishing.post_types.get(label) {
            if n > 0 && total > 0 {
                parts.push(format!(
                    "{} {:.0}%",
                    lang.t(ar, en),
                    n as f64 * 100.0 / total as f64
                ));
            }
        }
    }
    svg.push_str(&esc(&parts.join("، ")));
    svg.push_str("\"><rect x=\"0\" y=\"0\" width=\"100\" height=\"10\" fill=\"#e8edf2\"/>");
    let mut offset = 0.0;
    for (index, (label, _, _)) in POST_TYPES.iter().enumerate() {
        let n = card.publishing.post_types.get(*label).copied().unwrap_or(0);
        if n == 0 || total == 0 {
            continue;
        }
        let w = n as f64 * 100.0 / total as f64;
        let x = if lang == Lang::Ar {
            100.0 - offset - w
        } else {
            offset
        };
        let _ = write!(
            svg,
            "<rect x=\"{x:.2}\" y=\"0\" width=\"{w:.2}\" height=\"10\" fill=\"{}\"/>",
            PALETTE[index]
        );
        offset += w;
    }
    svg.push_str("</svg>");
    svg
}

/// A weekday × hour heatmap, darker = more posts.
fn heatmap(lang: Lang, card: &Scorecard) -> String {
    let days_ar = [
        "الأحد",
        "الاثنين",
        "الثلاثاء",
        "الأربعاء",
        "الخميس",
        "الجمعة",
        "السبت",
    ];
    let days_en = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let grid = &card.publishing.heatmap;
    let max = grid.iter().flatten().copied().max().unwrap_or(0).max(1);
    let (label_w, cell, top) = (58.0, 11.0, 14.0);
    let width = label_w + 24.0 * cell;
    let height = top + 7.0 * cell;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-label=\"{}\" direction=\"ltr\">",
        esc(lang.t("المنشورات حسب اليوم والساعة", "Posts by weekday and hour"))
    );
    for hour in (0..24).step_by(3) {
        let x = if lang == Lang::Ar {
            (23 - hour) as f64 * cell + cell / 2.0
        } else {
            label_w + hour as f64 * cell + cell / 2.0
        };
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"10\" font-size=\"8\" text-anchor=\"middle\" fill=\"#555\">{hour}</text>"
        );
    }
    for (day, row) in grid.iter().enumerate() {
        let y = top + day as f64 * cell;
        let (name, tx, anchor) = if lang == Lang::Ar {
            (days_ar[day], width - 2.0, "end")
        } else {
            (days_en[day], 0.0, "start")
        };
        let _ = write!(
            svg,
            "<text x=\"{tx}\" y=\"{}\" font-size=\"8\" text-anchor=\"{anchor}\" fill=\"#1a1a1a\">{name}</text>",
            y + cell - 3.0
        );
        for (hour, &count) in row.iter().enumerate() {
            let x = if lang == Lang::Ar {
                (23 - hour) as f64 * cell
            } else {
                label_w + hour as f64 * cell
            };
            let level = count as f64 / max as f64;
            let fill = if count == 0 {
                "#eef1f4".to_string()
            } else {
                // From light to dark blue.
                let l = 88.0 - 60.0 * level;
                format!("hsl(210,65%,{l:.0}%)")
            };
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"><title>{} {hour}:00 — {count}</title></rect>",
                cell - 1.0,
                cell - 1.0,
                if lang == Lang::Ar { days_ar[day] } else { days_en[day] }
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn account_name(lang: Lang, meta: &ReportMeta, card: &Scorecard) -> String {
    let body = meta
        .body_names
        .get(&card.account.body)
        .map(|(ar, en)| lang.t(ar, en).to_string())
        .unwrap_or_else(|| card.account.body.clone());
    esc(&body)
}

fn story(lang: Lang, cards: &[Scorecard]) -> String {
    let mut items = Vec::new();
    let messages: u64 = cards
        .iter()
        .map(|c| c.responsiveness.citizen_messages)
        .sum();
    let answered: u64 = cards.iter().map(|c| c.responsiveness.answered_7d).sum();
    let posts: u64 = cards.iter().map(|c| c.publishing.posts).sum();
    let retweets: u64 = cards.iter().map(|c| c.publishing.retweets).sum();
    let president: u64 = cards.iter().map(|c| c.publishing.president_retweets).sum();
    let replies: u64 = cards.iter().map(|c| c.publishing.replies_to_citizens).sum();
    let silent: Vec<&str> = cards
        .iter()
        .filter(|c| c.responsiveness.citizen_messages > 0 && c.responsiveness.answered_7d == 0)
        .map(|c| c.account.handle.as_str())
        .collect();
    if messages > 0 {
        let share = answered as f64 * 100.0 / messages as f64;
        items.push(match lang {
            Lang::Ar => format!("وجّه المواطنون {messages} رسالة إلى {} حسابًا حكوميًا، ولم يُرَدّ خلال سبعة أيام إلا على {answered} منها ({share:.0}%).", cards.len()),
            Lang::En => format!("Citizens sent {messages} messages to {} government accounts; {answered} of them ({share:.0}%) were answered within seven days.", cards.len()),
        });
    }
    if let Some(best) = cards.first().filter(|c| c.interactivity_index > 0.0) {
        items.push(match lang {
            Lang::Ar => format!(
                "الأكثر تفاعلًا: @{} بمؤشر {:.1} من 100، ومعدل رد {}.",
                esc(&best.account.handle),
                best.interactivity_index,
                percent(best.reply_rate())
            ),
            Lang::En => format!(
                "Most interactive: @{} with an index of {:.1} out of 100 and a reply rate of {}.",
                esc(&best.account.handle),
                best.interactivity_index,
                percent(best.reply_rate())
            ),
        });
    }
    if !silent.is_empty() {
        let list = silent
            .iter()
            .map(|h| format!("@{}", esc(h)))
            .collect::<Vec<_>>()
            .join("، ");
        items.push(match lang {
            Lang::Ar => format!("حسابات لم ترد على أي مواطن خلال سبعة أيام رغم أنه خوطبت: {list}."),
            Lang::En => format!("Accounts that answered no citizen within seven days although they were addressed: {list}."),
        });
    }
    if posts > 0 {
        let symbolic: u64 = cards
            .iter()
            .map(|c| {
                ["official_activity", "greeting"]
                    .iter()
                    .filter_map(|l| c.publishing.post_types.get(*l))
                    .sum::<u64>()
            })
            .sum();
        let labelled: u64 = cards
            .iter()
            .map(|c| c.publishing.post_types.values().sum::<u64>())
            .sum();
        let rt = retweets as f64 * 100.0 / posts as f64;
        items.push(match lang {
            Lang::Ar => format!("نشرت الحسابات {posts} منشورًا: {rt:.0}% منها إعادة تغريد (منها {president} للرئاسة)، و{replies} ردًا فقط على مواطنين."),
            Lang::En => format!("The accounts published {posts} posts: {rt:.0}% were retweets ({president} of the presidency) and only {replies} were replies to citizens."),
        });
        if labelled > 0 {
            let share = symbolic as f64 * 100.0 / labelled as f64;
            items.push(match lang {
                Lang::Ar => format!("{share:.0}% من المحتوى عن نشاط المسؤولين والتهاني، لا عن خدمات أو قرارات تهم المواطن."),
                Lang::En => format!("{share:.0}% of the content is about officials' activities and greetings rather than services or decisions for citizens."),
            });
        }
    }
    let mut out = String::from("<ul class=\"story\">");
    for item in items {
        let _ = write!(out, "<li>{item}</li>");
    }
    out.push_str("</ul>");
    out
}

/// Renders the report page.
pub fn to_html(meta: &ReportMeta, cards: &[Scorecard], lang: Lang) -> String {
    let mut h = String::with_capacity(64 * 1024 + cards.len() * 8 * 1024);
    let (code, dir) = match lang {
        Lang::Ar => ("ar", "rtl"),
        Lang::En => ("en", "ltr"),
    };
    let title = lang.t(
        "هل تردّ الحسابات الحكومية على المواطنين؟",
        "Do government accounts answer citizens?",
    );
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{code}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title} — tawasul</title>\n<style>{CSS}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n<p class=\"meta\">{} <span dir=\"ltr\">{} – {}</span> ({}) · {} <span dir=\"ltr\">{}</span></p>\n",
        lang.t("الفترة", "Period"),
        esc(&meta.from),
        esc(&meta.to),
        esc(&meta.timezone),
        lang.t("حُسب في", "computed"),
        esc(&meta.as_of),
    );
    if meta.demo {
        let _ = writeln!(
            h,
            "<p class=\"demo\" role=\"note\">{}</p>",
            lang.t(
                "بيانات تجريبية مولّدة آليًا — ليست منشورات حقيقية.",
                "Generated demo data — not real posts."
            )
        );
    }
    h.push_str("</header>\n<main>\n");

    let _ = writeln!(
        h,
        "<section id=\"story\"><h2>{}</h2>{}</section>",
        lang.t("الخلاصة", "The story"),
        story(lang, cards)
    );

    // Ranking.
    let _ = write!(
        h,
        "<section id=\"ranking\"><h2>{}</h2><div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"wide\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.t("ترتيب الحسابات حسب مؤشر التفاعل", "Ranking by interactivity index"),
        lang.t("الحساب", "Account"),
        lang.t("الجهة", "Body"),
        lang.t("مؤشر التفاعل", "Interactivity index"),
        lang.t("معدل الرد (٧ أيام)", "Reply rate (7 d)"),
        lang.t("وسيط زمن الرد", "Median response"),
        lang.t("منشورات", "Posts"),
    );
    for (i, card) in cards.iter().enumerate() {
        let index = card.interactivity_index;
        let _ = write!(
            h,
            "<tr><td class=\"num\">{}</td><td><bdi>@{}</bdi></td><td class=\"wide\">{}</td><td>{} <span class=\"num\">{index:.1}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            i + 1,
            esc(&card.account.handle),
            account_name(lang, meta, card),
            bar(lang, index / 100.0, "#1f5f99", &format!("{index:.1}")),
            percent(card.reply_rate()),
            duration(lang, card.responsiveness.median),
            card.publishing.posts,
        );
    }
    h.push_str("</tbody></table></div></section>\n");

    // Responsiveness.
    let _ = write!(
        h,
        "<section id=\"responsiveness\"><h2>{}</h2><p class=\"note\">{}</p><div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.t("من يرد، وبأي سرعة", "Who answers, and how fast"),
        lang.t(
            "الرسائل: ردود المواطنين على منشورات الحساب وإشاراتهم إليه (بلا إعادة تغريد). الرد المحتسب: رد الحساب على الرسالة أو على كاتبها لاحقًا في المحادثة نفسها خلال ٧ أيام. الأزمنة مقدّرة بطريقة كابلان–ماير مع اعتبار الرسائل بلا رد حالات مراقَبة؛ زمن العمل يحسب ساعات الدوام فقط (الأحد–الخميس ٩–١٧ بتوقيت القاهرة ما لم تحدد الجهة غير ذلك).",
            "Messages: citizens' replies to the account's posts and mentions of it (retweets excluded). An answer: the account's reply to the message, or to its author later in the same conversation, within 7 days. Times are Kaplan–Meier estimates with unanswered messages censored; business time counts open hours only (Sunday–Thursday 09:00–17:00 Cairo unless the body set its own calendar)."
        ),
        lang.t("الحساب", "Account"),
        lang.t("رسائل", "Messages"),
        lang.t("تحتاج ردًا", "Need a reply"),
        lang.t("رُدّ عليها", "Answered"),
        lang.t("معدل الرد", "Reply rate"),
        lang.t("الوسيط / ٩٠٪", "Median / p90"),
        lang.t("الوسيط بزمن العمل", "Median, business time"),
        lang.t("خلال ساعة / يوم", "Within 1 h / 24 h"),
        lang.t("خارج الدوام", "Off hours"),
    );
    for card in cards {
        let r = &card.responsiveness;
        let rate = card.reply_rate().unwrap_or(0.0);
        let _ = write!(
            h,
            "<tr><td><bdi>@{}</bdi></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{} <span class=\"num\">{}</span></td><td class=\"num\">{} / {}</td><td class=\"num\">{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{}</td></tr>",
            esc(&card.account.handle),
            r.citizen_messages,
            r.needs_reply,
            r.answered_7d,
            bar(lang, rate, "#2e7d32", &percent(card.reply_rate())),
            percent(card.reply_rate()),
            duration(lang, r.median),
            duration(lang, r.p90),
            duration(lang, r.median_business),
            percent(r.within_1h),
            percent(r.within_24h),
            percent(card.outside_hours_share()),
        );
    }
    h.push_str("</tbody></table></div></section>\n");

    // Content mix.
    let _ = write!(
        h,
        "<section id=\"content\"><h2>{}</h2><ul class=\"legend\">",
        lang.t("ماذا تنشر الحسابات", "What the accounts publish")
    );
    for (index, (_, ar, en)) in POST_TYPES.iter().enumerate() {
        let _ = write!(
            h,
            "<li><span style=\"background:{}\"></span>{}</li>",
            PALETTE[index],
            lang.t(ar, en)
        );
    }
    let _ = write!(
        h,
        "</ul><div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        lang.t("الحساب", "Account"),
        lang.t("مزيج المحتوى", "Content mix"),
        lang.t("أصلية", "Originals"),
        lang.t("إعادة تغريد", "Retweets"),
        lang.t("للرئاسة", "Of the presidency"),
        lang.t("ردود على مواطنين", "Replies to citizens"),
        lang.t("يوميًا", "Per day"),
        lang.t("تفاعل لكل منشور", "Engagement per original"),
        lang.t("ردود مقيّدة", "Restricted replies"),
    );
    for card in cards {
        let p = &card.publishing;
        let _ = write!(
            h,
            "<tr><td><bdi>@{}</bdi></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&card.account.handle),
            stacked(lang, card),
            p.originals,
            p.retweets,
            p.president_retweets,
            p.replies_to_citizens,
            card.posts_per_day(),
            card.engagement_per_original().map_or_else(|| "—".into(), |e| format!("{e:.1}")),
            percent(card.restricted_share()),
        );
    }
    h.push_str("</tbody></table></div>");
    // Top hashtags.
    let _ = write!(
        h,
        "<h3>{}</h3><div class=\"table-wrap\"><table><tbody>",
        lang.t("أكثر الوسوم استخدامًا", "Top hashtags")
    );
    for card in cards {
        let tags: Vec<String> = card
            .top_hashtags(5)
            .into_iter()
            .map(|(tag, n)| format!("<bdi>#{}</bdi> ({n})", esc(tag)))
            .collect();
        if !tags.is_empty() {
            let _ = write!(
                h,
                "<tr><th scope=\"row\"><bdi>@{}</bdi></th><td>{}</td></tr>",
                esc(&card.account.handle),
                tags.join(" · ")
            );
        }
    }
    h.push_str("</tbody></table></div></section>\n");

    // Heatmaps.
    let _ = write!(
        h,
        "<section id=\"heatmaps\"><h2>{}</h2><div class=\"heatmaps\">",
        lang.t(
            "متى تنشر الحسابات (اليوم × الساعة، بتوقيت القاهرة)",
            "When the accounts post (weekday × hour, Cairo time)"
        )
    );
    for card in cards.iter().filter(|c| c.publishing.posts > 0) {
        let _ = write!(
            h,
            "<figure><figcaption><bdi>@{}</bdi> — {}</figcaption>{}</figure>",
            esc(&card.account.handle),
            account_name(lang, meta, card),
            heatmap(lang, card)
        );
    }
    h.push_str("</div></section>\n");

    let _ = write!(
        h,
        "<section id=\"method\"><h2>{}</h2><p class=\"note\">{}</p></section>\n</main>\n<footer>tawasul · {}</footer>\n</body>\n</html>\n",
        lang.t("المنهج", "Method"),
        lang.t(
            "مؤشر التفاعل (٠–١٠٠) = ١٠٠ × (٠٫٤ × معدل الرد على الرسائل التي تحتاج ردًا + ٠٫٢ × نسبة الرد خلال ٢٤ ساعة + ٠٫٢ × نصيب الحوار من المنشورات + ٠٫٢ × نصيب المحتوى الخدمي). يستند إلى قياس الاستجابة (المعدل والزمن) في دراسات تدقيق الاستجابة الحكومية، وإلى تمييز Mergel بين البث والحوار، وتمييز DePaula وزملائه بين المحتوى المعلوماتي والرمزي. التفاصيل في docs/METRICS.md.",
            "Interactivity index (0–100) = 100 × (0.4 × reply rate on messages that need a reply + 0.2 × share answered within 24 h + 0.2 × dialogue share of the account's posts + 0.2 × share of serving content). Grounded in responsiveness audits (rate and time), Mergel's push versus networking, and DePaula et al.'s informational versus symbolic content. Details in docs/METRICS.md."
        ),
        lang.t("منصة مفتوحة المصدر لقياس تواصل الحسابات الحكومية", "open-source platform measuring how government accounts answer citizens"),
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_bidi_controls() {
        assert_eq!(
            esc("<script>\"x\" & 'y'</script>\u{202E}"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
