//! HTML building blocks: escaping (every citizen text passes through [`esc`]), the page layout
//! (Arabic RTL first, English on request), the strings of both languages, times in Cairo.

use std::fmt::Write;

use axum::http::HeaderMap;
use chrono::{Datelike, TimeZone, Timelike};

/// Interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Arabic, right to left (the default).
    Ar,
    /// English.
    En,
}

impl Lang {
    /// From the `lang` cookie (Arabic unless it says `en`).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let english = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|pair| pair.trim() == "lang=en");
        if english {
            Lang::En
        } else {
            Lang::Ar
        }
    }

    /// `ar` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }
}

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Bidi overrides in a citizen's text could flip the page around it; shown inert.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A string of the interface in the given language.
pub fn t(lang: Lang, key: &str) -> &'static str {
    let (ar, en) = match key {
        "app" => ("تواصل", "tawasul"),
        "inbox" => ("صندوق الوارد", "Inbox"),
        "dashboard" => ("لوحة المتابعة", "Dashboard"),
        "search" => ("بحث", "Search"),
        "settings" => ("الإعدادات", "Settings"),
        "outbox" => ("صندوق الصادر", "Outbox"),
        "logout" => ("خروج", "Sign out"),
        "login" => ("تسجيل الدخول", "Sign in"),
        "name" => ("اسم المستخدم", "User name"),
        "password" => ("كلمة المرور", "Password"),
        "bad_login" => (
            "اسم المستخدم أو كلمة المرور غير صحيحة",
            "Wrong user name or password",
        ),
        "too_many" => (
            "محاولات كثيرة، حاول بعد دقائق",
            "Too many attempts, try again in a few minutes",
        ),
        "status" => ("الحالة", "Status"),
        "body" => ("الجهة", "Body"),
        "intent" => ("النية", "Intent"),
        "sla" => ("مستوى الخدمة", "SLA"),
        "assignee" => ("المسؤول", "Assignee"),
        "label" => ("وسم", "Label"),
        "filter" => ("تصفية", "Filter"),
        "any" => ("الكل", "Any"),
        "unassigned" => ("غير مسند", "Unassigned"),
        "mine" => ("المسندة إليّ", "Mine"),
        "open" => ("مفتوحة", "Open"),
        "pending" => ("بانتظار المواطن", "Pending"),
        "snoozed" => ("مؤجلة", "Snoozed"),
        "resolved" => ("محلولة", "Resolved"),
        "breached" => ("متجاوزة", "Breached"),
        "warning" => ("قاربت", "Due soon"),
        "ok" => ("ضمن المهلة", "On time"),
        "none" => ("—", "—"),
        "citizen" => ("المواطن", "Citizen"),
        "message" => ("الرسالة", "Message"),
        "last" => ("آخر رسالة", "Last message"),
        "due" => ("الموعد", "Due"),
        "public" => ("عام", "Public"),
        "private" => ("خاص", "Private"),
        "next_page" => ("الأقدم ←", "Older →"),
        "empty" => ("لا محادثات هنا.", "No conversations here."),
        "thread" => ("المحادثة", "Thread"),
        "history" => ("سجل المواطن", "Citizen history"),
        "suggestions" => ("إجابات مقترحة", "Suggested answers"),
        "use" => ("استخدم", "Use"),
        "canned" => ("ردود جاهزة", "Canned responses"),
        "reply" => ("الرد", "Reply"),
        "send" => ("أرسل الرد", "Send reply"),
        "note" => ("ملاحظة داخلية", "Internal note"),
        "add_note" => ("أضف الملاحظة", "Add note"),
        "set_status" => ("غيّر الحالة", "Set status"),
        "assign" => ("أسند", "Assign"),
        "take" => ("أسندها إليّ", "Take it"),
        "route" => ("حوّل إلى جهة", "Route to body"),
        "labels" => ("الوسوم", "Labels"),
        "add_label" => ("أضف وسمًا", "Add label"),
        "source" => ("المصدر", "Source"),
        "approve" => ("اعتماد", "Approve"),
        "reject" => ("رفض", "Reject"),
        "mark_sent" => ("تم الإرسال", "Mark sent"),
        "awaiting_approval" => ("بانتظار الاعتماد", "Awaiting approval"),
        "queued" => ("في الصادر", "Queued"),
        "sent" => ("أُرسل", "Sent"),
        "rejected" => ("مرفوض", "Rejected"),
        "snooze_until" => ("أجّل حتى", "Snooze until"),
        "first_response" => ("أول رد", "First response"),
        "next_response" => ("الرد التالي", "Next response"),
        "resolution" => ("الحل", "Resolution"),
        "agents" => ("أداء الموظفين", "Agents"),
        "responses" => ("ردود", "Responses"),
        "mean_wall" => ("متوسط زمن الرد", "Mean response time"),
        "mean_business" => (
            "متوسط زمن الرد (ساعات العمل)",
            "Mean response (business time)",
        ),
        "breaches" => ("تجاوزات", "Breaches"),
        "ranking" => ("ترتيب الحسابات", "Account ranking"),
        "full_report" => ("التقرير الكامل", "Full report"),
        "account" => ("الحساب", "Account"),
        "reply_rate" => ("نسبة الرد", "Reply rate"),
        "median" => ("الوسيط", "Median"),
        "index" => ("مؤشر التفاعل", "Interactivity"),
        "results_posts" => ("منشورات رسمية وخدمات", "Official posts and services"),
        "results_messages" => ("رسائل المواطنين", "Citizens' messages"),
        "no_results" => ("لا نتائج.", "No results."),
        "users" => ("المستخدمون", "Users"),
        "role" => ("الدور", "Role"),
        "bodies" => ("الجهات", "Bodies"),
        "add_user" => ("أضف مستخدمًا", "Add user"),
        "save" => ("احفظ", "Save"),
        "calendar" => ("التقويم (TOML)", "Calendar (TOML)"),
        "four_eyes" => (
            "اعتماد الردود العامة من مشرف",
            "Supervisor approves public replies",
        ),
        "round_robin" => ("توزيع تلقائي بالتناوب", "Round-robin assignment"),
        "ack" => (
            "رد آلي خارج أوقات العمل (رسائل خاصة فقط)",
            "Out-of-hours DM acknowledgement",
        ),
        "minutes" => ("دقائق عمل", "business minutes"),
        "warn" => ("تنبيه قبل التجاوز (دقائق)", "Warn before breach (minutes)"),
        "title" => ("العنوان", "Title"),
        "text" => ("النص", "Text"),
        "add" => ("أضف", "Add"),
        "webhooks" => ("Webhooks", "Webhooks"),
        "events" => ("الأحداث", "Events"),
        "url" => ("العنوان URL", "URL"),
        "secret" => ("السر", "Secret"),
        "live" => (
            "رسائل جديدة وصلت — حدّث الصفحة",
            "New messages arrived — reload",
        ),
        "shortcuts" => (
            "اختصارات: j/k تنقل، Enter فتح، r رد، / بحث، g i الوارد",
            "Shortcuts: j/k move, Enter open, r reply, / search, g i inbox",
        ),
        "audit" => ("سجل الإجراءات", "Audit log"),
        "forbidden" => ("غير مسموح", "Forbidden"),
        "not_found" => ("غير موجود", "Not found"),
        "error" => ("خطأ", "Error"),
        "capacity" => ("السعة", "Capacity"),
        "export" => ("تصدير", "Export"),
        "demo" => ("بيانات تجريبية مولّدة", "Generated demo data"),
        _ => ("", ""),
    };
    match lang {
        Lang::Ar => ar,
        Lang::En => en,
    }
}

/// A time in Cairo, `YYYY-MM-DD HH:MM`.
pub fn cairo_time(ms: i64) -> String {
    chrono_tz::Africa::Cairo
        .timestamp_millis_opt(ms)
        .single()
        // Fields written directly: a strftime pattern is parsed again on every call, and the
        // inbox shows fifty of these a page.
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

/// A duration for people: `3 h 20 min`, `2 d 4 h`.
pub fn duration(ms: i64, lang: Lang) -> String {
    let minutes = ms.abs() / 60_000;
    let (d, h, m) = (minutes / 1_440, (minutes / 60) % 24, minutes % 60);
    let (ud, uh, um) = match lang {
        Lang::Ar => ("ي", "س", "د"),
        Lang::En => ("d", "h", "min"),
    };
    let text = if d > 0 {
        format!("{d} {ud} {h} {uh}")
    } else if h > 0 {
        format!("{h} {uh} {m} {um}")
    } else {
        format!("{m} {um}")
    };
    if ms < 0 {
        format!("−{text}")
    } else {
        text
    }
}

/// Navigation entries and where they lead.
const NAV: [(&str, &str); 5] = [
    ("inbox", "/inbox"),
    ("outbox", "/outbox"),
    ("dashboard", "/dashboard"),
    ("search", "/search"),
    ("settings", "/settings"),
];

/// A whole page around `main`. `csrf` is the session's token for the sign-out form.
pub fn page(
    lang: Lang,
    title: &str,
    active: &str,
    user: Option<(&str, &str)>,
    main: &str,
) -> String {
    let dir = if lang == Lang::Ar { "rtl" } else { "ltr" };
    let mut out = String::with_capacity(main.len() + 2_048);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{code}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {app}</title><link rel=\"stylesheet\" href=\"/static/app.css\">\
         <script src=\"/static/app.js\" defer></script></head><body>\
         <a class=\"skip\" href=\"#main\">{skip}</a>",
        code = lang.code(),
        title = esc(title),
        app = t(lang, "app"),
        skip = if lang == Lang::Ar {
            "انتقل إلى المحتوى"
        } else {
            "Skip to content"
        },
    );
    if let Some((name, csrf)) = user {
        let _ = write!(
            out,
            "<header><nav aria-label=\"{}\"><strong class=\"brand\">{}</strong><ul>",
            t(lang, "app"),
            t(lang, "app")
        );
        for (key, href) in NAV {
            let current = if key == active {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(
                out,
                "<li><a href=\"{href}\"{current}>{}</a></li>",
                t(lang, key)
            );
        }
        let other = if lang == Lang::Ar {
            ("en", "English")
        } else {
            ("ar", "العربية")
        };
        let _ = write!(
            out,
            "</ul><div class=\"who\"><a href=\"/lang/{code}\" lang=\"{code}\">{label}</a> <span>{name}</span>\
             <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\">{logout}</button></form></div></nav></header>",
            code = other.0,
            label = other.1,
            name = esc(name),
            csrf = esc(csrf),
            logout = t(lang, "logout"),
        );
    }
    let _ = write!(
        out,
        "<main id=\"main\" tabindex=\"-1\">{main}</main><div id=\"live\" role=\"status\" aria-live=\"polite\" hidden>\
         <a href=\"\">{live}</a></div></body></html>",
        live = t(lang, "live")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_cairo_with_summer_time_and_across_midnight() {
        // 18:05 UTC in November is 20:05 in Cairo (UTC+2).
        assert_eq!(cairo_time(1_795_889_100_000), "2026-11-28 20:05");
        // 21:30 UTC on 1 July is 00:30 the next day under Egypt's summer time (UTC+3).
        assert_eq!(cairo_time(1_782_941_400_000), "2026-07-02 00:30");
    }
}
